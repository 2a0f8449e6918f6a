// Architecture files: the shipped profiles load with the values their sources give, and every
// kind of malformed file is rejected with a message naming the file, the key path and the value.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;

using loihisim::testing::read_text;

namespace {

const std::string& loihi1_text() {
  static const std::string text =
      read_text(std::filesystem::path(LOIHISIM_SOURCE_DIR) / "arch" / "loihi1.yaml");
  return text;
}

// loihi1.yaml with one exact substring replaced (which must occur).
std::string mutated(const std::string& from, const std::string& to) {
  std::string t = loihi1_text();
  const auto at = t.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "loihi1.yaml no longer contains: " << from);
  return t.replace(at, from.size(), to);
}

// The message of the InputError that parsing `text` as "bad.yaml" throws ("" if none).
std::string error_of(const std::string& text) {
  try {
    parse_architecture(text, "bad.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("the loihi1 profile loads with Davies 2018 Table 2 and Frady 2020 values") {
  const core::Architecture a = load_architecture("loihi1");
  CHECK(a.name == "loihi1");
  CHECK(a.mesh.tiles_x == 8);
  CHECK(a.mesh.tiles_y == 4);
  CHECK(a.mesh.cores_per_tile == 4);
  CHECK(a.mesh.cores_per_chip() == 128);
  // 24 boards of 8 x 4 chips (the `boards:` section): 768 chips.
  CHECK(a.mesh.board_chips_x == 8);
  CHECK(a.mesh.board_chips_y == 4);
  CHECK(a.mesh.num_chips() == 768);
  CHECK(a.core.max_compartments == 1024);
  CHECK(a.core.max_input_axons == 4096);
  CHECK(a.core.synapse_memory_bits == 1'048'576);
  CHECK_FALSE(a.core.allow_reset_subtract);
  CHECK_FALSE(a.core.allow_graded_spikes);
  CHECK(a.core_costs.syn_op_dense.energy_fj == 23'600);
  CHECK(a.core_costs.syn_op_dense.latency_ps == 3'500);
  CHECK(a.core_costs.update_inactive.energy_fj == 52'000);
  CHECK(a.core_costs.update_active.energy_fj == 81'000);
  CHECK(a.core_costs.update_active.latency_ps == 8'400);
  CHECK(a.network.within_tile.energy_fj == 1'700);
  CHECK(a.network.east_west.hop.energy_fj == 3'000);
  CHECK(a.network.north_south.hop.latency_ps == 6'500);
  CHECK(a.network.east_west.serialisation_ps == 291);  // 1 / 3.44 Gspike/s, to the ps
  CHECK(a.network.barrier_by_tiles.front().time_ps == 113'000);
  CHECK(a.network.barrier_by_tiles.back().time_ps == 465'000);
  CHECK(a.power.static_uw == 104'000);
  CHECK(a.power.x86_uw == 65'000);
  CHECK(core::validate(a).empty());
}

TEST_CASE("the loihi1-sanafe profile loads with SANA-FE's calibrated values") {
  const core::Architecture a = load_architecture("loihi1-sanafe");
  CHECK(a.core_costs.syn_op_dense.energy_fj == 35'500);
  CHECK(a.core_costs.syn_op_sparse.energy_fj == 33'600);
  CHECK(a.core_costs.syn_op_sparse.latency_ps == 4'700);
  CHECK(a.core_costs.spike_received.latency_ps == 16'000);
  CHECK(a.core_costs.update_inactive.energy_fj == 51'200);
  CHECK(a.core_costs.update_active.energy_fj == 51'200 + 21'600);
  CHECK(a.core_costs.update_active.latency_ps == 6'000 + 3'700);
  CHECK(a.core_costs.fire_extra.energy_fj == 69'300);
  CHECK(a.core_costs.spike_sent.energy_fj == 111'000);
  CHECK(a.network.north_south.hop.energy_fj == 4'200);
  REQUIRE(a.network.barrier_by_tiles.size() == 5);
  CHECK(a.network.barrier_by_tiles[3].count == 29);
  CHECK(a.network.barrier_by_tiles[3].time_ps == 1'800'000);
  CHECK_FALSE(a.core.allow_graded_spikes);
}

TEST_CASE("the loihi2 profile loads with Loihi 2 limits and estimated costs") {
  const core::Architecture a = load_architecture("loihi2");
  CHECK(a.core.max_compartments == 8192);
  CHECK(a.core.allow_reset_subtract);
  CHECK(a.core.allow_graded_spikes);
  CHECK(a.core.max_accumulator_depth == 65);  // delays 0..63
  CHECK(core::compartment_capacity(a.core, 8) == 8192);
  // Every on-chip estimate is the loihi1-sanafe value halved (docs/energy-model.md).
  const core::Architecture s = load_architecture("loihi1-sanafe");
  CHECK(a.core_costs.syn_op_dense.energy_fj * 2 == s.core_costs.syn_op_dense.energy_fj);
  CHECK(a.core_costs.update_active.energy_fj * 2 == s.core_costs.update_active.energy_fj);
  CHECK(a.core_costs.fire_extra.latency_ps * 2 == s.core_costs.fire_extra.latency_ps);
  CHECK(a.network.east_west.hop.energy_fj * 2 == s.network.east_west.hop.energy_fj);
  CHECK(a.power.static_uw * 2 == s.power.static_uw);
  // The file says so in its comments.
  const std::string text =
      read_text(std::filesystem::path(LOIHISIM_SOURCE_DIR) / "arch" / "loihi2.yaml");
  CHECK(contains(text, "ESTIMATES"));
}

TEST_CASE("every shipped profile loads, by name and by path, and is listed") {
  const auto names = architecture_profiles();
  CHECK(names == std::vector<std::string>{"loihi1", "loihi1-board", "loihi1-sanafe", "loihi2"});
  for (const auto& n : names) {
    CAPTURE(n);
    const core::Architecture by_name = load_architecture(n);
    CHECK(by_name.name == n);
    const auto path = (data_dir() / "arch" / (n + ".yaml")).string();
    CHECK(load_architecture(path).name == n);
    CHECK(core::validate(by_name).empty());
  }
}

TEST_CASE("every profile value carries a source comment or an uncertain/estimate label") {
  // A line that sets a value ("key: value") needs a comment on the line or a comment line
  // directly above it; the name and the count column of barrier tables are exempt.
  for (const char* n : {"loihi1", "loihi1-board", "loihi1-sanafe", "loihi2"}) {
    CAPTURE(n);
    std::istringstream in(read_text(data_dir() / "arch" / (std::string(n) + ".yaml")));
    std::string line;
    bool comment_above = false;
    int uncommented = 0;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(" -");
      const bool comment_line = first != std::string::npos && line[first] == '#';
      const auto colon = line.find(':');
      const auto value =
          colon == std::string::npos ? std::string::npos : line.find_first_not_of(' ', colon + 1);
      if (!comment_line && value != std::string::npos && line[value] != '#') {
        const std::string key = line.substr(first, colon - first);
        if (key != "name" && key != "tiles" && key != "chips" &&
            line.find('#') == std::string::npos && !comment_above) {
          ++uncommented;
          MESSAGE("no source comment: " << line);
        }
      }
      comment_above = comment_line;
    }
    CHECK(uncommented == 0);
  }
}

TEST_CASE("an unknown profile name lists the available ones") {
  const std::string msg = [] {
    try {
      load_architecture("loihi9");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  CHECK(contains(msg, "unknown architecture 'loihi9'"));
  CHECK(contains(msg, "loihi1, loihi1-board, loihi1-sanafe, loihi2"));
  CHECK_THROWS_AS(load_architecture("no/such/file.yaml"), InputError);
}

TEST_CASE("LOIHISIM_DATA_DIR overrides where profiles are found") {
  const loihisim::testing::TempDir tmp("arch_data");
  const auto& dir = tmp.path;
  std::filesystem::create_directories(dir / "arch");
  {
    std::ofstream out(dir / "arch" / "custom.yaml");
    out << mutated("name: loihi1", "name: custom");
  }
  ::setenv("LOIHISIM_DATA_DIR", dir.c_str(), 1);
  const auto names = architecture_profiles();
  const bool loaded = load_architecture("custom").name == "custom";
  ::unsetenv("LOIHISIM_DATA_DIR");
  CHECK(names == std::vector<std::string>{"custom"});
  CHECK(loaded);
  CHECK_THROWS_AS(load_architecture("custom"), InputError);  // back to the source tree
}

TEST_CASE("malformed profiles are rejected with file, key path, value and range") {
  SUBCASE("unknown key") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: 8\n    tiles_z: 2"));
    CHECK(contains(msg, "bad.yaml:"));
    CHECK(contains(msg, "chip.mesh.tiles_z: unknown key"));
    CHECK(contains(msg, "tiles_x, tiles_y"));
  }
  SUBCASE("missing key") {
    const auto msg = error_of(mutated("    tiles_y: 4", ""));
    CHECK(contains(msg, "bad.yaml:"));
    CHECK(contains(msg, "chip.mesh: missing key 'tiles_y'"));
  }
  SUBCASE("zero mesh size") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: 0"));
    CHECK(contains(msg, "chip.mesh.tiles_x: 0 is out of range (allowed 1..256)"));
  }
  SUBCASE("negative energy") {
    const auto msg = error_of(mutated("energy_pj: 3.0", "energy_pj: -3.0"));
    CHECK(contains(msg, "chip.mesh.east_west_link.hop.energy_pj: -3.0 is out of range"));
    CHECK(contains(msg, "allowed 0..1000000 pJ"));
  }
  SUBCASE("more decimals than the fJ resolution") {
    const auto msg = error_of(mutated("energy_pj: 23.6 ", "energy_pj: 23.6001 "));
    CHECK(contains(msg,
                   "chip.tile.core.synapse.dense.energy_pj: 23.6001 has more than 3 "
                   "decimal places"));
  }
  SUBCASE("wrong type: text for a number") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: eight"));
    CHECK(contains(msg, "chip.mesh.tiles_x: 'eight' is not an integer (allowed 1..256)"));
  }
  SUBCASE("wrong type: a quoted number") {
    const auto msg = error_of(mutated("static_power_mw: 104", "static_power_mw: \"104\""));
    CHECK(contains(msg, "chip.static_power_mw: expected a number"));
    CHECK(contains(msg, "quoted string"));
  }
  SUBCASE("wrong type: a mapping for a number") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: {a: 1}"));
    CHECK(contains(msg, "chip.mesh.tiles_x: expected an integer"));
    CHECK(contains(msg, "found a mapping"));
  }
  SUBCASE("wrong type: a number for a mapping") {
    const auto msg = error_of(
        mutated("    spike_injected:\n      energy_pj: 640     # uncertain: 64 bits x 10 pJ/bit\n"
                "      latency_ns: 64     # uncertain: 64 bits at 1 Gbit/s\n",
                "    spike_injected: 5\n"));
    CHECK(contains(msg,
                   "board.host_link.spike_injected: expected a mapping with keys energy_pj, "
                   "latency_ns, found '5'"));
  }
  SUBCASE("a boolean must be true or false") {
    const auto msg = error_of(mutated("in_use: false", "in_use: yes"));
    CHECK(contains(msg, "chip.embedded_x86.in_use: 'yes' is not a boolean"));
  }
  SUBCASE("a key given twice") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: 8\n    tiles_x: 9"));
    CHECK(contains(msg, "chip.mesh.tiles_x: key given twice"));
  }
  SUBCASE("zero bandwidth") {
    const auto msg =
        error_of(mutated("bandwidth_gspike_per_s: 0.344", "bandwidth_gspike_per_s: 0"));
    CHECK(contains(msg, "board.chip_to_chip_link.bandwidth_gspike_per_s: 0 is out of range"));
  }
  SUBCASE("zero buffer depth") {
    const auto msg = error_of(mutated("    buffer_depth: 32", "    buffer_depth: 0"));
    CHECK(contains(msg, "buffer_depth: 0 is out of range (allowed 1..65536)"));
  }
  SUBCASE("a barrier table that does not cover the chip") {
    const auto msg = error_of(mutated("      - tiles: 32\n", "      - tiles: 31\n"));
    CHECK(contains(msg, "chip.barrier.time_by_tiles: the table ends at 31 but must cover 1..32"));
  }
  SUBCASE("a barrier table out of order") {
    const auto msg = error_of(mutated("    - chips: 64\n", "    - chips: 2\n"));
    CHECK(contains(msg, "board.barrier_by_chips[1].chips: 2 must be greater than the previous"));
  }
  SUBCASE("accumulator depths the wrong way round") {
    const auto msg = error_of(mutated("max_accumulator_depth: 64", "max_accumulator_depth: 4"));
    CHECK(contains(msg, "max_accumulator_depth: 4 is out of range"));
  }
  SUBCASE("a board too large") {
    std::string text = mutated("  chips_x: 8 ", "  chips_x: 1000 ");
    text.replace(text.find("  chips_y: 4 "), 13, "  chips_y: 1000 ");
    const auto msg = error_of(text);
    // loihi1 is a system of 24 boards: the limit counts every board.
    CHECK(contains(msg, "board.chips_y: the system would have"));
  }
  SUBCASE("malformed YAML") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: [8"));
    CHECK(contains(msg, "bad.yaml:"));
    CHECK(contains(msg, "malformed YAML"));
  }
  SUBCASE("an empty file") {
    const auto msg = error_of("");
    CHECK(contains(msg, "bad.yaml: (top level): expected a mapping"));
  }
  SUBCASE("the line number points at the problem") {
    const auto msg = error_of(mutated("    tiles_x: 8", "    tiles_x: 0"));
    std::istringstream in(loihi1_text());
    std::string line;
    int n = 0, at = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find("    tiles_x: 8") == 0) at = n;
    }
    CHECK(contains(msg, "bad.yaml:" + std::to_string(at) + ": chip.mesh.tiles_x"));
  }
  SUBCASE("a file that cannot be read names itself") {
    try {
      read_architecture("/nonexistent/arch.yaml");
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(contains(e.what(), "/nonexistent/arch.yaml"));
    }
  }
}

TEST_CASE("the cycle section: parsed, optional, required by the cycle timing model") {
  const auto a = parse_architecture(loihi1_text(), "loihi1.yaml");
  CHECK(a.cycle.present);
  CHECK(a.cycle.clock_period_ps == 100);
  CHECK(a.cycle.synapse_queue_depth == 16);
  CHECK(a.cycle.output_port_buffer_depth == 32);
  CHECK(a.cycle.input_port_cycles == 3);
  CHECK(a.cycle.crossbar_cycles == 3);
  CHECK(a.cycle.crossbar_buffer_depth == 32);
  for (const char* n : {"loihi1", "loihi1-board", "loihi1-sanafe", "loihi2"}) {
    CAPTURE(n);
    CHECK(load_architecture(n).cycle.present);
  }
  // Without the section the event and analytic models still load; the cycle model does not.
  const std::string text = loihi1_text();
  const auto begin = text.find("  # The cycle-level timing mode");
  const auto end = text.find("\n  tile:\n");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::string without = text.substr(0, begin) + text.substr(end + 1);
  CHECK_FALSE(parse_architecture(without, "a.yaml").cycle.present);
  std::string cycle_model = without;
  cycle_model.replace(cycle_model.find("    tiles_y: 4"), 14,
                      "    tiles_y: 4\n    timing_model: cycle");
  CHECK(contains(error_of(cycle_model), "the cycle timing model needs the cycle parameters"));
  const auto with = mutated("    tiles_y: 4", "    tiles_y: 4\n    timing_model: cycle");
  CHECK(parse_architecture(with, "a.yaml").network.model == loihisim::core::NetworkModel::kCycle);
}

TEST_CASE("bad cycle parameters are rejected with the key and the range") {
  SUBCASE("zero clock period") {
    const auto msg = error_of(mutated("clock_period_ns: 0.1", "clock_period_ns: 0"));
    CHECK(contains(msg, "bad.yaml:"));
    CHECK(contains(msg, "chip.cycle.clock_period_ns"));
    CHECK(contains(msg, "0 ns is not allowed"));
  }
  SUBCASE("a period below the ps resolution") {
    const auto msg = error_of(mutated("clock_period_ns: 0.1", "clock_period_ns: 0.0001"));
    CHECK(contains(msg, "chip.cycle.clock_period_ns: 0.0001 has more than 3 decimal places"));
  }
  SUBCASE("zero queue depth") {
    const auto msg = error_of(mutated("synapse_queue_depth: 16", "synapse_queue_depth: 0"));
    CHECK(contains(msg, "chip.cycle.synapse_queue_depth: 0 is out of range (allowed 1..65536)"));
  }
  SUBCASE("negative port cycles") {
    const auto msg = error_of(mutated("input_port_cycles: 3", "input_port_cycles: -1"));
    CHECK(contains(msg, "chip.cycle.input_port_cycles: -1 is out of range"));
  }
  SUBCASE("a missing key") {
    const auto msg = error_of(mutated("    crossbar_cycles: 3", "    crossbar_typo: 3"));
    CHECK(contains(msg, "chip.cycle.crossbar_typo: unknown key"));
  }
  SUBCASE("an unknown timing model names the three") {
    const auto msg = error_of(mutated("    tiles_y: 4", "    tiles_y: 4\n    timing_model: clock"));
    CHECK(contains(msg, "chip.mesh.timing_model"));
    CHECK(contains(msg, "cycle"));
  }
}
