// What one process of a run distributed over MPI ranks reads of a mapped image
// (docs/scaling.md, "Each rank reads only its part of the image"): the sizes of every core (the
// image's offsets), then the full tables of the cores distribute_by_chips() gives it, and
// nothing of the others' tables. The routes of the others' cores (which cores each sends to)
// are gathered from their owners over the ranks, so that each rank buckets what it receives as
// the owner would.
//
//   RankImage part = read_rank_image("net.h5", arch);   // collective: every rank calls it
//   ChipSession session(part.image, &arch, part.distribution, exchange.get());
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "mapper/mapped_image.hpp"

namespace loihisim {

struct RankImage {
  // This rank's cores with their tables; every other core with its number of compartments
  // only (mapper::read_mapped_image_part).
  mapper::MappedImage image;
  // distribute_by_chips() with every core's input axons and routes (core::Distribution).
  core::Distribution distribution;
};

// Collective over ranks(). Throws InputError as read_mapped_image() does, and when the image
// was mapped for another architecture than `arch`.
RankImage read_rank_image(const std::filesystem::path& file, const core::Architecture& arch);

// The distinct destination cores of every owned core's output axons as
// (core, n, n destinations ascending) records, concatenated (what read_rank_image() gathers).
std::vector<std::int32_t> owned_routes(const mapper::MappedImage& image,
                                       const core::Distribution& d);
// Those records of every rank into d.dests (one list per core; cores in no record: none).
// std::invalid_argument for a malformed record or a core outside the image.
void set_routes(core::Distribution& d, std::span<const std::int32_t> records);

}  // namespace loihisim
