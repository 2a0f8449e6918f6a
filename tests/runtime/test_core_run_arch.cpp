// `loihisim core-run --arch`: the energy and time model attached to register-level runs.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "io/h5_file.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;

namespace {

using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

}  // namespace

TEST_CASE("core-run --arch loihi1 on trace 1: energy recomputed from the counts by hand") {
  TempDir tmp("core_run_arch");
  const fs::path& dir = tmp.path;
  const std::string spec = std::string(LOIHISIM_SOURCE_DIR) + "/examples/core/trace1.yaml";
  std::string out;
  REQUIRE(run_cli("core-run " + spec + " --arch loihi1 --out " + (dir / "t.h5").string() +
                      " --report " + (dir / "t.json").string(),
                  &out) == 0);
  CHECK(out.find("architecture loihi1") != std::string::npos);
  auto root = h5::open_file((dir / "t.h5").string());
  CHECK(root.is_group("energy"));
  // Trace 1: 10 host spikes (2 axons x 5 steps), one dense synapse each: 10 synaptic events;
  // 20 updates; 7 spikes, no output axons. Active updates: every step but the first has u or v
  // or bias nonzero, and bias = 40 makes the first active too: 20 active.
  std::ifstream json(dir / "t.json");
  const auto report = nlohmann::json::parse(json);
  // Davies 2018: 10 x 23.6 + 20 x 81 pJ on the core, 10 x 640 pJ host link, 20 barriers x 7 pJ,
  // exactly, in fJ.
  const std::int64_t dynamic_fj = 10 * 23'600 + 20 * 81'000 + 10 * 640'000 + 20 * 7'000;
  CHECK(report["report"] == "core_run");
  CHECK(report["energy"]["dynamic_fJ"].get<std::int64_t>() == dynamic_fj);
  CHECK(report["steps"].get<int>() == 20);
}

TEST_CASE("core-run --arch loihi1 rejects Loihi 2 behaviours, loihi2 accepts them") {
  TempDir tmp("core_run_arch_l2");
  const fs::path& dir = tmp.path;
  const fs::path spec = dir / "subtract.yaml";
  std::ofstream(spec) << "steps: 4\n"
                         "cores:\n"
                         "  - profiles: [{decay_u: 0, decay_v: 0, vth_mant: 1, refract_delay: 1,\n"
                         "                vmin_exp: 31, vmax_exp: 7, reset: subtract}]\n"
                         "    formats: []\n"
                         "    compartments: [{count: 1, profile: 0, bias_mant: 100, bias_exp: 0}]\n"
                         "    synapse_lists: []\n"
                         "    input_axons: []\n";
  std::string out;
  const std::string h5 = (dir / "o.h5").string();
  CHECK(run_cli("core-run " + spec.string() + " --arch loihi1 --out " + h5, &out) == 2);
  CHECK(out.find("reset by subtraction is not available") != std::string::npos);
  CHECK_FALSE(fs::exists(h5));
  CHECK(run_cli("core-run " + spec.string() + " --arch loihi2 --out " + h5, &out) == 0);
  CHECK(fs::exists(h5));
  CHECK(run_cli(
            "core-run " + spec.string() + " --report " + (dir / "r.json").string() + " --out " + h5,
            &out) == 2);
  CHECK(out.find("needs --arch") != std::string::npos);
}
