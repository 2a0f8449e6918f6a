// The board level (docs/energy-model.md, "The board level"): hand-computed figures, the levels
// adding up in a run report, runs without a board profile unchanged, and bad `system:` sections
// rejected with the file, the key path and the range.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/board_level.hpp"
#include "formats/arch_io.hpp"
#include "formats/board_io.hpp"
#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;
using loihisim::testing::run_cli;
namespace fs = std::filesystem;

using loihisim::testing::read_text;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;

std::string error_of(const std::string& text) {
  try {
    parse_system_costs(text, "board.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const char* kSystem =
    "system:\n"
    "  x86_per_step: {energy_pj: 10, latency_ns: 1000}\n"
    "  host_transaction: {energy_pj: 2, latency_ns: 100}\n"
    "  idle_increase_mw: 70\n"
    "  idle_mw: 30\n";

// The run report's number at a key path ("board.energy.total_fJ").
std::int64_t integer_at(const Summary& j, const std::string& a, const std::string& b,
                        const std::string& c) {
  return j.at(a).at(b).at(c).get<std::int64_t>();
}

}  // namespace

TEST_CASE("board level by hand: 10 steps, 5 transactions, 2 us of chip and host time") {
  const auto costs = parse_system_costs(kSystem, "board.yaml");
  REQUIRE(costs.has_value());
  CHECK(costs->x86_step.energy_fj == 10'000);
  CHECK(costs->x86_step.latency_ps == 1'000'000);
  CHECK(costs->host_transaction.energy_fj == 2'000);
  CHECK(costs->idle_increase_uw == 70'000);
  core::BoardCounts c;
  c.steps = 10;
  c.host_transactions = 5;
  c.chip_dynamic_fj = 1'000;
  c.run_ps = 2'000'000;
  const core::BoardLevel b = core::board_level(*costs, c);
  CHECK(b.x86_fj == 100'000);                // 10 x 10 pJ
  CHECK(b.x86_ps == 10'000'000);             // 10 x 1 us
  CHECK(b.host_io_fj == 10'000);             // 5 x 2 pJ
  CHECK(b.host_io_ps == 500'000);            // 5 x 100 ns
  CHECK(b.time_ps == 12'500'000);            // 2 + 10 + 0.5 us
  CHECK(b.idle_increase_fj == 875'000'000);  // 12.5 us x 70 mW = 875 nJ
  CHECK(b.idle_fj == 375'000'000);           // 12.5 us x 30 mW
  CHECK(b.dynamic_fj == 1'000 + 100'000 + 10'000 + 875'000'000);
  CHECK(b.total_fj == b.dynamic_fj + 375'000'000);
  // Power x time rounds once, to the nearest fJ, halves up: 1 ps x 500 uW = 0.5 fJ -> 1 fJ.
  CHECK(core::power_energy_fj(1, 500) == 1);
  CHECK(core::power_energy_fj(1, 499) == 0);
  CHECK(core::power_energy_fj(3'000, 1'000) == 3'000);
}

TEST_CASE("a profile without a system section has no board level") {
  CHECK_FALSE(load_system_costs("loihi1").has_value());
  CHECK_FALSE(load_system_costs("loihi2").has_value());
  CHECK(load_system_costs("loihi1-board").has_value());
}

TEST_CASE("loihi1-board is the one-board loihi1 plus its system section") {
  std::string chip = read_text(kSource / "arch" / "loihi1.yaml");
  std::string board = read_text(kSource / "arch" / "loihi1-board.yaml");
  board = board.substr(board.find("# Loihi 1, per-event"));
  board = board.substr(0, board.find("\n# --- system:"));
  chip.replace(chip.find("name: loihi1\n"), 13, "name: loihi1-board\n");
  // loihi1-board is the one measured board: loihi1 without its `boards:` section (24 boards).
  const auto boards = chip.find("\n# The boards of a system");
  REQUIRE(boards != std::string::npos);
  chip.erase(boards, chip.find("\nchip:\n") - boards);
  while (!chip.empty() && chip.back() == '\n') chip.pop_back();
  while (!board.empty() && board.back() == '\n') board.pop_back();
  CHECK(board == chip);
}

TEST_CASE("bad system sections: file, key path, value and range") {
  const std::string base = kSystem;
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string t = base;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  std::string msg = error_of(with("idle_mw: 30", "idle_mw: -1"));
  CHECK(msg.find("board.yaml:") != std::string::npos);
  CHECK(msg.find("system.idle_mw") != std::string::npos);
  CHECK(msg.find("0..1000000 mW") != std::string::npos);
  msg = error_of(with("idle_mw: 30", "idle_mw: 30\n  idel_mw: 1"));
  CHECK(msg.find("system.idel_mw: unknown key") != std::string::npos);
  msg = error_of(with("  idle_increase_mw: 70\n", ""));
  CHECK(msg.find("idle_increase_mw") != std::string::npos);
  msg = error_of(with("latency_ns: 100}", "latency_ns: 0.0001}"));
  CHECK(msg.find("system.host_transaction.latency_ns") != std::string::npos);
  // The architecture reader checks the section too: a bad one fails every command.
  std::string arch = read_text(kSource / "arch" / "loihi1-board.yaml");
  arch.replace(arch.find("  idle_increase_mw:"), 18, "  idle_increase_mw: text #");
  CHECK_THROWS_WITH_AS(parse_architecture(arch, "b.yaml"),
                       doctest::Contains("system.idle_increase_mw"), InputError);
}

TEST_CASE("run reports: the board level adds up, and without a board profile nothing changes") {
  const loihisim::testing::TempDir tmp("board_run");
  const fs::path& dir = tmp.path;
  const std::string model = (kSource / "examples/run/tiny.model.yaml").string();
  REQUIRE(run_cli("run " + model + " --arch loihi1 --quiet --report " +
                  (dir / "chip.json").string()) == 0);
  // A board profile: loihi1 plus a system section, under another name.
  std::string text = read_text(kSource / "arch" / "loihi1.yaml");
  text += std::string("\n") + kSystem;
  {
    std::ofstream out(dir / "board.yaml");
    out << text;
  }
  std::string out;
  REQUIRE(run_cli("run " + model + " --arch " + (dir / "board.yaml").string() +
                      " --quiet --report " + (dir / "board.json").string(),
                  &out) == 0);
  Summary chip = read_summary(dir / "chip.json");
  Summary board = read_summary(dir / "board.json");
  CHECK_FALSE(chip.contains("board"));
  REQUIRE(board.contains("board"));
  const Summary& b = board.at("board");
  const Summary& e = b.at("energy");
  const auto fj = [&](const char* k) { return e.at(k).get<std::int64_t>(); };
  CHECK(fj("chip_dynamic_fJ") == integer_at(board, "chip", "energy", "dynamic_fJ"));
  CHECK(fj("dynamic_fJ") ==
        fj("chip_dynamic_fJ") + fj("x86_fJ") + fj("host_io_fJ") + fj("idle_increase_fJ"));
  CHECK(fj("total_fJ") == fj("dynamic_fJ") + fj("idle_fJ"));
  const std::int64_t steps = board.at("chip").at("steps").get<std::int64_t>();
  CHECK(b.at("steps").get<std::int64_t>() == steps);
  CHECK(fj("x86_fJ") == steps * 10'000);
  std::int64_t host = 0;
  for (const auto& line : board.at("chip").at("energy").at("breakdown")) {
    const auto ev = line.at("event").get<std::string>();
    if (ev == "host_spike_injected" || ev == "host_readback" || ev == "host_word")
      host += line.at("count").get<std::int64_t>();
  }
  CHECK(b.at("host_transactions").get<std::int64_t>() == host);
  CHECK(fj("host_io_fJ") == host * 2'000);
  CHECK(b.at("time_ps").get<std::int64_t>() ==
        board.at("chip").at("time_ps").get<std::int64_t>() +
            board.at("host").at("time_ps").get<std::int64_t>() + steps * 1'000'000 +
            host * 100'000);
  CHECK(out.find("board dynamic") != std::string::npos);
  // Without the board object (and the measured wall time and the profile's name), the report
  // is the chip-level one, byte for byte.
  for (Summary* j : {&chip, &board}) {
    j->erase("wall_s");
    j->erase("simulated_inferences_per_wall_s");
    j->erase("architecture");
  }
  board.erase("board");
  CHECK(board.dump() == chip.dump());
}
