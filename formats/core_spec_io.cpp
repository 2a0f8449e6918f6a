#include "formats/core_spec_io.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string_view>

#include "core/fixed_point.hpp"
#include "formats/core_tables_io.hpp"
#include "io/errors.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {
namespace {

using yaml::Field;

// Raster spikes are held in memory; a spec asking for more is almost certainly a mistake.
constexpr std::int64_t kMaxHostSpikes = 10'000'000;
constexpr std::int64_t kMaxGroupCount = 1 << 20;

// Where the entries of one grouped table start in the expanded core table: entry e of the YAML
// list expands to elements first[e] .. first[e + 1] - 1.
struct Groups {
  std::vector<int> first;
  std::vector<int> count;
};

struct CoreGroups {
  Groups compartments, synapse_lists, input_axons, output_axons;
};

class SpecReader {
 public:
  SpecReader(std::string file, const core::CoreLimits& limits)
      : r_(std::move(file), yaml::Wording::kEquals), limits_(limits) {}

  CoreSpec read(const YAML::Node& root);

 private:
  // Syntax and type errors are thrown at once by r_; problems found after reading (ranges,
  // limits, raster) are collected in r_ and thrown together.

  // An integer whose range is checked here because it sizes something the reader builds.
  std::int32_t integer_in(const Field& f, std::int64_t lo, std::int64_t hi,
                          const std::string& note = {}) const {
    return static_cast<std::int32_t>(r_.integer(f, lo, hi, note));
  }
  // A required field that fits the 32 bits of the hardware tables; its own range is checked by
  // core::validate().
  std::int32_t required_int32(const Field& map, const char* key, const std::string& what) const {
    return r_.int32(r_.require(map, key, what));
  }
  std::vector<std::int32_t> integers(const Field& f) const {
    std::vector<std::int32_t> out;
    for (const Field& x : r_.items(f, "integers")) out.push_back(r_.int32(x));
    return out;
  }
  // The optional `count` of a grouped entry. Its own bound only keeps the sums exact; the
  // table's total is checked against the per-core limit before anything is expanded.
  int count_of(const Field& entry) const {
    const auto n = r_.find(entry, "count");
    return n ? integer_in(*n, 1, kMaxGroupCount) : 1;
  }

  // --- the sections
  void read_core(const Field& n, core::CoreConfig& cfg, CoreGroups& groups);
  core::CompartmentProfile read_profile(const Field& n);
  core::SynapseFormat read_format(const Field& n);
  void read_compartments(const Field& list, core::CoreConfig& cfg, Groups& groups);
  void read_synapse_lists(const Field& list, core::CoreConfig& cfg, Groups& groups);
  void read_input_axons(const Field& list, core::CoreConfig& cfg, Groups& groups);
  void read_output_axons(const Field& list, core::CoreConfig& cfg, Groups& groups);
  void read_inputs(const Field& list, CoreSpec& spec);
  // A grouped table whose expanded size `total` exceeds `capacity`.
  void check_table_size(const Field& list, std::int64_t total, std::int64_t capacity,
                        const std::string& why) const;

  // Maps core::validate()'s problems onto the YAML entries, as problems of r_.
  void add_validation_problems(const CoreSpec& spec);

  yaml::Reader r_;
  core::CoreLimits limits_;
  std::vector<CoreGroups> groups_;
};

CoreSpec SpecReader::read(const YAML::Node& root) {
  if (root.IsNull() || !root.IsDefined())
    throw InputError(
        fmt::format("{}: the spec is empty (expected a mapping with keys steps, "
                    "cores, inputs)",
                    r_.file()));
  const Field top{root, ""};
  r_.expect_map(top, {}, {"steps", "cores", "inputs"});
  CoreSpec spec;
  spec.source = r_.file();
  spec.chip.limits = limits_;
  spec.steps =
      integer_in(r_.require(top, "steps", "the number of timesteps to run"), 1, kMaxCoreRunSteps);

  const Field cores_field = r_.require(top, "cores", "a list of cores");
  const std::vector<Field> cores = r_.items(cores_field, "cores");
  if (cores.empty()) r_.fail(cores_field, "the list is empty; a spec needs at least one core");
  groups_.resize(cores.size());
  spec.chip.cores.resize(cores.size());
  for (std::size_t c = 0; c < cores.size(); ++c)
    read_core(cores[c], spec.chip.cores[c], groups_[c]);

  std::int64_t total_compartments = 0;
  for (const auto& c : spec.chip.cores)
    total_compartments += static_cast<std::int64_t>(c.compartments.size());
  if (auto why = run_size_problem(spec.steps, total_compartments))
    r_.add_problem("steps", fmt::format("steps = {}: {}", spec.steps, *why));

  if (auto inputs = r_.find(top, "inputs")) read_inputs(*inputs, spec);
  add_validation_problems(spec);
  r_.throw_problems_if_any("spec");
  return spec;
}

void SpecReader::read_core(const Field& n, core::CoreConfig& cfg, CoreGroups& groups) {
  r_.expect_map(n, {},
                {"accumulator_depth", "profiles", "formats", "compartments", "synapse_lists",
                 "input_axons", "output_axons"});
  // cfg starts as core::CoreConfig{}, whose accumulator_depth is the default.
  if (auto d = r_.find(n, "accumulator_depth")) cfg.accumulator_depth = r_.int32(*d);

  for (const Field& p : r_.items(r_.require(n, "profiles", "a list of compartment profiles"),
                                 "compartment profiles"))
    cfg.profiles.push_back(read_profile(p));
  if (auto f = r_.find(n, "formats"))
    for (const Field& x : r_.items(*f, "synapse formats")) cfg.formats.push_back(read_format(x));
  read_compartments(r_.require(n, "compartments", "a list of compartments or groups"), cfg,
                    groups.compartments);
  if (auto s = r_.find(n, "synapse_lists")) read_synapse_lists(*s, cfg, groups.synapse_lists);
  if (auto a = r_.find(n, "input_axons")) read_input_axons(*a, cfg, groups.input_axons);
  if (auto a = r_.find(n, "output_axons")) read_output_axons(*a, cfg, groups.output_axons);
}

core::CompartmentProfile SpecReader::read_profile(const Field& n) {
  return read_compartment_profile(r_, n, Keys::kAllRequired);
}

core::SynapseFormat SpecReader::read_format(const Field& n) {
  return read_synapse_format(r_, n, Keys::kAllRequired, /*list_layout=*/true);
}

// Grouped tables are read in two passes: the entries and their counts first, then, once the
// whole table is known to respect its per-core limit, the expansion. So a huge `count` cannot
// exhaust memory, and the limit message states the exact total.
template <class T>
struct Entry {
  int count = 1;
  T value;
};

template <class T>
std::int64_t total_count(const std::vector<Entry<T>>& entries) {
  std::int64_t total = 0;
  for (const auto& e : entries) total += e.count;
  return total;
}

template <class T>
void record_groups(const std::vector<Entry<T>>& entries, Groups& groups) {
  int first = 0;
  for (const auto& e : entries) {
    groups.first.push_back(first);
    groups.count.push_back(e.count);
    first += e.count;
  }
}

void SpecReader::check_table_size(const Field& list, std::int64_t total, std::int64_t capacity,
                                  const std::string& why) const {
  if (total > capacity)
    r_.fail_range({list.node, list.path + " (count)"}, std::to_string(total),
                  fmt::format("0..{}", capacity), why);
}

void SpecReader::read_compartments(const Field& list, core::CoreConfig& cfg, Groups& groups) {
  const std::vector<Field> items = r_.items(list, "compartments or compartment groups");
  const int depth = std::clamp(cfg.accumulator_depth, limits_.min_accumulator_depth,
                               limits_.max_accumulator_depth);
  const int capacity = core::compartment_capacity(limits_, depth);
  std::vector<Entry<core::CompartmentConfig>> entries;
  for (const Field& e : items) {
    r_.expect_map(e, {}, {"count", "profile", "bias_mant", "bias_exp"});
    Entry<core::CompartmentConfig> entry;
    entry.count = count_of(e);
    entry.value.profile = required_int32(e, "profile", "index into the core's profiles");
    if (auto b = r_.find(e, "bias_mant")) entry.value.bias_mant = r_.int32(*b);
    if (auto b = r_.find(e, "bias_exp")) entry.value.bias_exp = r_.int32(*b);
    entries.push_back(entry);
  }
  check_table_size(list, total_count(entries), capacity,
                   depth > limits_.accumulator_slots / limits_.max_compartments
                       ? fmt::format(" ({} accumulator slots / accumulator_depth {})",
                                     limits_.accumulator_slots, depth)
                       : std::string());
  record_groups(entries, groups);
  for (const auto& e : entries)
    cfg.compartments.insert(cfg.compartments.end(), static_cast<std::size_t>(e.count), e.value);
}

void SpecReader::read_synapse_lists(const Field& list, core::CoreConfig& cfg, Groups& groups) {
  const std::vector<Field> items = r_.items(list, "synapse lists");
  std::vector<Entry<core::SynapseList>> entries;
  std::int64_t synapses = 0;
  for (const Field& e : items) {
    r_.expect_map(e, {}, {"count", "format", "weights", "index", "delay"});
    Entry<core::SynapseList> entry;
    entry.count = count_of(e);
    core::SynapseList& l = entry.value;
    l.format = required_int32(e, "format", "index into the core's formats");
    l.mantissa = integers(r_.require(e, "weights", "the stored weight mantissas"));
    if (auto x = r_.find(e, "index")) l.index = integers(*x);
    if (auto x = r_.find(e, "delay")) l.delay = integers(*x);
    synapses +=
        static_cast<std::int64_t>(entry.count) * static_cast<std::int64_t>(l.mantissa.size());
    entries.push_back(std::move(entry));
  }
  // A list is reached only through an input axon, so a core needs no more lists than it may
  // have input axons.
  check_table_size(list, total_count(entries), limits_.max_input_axons,
                   " (a synapse list is reached only through an input axon)");
  // Every synapse costs at least one bit of synapse memory (a 64-bit word holds at most one
  // block of 64 synapses), so more synapses than memory bits cannot fit, whatever the formats.
  if (synapses > limits_.synapse_memory_bits)
    r_.fail(list, fmt::format("{} synapses exceed the per-core synapse memory of {} bits "
                              "(every synapse costs at least one bit)",
                              synapses, limits_.synapse_memory_bits));
  record_groups(entries, groups);
  for (const auto& e : entries)
    cfg.synapse_lists.insert(cfg.synapse_lists.end(), static_cast<std::size_t>(e.count), e.value);
}

// Expanded group members whose index or base leaves the 32-bit range are clamped to a value
// core::validate() rejects, so the message still names the group entry.
int clamp_to_int(std::int64_t x) {
  return static_cast<int>(std::clamp<std::int64_t>(x, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
}

void SpecReader::read_input_axons(const Field& list, core::CoreConfig& cfg, Groups& groups) {
  const std::vector<Field> items = r_.items(list, "input axons");
  struct Axons {
    std::int64_t list = 0, base = 0, list_step = 0, base_step = 0;
  };
  std::vector<Entry<Axons>> entries;
  for (const Field& e : items) {
    r_.expect_map(e, {}, {"count", "synapse_list", "base", "synapse_list_step", "base_step"});
    Entry<Axons> entry;
    entry.count = count_of(e);
    entry.value.list = required_int32(e, "synapse_list", "index into the core's synapse lists");
    entry.value.base = required_int32(e, "base", "first target compartment");
    if (auto x = r_.find(e, "synapse_list_step")) entry.value.list_step = r_.int32(*x);
    if (auto x = r_.find(e, "base_step")) entry.value.base_step = r_.int32(*x);
    entries.push_back(entry);
  }
  check_table_size(list, total_count(entries), limits_.max_input_axons, {});
  record_groups(entries, groups);
  for (const auto& e : entries)
    for (std::int64_t k = 0; k < e.count; ++k)  // |k * step| < 2^12 * 2^31: no overflow
      cfg.input_axons.push_back({clamp_to_int(e.value.list + k * e.value.list_step),
                                 clamp_to_int(e.value.base + k * e.value.base_step)});
}

void SpecReader::read_output_axons(const Field& list, core::CoreConfig& cfg, Groups& groups) {
  const std::vector<Field> items = r_.items(list, "output axons");
  std::vector<Entry<core::OutputAxon>> entries;
  for (const Field& e : items) {
    r_.expect_map(e, {}, {"count", "source", "dest_core", "dest_axon"});
    Entry<core::OutputAxon> entry;
    entry.count = count_of(e);
    entry.value.source = required_int32(e, "source", "the compartment of this core that fires");
    entry.value.dest_core = required_int32(e, "dest_core", "index into cores");
    entry.value.dest_axon = required_int32(e, "dest_axon", "input axon of the destination core");
    entries.push_back(entry);
  }
  check_table_size(list, total_count(entries), limits_.max_output_axons, {});
  record_groups(entries, groups);
  for (const auto& e : entries)
    for (std::int64_t k = 0; k < e.count; ++k)
      cfg.output_axons.push_back({clamp_to_int(e.value.source + k), e.value.dest_core,
                                  clamp_to_int(e.value.dest_axon + k)});
}

void SpecReader::read_inputs(const Field& list, CoreSpec& spec) {
  const auto n_cores = static_cast<std::int64_t>(spec.chip.cores.size());
  for (const Field& e : r_.items(list, "raster entries")) {
    r_.expect_map(e, {}, {"step", "steps", "core", "axons", "payload"});
    std::vector<int> steps;
    const auto one = r_.find(e, "step");
    const auto many = r_.find(e, "steps");
    if (one && many) r_.fail(e, "give either 'step' or 'steps', not both");
    if (!one && !many)
      r_.fail(e, fmt::format("missing required key 'step' (or 'steps': a list of steps), 1..{}",
                             spec.steps));
    const auto check_step = [&](const Field& s) {
      return integer_in(s, 1, spec.steps, " (steps are numbered from 1)");
    };
    if (one) {
      steps.push_back(check_step(*one));
    } else {
      for (const Field& s : r_.items(*many, "steps")) steps.push_back(check_step(s));
    }
    const int c = integer_in(r_.require(e, "core", "index into cores"), 0, n_cores - 1);
    const auto& cfg = spec.chip.cores[static_cast<std::size_t>(c)];
    const auto n_axons = static_cast<std::int64_t>(cfg.input_axons.size());
    std::vector<int> ids;
    for (const Field& a :
         r_.items(r_.require(e, "axons", "input axons of the core"), "input axons")) {
      if (n_axons == 0)
        r_.fail_at(a.node,
                   fmt::format("{} = {}: core {} has no input axons", a.path, r_.int32(a), c));
      ids.push_back(integer_in(a, 0, n_axons - 1, fmt::format(" (the input axons of core {})", c)));
    }
    std::int32_t payload = 1;
    if (auto p = r_.find(e, "payload"))
      payload =
          integer_in(*p, -(std::int64_t{1} << core::kPayloadBits),
                     (std::int64_t{1} << core::kPayloadBits) - 1, " (24-bit signed spike payload)");
    if (static_cast<std::int64_t>(spec.inputs.size()) +
            static_cast<std::int64_t>(steps.size() * ids.size()) >
        kMaxHostSpikes)
      r_.fail({e.node, "inputs"}, fmt::format("more than {} raster spikes", kMaxHostSpikes));
    for (int s : steps)
      for (int a : ids) spec.inputs.push_back({s, c, a, payload});
  }
  std::stable_sort(spec.inputs.begin(), spec.inputs.end(),
                   [](const HostSpike& a, const HostSpike& b) { return a.step < b.step; });
}

// Maps core::validate()'s paths (over the expanded tables) onto the YAML entries.
void SpecReader::add_validation_problems(const CoreSpec& spec) {
  std::set<std::string> seen;
  for (const auto& p : core::validate(spec.chip)) {
    std::string path = p.field;
    std::string message = p.message;
    std::string note;
    // Paths look like "cores[C].TABLE[I].REST", "cores[C].FIELD" or "cores[C].TABLE (count)".
    std::size_t c = 0;
    std::string table;
    int index = -1;
    std::size_t index_end = 0;  // position just past "[I]"
    if (path.rfind("cores[", 0) == 0) {
      const std::size_t close = path.find(']');
      c = std::stoul(path.substr(6, close - 6));
      const std::size_t start = close + 2;  // past "]."
      const std::size_t bracket = path.find('[', start);
      const std::size_t stop = path.find_first_of(". ", start);
      if (bracket != std::string::npos && (stop == std::string::npos || bracket < stop)) {
        table = path.substr(start, bracket - start);
        index_end = path.find(']', bracket) + 1;
        index = std::stoi(path.substr(bracket + 1, index_end - bracket - 2));
      }
    }
    const bool known_core = c < groups_.size() && c < spec.chip.cores.size();
    const Groups* groups = nullptr;
    if (known_core && index >= 0) {
      const CoreGroups& g = groups_[c];
      groups = table == "compartments"    ? &g.compartments
               : table == "synapse_lists" ? &g.synapse_lists
               : table == "input_axons"   ? &g.input_axons
               : table == "output_axons"  ? &g.output_axons
                                          : nullptr;
    }
    if (groups && !groups->first.empty()) {
      const auto it = std::upper_bound(groups->first.begin(), groups->first.end(), index);
      const auto entry = static_cast<std::size_t>(it - groups->first.begin() - 1);
      const std::string head = fmt::format("cores[{}].{}[{}]", c, table, entry);
      std::string mapped = head + path.substr(index_end);
      if (groups->count[entry] > 1)
        note = fmt::format(" (element {} of the group of {}: {} index {})",
                           index - groups->first[entry], groups->count[entry], table, index);
      if (message.rfind(path, 0) == 0) message = mapped + message.substr(path.size());
      path = std::move(mapped);
    }
    if (!seen.insert(message).second) continue;  // one line per grouped entry is enough
    r_.add_problem(std::move(path), message + note);
  }
}

CoreSpec read_spec(const YAML::Node& root, const std::string& file_name,
                   const core::CoreLimits& limits) {
  return yaml::labelled(file_name, [&] { return SpecReader(file_name, limits).read(root); });
}

}  // namespace

CoreSpec parse_core_spec(const std::string& yaml_text, const std::string& file_name,
                         const core::CoreLimits& limits) {
  return read_spec(yaml::load_text(yaml_text, file_name), file_name, limits);
}

CoreSpec read_core_spec(const std::filesystem::path& file, const core::CoreLimits& limits) {
  return read_spec(yaml::load_file(file, "spec file"), file.string(), limits);
}

std::optional<std::string> run_size_problem(std::int64_t steps, std::int64_t compartments) {
  if (steps < 1 || steps > kMaxCoreRunSteps)
    return fmt::format("the number of steps must be in the allowed range 1..{}", kMaxCoreRunSteps);
  if (compartments > 0 && steps > kMaxTraceEntries / compartments)
    return fmt::format(
        "{} steps x {} compartments = {} trace entries exceed the allowed maximum of {} "
        "(the traces are held in memory); the allowed range for steps is 1..{}",
        steps, compartments, steps * compartments, kMaxTraceEntries,
        kMaxTraceEntries / compartments);
  return std::nullopt;
}

}  // namespace loihisim
