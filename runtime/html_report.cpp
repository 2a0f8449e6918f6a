#include "runtime/html_report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "core/mesh_router.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/readable_units.hpp"
#include "io/text_output.hpp"
#include "runtime/svg_plot.hpp"

namespace loihisim {
namespace {

using svg::html_escape;
using svg::html_number;

template <class T>
std::vector<T> read_if(const h5::Group& g, const std::string& name) {
  return g.has(name) ? g.read<T>(name) : std::vector<T>{};
}

Summary parse_json_attribute(const h5::Group& g, const std::string& name) {
  try {
    return Summary::parse(g.string_attribute(name));
  } catch (const Summary::exception& e) {
    g.fail(name, std::string("not JSON: ") + e.what());
  }
}

void read_trace(const h5::Group& root, HtmlReportInput& in) {
  if (!root.has("trace")) return;
  const auto t = root.open_group("trace");
  in.step_ps = t.read<std::int64_t>("step_ps");
  in.step_critical = t.read<std::int32_t>("critical");
  for (const auto& n : parse_json_attribute(t, "critical_names_json"))
    in.critical_names.push_back(n.get<std::string>());
  for (const auto c : in.step_critical)
    if (c < 0 || static_cast<std::size_t>(c) >= in.critical_names.size())
      t.fail("critical", fmt::format("index {} outside critical_names_json", c));
  in.spike_population = read_if<std::int32_t>(t, "spike_population");
  in.spike_step = read_if<std::int32_t>(t, "spike_step");
  in.spike_neuron = read_if<std::int32_t>(t, "spike_neuron");
  in.link_ids = read_if<std::int32_t>(t, "link");
  in.link_messages = read_if<std::uint64_t>(t, "link_messages");
  if (in.step_critical.size() != in.step_ps.size())
    t.fail("critical", "not one value per step of step_ps");
  if (in.spike_step.size() != in.spike_population.size() ||
      in.spike_neuron.size() != in.spike_population.size() ||
      in.link_ids.size() != in.link_messages.size())
    t.fail("spike_* / link*", "datasets of different lengths");
  const int links = core::num_link_ids(in.mesh);
  for (const auto l : in.link_ids)
    if (l < 0 || l >= links) t.fail("link", fmt::format("link id {} outside the mesh", l));
}

// "1.5 (count x per event)" tooltips and the bars of the energy breakdown, per inference.
std::vector<svg::Bar> event_bars(const Summary& s) {
  std::vector<svg::Bar> bars;
  for (const auto& line : s["chip"]["energy"]["breakdown"]) {
    const double pj = line["energy_per_inference_pJ"].get<double>();
    if (pj == 0) continue;
    const std::string how = line["kind"] == "dynamic"
                                ? fmt::format("{} events x {} fJ", line["count"].dump(),
                                              line["energy_per_event_fJ"].dump())
                                : fmt::format("{} chip-ps x {} uW", line["chip_ps"].dump(),
                                              line["power_per_chip_uW"].dump());
    bars.push_back({line["event"].get<std::string>(), pj, how + " over the run, per inference",
                    readable_energy_fj(pj * 1e3)});
  }
  const double host = s["per_inference"]["host_energy_pJ"].get<double>();
  bars.push_back({"host coprocessor", host,
                  "host operations x the architecture's host_coprocessor table, per inference",
                  readable_energy_fj(host * 1e3)});
  return bars;
}

std::string summary_figure(const HtmlReportInput& in) {
  const Summary& s = in.summary;
  const auto& p = s["per_inference"];
  const auto energy = [](const Summary& pj) { return readable_energy_fj(pj.get<double>() * 1e3); };
  const auto time = [](const Summary& ns) { return readable_time_ps(ns.get<double>() * 1e3); };
  std::vector<std::vector<std::string>> rows = {
      {"model", s["model"].get<std::string>(), ""},
      {"architecture", s["architecture"].get<std::string>(), ""},
      {"dataset", s["dataset"].get<std::string>(), ""},
      {"inferences", std::to_string(s["samples"].get<std::uint64_t>()), "samples"},
      {"chip active energy", energy(p["chip_active_energy_pJ"]),
       html_number(p["chip_active_energy_pJ"])},
      {"chip total energy (with static)", energy(p["chip_total_energy_pJ"]),
       html_number(p["chip_total_energy_pJ"])},
      {"host energy", energy(p["host_energy_pJ"]), html_number(p["host_energy_pJ"])},
      {"latency", time(p["latency_ns"]), html_number(p["latency_ns"])},
      {"throughput", html_number(p["throughput_inferences_per_s"]) + " inferences/s",
       html_number(p["throughput_inferences_per_s"])},
      {"cores used", std::to_string(s["mapping"]["cores_used"].get<int>()), ""},
      {"chips", std::to_string(s["mapping"]["chips"].get<int>()), ""}};
  if (s.contains("accuracy"))
    rows.insert(rows.begin() + 4,
                {"accuracy", html_number(100 * s["accuracy"]["fraction"].get<double>()) + " %",
                 html_number(s["accuracy"]["fraction"].get<double>())});
  return svg::table(
      "fig-summary",
      {"per inference", "value", "in the run report (per_inference: pJ, ns; accuracy.fraction)"},
      rows);
}

std::string energy_figures(const HtmlReportInput& in) {
  const Summary& s = in.summary;
  std::string out = svg::section(
      "Energy per inference by event kind",
      svg::bar_chart("fig-energy-events", event_bars(s), "pJ"),
      "Each bar is a count of events over the run x the architecture's energy per event, divided "
      "by the inferences; static lines are chips in use x elapsed time x static power. Hover a "
      "bar for its count and the exact figure in pJ.");
  std::vector<std::pair<std::int64_t, std::size_t>> order;
  for (std::size_t c = 0; c < in.core_dynamic_fj.size(); ++c)
    if (in.core_dynamic_fj[c] != 0) order.push_back({-in.core_dynamic_fj[c], c});
  std::sort(order.begin(), order.end());
  const std::size_t shown = std::min<std::size_t>(order.size(), 48);
  const double n = std::max(1.0, s["samples"].get<double>());
  std::vector<svg::Bar> bars;
  for (std::size_t k = 0; k < shown; ++k) {
    const std::size_t c = order[k].second;
    const double fj = static_cast<double>(in.core_dynamic_fj[c]) / n;
    bars.push_back({fmt::format("core {}", c), fj / 1000,
                    core::describe_core(in.mesh, static_cast<int>(c)), readable_energy_fj(fj)});
  }
  return out + svg::section("Dynamic energy per inference by core",
                            svg::bar_chart("fig-energy-cores", bars, "pJ"),
                            fmt::format("{} cores with dynamic energy, the {} largest shown; "
                                        "barrier and host-link energy belong to no core.",
                                        order.size(), shown));
}

struct MeshLayout {
  int tile_px = 64, margin = 30;
  int bx0 = 0, by0 = 0, bx1 = 0, by1 = 0;  // board tiles shown (inclusive), from the chips in use
  int cols = 2;                            // core cells per tile row
  double x(int tx) const { return margin + (tx - bx0) * tile_px; }
  double y(int ty) const { return margin + (by1 - ty) * tile_px; }  // north (+y) up
};

MeshLayout mesh_layout(const HtmlReportInput& in, const std::vector<int>& used) {
  MeshLayout m;
  const auto& g = in.mesh;
  int c0x = g.chips_x, c0y = g.chips_y, c1x = 0, c1y = 0;
  for (const int c : used) {
    const auto l = core::locate(g, c);
    c0x = std::min(c0x, l.chip_x), c0y = std::min(c0y, l.chip_y);
    c1x = std::max(c1x, l.chip_x), c1y = std::max(c1y, l.chip_y);
  }
  if (used.empty()) c0x = c0y = c1x = c1y = 0;
  m.bx0 = c0x * g.tiles_x, m.by0 = c0y * g.tiles_y;
  m.bx1 = (c1x + 1) * g.tiles_x - 1, m.by1 = (c1y + 1) * g.tiles_y - 1;
  while (m.cols * m.cols < g.cores_per_tile) ++m.cols;
  return m;
}

std::string mesh_cores(const HtmlReportInput& in, const MeshLayout& m, double chip_ps) {
  std::string s;
  const auto& g = in.mesh;
  const double cell = (m.tile_px - 14.0) / m.cols;
  for (int ty = m.by0; ty <= m.by1; ++ty)
    for (int tx = m.bx0; tx <= m.bx1; ++tx) {
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
          "stroke=\"#999\"/>\n",
          m.x(tx) + 4, m.y(ty) + 4, m.tile_px - 8, m.tile_px - 8);
      const int chip = g.chip_index(tx / g.tiles_x, ty / g.tiles_y);
      const int tile = (ty % g.tiles_y) * g.tiles_x + tx % g.tiles_x;
      for (int k = 0; k < g.cores_per_tile; ++k) {
        const int core = chip * g.cores_per_chip() + tile * g.cores_per_tile + k;
        const auto cu = static_cast<std::size_t>(core);
        const double busy =
            cu < in.core_busy_ps.size() ? static_cast<double>(in.core_busy_ps[cu]) : 0.0;
        const bool used = cu < in.core_dynamic_fj.size() && in.core_dynamic_fj[cu] != 0;
        const double u = chip_ps > 0 ? busy / chip_ps : 0;
        s += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
            "stroke=\"#fff\"><title>{}: busy {} % of chip time</title></rect>\n",
            m.x(tx) + 7 + (k % m.cols) * cell, m.y(ty) + 7 + (k / m.cols) * cell, cell, cell,
            svg::heat_colour(used ? u : -1.0), html_escape(core::describe_core(g, core)),
            html_number(100 * u));
      }
    }
  return s;
}

std::string mesh_links(const HtmlReportInput& in, const MeshLayout& m) {
  std::string s;
  std::uint64_t max = 0;
  for (const auto v : in.link_messages) max = std::max(max, v);
  for (std::size_t k = 0; k < in.link_ids.size(); ++k) {
    const int link = in.link_ids[k];
    const auto from = core::link_source(in.mesh, link);
    if (from.x < m.bx0 || from.x > m.bx1 || from.y < m.by0 || from.y > m.by1) continue;
    const auto dir = core::link_direction(link);
    const double cx = m.x(from.x) + m.tile_px / 2.0, cy = m.y(from.y) + m.tile_px / 2.0;
    const double half = m.tile_px / 2.0, lane = 5;  // the two directions side by side
    double x1 = cx, y1 = cy, x2 = cx, y2 = cy;
    if (dir == core::Direction::kEast) x1 += half - 6, x2 += half + 6, y1 = y2 = cy - lane;
    if (dir == core::Direction::kWest) x1 -= half - 6, x2 -= half + 6, y1 = y2 = cy + lane;
    if (dir == core::Direction::kNorth) y1 -= half - 6, y2 -= half + 6, x1 = x2 = cx + lane;
    if (dir == core::Direction::kSouth) y1 += half - 6, y2 += half + 6, x1 = x2 = cx - lane;
    const double f = max ? static_cast<double>(in.link_messages[k]) / static_cast<double>(max) : 0;
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"5\"><title>{}: {} messages</title></line>\n",
        x1, y1, x2, y2, svg::heat_colour(0.25 + 0.75 * f),
        html_escape(core::describe_link(in.mesh, link)), in.link_messages[k]);
  }
  return s;
}

std::string mesh_figure(const HtmlReportInput& in) {
  std::vector<int> used;
  for (std::size_t c = 0; c < in.core_dynamic_fj.size(); ++c)
    if (in.core_dynamic_fj[c] != 0) used.push_back(static_cast<int>(c));
  const MeshLayout m = mesh_layout(in, used);
  const double chip_ps = in.summary["chip"]["time_ps"].get<double>();
  const int w = (m.bx1 - m.bx0 + 1) * m.tile_px + 2 * m.margin;
  const int h = (m.by1 - m.by0 + 1) * m.tile_px + 2 * m.margin;
  std::string s = fmt::format(
      "<svg id=\"fig-mesh\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" role=\"img\">\n",
      w, h);
  s += mesh_cores(in, m, chip_ps) + mesh_links(in, m) + "</svg>\n";
  std::uint64_t max = 0;
  for (const auto v : in.link_messages) max = std::max(max, v);
  return svg::section(
      "The mesh: core utilisation and link traffic", s,
      fmt::format("Tiles of the chips in use (north up, {} cores per tile). A core's colour is "
                  "its busy time over the chip time of the run (pale: idle, dark red: always "
                  "busy; grey: unused). The short bars between tiles are the directed links "
                  "(east and west above and below the centre line, north and south right and "
                  "left), coloured by the messages that crossed them in sample 0 (busiest: {} "
                  "messages). Hover for numbers.",
                  in.mesh.cores_per_tile, max));
}

std::string raster_figure(const HtmlReportInput& in) {
  const auto& pops = in.summary["populations"];
  const std::size_t np = pops.size();
  const std::int32_t max_step =
      in.step_ps.empty() ? 1 : static_cast<std::int32_t>(in.step_ps.size());
  // Each population gets a band of height proportional to its size (at least 24 px).
  std::vector<double> band_y(np + 1, 0.0), scale(np, 1.0);
  const double total_h = 360;
  double neurons = 0;
  for (const auto& p : pops) neurons += std::max(1, p["size"].get<int>());
  for (std::size_t p = 0; p < np; ++p) {
    const double size = std::max(1, pops[p]["size"].get<int>());
    const double h = std::max(24.0, total_h * size / std::max(neurons, 1.0));
    band_y[p + 1] = band_y[p] + h;
    scale[p] = h / size;
  }
  const int x0 = 150, plot_w = 700;
  const double px = static_cast<double>(plot_w) / max_step;
  std::vector<std::string> paths(np);
  for (std::size_t k = 0; k < in.spike_step.size(); ++k) {
    const auto p = static_cast<std::size_t>(in.spike_population[k]);
    if (p >= np) continue;
    // A vertical tick per spike: one neuron row high (at least 1 px).
    const double row = std::max(scale[p] * 0.8, 1.0);
    paths[p] += fmt::format("M{:.1f} {:.1f}v{:.1f}", x0 + (in.spike_step[k] - 0.5) * px,
                            10 + band_y[p] + in.spike_neuron[k] * scale[p], row);
  }
  std::string s = fmt::format(
      "<svg id=\"fig-raster\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{:.0f}\" role=\"img\">\n",
      x0 + plot_w + 20, band_y[np] + 40);
  for (std::size_t p = 0; p < np; ++p) {
    s += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        x0, 10 + band_y[p], plot_w, band_y[p + 1] - band_y[p], p % 2 ? "#eef2f7" : "#f7f7f7",
        x0 - 6, 10 + (band_y[p] + band_y[p + 1]) / 2 + 4,
        html_escape(pops[p]["name"].get<std::string>()));
    if (!paths[p].empty())
      s += fmt::format("<path d=\"{}\" stroke=\"{}\" stroke-width=\"{:.1f}\"/>\n", paths[p],
                       svg::palette(p), std::clamp(px * 0.6, 0.6, 3.0));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{:.0f}\" text-anchor=\"middle\">chip step of sample 0 "
      "(1 .. {})</text>\n</svg>\n",
      x0 + plot_w / 2, band_y[np] + 32, max_step);
  std::vector<svg::Bar> rates;
  for (const auto& p : pops)
    rates.push_back({p["name"].get<std::string>(), p["spikes_per_neuron_per_step"].get<double>(),
                     fmt::format("{} spikes over the run / ({} neurons x chip steps)",
                                 p["spikes"].dump(), p["size"].dump()),
                     ""});
  return svg::section("Spike raster of sample 0", s,
                      fmt::format("{} spikes; one band per population, one row per neuron "
                                  "(bands scaled to the population's size).",
                                  in.spike_step.size())) +
         svg::section("Spike rates per population",
                      svg::bar_chart("fig-rates", rates, "spikes/neuron/step"),
                      "Over every inference of the run.");
}

std::string latency_figure(const HtmlReportInput& in) {
  const int x0 = 70, plot_w = 760, plot_h = 220;
  std::int64_t max = 1;
  for (const auto v : in.step_ps) max = std::max(max, v);
  const double bw = in.step_ps.empty()
                        ? 1.0
                        : static_cast<double>(plot_w) / static_cast<double>(in.step_ps.size());
  std::string s = fmt::format(
      "<svg id=\"fig-latency\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" role=\"img\">\n",
      x0 + plot_w + 20, plot_h + 50);
  std::map<std::int32_t, std::uint64_t> counts;
  for (std::size_t k = 0; k < in.step_ps.size(); ++k) {
    const double h = static_cast<double>(in.step_ps[k]) / static_cast<double>(max) * plot_h;
    const auto c = in.step_critical[k];
    ++counts[c];
    s += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>\n",
        x0 + static_cast<double>(k) * bw, 10 + plot_h - h, std::max(bw, 0.5), h,
        svg::palette(static_cast<std::size_t>(c)));
  }
  s += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/>"
      "<text x=\"{3}\" y=\"14\" text-anchor=\"end\" class=\"tick\">{4} ns</text>"
      "<text x=\"{3}\" y=\"{1}\" text-anchor=\"end\" class=\"tick\">0</text>"
      "<text x=\"{5}\" y=\"{6}\" text-anchor=\"middle\">chip step of sample 0</text>\n</svg>\n",
      x0, 10 + plot_h, x0 + plot_w, x0 - 4, html_number(static_cast<double>(max) / 1000),
      x0 + plot_w / 2, plot_h + 40);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [c, n] : counts)
    rows.push_back({svg::palette(static_cast<std::size_t>(c)),
                    in.critical_names[static_cast<std::size_t>(c)], std::to_string(n)});
  std::string legend =
      "<table id=\"fig-critical\">\n<tr><th>colour</th><th>critical "
      "component</th><th>steps</th></tr>\n";
  for (const auto& r : rows)
    legend += fmt::format(
        "<tr><td style=\"background:{0}\">{0}</td><td>{1}</td><td>{2}</td>"
        "</tr>\n",
        r[0], html_escape(r[1]), r[2]);
  legend += "</table>\n";
  const auto& p = in.summary["per_inference"];
  return svg::section(
      "Latency of every chip step (sample 0) and its critical component", s + legend,
      fmt::format("A step lasts as long as its slowest core, network delivery or host link, plus "
                  "the barrier and the host read-back; the colour names what was slowest. Per "
                  "inference over the run: {} ns (chip and host), shortest {} ps, longest {} ps.",
                  html_number(p["latency_ns"].get<double>()), p["latency_min_ps"].dump(),
                  p["latency_max_ps"].dump()));
}

std::string accuracy_figure(const HtmlReportInput& in) {
  const Summary& s = in.summary;
  const bool has = s.contains("accuracy");
  std::vector<std::vector<std::string>> rows = {
      {"loihisim " + s["architecture"].get<std::string>(),
       has ? std::to_string(s["accuracy"]["correct"].get<std::uint64_t>()) + " / " +
                 std::to_string(s["accuracy"]["samples"].get<std::uint64_t>())
           : "-",
       has ? html_number(s["accuracy"]["fraction"].get<double>()) : "no classifier",
       html_number(s["per_inference"]["active_energy_pJ"].get<double>()),
       html_number(s["per_inference"]["latency_ns"].get<double>())}};
  std::string note = "No CPU comparison given (loihisim report --compare COMPARE.json).";
  if (in.comparison) {
    const Summary& c = *in.comparison;
    const auto& cpu = c["cpu"];
    for (const auto& r : cpu["rows"])
      rows.push_back(
          {"CPU (" + cpu["cpu"].get<std::string>() + "): " + r["profile"].get<std::string>(),
           std::to_string(cpu["samples"].get<std::uint64_t>()) + " samples",
           html_number(cpu["accuracy"].get<double>()), html_number(r["energy_pJ"].get<double>()),
           html_number(cpu["median_time"]["straightforward_ns"].get<double>())});
    note = "CPU rows from the comparison report; its notes: ";
    for (const auto& n : c["notes"]) note += n.get<std::string>() + " ";
  }
  return svg::section(
      "Accuracy, energy and latency per inference",
      svg::table("fig-accuracy",
                 {"system", "correct", "accuracy", "active energy (pJ)", "latency (ns)"}, rows),
      note);
}

std::string assumptions_figure(const HtmlReportInput& in) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : architecture_lines(in.architecture_yaml))
    rows.push_back({l.key, l.value, l.source});
  return svg::section(
      "Every assumption of the architecture file",
      svg::table("fig-assumptions", {"key", "value", "source (the file's comment)"}, rows),
      rows.empty() ? "The run file holds no architecture text (written before this report "
                     "existed)."
                   : "Energies in pJ, times in ns, power in mW, as the file writes them.");
}

}  // namespace

HtmlReportInput read_run_for_html(const std::filesystem::path& path) {
  const auto root = h5::open_file(path.string());
  HtmlReportInput in;
  in.source = path.string();
  if (!root.has_attribute("summary_json") || !root.has_attribute("mesh_json") || !root.has("cores"))
    root.fail("/",
              "not a run file of this version (needs the attributes summary_json and "
              "mesh_json and the group /cores: write it with `loihisim run --out`)");
  in.summary = parse_json_attribute(root, "summary_json");
  if (in.summary.value("report", "") != "run")
    root.fail("summary_json", "not the summary of `loihisim run`");
  const Summary mesh = parse_json_attribute(root, "mesh_json");
  in.mesh.chips_x = mesh.at("chips_x").get<int>(), in.mesh.chips_y = mesh.at("chips_y").get<int>();
  in.mesh.tiles_x = mesh.at("tiles_x").get<int>(), in.mesh.tiles_y = mesh.at("tiles_y").get<int>();
  in.mesh.cores_per_tile = mesh.at("cores_per_tile").get<int>();
  if (mesh.contains("board_chips_x")) {
    in.mesh.board_chips_x = mesh.at("board_chips_x").get<int>();
    in.mesh.board_chips_y = mesh.at("board_chips_y").get<int>();
    if (in.mesh.board_chips_x < 1 || in.mesh.board_chips_y < 1 ||
        in.mesh.chips_x % in.mesh.board_chips_x != 0 ||
        in.mesh.chips_y % in.mesh.board_chips_y != 0)
      root.fail("mesh_json", "board sizes must be at least 1 and divide the chip grid");
  }
  if (in.mesh.chips_x < 1 || in.mesh.chips_y < 1 || in.mesh.tiles_x < 1 || in.mesh.tiles_y < 1 ||
      in.mesh.cores_per_tile < 1)
    root.fail("mesh_json", "sizes must be at least 1");
  const auto cores = root.open_group("cores");
  in.core_busy_ps = cores.read<std::int64_t>("busy_ps");
  in.core_dynamic_fj = cores.read<std::int64_t>("dynamic_fJ");
  if (in.core_busy_ps.size() != in.core_dynamic_fj.size() ||
      in.core_busy_ps.size() > static_cast<std::size_t>(in.mesh.num_cores()))
    cores.fail("busy_ps", "not one value per core of the mesh");
  if (root.has_attribute("architecture_yaml"))
    in.architecture_yaml = root.string_attribute("architecture_yaml");
  read_trace(root, in);
  return in;
}

void add_link_traffic(HtmlReportInput& in,
                      const std::map<std::pair<std::int32_t, std::int32_t>, std::uint64_t>& flows) {
  std::map<int, std::uint64_t> links;
  core::Route route;
  for (const auto& [pair, messages] : flows) {
    core::route_into(in.mesh, pair.first, pair.second, route);
    for (const int l : route.links) links[l] += messages;
  }
  for (const auto& [id, messages] : links) {
    in.link_ids.push_back(id);
    in.link_messages.push_back(messages);
  }
}

const std::vector<std::string>& html_report_figure_ids() {
  static const std::vector<std::string> ids = {
      "fig-summary", "fig-energy-events", "fig-energy-cores", "fig-mesh",     "fig-raster",
      "fig-rates",   "fig-latency",       "fig-critical",     "fig-accuracy", "fig-assumptions"};
  return ids;
}

std::string html_report(const HtmlReportInput& in) {
  const Summary& s = in.summary;
  std::string body = fmt::format(
      "<p class=\"note\">From {} (loihisim {}). Every figure is counted events x the "
      "architecture file's parameters (listed at the end).</p>\n",
      html_escape(in.source), html_escape(s.value("loihisim_version", "")));
  body += svg::section("Summary", summary_figure(in), "Per inference: run totals / inferences.");
  body += energy_figures(in);
  body += mesh_figure(in);
  body += raster_figure(in);
  body += latency_figure(in);
  body += accuracy_figure(in);
  body += assumptions_figure(in);
  return svg::page(
      fmt::format("loihisim {}: {} on {}", s.value("report", "") == "core_run" ? "core-run" : "run",
                  s["model"].get<std::string>(), s["architecture"].get<std::string>()),
      body);
}

void write_html_report(const HtmlReportInput& in, const std::filesystem::path& path) {
  write_text_file(path, html_report(in));
}

std::vector<ArchitectureLine> architecture_lines(const std::string& yaml_text) {
  std::vector<ArchitectureLine> out;
  struct Level {
    std::size_t indent;
    std::string key;
  };
  std::vector<Level> stack;
  std::map<std::string, int> items;
  std::string block;  // the comment lines just above
  std::istringstream text(yaml_text);
  std::string line;
  auto path = [&stack] {
    std::string p;
    for (const auto& l : stack) p += (p.empty() || l.key.front() == '[' ? "" : ".") + l.key;
    return p;
  };
  while (std::getline(text, line)) {
    const auto hash = line.find('#');
    std::string comment = hash == std::string::npos ? "" : line.substr(hash + 1);
    std::string body = line.substr(0, hash);
    while (!body.empty() && (body.back() == ' ' || body.back() == '\r')) body.pop_back();
    const auto indent = body.find_first_not_of(' ');
    const auto ctext = comment.find_first_not_of(' ');
    comment = ctext == std::string::npos ? "" : comment.substr(ctext);
    if (indent == std::string::npos) {
      block = comment.empty() ? "" : (block.empty() ? "" : block + " ") + comment;
      continue;
    }
    std::size_t at = indent;
    while (!stack.empty() && stack.back().indent >= at) stack.pop_back();
    if (body.compare(at, 2, "- ") == 0) {
      const int i = items[path()]++;
      stack.push_back({at, fmt::format("[{}]", i)});
      at += 2;
    }
    const auto colon = body.find(':', at);
    if (colon == std::string::npos) continue;
    const std::string key = body.substr(at, colon - at);
    if (key.empty()) continue;
    const auto v = body.find_first_not_of(' ', colon + 1);
    if (v == std::string::npos) {
      stack.push_back({at, key});
      continue;
    }
    const std::string prefix = path();
    const std::string source = comment.empty() || comment.find("see ") != std::string::npos
                                   ? (block.empty() ? comment : block + " " + comment)
                                   : comment;
    out.push_back({prefix.empty() ? key : prefix + "." + key, body.substr(v), source});
    block.clear();
  }
  return out;
}

}  // namespace loihisim
