// Design-space sweeps (runtime/sweep.hpp, `loihisim sweep`): each row equals the `loihisim run`
// of its point, the table is identical for any thread count, the Pareto front is the one
// worked out by hand, and bad grids are errors naming the file and the key.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "runtime/sweep.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

using loihisim::testing::read_text;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream l(line);
    while (std::getline(l, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

const std::string kDenseLine = "energy_pj: 23.6   # Davies 2018 Table 2: synaptic spike operation";

}  // namespace

TEST_CASE("sweep: 2 x 2 points of the tiny example equal their single runs, for any --threads") {
  TempDir tmp("sweep_tiny");
  const fs::path& dir = tmp.path;
  const fs::path src = fs::path(LOIHISIM_SOURCE_DIR) / "examples/run";
  for (const char* f : {"tiny.network.yaml", "patterns.h5", "tiny.model.yaml"})
    fs::copy(src / f, dir / f);
  write(dir / "s.yaml",
        "model: tiny.model.yaml\narch: loihi1\ngrid:\n  T: [8, 16]\n"
        "  arch.chip.tile.core.synapse.dense.energy_pj: [23.6, 50]\n");
  REQUIRE(run_cli("sweep " + (dir / "s.yaml").string() + " --quiet --threads 1 --out " +
                  (dir / "one").string()) == 0);
  REQUIRE(run_cli("sweep " + (dir / "s.yaml").string() + " --quiet --threads 3 --out " +
                  (dir / "three").string()) == 0);
  const std::string csv = read_text(dir / "one/sweep.csv");
  CHECK(csv == read_text(dir / "three/sweep.csv"));
  CHECK(read_text(dir / "one/sweep.html") == read_text(dir / "three/sweep.html"));
  CHECK(fs::exists(dir / "one/sweep.h5"));
  const auto rows = csv_rows(csv);
  REQUIRE(rows.size() == 5);
  const std::vector<std::string> header = rows[0];
  const std::string arch_text = read_text(fs::path(LOIHISIM_SOURCE_DIR) / "arch/loihi1.yaml");
  REQUIRE(arch_text.find(kDenseLine) != std::string::npos);
  for (std::size_t k = 1; k < rows.size(); ++k) {
    const auto& row = rows[k];
    CAPTURE(k);
    // The point by hand: the model file with its T, the architecture file with its energy.
    std::string model = read_text(dir / "tiny.model.yaml");
    const auto at = model.find("steps_per_symbol: 16");
    REQUIRE(at != std::string::npos);
    model.replace(at, 20, "steps_per_symbol: " + row[1]);
    write(dir / "m.model.yaml", model);
    std::string arch = arch_text;
    arch.replace(arch.find(kDenseLine), 15, "energy_pj: " + row[2]);
    write(dir / "a.yaml", arch);
    const fs::path report = dir / ("r" + std::to_string(k) + ".json");
    REQUIRE(run_cli("run " + (dir / "m.model.yaml").string() + " --quiet --arch " +
                    (dir / "a.yaml").string() + " --report " + report.string()) == 0);
    const Summary s = read_summary(report);
    const auto& p = s["per_inference"];
    const auto col = [&](const std::string& name) {
      for (std::size_t c = 0; c < header.size(); ++c)
        if (header[c] == name) return std::strtod(row[c].c_str(), nullptr);
      FAIL("no column " << name);
      return 0.0;
    };
    CHECK(col("accuracy") == s["accuracy"]["fraction"].get<double>());
    for (const char* key : {"chip_active_energy_pJ", "chip_total_energy_pJ", "host_energy_pJ",
                            "active_energy_pJ", "total_energy_pJ", "latency_ns"}) {
      CAPTURE(key);
      CHECK(col(key) == p[key].get<double>());
    }
    CHECK(col("cores_used") == s["mapping"]["cores_used"].get<double>());
  }
  // A higher synapse energy costs more at the same T: the sweep did change the architecture.
  CHECK(header[4] == "chip_active_energy_pJ");
  CHECK(std::strtod(rows[2][4].c_str(), nullptr) > std::strtod(rows[1][4].c_str(), nullptr));
}

TEST_CASE("sweep: the Pareto front of a hand-made table") {
  struct R {
    double acc, energy, latency;
    bool front;
  };
  const std::vector<R> table = {
      {0.90, 10, 10, true},   // A
      {0.80, 5, 10, true},    // B: cheaper than A
      {0.80, 6, 10, false},   // C: B is as good and cheaper
      {0.90, 10, 10, true},   // D: equal to A, neither dominates the other
      {0.95, 20, 30, true},   // E: the most accurate
      {0.70, 5, 5, true},     // F: the fastest
      {0.50, 50, 50, false},  // G: worse than all
      {0.90, 10, 11, false},  // H: A is as accurate and cheap, and faster
  };
  std::vector<SweepRow> rows;
  for (const auto& t : table) {
    SweepRow r;
    r.accuracy = t.acc;
    r.active_energy_pj = t.energy;
    r.latency_ns = t.latency;
    rows.push_back(r);
  }
  mark_pareto_front(rows);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    CAPTURE(k);
    CHECK(rows[k].pareto == table[k].front);
  }
}

TEST_CASE("sweep: bad grids are errors naming the file and the key") {
  TempDir tmp("sweep_bad");
  const fs::path& dir = tmp.path;
  const std::string model =
      "model: " + (fs::path(LOIHISIM_SOURCE_DIR) / "examples/run/tiny.model.yaml").string() + "\n";
  struct Case {
    std::string grid, expect;
  };
  const Case cases[] = {
      {"grid:\n  arch.chip.no_such_key: [1, 2]\n",
       "grid.arch.chip.no_such_key: no such key in the architecture file"},
      {"grid:\n  arch.name: [1]\n", "grid.arch.name:"},
      {"grid:\n  T: [8, eight]\n", "grid.T: 'eight' is not a number"},
      {"grid:\n  arch.chip.static_power_mw: [high]\n",
       "grid.arch.chip.static_power_mw: 'high' is not a number"},
      {"grid:\n  colour: [red]\n", "grid.colour: unknown grid key"},
      {"grid: {}\n", "an empty grid has no point"},
      {"grid:\n  T: []\n", "grid.T: an empty list of values"},
      {"grid:\n  T: [0]\n", "grid.T: T = 0 is out of range"},
      {"grid:\n  weight_bits: [7]\n", "grid.weight_bits: weight_bits = 7"},
      {"grid:\n  placement: [best]\n", "grid.placement: placement 'best'"},
      {"grid:\n  model.reset: [never]\n", "grid.model.reset: unknown reset 'never'"},
      {"", "grid"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.grid);
    write(dir / "bad.yaml", model + c.grid);
    CHECK_THROWS_WITH_AS(read_sweep(dir / "bad.yaml"), doctest::Contains(c.expect.c_str()),
                         InputError);
    CHECK_THROWS_WITH_AS(read_sweep(dir / "bad.yaml"), doctest::Contains("bad.yaml"), InputError);
  }
  // On the command line: non-zero exit, nothing written.
  write(dir / "bad.yaml", model + "grid:\n  arch.chip.nope: [1]\n");
  std::string out;
  CHECK(run_cli("sweep " + (dir / "bad.yaml").string() + " --out " + (dir / "out").string(),
                &out) != 0);
  CHECK(out.find("grid.arch.chip.nope") != std::string::npos);
  CHECK(!fs::exists(dir / "out/sweep.csv"));
}

TEST_CASE("sweep: the shipped example reads, 12 points of the hybrid LSTM") {
  const SweepSpec s =
      read_sweep(fs::path(LOIHISIM_SOURCE_DIR) / "examples/sweep/hybrid_t_energy.yaml");
  REQUIRE(s.grid.size() == 3);
  CHECK(s.grid[0].key == "T");
  std::size_t points = 1;
  for (const auto& a : s.grid) points *= a.values.size();
  CHECK(points == 12);
  CHECK(s.model.filename() == "mnist_row_t32.model.yaml");
  CHECK(fs::exists(s.model));
}
