#include "runtime/sweep.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "core/synapse.hpp"
#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/atomic_output.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/summary_file.hpp"
#include "io/text_output.hpp"
#include "io/yaml_reader.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/model_file.hpp"
#include "runtime/inference.hpp"
#include "runtime/run_report.hpp"
#include "runtime/svg_plot.hpp"

namespace loihisim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelOptions[] = {"model.reset", "model.input_timing", "model.host_location",
                                         "model.host_format"};

// "a.b[2].c" -> {"a", "b", "[2]", "c"}.
std::vector<std::string> path_parts(const std::string& dotted) {
  std::vector<std::string> parts;
  std::string cur;
  for (const char c : dotted) {
    if (c == '.' || c == '[') {
      if (!cur.empty()) parts.push_back(cur);
      cur = c == '[' ? "[" : "";
    } else {
      cur += c;
      if (c == ']') {
        parts.push_back(cur);
        cur.clear();
      }
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

// The node at `dotted` in an architecture tree (a clone's nodes stay shared with the clone), or
// an undefined node.
YAML::Node arch_node(YAML::Node root, const std::string& dotted) {
  YAML::Node cur = root;
  for (const auto& part : path_parts(dotted)) {
    YAML::Node next;
    if (part.front() == '[') {
      if (!cur.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
      std::size_t i = 0;
      try {
        i = std::stoul(part.substr(1, part.size() - 2));
      } catch (const std::exception&) {
        return YAML::Node(YAML::NodeType::Undefined);
      }
      if (i >= cur.size()) return YAML::Node(YAML::NodeType::Undefined);
      next = cur[i];
    } else {
      if (!cur.IsMap() || !cur[part]) return YAML::Node(YAML::NodeType::Undefined);
      next = cur[part];
    }
    cur.reset(next);
  }
  return cur;
}

bool is_number(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

void check_axis(const yaml::Reader& r, const yaml::Field& key_field, const SweepAxis& axis,
                const YAML::Node& arch_tree, const std::string& arch_file) {
  const std::string& k = axis.key;
  const bool numeric = k == "T" || k == "weight_bits" || k.rfind("arch.", 0) == 0;
  for (const auto& v : axis.values)
    if (numeric && !is_number(v)) r.fail(key_field, fmt::format("'{}' is not a number", v));
  if (k == "T") {
    for (const auto& v : axis.values)
      if (const double t = std::strtod(v.c_str(), nullptr);
          t < 1 || t > (1 << 20) || t != static_cast<int>(t))
        r.fail(key_field, fmt::format("T = {} is out of range (allowed 1..{})", v, 1 << 20));
  } else if (k == "weight_bits") {
    for (const auto& v : axis.values)
      if (const double b = std::strtod(v.c_str(), nullptr);
          b != static_cast<int>(b) || !core::valid_weight_bits(static_cast<int>(b)) || b < 1)
        r.fail(key_field, fmt::format("weight_bits = {} is not one of 1..6, 8", v));
  } else if (k == "placement") {
    for (const auto& v : axis.values)
      if (v != "greedy" && v != "metis")
        r.fail(key_field, fmt::format("placement '{}' (allowed: greedy, metis)", v));
  } else if (k.rfind("arch.", 0) == 0) {
    const YAML::Node n = arch_node(YAML::Clone(arch_tree), k.substr(5));
    if (!n.IsDefined() || !n.IsScalar())
      r.fail(key_field, fmt::format("no such key in the architecture file {}", arch_file));
    if (!is_number(n.Scalar()))
      r.fail(key_field, fmt::format("{} holds '{}' there, not a number: only numeric keys can "
                                    "be swept",
                                    arch_file, n.Scalar()));
  } else if (std::find(std::begin(kModelOptions), std::end(kModelOptions), k) !=
             std::end(kModelOptions)) {
    for (const auto& v : axis.values)
      r.label_errors(key_field, [&] {
        if (k == "model.reset") parse_enum(kResetPolicyNames, v, "reset");
        if (k == "model.input_timing") parse_enum(kInputTimingNames, v, "input timing");
        if (k == "model.host_location") parse_enum(kHostLocationNames, v, "host location");
        if (k == "model.host_format") host_number_format_from_string(v);
      });
  } else {
    r.fail(key_field,
           "unknown grid key (allowed: T, weight_bits, placement, model.reset, "
           "model.input_timing, model.host_location, model.host_format, "
           "arch.<a dotted key of the architecture file>)");
  }
}

}  // namespace

SweepSpec read_sweep(const fs::path& file) {
  const YAML::Node root = yaml::load_file(file, "sweep file");
  return yaml::labelled(file.string(), [&] {
    const yaml::Reader r(file.string());
    const yaml::Field top{root, ""};
    r.expect_map(top, {"model", "grid"}, {"arch", "samples", "every"});
    SweepSpec s;
    s.file = file;
    s.model = (file.parent_path() / r.text(r.get(top, "model"))).lexically_normal();
    if (const auto a = r.find(top, "arch")) s.arch = r.text(*a);
    if (const auto n = r.find(top, "samples"))
      s.samples = static_cast<std::uint64_t>(r.integer(*n, 0, std::int64_t{1} << 40));
    if (const auto n = r.find(top, "every"))
      s.every = static_cast<std::uint64_t>(r.integer(*n, 1, std::int64_t{1} << 40));
    const yaml::Field grid = r.get(top, "grid");
    if (!grid.node.IsMap() || grid.node.size() == 0)
      r.fail(grid,
             "expected a mapping of at least one key to a list of values (an empty grid "
             "has no point)");
    const fs::path arch_file = architecture_file(s.arch);
    const YAML::Node arch_tree = yaml::load_file(arch_file, "architecture file");
    for (const auto& kv : grid.node) {
      const std::string key = kv.first.as<std::string>();
      const yaml::Field f{kv.second, yaml::join("grid", key)};
      SweepAxis axis{key, {}};
      for (const auto& item : r.items(f, "values")) axis.values.push_back(r.text(item));
      if (axis.values.empty()) r.fail(f, "an empty list of values: the grid would have no point");
      check_axis(r, f, axis, arch_tree, arch_file.string());
      s.grid.push_back(std::move(axis));
    }
    return s;
  });
}

namespace {

// What every point shares: the model, the architecture file's tree, the network or image, and
// the dataset (loaded once).
struct SweepBase {
  ModelSpec model;
  std::string arch_file;
  std::string arch_text;  // each point parses its own tree: no yaml-cpp node shared by threads
  std::optional<mapper::Network> network;
  std::optional<mapper::MappedImage> image;
  SequenceDataset data;
};

// Every weight stored with `bits` bits: the format's weight_bits set, each mantissa rounded to
// the new resolution (half away from zero) and saturated (core::quantize_weight).
void requantize_weights(mapper::Network& net, int bits) {
  for (const auto e : net.projections()) {
    mapper::Projection& p = net.mutable_projection(e);
    p.format.weight_bits = bits;
    for (auto& w : p.weight)
      w = static_cast<std::int16_t>(
          core::quantize_weight(w, p.format, core::OutOfRange::kSaturate)->mantissa);
  }
}

std::string point_label(const SweepSpec& spec, const std::vector<std::string>& values) {
  std::string s;
  for (std::size_t a = 0; a < values.size(); ++a)
    s += fmt::format("{}{} = {}", a ? ", " : "", spec.grid[a].key, values[a]);
  return s;
}

// The point's settings applied to the model and the architecture tree; returns weight bits
// (0: unchanged) and sets `placer`.
int apply_point(const SweepSpec& spec, const std::vector<std::string>& values, ModelSpec& m,
                YAML::Node& tree, std::string& placer) {
  int weight_bits = 0;
  for (std::size_t a = 0; a < values.size(); ++a) {
    const std::string& k = spec.grid[a].key;
    const std::string& v = values[a];
    if (k == "T") m.steps_per_symbol = std::stoi(v);
    if (k == "weight_bits") weight_bits = std::stoi(v);
    if (k == "placement") placer = v;
    if (k == "model.reset") m.reset = parse_enum(kResetPolicyNames, v, "reset");
    if (k == "model.input_timing")
      m.input_timing = parse_enum(kInputTimingNames, v, "input timing");
    if (k == "model.host_location")
      m.host_location = parse_enum(kHostLocationNames, v, "host location");
    if (k == "model.host_format") m.host_format = host_number_format_from_string(v);
    if (k.rfind("arch.", 0) == 0) {
      YAML::Node n = arch_node(tree, k.substr(5));
      n = v;
    }
  }
  return weight_bits;
}

SweepRow run_point(const SweepSpec& spec, const SweepBase& base,
                   const std::vector<std::string>& values) {
  ModelSpec m = base.model;
  YAML::Node tree = yaml::load_text(base.arch_text, base.arch_file);
  std::string placer = m.placer;
  const int weight_bits = apply_point(spec, values, m, tree, placer);
  const core::Architecture arch = parse_architecture(YAML::Dump(tree), base.arch_file);
  mapper::MappedImage image;
  if (base.image) {
    if (weight_bits || placer != m.placer)
      throw InputError(
          "weight_bits and placement need a model with a network file, not a "
          "mapped image");
    image = *base.image;
  } else {
    mapper::Network net = *base.network;
    if (weight_bits) requantize_weights(net, weight_bits);
    mapper::MapOptions mo;
    mo.placer = mapper::parse_placer(placer);
    mo.compare_placers = false;
    image = mapper::map_network(net, arch, mo).image;
  }
  InferenceOptions io = inference_options(m, arch);
  io.samples = spec.samples;
  io.threads = 1;
  const InferenceRun run = run_inferences(image, arch, base.data, io);
  const RunReport r =
      make_run_report({m.name, arch.name, base.data.name, placer, 1, ""}, io, image, arch, run);
  const Summary s = run_report_summary(r);
  const auto& p = s["per_inference"];
  SweepRow row;
  row.values = values;
  row.accuracy = r.accuracy;
  row.chip_active_energy_pj = p["chip_active_energy_pJ"].get<double>();
  row.chip_total_energy_pj = p["chip_total_energy_pJ"].get<double>();
  row.host_energy_pj = p["host_energy_pJ"].get<double>();
  row.active_energy_pj = p["active_energy_pJ"].get<double>();
  row.total_energy_pj = p["total_energy_pJ"].get<double>();
  row.latency_ns = p["latency_ns"].get<double>();
  row.cores_used = r.cores_used;
  row.chips = r.chips;
  return row;
}

SweepBase sweep_base(const SweepSpec& spec, const std::string& data_cache) {
  SweepBase b;
  b.model = read_model(spec.model);
  b.arch_file = architecture_file(spec.arch).string();
  b.arch_text = architecture_text(spec.arch);
  if (!b.model.image.empty())
    b.image = mapper::read_mapped_image(b.model.image);
  else
    b.network = mapper::read_network(b.model.network);
  b.data = every_kth_sample(
      load_dataset(b.model.dataset, data_cache.empty() ? default_data_cache() : data_cache),
      spec.every);
  return b;
}

// The values of point k: the last axis varies fastest.
std::vector<std::string> point_values(const SweepSpec& spec, std::size_t k) {
  std::vector<std::string> v(spec.grid.size());
  for (std::size_t a = spec.grid.size(); a-- > 0;) {
    const auto& values = spec.grid[a].values;
    v[a] = values[k % values.size()];
    k /= values.size();
  }
  return v;
}

}  // namespace

SweepResult run_sweep(const SweepSpec& spec, int threads, const std::string& data_cache,
                      const std::atomic<bool>* cancel,
                      const std::function<void(std::size_t)>& progress) {
  const SweepBase base = sweep_base(spec, data_cache);
  std::size_t n = 1;
  for (const auto& a : spec.grid) n *= a.values.size();
  SweepResult result{spec, base.data.name, std::vector<SweepRow>(n)};
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::size_t done = 0, failed_at = n;
  std::string failure;
  auto worker = [&] {
    for (;;) {
      if (cancel && cancel->load()) return;
      const std::size_t k = next.fetch_add(1);
      {
        const std::lock_guard<std::mutex> lock(mu);
        if (k >= n || k > failed_at) return;  // points after a failure are not needed
      }
      const auto values = point_values(spec, k);
      try {
        result.rows[k] = run_point(spec, base, values);
      } catch (const InputError& e) {
        const std::lock_guard<std::mutex> lock(mu);
        if (k < failed_at) {
          failed_at = k;
          failure = fmt::format("{}: point {} ({}): {}", spec.file.string(), k,
                                point_label(spec, values), e.what());
        }
        continue;
      }
      const std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (progress) progress(done);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failed_at < n) throw InputError(failure);
  if (cancel && cancel->load()) throw InputError("interrupted: no sweep results written");
  mark_pareto_front(result.rows);
  return result;
}

void mark_pareto_front(std::vector<SweepRow>& rows) {
  for (auto& p : rows) {
    p.pareto = true;
    for (const auto& q : rows) {
      const bool no_worse = q.accuracy >= p.accuracy && q.active_energy_pj <= p.active_energy_pj &&
                            q.latency_ns <= p.latency_ns;
      const bool better = q.accuracy > p.accuracy || q.active_energy_pj < p.active_energy_pj ||
                          q.latency_ns < p.latency_ns;
      if (no_worse && better) {
        p.pareto = false;
        break;
      }
    }
  }
}

namespace {

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {"accuracy",
                                                 "chip_active_energy_pJ",
                                                 "chip_total_energy_pJ",
                                                 "host_energy_pJ",
                                                 "active_energy_pJ",
                                                 "total_energy_pJ",
                                                 "latency_ns",
                                                 "cores_used",
                                                 "chips",
                                                 "pareto"};
  return names;
}

std::vector<std::string> metric_texts(const SweepRow& r) {
  return {fmt::format("{}", r.accuracy),
          fmt::format("{}", r.chip_active_energy_pj),
          fmt::format("{}", r.chip_total_energy_pj),
          fmt::format("{}", r.host_energy_pj),
          fmt::format("{}", r.active_energy_pj),
          fmt::format("{}", r.total_energy_pj),
          fmt::format("{}", r.latency_ns),
          std::to_string(r.cores_used),
          std::to_string(r.chips),
          r.pareto ? "1" : "0"};
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string sweep_csv(const SweepResult& r) {
  std::string s = "point";
  for (const auto& a : r.spec.grid) s += "," + csv_cell(a.key);
  for (const auto& m : metric_names()) s += "," + m;
  s += "\n";
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    s += std::to_string(k);
    for (const auto& v : r.rows[k].values) s += "," + csv_cell(v);
    for (const auto& m : metric_texts(r.rows[k])) s += "," + m;
    s += "\n";
  }
  return s;
}

// A unit for values given in `base` units (pJ or ns) so that the largest reads below 10,000:
// {divisor, name}.
std::pair<double, std::string> axis_unit(const std::vector<SweepRow>& rows, bool energy) {
  double max = 0;
  for (const auto& r : rows) max = std::max(max, energy ? r.active_energy_pj : r.latency_ns);
  const char* const names[2][4] = {{"ns", "us", "ms", "s"}, {"pJ", "nJ", "uJ", "mJ"}};
  int k = 0;
  double div = 1;
  while (k < 3 && max / div >= 1e4) div *= 1e3, ++k;
  return {div, names[energy ? 1 : 0][k]};
}

std::string sweep_html(const SweepResult& r) {
  const auto [e_div, e_unit] = axis_unit(r.rows, true);
  const auto [t_div, t_unit] = axis_unit(r.rows, false);
  std::vector<svg::Point> energy, latency;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"point"};
  for (const auto& a : r.spec.grid) header.push_back(a.key);
  for (const auto& m : metric_names()) header.push_back(m);
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    const auto& row = r.rows[k];
    const std::string label = fmt::format("point {}: {}", k, point_label(r.spec, row.values));
    energy.push_back({row.active_energy_pj / e_div, 100 * row.accuracy, label, row.pareto});
    latency.push_back({row.latency_ns / t_div, 100 * row.accuracy, label, row.pareto});
    std::vector<std::string> cells = {std::to_string(k)};
    cells.insert(cells.end(), row.values.begin(), row.values.end());
    for (const auto& m : metric_texts(row)) cells.push_back(m);
    rows.push_back(std::move(cells));
  }
  std::string body = fmt::format(
      "<p class=\"note\">{} points of {} ({} on {}, dataset {}). Red: the Pareto front (no other "
      "point is at least as accurate, as frugal in active energy per inference and as fast, and "
      "better in one). Hover a point for its settings.</p>\n",
      r.rows.size(), svg::html_escape(r.spec.file.string()),
      svg::html_escape(r.spec.model.string()), svg::html_escape(r.spec.arch),
      svg::html_escape(r.dataset));
  body += svg::section(
      "Accuracy against active energy per inference",
      svg::scatter_plot("sweep-energy", energy, "active energy per inference (" + e_unit + ")",
                        "accuracy (%)"),
      "Active energy: the chip's dynamic energy plus the host's.");
  body += svg::section("Accuracy against latency per inference",
                       svg::scatter_plot("sweep-latency", latency,
                                         "latency per inference (" + t_unit + ")", "accuracy (%)"),
                       "Latency: chip steps and host time of one inference.");
  body += svg::section("Every point",
                       "<div class=\"wide\">" + svg::table("sweep-table", header, rows) + "</div>",
                       "Per inference; pareto = 1 on the front.");
  return svg::page("loihisim sweep: " + r.spec.file.filename().string(), body);
}

void write_sweep(const SweepResult& r, const fs::path& dir) {
  write_text_file(dir / "sweep.csv", sweep_csv(r));
  write_text_file(dir / "sweep.html", sweep_html(r));
  AtomicOutput out(dir / "sweep.h5");
  {
    auto root = h5::create_file(out);
    Summary axes = Summary::object();
    for (std::size_t a = 0; a < r.spec.grid.size(); ++a) {
      Summary column = Summary::array();
      for (const auto& row : r.rows) column.push_back(row.values[a]);
      axes[r.spec.grid[a].key] = column;
    }
    root.set_attribute("axes_json", axes.dump());
    root.set_attribute("sweep_file", r.spec.file.string());
    root.set_attribute("model", r.spec.model.string());
    root.set_attribute("architecture", r.spec.arch);
    root.set_attribute("dataset", r.dataset);
    const auto& names = metric_names();
    for (std::size_t m = 0; m < names.size(); ++m) {
      std::vector<double> column;
      for (const auto& row : r.rows) column.push_back(std::stod(metric_texts(row)[m]));
      root.write(names[m], column);
    }
  }
  out.commit();
}

}  // namespace loihisim
