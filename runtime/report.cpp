#include "runtime/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/energy.hpp"
#include "core/mesh_router.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/version.hpp"
#include "runtime/report_parts.hpp"

namespace loihisim {

namespace {

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

// ---- the report as a summary ---------------------------------------------------------------

Summary by_group_summary(const std::vector<ReportGroup>& groups, std::uint64_t n) {
  Summary out = Summary::array();
  for (const auto& g : groups)
    out.push_back({{"group", g.group},
                   {"cores", g.cores},
                   {"dynamic_fJ", g.dynamic_fj},
                   {"dynamic_per_inference_pJ", per_inference_milli(g.dynamic_fj, n)},
                   {"counts", counts_summary(g.counts)}});
  return out;
}

Summary by_core_summary(const std::vector<ReportCore>& cores) {
  Summary out = Summary::array();
  for (const auto& c : cores) {
    if (!c.in_use) continue;
    const core::CoreTotals& t = c.totals;
    out.push_back({{"core", c.core},
                   {"location", c.location},
                   {"group", c.group},
                   {"dynamic_fJ", c.dynamic_fj},
                   {"busy_ps", t.busy_ps},
                   {"critical_steps", t.critical_steps},
                   {"counts", counts_summary(t.counts)},
                   {"messages_sent",
                    {{"within_tile", t.within_tile},
                     {"east_west_hops", t.east_west_hops},
                     {"north_south_hops", t.north_south_hops},
                     {"chip_to_chip_hops", t.chip_hops},
                     {"board_to_board_hops", t.board_hops}}},
                   {"host_spikes_received", t.host_spikes_received}});
  }
  return out;
}

Summary time_summary(const Report& r, std::uint64_t n) {
  Summary time;
  time["latency_ps"] = r.latency_ps;
  time["per_inference"] = {{"latency_ns", per_inference_milli(r.latency_ps, n)}};
  time["step"] = {{"min_ps", r.step_min_ps},
                  {"median_ps", r.step_median_ps},
                  {"mean_ps", static_cast<double>(r.latency_ps) /
                                  static_cast<double>(std::max<std::int64_t>(r.steps, 1))},
                  {"max_ps", r.step_max_ps}};
  time["summed_parts"] = {{"compute_ps", r.compute_ps},
                          {"network_ps", r.network_ps},
                          {"host_link_ps", r.host_ps},
                          {"barrier_ps", r.barrier_ps},
                          {"readback_ps", r.readback_ps}};
  Summary crit = Summary::array();
  for (const auto& c : r.critical) crit.push_back({{"component", c.component}, {"steps", c.steps}});
  time["critical"] = crit;
  return time;
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

namespace {

// Every chip core with its own dynamic energy, and the groups of the cores in use.
void add_cores(Report& r, const core::ChipAccountant& acct, const ReportOptions& options) {
  const core::Architecture& arch = acct.architecture();
  std::map<std::string, std::size_t> group_index;
  std::int64_t attributed = 0;
  for (int i = 0; i < r.cores; ++i) {
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
  r.unattributed_dynamic_fj = r.energy.dynamic_fj - attributed;
}

// Latency, step-time statistics, summed parts and critical components (and, with per_step, the
// per-step arrays).
void add_times(Report& r, const core::ChipAccountant& acct, bool per_step, bool per_core_steps) {
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

  if (!per_step) return;
  r.step_records = acct.step_records();
  for (const auto& s : r.step_records) {
    const auto it = std::find_if(crit.begin(), crit.end(),
                                 [&](const auto& c) { return c.first == s.critical; });
    r.step_critical.push_back(static_cast<std::int32_t>(it - crit.begin()));
  }
  if (!per_core_steps) return;
  if (r.steps > 0 && acct.per_core_step_counts().empty())
    throw std::invalid_argument(
        "per-step core arrays were asked for but the accountant did not keep them "
        "(AccountantOptions::keep_per_core_steps)");
  r.core_step_counts = acct.per_core_step_counts();
  r.core_step_busy_ps = acct.per_core_step_busy_ps();
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
  r.energy = core::energy_breakdown(arch, acct.energy_counts());
  add_cores(r, acct, options);
  add_times(r, acct, options.per_step, options.per_core_steps);
  return r;
}

Summary report_summary(const Report& r) {
  const auto n = static_cast<std::uint64_t>(r.inferences);
  Summary doc;
  doc["report"] = "core_run";
  doc["loihisim_version"] = version();
  doc["architecture"] = r.architecture;
  doc["steps"] = r.steps;
  doc["inferences"] = r.inferences;
  doc["in_use"] = {{"chips", r.chips_in_use},
                   {"tiles", r.tiles_in_use},
                   {"cores", r.cores_in_use},
                   {"cores_configured", r.cores}};
  Summary energy = energy_summary(r.energy, n);
  energy["unattributed_dynamic_fJ"] = r.unattributed_dynamic_fj;
  energy["by_group"] = by_group_summary(r.by_group, n);
  energy["by_core"] = by_core_summary(r.by_core);
  doc["energy"] = std::move(energy);
  doc["time"] = time_summary(r, n);
  return doc;
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
      milli(r.energy.dynamic_fj), milli(r.energy.static_fj), milli(r.energy.total_fj),
      milli_per(r.energy.dynamic_fj, r.inferences), milli_per(r.energy.total_fj, r.inferences));
  for (const auto& l : r.energy.lines) {
    if (l.count == 0) continue;
    const auto event = core::energy_event_name(l.event);
    if (core::is_static(l.event))
      s += fmt::format("  {:<22} {:>14} chip-ps x {} mW / 1000 = {} pJ\n", event, l.count,
                       milli(l.per_unit), milli(l.energy_fj));
    else
      s += fmt::format("  {:<22} {:>14} x {} pJ = {} pJ\n", event, l.count, milli(l.per_unit),
                       milli(l.energy_fj));
  }
  return s;
}

void write_report_h5(h5::Group& root, const Report& r) {
  root.set_attribute("architecture", r.architecture);
  root.set_attribute("steps", r.steps);
  root.set_attribute("inferences", r.inferences);
  root.set_attribute("dynamic_fJ", r.energy.dynamic_fj);
  root.set_attribute("static_fJ", r.energy.static_fj);
  root.set_attribute("total_fJ", r.energy.total_fj);
  root.set_attribute("latency_ps", r.latency_ps);

  h5::Group energy = root.create_group("energy");
  std::vector<std::string> names;
  std::vector<std::uint64_t> counts;
  std::vector<std::int64_t> per_unit, fj;
  std::vector<std::uint8_t> is_static;
  for (const auto& l : r.energy.lines) {
    names.emplace_back(core::energy_event_name(l.event));
    counts.push_back(l.count);
    per_unit.push_back(l.per_unit);
    fj.push_back(l.energy_fj);
    is_static.push_back(core::is_static(l.event) ? 1 : 0);
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
  for (const auto& f : core::kCountFields) {
    std::vector<std::uint64_t> v;
    v.reserve(r.core_step_counts.size());
    for (const auto& c : r.core_step_counts) v.push_back(c.*f.field);
    per.write(std::string(f.name), v, dims, 4);
  }
}

void check_report_path(const std::filesystem::path& path, const std::string& option) {
  const std::string ext = path.extension().string();
  if (ext != ".yaml" && ext != ".yml" && ext != ".json" && ext != ".h5" && ext != ".hdf5")
    throw InputError(option + " " + path.string() + ": unknown report format '" + ext +
                     "' (allowed .yaml, .yml, .json, .h5, .hdf5)");
}

void write_report(const Report& r, const std::filesystem::path& path) {
  check_report_path(path, "report");
  const std::string ext = path.extension().string();
  if (ext == ".yaml" || ext == ".yml" || ext == ".json")
    return write_summary(report_summary(r), path);
  AtomicOutput out(path);
  {
    h5::Group root = h5::create_file(out);
    write_report_h5(root, r);
  }
  out.commit();  // flushed and closed (checked) before it is renamed into place
}

}  // namespace loihisim
