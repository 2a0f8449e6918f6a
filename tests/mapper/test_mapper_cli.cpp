// `loihisim map`: the report, the JSON form, the written image, and clean failures.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mapper/mapped_image_io.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

using loihisim::testing::TempDir;

struct MapCli {
  int exit_code = -1;
  std::string out;  // stdout
  std::string all;  // stdout and stderr
};

MapCli run_map(std::vector<std::string> args) {
  args.insert(args.begin(), "map");
  const auto c = loihisim::testing::run_cli(args);
  MapCli r;
  r.exit_code = c.exit_code;
  r.out = c.out;
  r.all = c.output;
  return r;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const fs::path kExamples = fs::path(LOIHISIM_SOURCE_DIR) / "examples/networks";

}  // namespace

TEST_CASE("mapper cli: map the tiny example, print the table and write the image") {
  TempDir d("map_cli");
  const fs::path out = d.path / "tiny.h5";
  const auto r =
      run_map({(kExamples / "tiny.yaml").string(), "--arch", "loihi1", "--out", out.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out, "cores used: 1 (lower bound 1; for any partition 1)"));
  CHECK(has(r.out, "blocks: 2 (partition: refined, 2 passes)"));
  // The tiny network's blocks are as cheap as any split: both bounds count 448 synapse bits.
  const auto any = r.out.find("lower bound for any partition");
  REQUIRE(any != std::string::npos);
  CHECK(has(r.out.substr(any), "448 / 1048576  -> 1 cores"));
  CHECK(has(r.out, "chips used: 1"));
  CHECK(has(r.out, "greedy"));
  CHECK(has(r.out, "metis*"));
  CHECK(has(r.out, "7/4096"));       // input axons of core 0
  CHECK(has(r.out, "448/1048576"));  // synapse bits of core 0
  CHECK(has(r.out, "hidden[0:3] out[0:2]"));
  REQUIRE(fs::exists(out));
  const auto img = loihisim::mapper::read_mapped_image(out);
  CHECK(img.architecture == "loihi1");
  CHECK(img.placer == "metis");
  CHECK(img.cores_used() == 1);
}

TEST_CASE("mapper cli: --json prints the same report as JSON") {
  const auto r = run_map({(kExamples / "ring.yaml").string(), "--json", "--placer", "greedy"});
  REQUIRE(r.exit_code == 0);
  const YAML::Node j = YAML::Load(r.out);  // JSON is YAML
  CHECK(j["network"].as<std::string>() == "ring");
  CHECK(j["placer"].as<std::string>() == "greedy");
  CHECK(j["cores_used"].as<int>() == 24);
  CHECK(j["lower_bound"].as<int>() == 24);
  // 24 x 1000 compartments need 24 cores whatever the partition; both partitions agree.
  CHECK(j["network_lower_bound"].as<int>() == 24);
  CHECK(j["network_lower_bound_by_resource"][0]["resource"].as<std::string>() == "compartments");
  CHECK(j["network_lower_bound_by_resource"][0]["demand"].as<int>() == 24000);
  CHECK(j["partition"].as<std::string>() == "refined");
  REQUIRE(j["partitions"].size() == 2);
  CHECK(j["partitions"][0]["chosen"].as<bool>());
  CHECK(j["partitions"][0]["cores"].as<int>() == 24);
  CHECK(j["partitions"][1]["method"].as<std::string>() == "balanced");
  CHECK(j["chips_used"].as<int>() == 1);
  REQUIRE(j["cores"].size() == 24);
  CHECK(j["cores"][0]["compartments"]["used"].as<int>() == 1000);
  CHECK(j["cores"][0]["compartments"]["limit"].as<int>() == 1024);
  const double greedy = j["traffic"]["greedy"]["traffic_x_hops"].as<double>();
  const double metis = j["traffic"]["metis"]["traffic_x_hops"].as<double>();
  CHECK(j["traffic"]["greedy"]["messages_per_step"].as<double>() == doctest::Approx(1200));
  CHECK(metis < greedy);
}

TEST_CASE("mapper cli: bad input fails with a message and writes nothing") {
  TempDir d("map_cli_bad");
  const fs::path out = d.path / "img.h5";
  const fs::path net = d.path / "bad.yaml";
  {
    std::ofstream f(net);
    f << "loihisim_network: 1\npopulations:\n  - name: p\n    size: 2\n    profile: {vth: 3}\n";
  }
  auto r = run_map({net.string(), "--out", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(has(r.all, "bad.yaml:5:"));
  CHECK(has(r.all, "populations[0].profile.vth: unknown key 'vth'"));
  CHECK_FALSE(fs::exists(out));

  r = run_map(
      {(kExamples / "tiny.yaml").string(), "--arch", "no_such_arch", "--out", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(has(r.all, "no_such_arch"));
  CHECK_FALSE(fs::exists(out));

  r = run_map({(kExamples / "tiny.yaml").string(), "--placer", "random"});
  CHECK(r.exit_code != 0);

  r = run_map({(d.path / "missing.yaml").string(), "--out", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(has(r.all, "missing.yaml: cannot open"));
  CHECK_FALSE(fs::exists(out));
  // Nothing but the input is left behind (no temporary files either).
  CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator{}) == 1);
}
