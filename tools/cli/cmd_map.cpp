// `loihisim map NETWORK.yaml --arch loihi1 --out mapped.h5 [--placer greedy|metis] [--json]`:
// partition a network under every per-core limit, place it on the mesh, write the mapped image
// and report per-core use, both partitions made (the kept one marked), cores against the lower
// bound of the blocks and against the bound for any partition, traffic and hops for both
// placers (the report itself: mapper/map_report.cpp).
#include <fmt/core.h>

#include <memory>
#include <string>

#include "formats/arch_io.hpp"
#include "io/atomic_output.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct MapCommandOptions {
  std::string network;
  std::string arch = "loihi1";
  std::string out;
  std::string placer = "metis";
  bool json = false;
};

void run_map(const MapCommandOptions& opt) {
  OutputSet files;
  network_inputs(files, opt.network);
  input_if_file(files, opt.arch, "architecture file");
  if (!opt.out.empty()) files.output(opt.out, "--out");
  mapper::MapOptions options;
  options.placer = mapper::parse_placer(opt.placer);
  const core::Architecture arch = load_architecture(opt.arch);
  const mapper::Network net = mapper::read_network(opt.network);
  const mapper::MapResult result = mapper::map_network(net, arch, options);
  if (!opt.out.empty()) mapper::write_mapped_image(result.image, opt.out);
  files.commit();
  if (opt.json) {
    fmt::print("{}\n", mapper::report_summary(result.report).dump(2));
  } else {
    fmt::print("{}", mapper::format_report(result.report));
    const auto& t = result.report.timings;
    fmt::print(
        "mapping took {:.3f} s (partition {:.3f}, pack {:.3f}, build {:.3f}, greedy "
        "placement {:.3f}, METIS placement {:.3f}, validation {:.3f})\n",
        t.total, t.partition, t.pack, t.build, t.place_greedy, t.place_metis, t.validate);
    if (!opt.out.empty()) fmt::print("wrote {}\n", opt.out);
  }
}

}  // namespace

void register_map(CLI::App& app) {
  auto opt = std::make_shared<MapCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "map",
      "Partition a network (YAML, docs/network-format.md) into blocks under every per-core "
      "limit, place them on the mesh and write the mapped image (HDF5, docs/mapping.md)");
  cmd->add_option("network", opt->network, "network file (YAML)")->required();
  cmd->add_option("--arch", opt->arch, "architecture: a shipped name (loihi1, ...) or a YAML file")
      ->capture_default_str();
  cmd->add_option("--out,-o", opt->out, "mapped image to write (HDF5); omit to only report");
  cmd->add_option("--placer", opt->placer, "placement written to the image: greedy or metis")
      ->capture_default_str()
      ->check(CLI::IsMember({"greedy", "metis"}));
  cmd->add_flag("--json", opt->json, "print the report as JSON");
  cmd->callback([opt] { run_map(*opt); });
}

}  // namespace loihisim::tools
