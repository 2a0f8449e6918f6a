// Writing and reading a MappedImage as HDF5 (layout in docs/mapping.md): per-core tables are
// flattened into one dataset per field with per-core offsets, so a 10^6-neuron image stays a few
// dozen datasets and is easy to read with h5py.
#pragma once

#include <filesystem>

#include "mapper/mapped_image.hpp"

namespace loihisim::mapper {

inline constexpr int kMappedImageVersion = 1;

// Writes atomically (the file appears whole or not at all).
void write_mapped_image(const MappedImage& image, const std::filesystem::path& file);

// Reads an image written by write_mapped_image, checking every offset, index and range; the
// result passes core::validate. Problems are InputErrors naming the file and the dataset.
MappedImage read_mapped_image(const std::filesystem::path& file);

}  // namespace loihisim::mapper
