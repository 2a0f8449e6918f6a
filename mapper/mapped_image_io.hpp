// Writing and reading a MappedImage as HDF5 (layout in docs/mapping.md): per-core tables are
// flattened into one dataset per field with per-core offsets, so a 10^6-neuron image stays a few
// dozen datasets and is easy to read with h5py.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "mapper/mapped_image.hpp"

namespace loihisim::mapper {

inline constexpr int kMappedImageVersion = 1;

// Writes atomically (the file appears whole or not at all).
void write_mapped_image(const MappedImage& image, const std::filesystem::path& file);

// Reads an image written by write_mapped_image, checking every offset, index and range; the
// result passes core::validate. Problems are InputErrors naming the file and the dataset.
MappedImage read_mapped_image(const std::filesystem::path& file);

// The sizes of every core of an image, read from its offsets alone (no core table is read).
struct CoreOutline {
  std::int32_t compartments = 0;
  std::int32_t input_axons = 0;
  bool in_use() const { return compartments > 0 || input_axons > 0; }
};
std::vector<CoreOutline> read_core_outline(const std::filesystem::path& file);

// A process's part of an image (a run distributed over processes, docs/scaling.md): every
// core's tables where held[c] != 0 are read and checked as read_mapped_image() does, and only
// they (HDF5 hyperslabs of the flattened datasets, one per run of consecutive held cores); a
// core not held gets `compartments` default entries (its number of compartments) and empty
// tables. Populations, ports and host nodes are read whole (their sites checked against every
// core's sizes). std::invalid_argument when held does not have one flag per core.
MappedImage read_mapped_image_part(const std::filesystem::path& file,
                                   std::vector<std::uint8_t> held);

}  // namespace loihisim::mapper
