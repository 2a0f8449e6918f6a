#include "runtime/rank_image.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "io/errors.hpp"
#include "mapper/mapped_image_io.hpp"
#include "runtime/ranks.hpp"

namespace loihisim {

std::vector<std::int32_t> owned_routes(const mapper::MappedImage& image,
                                       const core::Distribution& d) {
  std::vector<std::int32_t> records, dests;
  for (std::size_t c = 0; c < image.cores.size(); ++c) {
    if (d.owner[c] != d.self || image.cores[c].output_axons.empty()) continue;
    dests.clear();
    for (const auto& a : image.cores[c].output_axons) dests.push_back(a.dest_core);
    std::sort(dests.begin(), dests.end());
    dests.erase(std::unique(dests.begin(), dests.end()), dests.end());
    records.push_back(static_cast<std::int32_t>(c));
    records.push_back(static_cast<std::int32_t>(dests.size()));
    records.insert(records.end(), dests.begin(), dests.end());
  }
  return records;
}

void set_routes(core::Distribution& d, std::span<const std::int32_t> records) {
  d.dests.assign(d.owner.size(), {});
  for (std::size_t i = 0; i < records.size();) {
    if (records.size() - i < 2 || records[i] < 0 ||
        static_cast<std::size_t>(records[i]) >= d.owner.size() || records[i + 1] < 0 ||
        records.size() - i - 2 < static_cast<std::size_t>(records[i + 1]))
      throw std::invalid_argument("malformed route records at entry " + std::to_string(i));
    const auto first = records.begin() + static_cast<std::ptrdiff_t>(i + 2);
    d.dests[static_cast<std::size_t>(records[i])].assign(first, first + records[i + 1]);
    i += 2 + static_cast<std::size_t>(records[i + 1]);
  }
}

RankImage read_rank_image(const std::filesystem::path& file, const core::Architecture& arch) {
  const Ranks& r = ranks();
  const std::vector<mapper::CoreOutline> outline = mapper::read_core_outline(file);
  if (outline.size() > static_cast<std::size_t>(arch.mesh.num_cores()))
    throw InputError(
        fmt::format("{}: an image of {} cores, but architecture '{}' has only {}: "
                    "map it again",
                    file.string(), outline.size(), arch.name, arch.mesh.num_cores()));
  RankImage part;
  part.distribution = distribute_by_chips(outline, arch, r.rank(), r.size());
  core::Distribution& d = part.distribution;
  std::vector<std::uint8_t> held(outline.size());
  for (std::size_t c = 0; c < held.size(); ++c) held[c] = d.owner[c] == d.self ? 1 : 0;
  part.image = mapper::read_mapped_image_part(file, std::move(held));
  if (part.image.architecture != arch.name)
    throw InputError(fmt::format("{}: mapped for architecture '{}', not '{}': map it again",
                                 file.string(), part.image.architecture, arch.name));
  for (const auto& c : outline) d.input_axons.push_back(c.input_axons);
  set_routes(d, r.all_gather(owned_routes(part.image, d)));
  return part;
}

}  // namespace loihisim
