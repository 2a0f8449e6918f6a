#include "runtime/report.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include "core/energy.hpp"
#include "core/mesh_router.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"

namespace loihisim {

namespace {

using core::CoreCounts;

// ---- numbers -------------------------------------------------------------------------------

// An integer count of thousandths (fJ, ps, uW) as a decimal with three places: exact.
std::string milli(std::int64_t v) {
  const char* sign = v < 0 ? "-" : "";
  const std::uint64_t a = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  return fmt::format("{}{}.{:03}", sign, a / 1000, a % 1000);
}

// v / n in thousandths, rounded to the nearest thousandth (per-inference figures).
std::string milli_per(std::int64_t v, std::int64_t n) {
  const auto q = static_cast<long double>(v) / static_cast<long double>(n);
  return fmt::format("{:.3f}", static_cast<double>(q / 1000.0L));
}

std::string count(std::uint64_t v) {
  return std::to_string(v);
}

// ---- a tiny ordered document tree, emitted as YAML or JSON ---------------------------------

struct Value {
  enum class Kind { kNumber, kString, kBool, kMap, kList };
  Kind kind = Kind::kMap;
  std::string text;  // number literal, string, or "true"/"false"
  std::vector<std::pair<std::string, Value>> map;
  std::vector<Value> list;

  static Value number(std::string t) { return {Kind::kNumber, std::move(t), {}, {}}; }
  static Value string(std::string t) { return {Kind::kString, std::move(t), {}, {}}; }
  static Value boolean(bool b) { return {Kind::kBool, b ? "true" : "false", {}, {}}; }
  static Value object() { return {Kind::kMap, {}, {}, {}}; }
  static Value array() { return {Kind::kList, {}, {}, {}}; }

  Value& add(const std::string& key, Value v) {
    map.emplace_back(key, std::move(v));
    return map.back().second;
  }
  Value& num(const std::string& key, std::string literal) {
    return add(key, number(std::move(literal)));
  }
  Value& str(const std::string& key, std::string s) { return add(key, string(std::move(s))); }
  Value& push(Value v) {
    list.push_back(std::move(v));
    return list.back();
  }
};

void emit_yaml(YAML::Emitter& e, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNumber:
    case Value::Kind::kBool:
      e << v.text;
      break;
    case Value::Kind::kString:
      e << YAML::DoubleQuoted << v.text;
      break;
    case Value::Kind::kMap:
      e << YAML::BeginMap;
      for (const auto& [k, c] : v.map) {
        e << YAML::Key << k << YAML::Value;
        emit_yaml(e, c);
      }
      e << YAML::EndMap;
      break;
    case Value::Kind::kList:
      e << YAML::BeginSeq;
      for (const auto& c : v.list) emit_yaml(e, c);
      e << YAML::EndSeq;
      break;
  }
}

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += ch;
    }
  }
  return out + "\"";
}

void emit_json(std::string& out, const Value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  const std::string end_pad(static_cast<std::size_t>(indent), ' ');
  switch (v.kind) {
    case Value::Kind::kNumber:
    case Value::Kind::kBool:
      out += v.text;
      break;
    case Value::Kind::kString:
      out += json_escape(v.text);
      break;
    case Value::Kind::kMap:
      if (v.map.empty()) {
        out += "{}";
        break;
      }
      out += "{\n";
      for (std::size_t i = 0; i < v.map.size(); ++i) {
        out += pad + json_escape(v.map[i].first) + ": ";
        emit_json(out, v.map[i].second, indent + 2);
        out += i + 1 < v.map.size() ? ",\n" : "\n";
      }
      out += end_pad + "}";
      break;
    case Value::Kind::kList:
      if (v.list.empty()) {
        out += "[]";
        break;
      }
      out += "[\n";
      for (std::size_t i = 0; i < v.list.size(); ++i) {
        out += pad;
        emit_json(out, v.list[i], indent + 2);
        out += i + 1 < v.list.size() ? ",\n" : "\n";
      }
      out += end_pad + "]";
      break;
  }
}

// ---- the report as a document --------------------------------------------------------------

struct CountField {
  const char* name;
  std::uint64_t CoreCounts::*field;
};
constexpr CountField kCountFields[] = {
    {"spikes_in", &CoreCounts::spikes_in},
    {"syn_ops_dense", &CoreCounts::syn_ops_dense},
    {"syn_ops_sparse", &CoreCounts::syn_ops_sparse},
    {"cx_updates", &CoreCounts::cx_updates},
    {"cx_updates_active", &CoreCounts::cx_updates_active},
    {"spikes", &CoreCounts::spikes},
    {"spikes_out", &CoreCounts::spikes_out},
};

Value counts_value(const CoreCounts& c) {
  Value v = Value::object();
  for (const auto& f : kCountFields) v.num(f.name, count(c.*f.field));
  return v;
}

Value document(const Report& r) {
  const std::int64_t n = r.inferences;
  Value doc = Value::object();
  doc.str("architecture", r.architecture);
  doc.num("steps", std::to_string(r.steps));
  doc.num("inferences", std::to_string(r.inferences));
  Value& use = doc.add("in_use", Value::object());
  use.num("chips", std::to_string(r.chips_in_use));
  use.num("tiles", std::to_string(r.tiles_in_use));
  use.num("cores", std::to_string(r.cores_in_use));
  use.num("cores_configured", std::to_string(r.cores));

  Value& energy = doc.add("energy", Value::object());
  energy.num("dynamic_pJ", milli(r.dynamic_fj));
  energy.num("static_pJ", milli(r.static_fj));
  energy.num("total_pJ", milli(r.total_fj));
  Value& per = energy.add("per_inference", Value::object());
  per.num("dynamic_pJ", milli_per(r.dynamic_fj, n));
  per.num("static_pJ", milli_per(r.static_fj, n));
  per.num("total_pJ", milli_per(r.total_fj, n));
  Value& lines = energy.add("breakdown", Value::array());
  for (const auto& l : r.breakdown) {
    Value& e = lines.push(Value::object());
    e.str("event", l.event);
    e.str("kind", l.is_static ? "static" : "dynamic");
    e.num("count", count(l.count));
    e.str("count_unit", l.is_static ? "chip_ps" : "events");
    e.num("per_unit", milli(l.per_unit));
    e.str("per_unit_unit", l.is_static ? "mW_per_chip" : "pJ_per_event");
    e.num("energy_pJ", milli(l.energy_fj));
    e.num("per_inference_pJ", milli_per(l.energy_fj, n));
  }
  Value& groups = energy.add("by_group", Value::array());
  for (const auto& g : r.by_group) {
    Value& e = groups.push(Value::object());
    e.str("group", g.group);
    e.num("cores", std::to_string(g.cores));
    e.num("dynamic_pJ", milli(g.dynamic_fj));
    e.num("per_inference_pJ", milli_per(g.dynamic_fj, n));
    e.add("counts", counts_value(g.counts));
  }
  energy.num("unattributed_dynamic_pJ", milli(r.unattributed_dynamic_fj));
  Value& cores = energy.add("by_core", Value::array());
  for (const auto& c : r.by_core) {
    if (!c.in_use) continue;
    Value& e = cores.push(Value::object());
    e.num("core", std::to_string(c.core));
    e.str("location", c.location);
    e.str("group", c.group);
    e.num("dynamic_pJ", milli(c.dynamic_fj));
    e.num("busy_ns", milli(c.totals.busy_ps));
    e.num("critical_steps", count(c.totals.critical_steps));
    e.add("counts", counts_value(c.totals.counts));
    Value& net = e.add("messages_sent", Value::object());
    net.num("within_tile", count(c.totals.within_tile));
    net.num("east_west_hops", count(c.totals.east_west_hops));
    net.num("north_south_hops", count(c.totals.north_south_hops));
    net.num("chip_to_chip_hops", count(c.totals.chip_hops));
    e.num("host_spikes_received", count(c.totals.host_spikes_received));
  }

  Value& time = doc.add("time", Value::object());
  time.num("latency_ns", milli(r.latency_ps));
  time.num("per_inference_ns", milli_per(r.latency_ps, n));
  Value& step = time.add("step_ns", Value::object());
  step.num("min", milli(r.step_min_ps));
  step.num("median", milli(r.step_median_ps));
  step.num("mean", milli_per(r.latency_ps, std::max<std::int64_t>(r.steps, 1)));
  step.num("max", milli(r.step_max_ps));
  Value& parts = time.add("summed_parts_ns", Value::object());
  parts.num("compute", milli(r.compute_ps));
  parts.num("network", milli(r.network_ps));
  parts.num("host_link", milli(r.host_ps));
  parts.num("barrier", milli(r.barrier_ps));
  parts.num("readback", milli(r.readback_ps));
  Value& crit = time.add("critical", Value::array());
  for (const auto& c : r.critical) {
    Value& e = crit.push(Value::object());
    e.str("component", c.component);
    e.num("steps", count(c.steps));
  }
  return doc;
}

// Variable-length string dataset (h5::Group writes numbers and scalar strings only).
void write_strings(h5::Group& g, const std::string& name, const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& s : values) ptrs.push_back(s.c_str());
  const hsize_t dims[1] = {static_cast<hsize_t>(values.size())};
  h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!space || !type || H5Tset_size(type.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    g.fail(name, "cannot create a string dataset");
  h5::Handle set(H5Dcreate2(g.id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT),
                 H5Dclose);
  if (!set) g.fail(name, "cannot create dataset");
  if (!values.empty() &&
      H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    g.fail(name, "cannot write dataset");
}

}  // namespace

Report make_report(const core::ChipAccountant& acct, const ReportOptions& options) {
  if (options.inferences < 1)
    throw std::invalid_argument("inferences = " + std::to_string(options.inferences) +
                                " must be at least 1");
  const int n = acct.num_cores();
  if (!options.core_groups.empty() && static_cast<int>(options.core_groups.size()) != n)
    throw std::invalid_argument("core_groups names " + std::to_string(options.core_groups.size()) +
                                " cores but the chip has " + std::to_string(n));
  const core::Architecture& arch = acct.architecture();
  Report r;
  r.architecture = arch.name;
  r.steps = acct.steps();
  r.inferences = options.inferences;
  r.cores = n;
  r.cores_in_use = acct.cores_in_use();
  r.tiles_in_use = acct.tiles_in_use();
  r.chips_in_use = acct.chips_in_use();

  const core::EnergyBreakdown total = core::energy_breakdown(arch, acct.energy_counts());
  r.dynamic_fj = total.dynamic_fj;
  r.static_fj = total.static_fj;
  r.total_fj = total.total_fj;
  for (const auto& l : total.lines)
    r.breakdown.push_back({std::string(core::energy_event_name(l.event)), core::is_static(l.event),
                           l.count, l.per_unit, l.energy_fj});

  std::map<std::string, std::size_t> group_index;
  std::int64_t attributed = 0;
  for (int i = 0; i < n; ++i) {
    ReportCore c;
    c.core = i;
    c.physical = acct.placement()[static_cast<std::size_t>(i)];
    c.location = core::describe_core(arch.mesh, c.physical);
    c.group = options.core_groups.empty() ? "unlabelled"
                                          : options.core_groups[static_cast<std::size_t>(i)];
    c.in_use = acct.core_in_use(i);
    c.totals = acct.core_totals()[static_cast<std::size_t>(i)];
    c.dynamic_fj = core::energy_breakdown(arch, acct.core_energy_counts(i)).total_fj;
    attributed += c.dynamic_fj;
    if (c.in_use) {
      auto [it, fresh] = group_index.try_emplace(c.group, r.by_group.size());
      if (fresh) r.by_group.push_back({c.group, 0, {}, 0});
      ReportGroup& g = r.by_group[it->second];
      ++g.cores;
      g.counts += c.totals.counts;
      g.dynamic_fj += c.dynamic_fj;
    }
    r.by_core.push_back(std::move(c));
  }
  // Cores not in use have no events, so leaving them out of the groups loses nothing.
  r.unattributed_dynamic_fj = r.dynamic_fj - attributed;

  std::vector<std::int64_t> times;
  times.reserve(acct.step_records().size());
  for (const auto& s : acct.step_records()) {
    times.push_back(s.step_ps);
    r.latency_ps += s.step_ps;
    r.compute_ps += s.compute_ps;
    r.network_ps += s.network_ps;
    r.host_ps += s.host_ps;
    r.barrier_ps += s.barrier_ps;
    r.readback_ps += s.readback_ps;
  }
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    r.step_min_ps = times.front();
    r.step_max_ps = times.back();
    r.step_median_ps = times[(times.size() - 1) / 2];  // the lower median: a real step's time
  }
  const auto crit = acct.critical_counts();
  for (const auto& [component, steps] : crit)
    r.critical.push_back({acct.describe(component), steps});

  if (options.per_step) {
    r.step_records = acct.step_records();
    for (const auto& s : r.step_records) {
      const auto it = std::find_if(crit.begin(), crit.end(),
                                   [&](const auto& c) { return c.first == s.critical; });
      r.step_critical.push_back(static_cast<std::int32_t>(it - crit.begin()));
    }
    if (r.steps > 0 && acct.per_core_step_counts().empty())
      throw std::invalid_argument(
          "per-step core arrays were asked for but the accountant did not keep them "
          "(AccountantOptions::keep_per_core_steps)");
    r.core_step_counts = acct.per_core_step_counts();
    r.core_step_busy_ps = acct.per_core_step_busy_ps();
  }
  return r;
}

std::string report_yaml(const Report& r) {
  YAML::Emitter e;
  emit_yaml(e, document(r));
  return std::string(e.c_str()) + "\n";
}

std::string report_json(const Report& r) {
  std::string out;
  emit_json(out, document(r), 0);
  return out + "\n";
}

std::string report_text(const Report& r) {
  std::string s;
  s += fmt::format("architecture {}: {} chip(s), {} tile(s), {} of {} core(s) in use\n",
                   r.architecture, r.chips_in_use, r.tiles_in_use, r.cores_in_use, r.cores);
  s += fmt::format(
      "time: {} ns over {} steps ({} ns per inference); step min {} / median {} / "
      "max {} ns\n",
      milli(r.latency_ps), r.steps, milli_per(r.latency_ps, r.inferences), milli(r.step_min_ps),
      milli(r.step_median_ps), milli(r.step_max_ps));
  if (!r.critical.empty()) {
    s += "critical:";
    for (std::size_t i = 0; i < r.critical.size() && i < 3; ++i)
      s += fmt::format("{} {} ({} steps)", i ? ";" : "", r.critical[i].component,
                       r.critical[i].steps);
    s += r.critical.size() > 3 ? "; ...\n" : "\n";
  }
  s += fmt::format(
      "energy: dynamic {} pJ, static {} pJ, total {} pJ; per inference: dynamic {} "
      "pJ, total {} pJ\n",
      milli(r.dynamic_fj), milli(r.static_fj), milli(r.total_fj),
      milli_per(r.dynamic_fj, r.inferences), milli_per(r.total_fj, r.inferences));
  for (const auto& l : r.breakdown) {
    if (l.count == 0) continue;
    if (l.is_static)
      s += fmt::format("  {:<22} {:>14} chip-ps x {} mW / 1000 = {} pJ\n", l.event, l.count,
                       milli(l.per_unit), milli(l.energy_fj));
    else
      s += fmt::format("  {:<22} {:>14} x {} pJ = {} pJ\n", l.event, l.count, milli(l.per_unit),
                       milli(l.energy_fj));
  }
  return s;
}

void write_report_h5(h5::Group& root, const Report& r) {
  root.set_attribute("architecture", r.architecture);
  root.set_attribute("steps", r.steps);
  root.set_attribute("inferences", r.inferences);
  root.set_attribute("dynamic_fJ", r.dynamic_fj);
  root.set_attribute("static_fJ", r.static_fj);
  root.set_attribute("total_fJ", r.total_fj);
  root.set_attribute("latency_ps", r.latency_ps);

  h5::Group energy = root.create_group("energy");
  std::vector<std::string> names;
  std::vector<std::uint64_t> counts;
  std::vector<std::int64_t> per_unit, fj;
  std::vector<std::uint8_t> is_static;
  for (const auto& l : r.breakdown) {
    names.push_back(l.event);
    counts.push_back(l.count);
    per_unit.push_back(l.per_unit);
    fj.push_back(l.energy_fj);
    is_static.push_back(l.is_static ? 1 : 0);
  }
  write_strings(energy, "event", names);
  energy.write("count", counts);
  energy.write("per_unit", per_unit);  // fJ per event; uW per chip where is_static
  energy.write("energy_fJ", fj);
  energy.write("is_static", is_static);

  h5::Group cores = root.create_group("cores");
  std::vector<std::int32_t> physical;
  std::vector<std::uint8_t> in_use;
  std::vector<std::int64_t> dyn, busy;
  std::vector<std::string> groups;
  for (const auto& c : r.by_core) {
    physical.push_back(c.physical);
    in_use.push_back(c.in_use ? 1 : 0);
    dyn.push_back(c.dynamic_fj);
    busy.push_back(c.totals.busy_ps);
    groups.push_back(c.group);
  }
  cores.write("physical_core", physical);
  cores.write("in_use", in_use);
  cores.write("dynamic_fJ", dyn);
  cores.write("busy_ps", busy);
  write_strings(cores, "group", groups);

  if (r.step_records.empty()) return;
  h5::Group steps = root.create_group("steps");
  const auto field = [&](std::int64_t core::StepRecord::*f) {
    std::vector<std::int64_t> v;
    v.reserve(r.step_records.size());
    for (const auto& s : r.step_records) v.push_back(s.*f);
    return v;
  };
  steps.write("step_ps", field(&core::StepRecord::step_ps));
  steps.write("compute_ps", field(&core::StepRecord::compute_ps));
  steps.write("network_ps", field(&core::StepRecord::network_ps));
  steps.write("host_ps", field(&core::StepRecord::host_ps));
  steps.write("barrier_ps", field(&core::StepRecord::barrier_ps));
  steps.write("readback_ps", field(&core::StepRecord::readback_ps));
  steps.write("critical", r.step_critical);  // index into critical_components
  std::vector<std::string> crit;
  for (const auto& c : r.critical) crit.push_back(c.component);
  write_strings(steps, "critical_components", crit);

  if (r.core_step_counts.empty()) return;
  const std::vector<std::uint64_t> dims = {static_cast<std::uint64_t>(r.steps),
                                           static_cast<std::uint64_t>(r.cores)};
  h5::Group per = root.create_group("core_steps");
  per.write("busy_ps", r.core_step_busy_ps, dims, 4);
  for (const auto& f : kCountFields) {
    std::vector<std::uint64_t> v;
    v.reserve(r.core_step_counts.size());
    for (const auto& c : r.core_step_counts) v.push_back(c.*f.field);
    per.write(f.name, v, dims, 4);
  }
}

void write_report(const Report& r, const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext != ".yaml" && ext != ".yml" && ext != ".json" && ext != ".h5" && ext != ".hdf5")
    throw InputError(path.string() + ": unknown report format '" + ext +
                     "' (allowed .yaml, .yml, .json, .h5, .hdf5)");
  AtomicOutput out(path);
  if (ext == ".h5" || ext == ".hdf5") {
    h5::Group root = h5::create_file(out.temp_path().string());
    write_report_h5(root, r);
  } else {
    std::ofstream f(out.temp_path(), std::ios::binary);
    f << (ext == ".json" ? report_json(r) : report_yaml(r));
    f.close();
    if (!f) throw InputError(path.string() + ": cannot write the report");
  }
  out.commit();
}

}  // namespace loihisim
