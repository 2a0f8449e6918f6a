// io/summary_file: the one summary writer and its reader. A summary written as JSON or YAML reads
// back equal, with its types; every reading error names the file and the key path.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;
using loihisim::testing::TempDir;

namespace {

Summary sample_summary() {
  Summary j;
  j["report"] = "test";
  j["quoted"] = "say \"hi\"\nback\\slash";
  j["looks_like_numbers"] = {"123", "1.5", "true", "null", "~", "", " padded "};
  j["energy_fJ"] = std::int64_t{9'007'199'254'740'993};  // beyond a double's exact integers
  j["negative_fJ"] = std::int64_t{-42};
  j["huge"] = std::numeric_limits<std::uint64_t>::max();
  j["fractions"] = {0.1, 1.0, 2.5e-05, 1e20, -3.25, 1.0 / 3.0};
  j["flags"] = {{"yes", true}, {"no", false}, {"nothing", nullptr}};
  j["lines"] = Summary::array();
  j["lines"].push_back({{"event", "syn_op_dense"}, {"count", 3}, {"energy_fJ", 70'800}});
  j["lines"].push_back({{"event", "static"}, {"chip_ps", 187'000}, {"per_inference_pJ", 19.448}});
  j["empty_list"] = Summary::array();
  j["empty_object"] = Summary::object();
  return j;
}

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("summary files: JSON and YAML read back equal, with their types") {
  const TempDir dir("summary_round_trip");
  const Summary j = sample_summary();
  for (const char* name : {"s.json", "s.yaml", "s.yml"}) {
    CAPTURE(name);
    write_summary(j, dir / name);
    const Summary back = read_summary(dir / name);
    CHECK(back == j);
    CHECK(back.dump() == j.dump());  // the same order, spelling and types
    CHECK(back["fractions"][1].is_number_float());
    CHECK(back["looks_like_numbers"][0].is_string());
    CHECK(back["energy_fJ"].get<std::int64_t>() == 9'007'199'254'740'993);
  }
  // YAML spells fractions with a decimal point, and YAML's infinity reads back.
  const std::string yaml = summary_yaml({{"a", 1.0}, {"b", 2.5e-05}, {"c", 1e20}});
  CHECK(yaml == "a: 1.0\nb: 2.5e-05\nc: 1.0e+20\n");
  write_summary({{"inf", std::numeric_limits<double>::infinity()}}, dir / "inf.yaml");
  CHECK(read_summary(dir / "inf.yaml")["inf"].get<double>() ==
        std::numeric_limits<double>::infinity());
}

TEST_CASE("summary files: reading errors name the file") {
  const TempDir dir("summary_read_errors");
  CHECK(error_of([&] { read_summary(dir / "s.txt"); }).find("s.txt: unknown summary format") !=
        std::string::npos);
  CHECK(error_of([&] {
          read_summary(dir / "missing.json");
        }).find("missing.json: cannot open the summary") != std::string::npos);
  CHECK(error_of([&] { read_summary(dir / "missing.yaml"); }).find("missing.yaml") !=
        std::string::npos);
  std::ofstream(dir / "bad.json") << "{\"a\": 1,";
  CHECK(error_of([&] { read_summary(dir / "bad.json"); }).find("bad.json: not valid JSON") !=
        std::string::npos);
  std::ofstream(dir / "bad.yaml") << "a: 1\nb: [2\n";
  CHECK(error_of([&] { read_summary(dir / "bad.yaml"); }).find("bad.yaml:") != std::string::npos);
  CHECK_THROWS_AS(write_summary(Summary::object(), dir / "s.txt"), InputError);
  CHECK_FALSE(std::filesystem::exists(dir / "s.txt"));
}

TEST_CASE("summary fields: typed access, a missing key or a wrong type names file and key path") {
  const TempDir dir("summary_fields");
  write_summary(sample_summary(), dir / "r.yaml");
  const Summary doc = read_summary(dir / "r.yaml");
  const std::string file = (dir / "r.yaml").string();
  const SummaryField top(doc, file);

  CHECK(top.at("report").string() == "test");
  CHECK(top.at("energy_fJ").integer() == 9'007'199'254'740'993);
  CHECK(top.at("huge").count() == std::numeric_limits<std::uint64_t>::max());
  CHECK(top.at("fractions").items()[4].number() == -3.25);
  CHECK(top.at("lines").items()[0].at("count").number() == 3.0);  // an integer is a number
  CHECK(top.at("flags").at("yes").boolean());
  CHECK(top.has("lines"));
  CHECK_FALSE(top.has("absent"));
  CHECK(top.at("lines").items()[1].path() == "lines[1]");

  CHECK(error_of([&] { top.at("absent", "what it holds"); }) ==
        file + ": (top level): missing key 'absent' (what it holds)");
  CHECK(error_of([&] { top.at("lines").items()[1].at("count"); }) ==
        file + ": lines[1]: missing key 'count'");
  CHECK(error_of([&] { top.at("lines").items()[1].at("per_inference_pJ").integer(); }) ==
        file + ": lines[1].per_inference_pJ: expected an integer, found the number 19.448");
  CHECK(error_of([&] { top.at("report").number(); }) ==
        file + ": report: expected a number, found the string \"test\"");
  CHECK(error_of([&] { top.at("negative_fJ").count(); }) ==
        file + ": negative_fJ: expected a non-negative integer, found the integer -42");
  CHECK(error_of([&] { top.at("huge").integer(); }).find(file + ": huge: expected an integer") ==
        0);
  CHECK(error_of([&] { top.at("flags").at("nothing").string(); }) ==
        file + ": flags.nothing: expected a string, found nothing (null)");
  CHECK(error_of([&] { top.at("report").at("x"); }) ==
        file + ": report: expected an object, found the string \"test\"");
  CHECK(error_of([&] { top.at("flags").items(); }) ==
        file + ": flags: expected a list, found an object");
  CHECK(error_of([&] { top.at("looks_like_numbers").items()[2].boolean(); }) ==
        file + ": looks_like_numbers[2]: expected true or false, found the string \"true\"");
}
