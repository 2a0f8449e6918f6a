// The HTML report (runtime/html_report.hpp, `loihisim report`, `run --html`): every figure is in
// the page, the numbers shown are the run report's, text is escaped, the page made from the run
// in memory equals the one made from the run file, and bad input writes nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/summary_file.hpp"
#include "runtime/html_report.hpp"
#include "runtime/svg_plot.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

using loihisim::testing::read_text;

namespace {

bool contains(const std::string& page, const std::string& what) {
  return page.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("html report: run --html equals report RUN.h5, every figure, the report's numbers") {
  TempDir tmp("html_report");
  const fs::path& dir = tmp.path;
  const std::string model = std::string(LOIHISIM_SOURCE_DIR) + "/examples/run/tiny.model.yaml";
  const std::string h5 = (dir / "r.h5").string();
  REQUIRE(run_cli("run " + model + " --arch loihi1 --quiet --threads 2 --out " + h5 + " --html " +
                  (dir / "a.html").string()) == 0);
  std::string out;
  REQUIRE(run_cli("report " + h5 + " --out " + (dir / "b.html").string(), &out) == 0);
  const std::string page = read_text(dir / "a.html");
  CHECK(page == read_text(dir / "b.html"));
  for (const auto& id : html_report_figure_ids()) {
    CAPTURE(id);
    CHECK(contains(page, "id=\"" + id + "\""));
  }
  CHECK(!contains(page, "<script"));
  // No URL but the SVG namespace: nothing is fetched.
  std::size_t urls = 0, namespaces = 0;
  for (auto k = page.find("http"); k != std::string::npos; k = page.find("http", k + 1)) ++urls;
  for (auto k = page.find("http://www.w3.org/2000/svg"); k != std::string::npos;
       k = page.find("http://www.w3.org/2000/svg", k + 1))
    ++namespaces;
  CHECK(urls == namespaces);
  CHECK(!contains(page, "src="));
  const HtmlReportInput in = read_run_for_html(h5);
  const Summary& s = in.summary;
  const auto& p = s["per_inference"];
  for (const char* key : {"chip_active_energy_pJ", "chip_total_energy_pJ", "host_energy_pJ",
                          "latency_ns", "throughput_inferences_per_s"}) {
    CAPTURE(key);
    CHECK(contains(page, "<td>" + svg::html_number(p[key].get<double>()) + "</td>"));
  }
  for (const auto& line : s["chip"]["energy"]["breakdown"]) {
    const double pj = line["energy_per_inference_pJ"].get<double>();
    if (pj != 0) CHECK(contains(page, "= " + svg::html_number(pj) + " pJ</title>"));
  }
  for (const auto& pop : s["populations"])
    CHECK(contains(page, "= " + svg::html_number(pop["spikes_per_neuron_per_step"].get<double>()) +
                             " spikes/neuron/step</title>"));
  // The trace is sample 0's: its step times add up to the sample's chip time.
  const auto root = h5::open_file(h5);
  const auto chip_ps = root.open_group("samples").read<std::int64_t>("chip_time_ps");
  std::int64_t sum = 0;
  for (const auto v : in.step_ps) sum += v;
  CHECK(sum == chip_ps.at(0));
  CHECK(in.step_ps.size() == in.step_critical.size());
  CHECK(!in.spike_step.empty());
  // Every architecture line is listed.
  CHECK(contains(page, "<td>chip.static_power_mw</td><td>104</td>"));
}

TEST_CASE("html report: the same page for any --threads") {
  TempDir tmp("html_threads");
  const fs::path& dir = tmp.path;
  const std::string model = std::string(LOIHISIM_SOURCE_DIR) + "/examples/run/tiny.model.yaml";
  for (const char* k : {"1", "3"})
    REQUIRE(run_cli("run " + model + " --arch loihi1 --quiet --threads " + k + " --html " +
                    (dir / (std::string("t") + k + ".html")).string()) == 0);
  const std::string one = read_text(dir / "t1.html");
  CHECK(!one.empty());
  CHECK(one == read_text(dir / "t3.html"));
}

TEST_CASE("html report: core-run --html, every figure and the core-run report's numbers") {
  TempDir tmp("html_core_run");
  const fs::path& dir = tmp.path;
  const std::string spec = std::string(LOIHISIM_SOURCE_DIR) + "/examples/core/demo.yaml";
  REQUIRE(run_cli("core-run " + spec + " --arch loihi1 --out " + (dir / "c.h5").string() +
                  " --report " + (dir / "c.json").string() + " --html " +
                  (dir / "c.html").string()) == 0);
  const std::string page = read_text(dir / "c.html");
  for (const auto& id : html_report_figure_ids()) {
    CAPTURE(id);
    CHECK(contains(page, "id=\"" + id + "\""));
  }
  CHECK(contains(page, "<title>loihisim core-run: "));
  const Summary r = read_summary(dir / "c.json");
  const auto& e = r["energy"]["per_inference"];
  CHECK(contains(page, "<td>" + svg::html_number(e["dynamic_pJ"].get<double>()) + "</td>"));
  CHECK(contains(page, "<td>" + svg::html_number(e["total_pJ"].get<double>()) + "</td>"));
  CHECK(contains(
      page,
      "<td>" + svg::html_number(r["time"]["per_inference"]["latency_ns"].get<double>()) + "</td>"));
  for (const auto& c : r["time"]["critical"])
    CHECK(contains(page, svg::html_escape(c["component"].get<std::string>())));
  // Without --arch there is no energy model to draw: an error before any output.
  std::string out;
  CHECK(run_cli("core-run " + spec + " --out " + (dir / "d.h5").string() + " --html " +
                    (dir / "d.html").string(),
                &out) != 0);
  CHECK(contains(out, "needs --arch"));
  CHECK(!fs::exists(dir / "d.html"));
  CHECK(!fs::exists(dir / "d.h5"));
}

TEST_CASE("html report: text is escaped") {
  HtmlReportInput in;
  in.source = "runs/a&b<1>.h5";
  in.summary = Summary::parse(R"({"report": "run", "loihisim_version": "x",
    "model": "<script>alert('m')</script>", "architecture": "a\"b", "dataset": "d", "samples": 1,
    "accuracy": {"correct": 1, "samples": 1, "fraction": 1.0},
    "chip": {"time_ps": 10, "energy": {"breakdown": []}},
    "per_inference": {"chip_active_energy_pJ": 1.5, "chip_total_energy_pJ": 2.5,
      "host_energy_pJ": 0.0, "latency_ns": 3.0, "throughput_inferences_per_s": 1.0,
      "active_energy_pJ": 1.5, "latency_min_ps": 1, "latency_max_ps": 2},
    "populations": [{"name": "p<&>", "size": 2, "spikes": 1, "spikes_per_neuron_per_step": 0.25}],
    "mapping": {"cores_used": 1, "chips": 1}})");
  in.architecture_yaml = "name: x  # a <source> & \"quote\"\n";
  const std::string page = html_report(in);
  CHECK(!contains(page, "<script>"));
  CHECK(contains(page, "&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;"));
  CHECK(contains(page, "runs/a&amp;b&lt;1&gt;.h5"));
  CHECK(contains(page, "p&lt;&amp;&gt;"));
  CHECK(contains(page, "a &lt;source&gt; &amp; &quot;quote&quot;"));
  CHECK(!contains(page, "<source>"));
  for (const auto& id : html_report_figure_ids()) CHECK(contains(page, "id=\"" + id + "\""));
}

TEST_CASE("html report: the architecture file's lines with their sources") {
  const std::string yaml =
      "name: t\n"
      "# about the board\n"
      "board:\n"
      "  chips_x: 8   # uncertain: see above\n"
      "  list:\n"
      "    - chips: 2\n"
      "      time_ns: 5   # src A\n"
      "    - chips: 64\n"
      "chip:\n"
      "  static_power_mw: 104  # loihi.md s3\n"
      ": 5\n";  // no key: not a value line
  const auto lines = architecture_lines(yaml);
  REQUIRE(lines.size() == 6);
  CHECK(lines[0].key == "name");
  CHECK(lines[1].key == "board.chips_x");
  CHECK(lines[1].value == "8");
  CHECK(lines[1].source == "about the board uncertain: see above");
  CHECK(lines[2].key == "board.list[0].chips");
  CHECK(lines[3].key == "board.list[0].time_ns");
  CHECK(lines[3].source == "src A");
  CHECK(lines[4].key == "board.list[1].chips");
  CHECK(lines[5].key == "chip.static_power_mw");
  CHECK(lines[5].source == "loihi.md s3");
}

TEST_CASE("loihisim report: a file that is not a run file is an error and writes nothing") {
  TempDir tmp("html_report_bad");
  const fs::path& dir = tmp.path;
  {
    auto f = h5::create_file((dir / "x.h5").string());
    f.set_attribute("summary_json", std::string("{}"));
  }
  std::string out;
  CHECK(run_cli("report " + (dir / "x.h5").string() + " --out " + (dir / "x.html").string(),
                &out) != 0);
  CHECK(contains(out, "x.h5"));
  CHECK(contains(out, "loihisim run --out"));
  CHECK(!fs::exists(dir / "x.html"));
  CHECK(run_cli("report " + (dir / "missing.h5").string(), &out) != 0);
  CHECK(contains(out, "missing.h5"));
}
