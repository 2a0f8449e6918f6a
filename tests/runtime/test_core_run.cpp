// `loihisim core-run`: the shipped specs reproduce the worked traces of loihi.md through the CLI
// and through the library; every invalid spec is refused with a message naming the file, the
// key path, the value and the allowed range, and leaves no output file.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/core_run.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/temp_dir.hpp"
#include "formats/core_spec_io.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace fs = std::filesystem;
using loihisim::CoreRunResult;
using loihisim::CoreSpec;

namespace {

using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

const fs::path kSource = LOIHISIM_SOURCE_DIR;
const fs::path kExamples = kSource / "examples" / "core";
const fs::path kBadSpecs = kSource / "tests" / "data" / "specs";

// The values of loihi.md section 2.
const std::vector<std::int32_t> kTrace1U = {0,     9600,  16797, 22193, 26239, 29272, 21946,
                                            16454, 12336, 9248,  6933,  5198,  3897,  2921,
                                            2190,  1641,  1230,  922,   691,   518};
const std::vector<std::int32_t> kTrace1V = {40,    9677, 0,     0,     0,     0,    0,
                                            16494, 0,    9288,  15680, 0,     3937, 6651,
                                            8465,  9616, 10285, 10604, 10672, 10563};
const std::set<int> kTrace1Spikes = {3, 4, 5, 6, 7, 9, 12};
const std::vector<std::int32_t> kTrace2U = {0,     2368,  4498,  6415,  8140,   7325,
                                            6591,  5931,  -1127, -7478, -13193, -9504,
                                            -8552, -7695, -6924, -6230};
const std::vector<std::int32_t> kTrace2V = {-6,    2357,  0,     0,     0,     0,     0,     0,
                                            -1023, -1023, -1023, -1023, -1023, -1023, -1023, -1023};
const std::set<int> kTrace2Spikes = {3, 6};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::set<int> spike_steps(const std::vector<std::uint8_t>& spikes, std::size_t compartments,
                          std::size_t compartment) {
  std::set<int> steps;
  for (std::size_t s = 0; s * compartments < spikes.size(); ++s)
    if (spikes[s * compartments + compartment]) steps.insert(static_cast<int>(s) + 1);
  return steps;
}

void check_trace_file(const fs::path& file, std::int64_t steps, const std::vector<std::int32_t>& u,
                      const std::vector<std::int32_t>& v, const std::set<int>& spikes) {
  const auto root = loihisim::h5::open_file(file.string());
  CHECK(root.int_attribute("steps") == steps);
  CHECK(root.int_attribute("num_cores") == 1);
  CHECK(root.string_attribute("format") == "loihisim core-run trace");
  const auto core = root.open_group("cores").open_group("0");
  std::vector<std::uint64_t> dims;
  CHECK(core.read<std::int32_t>("u", &dims) == u);
  CHECK(dims == std::vector<std::uint64_t>{static_cast<std::uint64_t>(steps), 1});
  CHECK(core.read<std::int32_t>("v", &dims) == v);
  const auto sp = core.read<std::uint8_t>("spikes", &dims);
  CHECK(dims == std::vector<std::uint64_t>{static_cast<std::uint64_t>(steps), 1});
  CHECK(spike_steps(sp, 1, 0) == spikes);
  const auto counts = core.open_group("counts");
  CHECK(counts.int_attribute("spikes") == static_cast<std::int64_t>(spikes.size()));
  CHECK(counts.int_attribute("cx_updates") == steps);
}

std::string error_of(const std::string& yaml) {
  try {
    loihisim::parse_core_spec(yaml, "inline.yaml");
  } catch (const loihisim::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// A valid one-core spec to which the library-level error tests add one mistake each.
const std::string kProfile =
    "{decay_u: 0, decay_v: 0, vth_mant: 10, refract_delay: 1, vmin_exp: 31, vmax_exp: 7}";
std::string one_core(const std::string& extra_core_keys, const std::string& tail = "") {
  return "steps: 10\ncores:\n  - profiles: [" + kProfile +
         "]\n    formats: [{weight_bits: 8, sign: mixed, weight_exp: 0, delay_bits: 0, "
         "index_bits: 0}]\n    compartments: [{count: 4, profile: 0}]\n" +
         extra_core_keys + tail;
}

}  // namespace

TEST_CASE("core-run CLI reproduces worked trace 1 of loihi.md from examples/core/trace1.yaml") {
  TempDir dir;
  const fs::path out = dir.path / "trace1.h5";
  const auto r = run_cli({"core-run", (kExamples / "trace1.yaml").string(), "--out", out.string()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  check_trace_file(out, 20, kTrace1U, kTrace1V, kTrace1Spikes);
  CHECK(contains(r.output, "core-run"));
  CHECK(contains(r.output, "1,048,576"));
}

TEST_CASE("core-run CLI reproduces worked trace 2 of loihi.md from examples/core/trace2.yaml") {
  TempDir dir;
  const fs::path out = dir.path / "trace2.h5";
  const auto r = run_cli({"core-run", (kExamples / "trace2.yaml").string(), "--out", out.string()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  check_trace_file(out, 16, kTrace2U, kTrace2V, kTrace2Spikes);
}

TEST_CASE("read_core_spec + run_core_spec reproduce both worked traces without the CLI") {
  struct Case {
    const char* file;
    const std::vector<std::int32_t>* u;
    const std::vector<std::int32_t>* v;
    const std::set<int>* spikes;
  };
  for (const Case& c : {Case{"trace1.yaml", &kTrace1U, &kTrace1V, &kTrace1Spikes},
                        Case{"trace2.yaml", &kTrace2U, &kTrace2V, &kTrace2Spikes}}) {
    CAPTURE(c.file);
    const CoreSpec spec = loihisim::read_core_spec(kExamples / c.file);
    REQUIRE(spec.chip.cores.size() == 1);
    const CoreRunResult r = loihisim::run_core_spec(spec);
    REQUIRE(r.cores.size() == 1);
    CHECK(r.steps == spec.steps);
    CHECK(r.cores[0].u == *c.u);
    CHECK(r.cores[0].v == *c.v);
    CHECK(spike_steps(r.cores[0].spikes, 1, 0) == *c.spikes);
    // Every step's counts are recorded, and they add up to the run's.
    REQUIRE(r.cores[0].step_counts.size() == static_cast<std::size_t>(spec.steps));
    std::uint64_t spikes = 0;
    for (const auto& k : r.cores[0].step_counts) spikes += k.spikes;
    CHECK(spikes == c.spikes->size());
    CHECK(r.host_spikes == spec.inputs.size());
    CHECK(r.cores[0].counts.spikes == c.spikes->size());
  }
}

TEST_CASE("core-run --steps overrides the spec, raster spikes after the last step are skipped") {
  TempDir dir;
  const fs::path out = dir.path / "short.h5";
  // trace 1's raster: axons 0 and 1 at steps 1..5; running 3 steps leaves steps 4 and 5 out.
  const auto r = run_cli(
      {"core-run", (kExamples / "trace1.yaml").string(), "--out", out.string(), "--steps", "3"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto root = loihisim::h5::open_file(out.string());
  CHECK(root.int_attribute("steps") == 3);
  CHECK(root.int_attribute("host_spikes") == 6);
  CHECK(root.int_attribute("host_spikes_skipped") == 4);
  std::vector<std::uint64_t> dims;
  CHECK(root.open_group("cores").open_group("0").read<std::int32_t>("u", &dims) ==
        std::vector<std::int32_t>(kTrace1U.begin(), kTrace1U.begin() + 3));
  CHECK(dims == std::vector<std::uint64_t>{3, 1});

  const auto bad = run_cli({"core-run", (kExamples / "trace1.yaml").string(), "--out",
                            (dir.path / "zero.h5").string(), "--steps", "0"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "--steps = 0"));
  CHECK(contains(bad.output, "1..1000000"));
  CHECK_FALSE(fs::exists(dir.path / "zero.h5"));
}

TEST_CASE("the demo spec runs two cores and its file agrees with its own counters") {
  TempDir dir;
  const fs::path out = dir.path / "demo.h5";
  const auto r = run_cli({"core-run", (kExamples / "demo.yaml").string(), "--out", out.string()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto root = loihisim::h5::open_file(out.string());
  REQUIRE(root.int_attribute("num_cores") == 2);
  const std::int64_t steps = root.int_attribute("steps");
  CHECK(steps == 200);
  const std::vector<std::uint64_t> sizes = {64, 32};
  std::uint64_t spikes_out_total = 0, spikes_in_total = 0;
  for (std::size_t c = 0; c < 2; ++c) {
    CAPTURE(c);
    const auto core = root.open_group("cores").open_group(std::to_string(c));
    std::vector<std::uint64_t> dims;
    const auto spikes = core.read<std::uint8_t>("spikes", &dims);
    CHECK(dims == std::vector<std::uint64_t>{200, sizes[c]});
    const auto counts = core.open_group("counts");
    // Per-step counters sum to the totals, and the totals match the recorded spikes.
    for (const auto& field : loihisim::core::kCountFields) {
      const std::string name(field.name);
      const auto per_step = counts.read<std::uint64_t>(name, &dims);
      CHECK(dims == std::vector<std::uint64_t>{200});
      CHECK(std::accumulate(per_step.begin(), per_step.end(), std::uint64_t{0}) ==
            static_cast<std::uint64_t>(counts.int_attribute(name)));
    }
    const auto fired = std::accumulate(spikes.begin(), spikes.end(), std::uint64_t{0});
    CHECK(fired > 0);
    CHECK(fired == static_cast<std::uint64_t>(counts.int_attribute("spikes")));
    CHECK(counts.int_attribute("cx_updates") == static_cast<std::int64_t>(200 * sizes[c]));
    spikes_out_total += static_cast<std::uint64_t>(counts.int_attribute("spikes_out"));
    spikes_in_total += static_cast<std::uint64_t>(counts.int_attribute("spikes_in"));
  }
  // Every spike message is received one step after it is sent: the messages sent in the last
  // step are still in flight when the run ends, so inputs = host spikes + messages - in flight.
  const auto host = static_cast<std::uint64_t>(root.int_attribute("host_spikes"));
  CHECK(spikes_in_total <= host + spikes_out_total);
  CHECK(spikes_in_total > host);  // recurrent and inter-core messages do arrive
  CHECK(contains(r.output, "all"));
}

namespace {

struct BadSpec {
  const char* file;
  std::vector<std::string> expected;  // substrings of the message (besides the file name)
};

const std::vector<BadSpec> kBadSpecCases = {
    {"missing_field.yaml", {":6:", "cores[0].profiles[1].vth_mant", "missing", "0..131071"}},
    {"decay_5000.yaml", {":6:", "cores[0].profiles[1].decay_u", "5000", "0..4095"}},
    {"vth_mant_2pow17.yaml", {":5:", "cores[0].profiles[0].vth_mant", "131072", "0..131071"}},
    {"weight_bits_7.yaml", {":8:", "cores[0].formats[1].weight_bits", "7", "{0,1,2,3,4,5,6,8}"}},
    {"unknown_input_axon.yaml",
     {":16:", "inputs[1].axons[1]", "= 2", "0..1", "input axons of core 0"}},
    {"unknown_dest_axon.yaml",
     {":10:", "cores[0].output_axons[1].dest_axon", "= 3", "core 1", "0..2"}},
    {"too_many_compartments.yaml", {":7:", "cores[0].compartments", "1025", "0..1024"}},
    {"synapse_memory.yaml",
     {":12:", "cores[0].synapse_lists", "1152000", "capacity of 1048576 bits"}},
    {"unknown_key.yaml", {":6:", "cores[0].profiles[0].decay", "unknown key", "decay_u"}},
    {"malformed.yaml", {"malformed YAML", ":7:"}},
    {"wrong_type.yaml", {":5:", "cores[0].profiles[0].decay_v", "expected an integer", "0.5"}},
    {"int_overflow.yaml",
     {":5:", "cores[0].profiles[0].vth_mant", "99999999999", "0..131071"}},
    {"group_bias.yaml",
     {":9:", "cores[0].compartments[1].bias_mant", "5000", "-4095..4095", "group of 100"}},
};

}  // namespace

TEST_CASE("core-run refuses each invalid spec: file, key, value and range named, nothing written") {
  for (const auto& c : kBadSpecCases) {
    CAPTURE(c.file);
    TempDir dir;
    const fs::path spec = kBadSpecs / c.file;
    const fs::path out = dir.path / "trace.h5";
    const auto r = run_cli({"core-run", spec.string(), "--out", out.string()});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, spec.string()));
    for (const auto& s : c.expected) CHECK_MESSAGE(contains(r.output, s), "missing: " << s);
    CHECK_FALSE(fs::exists(out));
    CHECK(dir.empty());  // no temporary file left either
  }
}

TEST_CASE("the library reports the same errors as the CLI, as InputError") {
  for (const auto& c : kBadSpecCases) {
    CAPTURE(c.file);
    std::string message;
    try {
      loihisim::read_core_spec(kBadSpecs / c.file);
    } catch (const loihisim::InputError& e) {
      message = e.what();
    }
    REQUIRE_FALSE(message.empty());
    for (const auto& s : c.expected) CHECK_MESSAGE(contains(message, s), "missing: " << s);
  }
}

TEST_CASE("spec reader: raster, grouping and type errors name the key path and the range") {
  const std::string axons =
      "    synapse_lists: [{format: 0, weights: [2, 4]}]\n"
      "    input_axons: [{synapse_list: 0, base: 0}]\n";
  // A valid spec parses, and the compact forms expand as documented.
  {
    const CoreSpec spec = loihisim::parse_core_spec(
        one_core("    synapse_lists: [{format: 0, weights: [2, 4]}]\n"
                 "    input_axons: [{count: 2, synapse_list: 0, base: 0, base_step: 2}]\n"
                 "    output_axons: [{count: 2, source: 1, dest_core: 0, dest_axon: 0}]\n",
                 "inputs:\n  - {steps: [3, 1], core: 0, axons: [0, 0]}\n"
                 "  - {step: 2, core: 0, axons: [0], payload: -5}\n"),
        "inline.yaml");
    REQUIRE(spec.chip.cores.size() == 1);
    CHECK(spec.chip.cores[0].compartments.size() == 4);
    REQUIRE(spec.chip.cores[0].output_axons.size() == 2);
    CHECK(spec.chip.cores[0].output_axons[1].source == 2);
    CHECK(spec.chip.cores[0].output_axons[1].dest_axon == 1);
    REQUIRE(spec.chip.cores[0].input_axons.size() == 2);
    CHECK(spec.chip.cores[0].input_axons[1].base == 2);
    CHECK(spec.chip.cores[0].input_axons[1].synapse_list == 0);
    REQUIRE(spec.inputs.size() == 5);
    CHECK(spec.inputs[0].step == 1);  // sorted by step, file order within a step
    CHECK(spec.inputs[2].step == 2);
    CHECK(spec.inputs[2].payload == -5);
    CHECK(spec.inputs[4].step == 3);
  }
  struct Case {
    std::string yaml;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"", {"inline.yaml", "empty"}},
      {"[1, 2]", {"inline.yaml:1:", "top level", "expected a mapping"}},
      {"steps: 10\ncores: []\n", {"inline.yaml:2:", "cores", "empty"}},
      {"steps: 0\ncores: []\n", {"inline.yaml:1:", "steps = 0", "1..1000000"}},
      {"steps: '10'\ncores: []\n", {"steps", "expected an integer", "quoted string"}},
      {"steps: 10\nsteps: 11\ncores: []\n", {"inline.yaml:2:", "duplicate key 'steps'"}},
      {one_core(axons, "inputs:\n  - {step: 11, core: 0, axons: [0]}\n"),
       {"inputs[0].step = 11", "1..10"}},
      {one_core(axons, "inputs:\n  - {step: 0, core: 0, axons: [0]}\n"),
       {"inputs[0].step = 0", "1..10"}},
      {one_core(axons, "inputs:\n  - {step: 1, core: 1, axons: [0]}\n"),
       {"inputs[0].core = 1", "0..0"}},
      {one_core(axons, "inputs:\n  - {step: 1, steps: [2], core: 0, axons: [0]}\n"),
       {"inputs[0]", "either 'step' or 'steps'"}},
      {one_core(axons, "inputs:\n  - {step: 1, core: 0, axons: [0], payload: 8388608}\n"),
       {"inputs[0].payload = 8388608", "-8388608..8388607"}},
      {one_core("", "inputs:\n  - {step: 1, core: 0, axons: [0]}\n"),
       {"inputs[0].axons[0] = 0", "core 0 has no input axons"}},
      {one_core("    synapse_lists: [{format: 0, weights: [2, 4], index: [0, 1]}]\n"
                "    input_axons: [{synapse_list: 0, base: 0}]\n"),
       {"cores[0].synapse_lists[0].index", "dense"}},
      {one_core("    synapse_lists: [{format: 0, weights: [3]}]\n"),
       {"cores[0].synapse_lists[0].weights[0]", "mantissa 3", "multiples of 2"}},
      {one_core("    synapse_lists: [{format: 0, weights: [2], delay: [1]}]\n"),
       {"cores[0].synapse_lists[0].delay[0] = 1", "0..0"}},
      {one_core(axons.substr(0, axons.find("    input_axons")) +
                "    input_axons: [{count: 4, synapse_list: 0, base: 0, base_step: 1}]\n"),
       {"cores[0].input_axons[0]", "group of 4", "reaches compartment 4", "has 4 compartments"}},
      {one_core("    input_axons: [{synapse_list: 0, base: 0}]\n"),
       {"cores[0].input_axons[0].synapse_list = 0", "table that is empty"}},
      {one_core("    output_axons: [{source: 4, dest_core: 0, dest_axon: 0}]\n"),
       {"cores[0].output_axons[0].source = 4", "0..3"}},
      {one_core("    output_axons: [{source: 0, dest_core: 2, dest_axon: 0}]\n"),
       {"cores[0].output_axons[0].dest_core = 2", "allowed range 0..0"}},
      {one_core("    accumulator_depth: 65\n"), {"cores[0].accumulator_depth = 65", "8..64"}},
      {one_core("    compartments: [{count: 0, profile: 0}]\n"), {"duplicate key"}},
      {"steps: 10\ncores:\n  - profiles: [" + kProfile +
           "]\n    compartments: [{count: 0, profile: 0}]\n",
       {"cores[0].compartments[0].count = 0", "1..1048576"}},
      {"steps: 10\ncores:\n  - accumulator_depth: 16\n    profiles: [" + kProfile +
           "]\n    compartments: [{count: 513, profile: 0}]\n",
       {"cores[0].compartments (count) = 513", "0..512", "accumulator_depth 16"}},
      {"steps: 10\ncores:\n  - profiles: [" + kProfile +
           "]\n    compartments: [{profile: 0, bias_exp: 8}]\n",
       {"inline.yaml:4:", "cores[0].compartments[0].bias_exp = 8", "0..7"}},
      {"steps: 10\ncores:\n  - profiles: [{decay_u: 0, decay_v: 0, vth_mant: 10, "
       "refract_delay: 1, vmin_exp: 31, vmax_exp: 7, reset: half}]\n"
       "    compartments: [{profile: 0}]\n",
       {"cores[0].profiles[0].reset = 'half'", "zero, subtract"}},
      {"steps: 10\ncores:\n  - profiles: [{decay_u: 0, decay_v: 0, vth_mant: 10, "
       "refract_delay: 0, vmin_exp: 31, vmax_exp: 7}]\n"
       "    compartments: [{profile: 0}]\n",
       {"cores[0].profiles[0].refract_delay = 0", "1..63"}},
      {"steps: 10\ncores:\n  - profiles: [" + kProfile +
           "]\n    compartments: [{profile: 0, bias_mant: [1]}]\n",
       {"cores[0].compartments[0].bias_mant", "expected an integer, got a list"}},
      {"steps: 10\ncores:\n  - profiles: [" + kProfile +
           "]\n    compartments: [{profile: 0, bias_mant: 0x10}]\n",
       {"cores[0].compartments[0].bias_mant", "expected an integer, got '0x10'"}},
      {"steps: 1000000\ncores:\n  - profiles: [" + kProfile +
           "]\n    compartments: [{count: 1000, profile: 0}]\n",
       {"inline.yaml:1:", "steps = 1000000", "50000000", "1..50000"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    const std::string message = error_of(c.yaml);
    INFO(message);
    for (const auto& s : c.expected) CHECK_MESSAGE(contains(message, s), "missing: " << s);
  }
}

TEST_CASE("core-run with an --out in a missing directory fails before running, writes nothing") {
  TempDir dir;
  const fs::path out = dir.path / "no" / "such" / "dir" / "trace.h5";
  const auto r = run_cli({"core-run", (kExamples / "trace1.yaml").string(), "--out", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "does not exist"));
  CHECK(dir.empty());
  const auto missing = run_cli(
      {"core-run", (dir.path / "nope.yaml").string(), "--out", (dir.path / "x.h5").string()});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.output, "nope.yaml: cannot open"));
  CHECK(dir.empty());
}

TEST_CASE("the complete example of docs/core-run.md runs and prints the summary shown there") {
  std::ifstream in(kSource / "docs" / "core-run.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto section = doc.find("## A complete example");
  REQUIRE(section != std::string::npos);
  const auto yaml_begin = doc.find("```yaml\n", section);
  REQUIRE(yaml_begin != std::string::npos);
  const auto yaml_end = doc.find("```", yaml_begin + 8);
  const std::string yaml = doc.substr(yaml_begin + 8, yaml_end - yaml_begin - 8);
  const auto summary_begin = doc.find("```\n", yaml_end + 3);
  REQUIRE(summary_begin != std::string::npos);
  const auto summary_end = doc.find("wrote example.h5", summary_begin);
  REQUIRE(summary_end != std::string::npos);
  const std::string shown = doc.substr(summary_begin + 4, summary_end - summary_begin - 4);

  const CoreSpec spec = loihisim::parse_core_spec(yaml, "example.yaml");
  const CoreRunResult r = loihisim::run_core_spec(spec);
  CHECK(loihisim::core_run_summary(spec, r) == shown);
}
