// Hostile input and failing disks (issue 15): every case gives exit 2 and one error line naming
// the file and the limit, leaves no output or temporary file behind and never touches an input.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using loihisim::testing::capture_command;
using loihisim::testing::run_cli;
using loihisim::testing::shell_quote;
using loihisim::testing::TempDir;

using loihisim::testing::read_text;

namespace {

const std::string kSource = LOIHISIM_SOURCE_DIR;
const std::string kWeights = kSource + "/models/weights/mnist_row_modified.h5";
const std::string kNir = kSource + "/tests/data/nir/features.nir";

// The hostile files of tests/cli/make_hostile_inputs.py, written into `dir`.
void make_inputs(const TempDir& dir) {
  int code = -1;
  const std::string out = capture_command(
      "/usr/bin/python3 " + shell_quote(kSource + "/tests/cli/make_hostile_inputs.py") + " " +
          shell_quote(dir.path.string()) + " " + shell_quote(kNir) + " " + shell_quote(kWeights) +
          " 2>&1",
      code);
  REQUIRE_MESSAGE(code == 0, out);
}

// Exit 2, exactly one "loihisim: error:" line, no internal error, every fragment in that line.
void check_clean_error(const std::string& args, const std::vector<std::string>& fragments) {
  std::string out;
  const int code = run_cli(args, &out);
  INFO("loihisim " << args << "\n" << out);
  CHECK(code == 2);
  std::istringstream lines(out);
  std::string line, error;
  int errors = 0;
  while (std::getline(lines, line))
    if (line.rfind("loihisim: error:", 0) == 0) ++errors, error = line;
  CHECK(errors == 1);
  CHECK(out.find("internal error") == std::string::npos);
  for (const auto& f : fragments) CHECK_MESSAGE(error.find(f) != std::string::npos, f);
}

// Nothing in `dir` but the files named in `keep`.
void check_only(const TempDir& dir, const std::vector<std::string>& keep) {
  for (const auto& e : fs::directory_iterator(dir.path)) {
    const std::string name = e.path().filename().string();
    bool kept = false;
    for (const auto& k : keep) kept = kept || name == k;
    CHECK_MESSAGE(kept, "left behind: " << name);
  }
}

}  // namespace

TEST_CASE("hostile files: crashes and exhaustion become one-line errors naming file and limit") {
  TempDir dir("hostile");
  make_inputs(dir);
  const auto in = [&](const std::string& name) { return shell_quote((dir / name).string()); };
  const std::string out = " --out " + in("out.model.yaml");
  check_clean_error("import-nir " + in("empty_input_shape.nir") + " --arch loihi1" + out,
                    {"empty_input_shape.nir", "node", "Input's shape is empty"});
  check_clean_error("import-nir " + in("huge_input_shape.nir") + " --arch loihi1" + out,
                    {"huge_input_shape.nir", "larger than 10^9"});
  check_clean_error("convert " + in("bias_3e38.h5") + " --method hybrid-lstm --steps 32" + out,
                    {"bias_3e38.h5", "gate i unit 5", "outside -4095..4095"});
  check_clean_error("map " + in("alias_bomb.yaml") + " --arch loihi1 --out " + in("m.h5"),
                    {"alias_bomb.yaml", "dense[1]", "alias"});
  check_clean_error("map " + in("huge_population.yaml") + " --arch loihi1 --out " + in("m.h5"),
                    {"cannot fit architecture 'loihi1'", "1073741824 compartments", "98304 cores"});
  // An integer attribute stored as an array, and a few-KB file declaring 2^40 values.
  std::string o;
  for (const auto& [f, why] : {std::pair{"array_attribute.h5", "expected a single integer"},
                               std::pair{"huge_declared.h5", "more than the memory limit"}}) {
    const std::string model = (dir / (std::string(f) + ".model.yaml")).string();
    std::ofstream(model) << "name: m\nnetwork: " << kSource
                         << "/examples/run/tiny.network.yaml\ndataset: {file: " << f
                         << "}\nsteps_per_symbol: 4\nprediction: out\n";
    check_clean_error("run " + shell_quote(model) + " --arch loihi1 --out " + in("r.h5"), {f, why});
  }
  check_clean_error("import-nir " + shell_quote(kNir) +
                        " --arch loihi1 --synthetic-input 16777216" + " --samples 1048576" + out,
                    {"synthetic input", "memory limit"});
  // The 1e30 weight is clipped like every weight beyond the 8-bit range, and the report says so.
  CHECK(run_cli("convert " + in("weight_1e30.h5") + " --method hybrid-lstm --steps 32" + out, &o) ==
        0);
  CHECK(o.find("1 clipped") != std::string::npos);
}

TEST_CASE("hostile files: a FIFO or a directory as input is refused, not read forever") {
  TempDir dir("fifo");
  const fs::path fifo = dir / "spec.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  check_clean_error(
      "core-run " + shell_quote(fifo.string()) + " --out " + shell_quote((dir / "t.h5").string()),
      {"spec.yaml", "not a regular file"});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  check_clean_error("run " + shell_quote(dir.path.string()) + " --arch loihi1", {"model file"});
  check_only(dir, {"spec.yaml"});
}

TEST_CASE("failing disks: a full disk while writing is a clean error and keeps nothing") {
  TempDir dir("diskfull");
  // RLIMIT_FSIZE (ulimit -f, KiB) makes every write beyond 8 KiB fail like a full disk.
  const auto limited = [&](const std::string& args) {
    return "-c " + shell_quote("ulimit -f 8; exec " + shell_quote(LOIHISIM_CLI) + " " + args);
  };
  const auto check_full = [&](const std::string& args, const std::string& output) {
    std::string out;
    int code = -1;
    out = capture_command("bash " + limited(args) + " 2>&1", code);
    INFO(args << "\n" << out);
    CHECK(code == 2);
    CHECK(out.find("cannot write") != std::string::npos);
    CHECK(out.find(output) != std::string::npos);
    CHECK(out.find("nothing was kept") != std::string::npos);
    check_only(dir, {});
  };
  const auto at = [&](const std::string& n) { return shell_quote((dir / n).string()); };
  check_full(
      "core-run " + shell_quote(kSource + "/examples/core/demo.yaml") + " --out " + at("trace.h5"),
      "trace.h5");
  check_full("map " + shell_quote(kSource + "/examples/hybrid/mnist_row_t32.network.yaml") +
                 " --arch loihi1 --out " + at("mapped.h5"),
             "mapped.h5");
  check_full("convert " + shell_quote(kWeights) + " --method hybrid-lstm --steps 32 --out " +
                 at("m.model.yaml"),
             "m.");
}

TEST_CASE("output = input is refused before any work, and the input is unchanged") {
  TempDir dir("overwrite");
  const fs::path spec = dir / "spec.yaml";
  fs::copy_file(kSource + "/examples/core/trace1.yaml", spec);
  const fs::path net = dir / "tiny.yaml";
  fs::copy_file(kSource + "/examples/networks/tiny.yaml", net);
  const std::string spec_text = read_text(spec), net_text = read_text(net);
  const auto q = [](const fs::path& p) { return shell_quote(p.string()); };
  check_clean_error("core-run " + q(spec) + " --out " + q(spec), {"would overwrite"});
  check_clean_error("map " + q(net) + " --arch loihi1 --out " + q(net), {"would overwrite"});
  // The same file through another name.
  check_clean_error("map " + q(net) + " --arch loihi1 --out " + q(dir.path / "." / "tiny.yaml"),
                    {"would overwrite"});
  CHECK(read_text(spec) == spec_text);
  CHECK(read_text(net) == net_text);
  check_only(dir, {"spec.yaml", "tiny.yaml"});
}

TEST_CASE("output sets: a bad later output stops the command before any output is written") {
  TempDir dir("outputset");
  const auto q = [](const fs::path& p) { return shell_quote(p.string()); };
  // --report with an unknown extension: refused before the run, and --out is not written.
  check_clean_error("run " + q(kSource + "/examples/run/tiny.model.yaml") +
                        " --arch loihi1 --out " + q(dir / "r.h5") + " --report " + q(dir / "r.txt"),
                    {"r.txt"});
  // An output folder where no file can be created: refused at once, not after the work.
  check_clean_error("baseline " + q(kWeights) + " --samples 5 --report /proc/loihisim_b.json",
                    {"/proc", "cannot create a file"});
  check_clean_error("convert " + q(kWeights) + " --method hybrid-lstm --steps 32 --host-format " +
                        "q40.-9 --out " + q(dir / "m.model.yaml"),
                    {"q40.-9"});
  check_only(dir, {});
}

TEST_CASE("interrupted runs: Ctrl-C leaves neither outputs nor temporary files") {
  TempDir dir("interrupt");
  const auto q = [](const fs::path& p) { return shell_quote(p.string()); };
  // A run of 2,000 inferences takes seconds; SIGINT after 0.5 s stops it mid-way.
  int code = -1;
  const std::string out = capture_command(
      "timeout -s INT 0.5 " + shell_quote(LOIHISIM_CLI) + " run " +
          q(kSource + "/examples/hybrid/mnist_row_t32.model.yaml") + " --arch loihi1 --quiet" +
          " --out " + q(dir / "r.h5") + " --report " + q(dir / "r.json") + " 2>&1",
      code);
  INFO(out);
  CHECK(code != 0);
  check_only(dir, {});
}
