#include "runtime/core_spec_io.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "core/fixed_point.hpp"
#include "runtime/core_run.hpp"
#include "runtime/errors.hpp"

namespace loihisim {
namespace {

constexpr std::size_t kMaxReportedProblems = 20;
// Raster spikes are held in memory; a spec asking for more is almost certainly a mistake.
constexpr std::int64_t kMaxHostSpikes = 10'000'000;
constexpr std::int64_t kMaxGroupCount = 1 << 20;

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

std::string join(std::initializer_list<std::string_view> names) {
  std::string s;
  for (auto n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? fmt::format("the quoted string \"{}\"", n.Scalar())
                            : fmt::format("'{}'", n.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// "0, 1, 2, 3, 4, 5, 6, 8": the weight widths core::valid_weight_bits() accepts.
std::string allowed_weight_bits() {
  std::string s;
  for (int b = 0; b <= 8; ++b) {
    if (!core::valid_weight_bits(b)) continue;
    if (!s.empty()) s += ", ";
    s += std::to_string(b);
  }
  return s;
}

// A problem found after reading (range, limit or raster): `path` is the YAML key path and
// `message` starts with it.
struct Problem {
  std::string path;
  std::string message;
};

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
      : file_(std::move(file)), limits_(limits) {}

  CoreSpec read(const YAML::Node& root);

 private:
  // --- syntax and types (the first such error is thrown at once)
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", file_, line_of(at), message));
  }
  static int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
  }

  // `node` must be a mapping whose keys are all in `allowed`, each once.
  void check_map(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap())
      fail(node, fmt::format("{}: expected a mapping with keys {}, got {}",
                             path.empty() ? "top level" : path, join(allowed), describe(node)));
    lines_[path] = line_of(node);
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const YAML::Node key = entry.first;  // a copy: the iterator's pair is a temporary
      if (!key.IsScalar())
        fail(key, fmt::format("{}: keys must be names, got {}", path.empty() ? "top level" : path,
                              describe(key)));
      const std::string& name = key.Scalar();
      const std::string at = child(path, name);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        fail(key, fmt::format("{}: unknown key '{}' (allowed keys: {})", at, name, join(allowed)));
      if (!seen.insert(name).second) fail(key, fmt::format("{}: duplicate key '{}'", at, name));
      lines_[at] = line_of(key);
    }
  }

  YAML::Node required(const YAML::Node& map, const std::string& path, const char* key,
                      std::string_view what) const {
    YAML::Node n = map[key];
    if (!n.IsDefined())
      fail(map, fmt::format("{}: missing required key '{}' ({})", child(path, key), key, what));
    return n;
  }
  static std::optional<YAML::Node> optional(const YAML::Node& map, const char* key) {
    YAML::Node n = map[key];
    if (!n.IsDefined()) return std::nullopt;
    return n;
  }

  // A decimal integer (optional sign, digits only) that fits 64 bits.
  std::int64_t integer64(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar() || n.Tag() == "!")
      fail(n, fmt::format("{}: expected an integer, got {}", path, describe(n)));
    std::string_view s = n.Scalar();
    std::string_view digits = s;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    const bool well_formed =
        !digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!well_formed) fail(n, fmt::format("{}: expected an integer, got {}", path, describe(n)));
    if (s[0] == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size())
      fail(n, fmt::format("{} = {} does not fit a 64-bit integer", path, n.Scalar()));
    return v;
  }
  // An integer that fits the 32 bits the hardware tables hold; the field's own range is
  // checked by core::validate().
  std::int32_t integer(const YAML::Node& n, const std::string& path) const {
    const std::int64_t v = integer64(n, path);
    if (v < std::numeric_limits<std::int32_t>::min() ||
        v > std::numeric_limits<std::int32_t>::max())
      fail(n, fmt::format("{} = {} does not fit a 32-bit integer (allowed range {}..{})", path, v,
                          std::numeric_limits<std::int32_t>::min(),
                          std::numeric_limits<std::int32_t>::max()));
    return static_cast<std::int32_t>(v);
  }
  // An integer whose range is checked here because it sizes something the reader builds.
  std::int32_t integer_in(const YAML::Node& n, const std::string& path, std::int64_t lo,
                          std::int64_t hi, std::string_view what = {}) const {
    const std::int64_t v = integer64(n, path);
    if (v < lo || v > hi)
      fail(n, fmt::format("{} = {} is outside the allowed range {}..{}{}", path, v, lo, hi, what));
    return static_cast<std::int32_t>(v);
  }
  std::vector<std::int32_t> integers(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence())
      fail(n, fmt::format("{}: expected a list of integers, got {}", path, describe(n)));
    std::vector<std::int32_t> out;
    out.reserve(n.size());
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(integer(n[i], item(path, i)));
    return out;
  }
  int choice(const YAML::Node& n, const std::string& path,
             std::initializer_list<std::string_view> names) const {
    if (n.IsScalar() && n.Tag() != "!") {
      const auto it = std::find(names.begin(), names.end(), n.Scalar());
      if (it != names.end()) return static_cast<int>(it - names.begin());
    }
    fail(n, fmt::format("{} = {} is not one of {}", path, describe(n), join(names)));
  }
  YAML::Node sequence(const YAML::Node& n, const std::string& path, std::string_view what) {
    if (!n.IsSequence())
      fail(n, fmt::format("{}: expected a list of {}, got {}", path, what, describe(n)));
    lines_[path] = line_of(n);
    return n;
  }
  // The optional `count` of a grouped entry. Its own bound only keeps the sums exact; the
  // table's total is checked against the per-core limit before anything is expanded.
  int count_of(const YAML::Node& entry, const std::string& path) const {
    const auto n = optional(entry, "count");
    return n ? integer_in(*n, child(path, "count"), 1, kMaxGroupCount) : 1;
  }

  // --- the sections
  void read_core(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                 CoreGroups& groups);
  core::CompartmentProfile read_profile(const YAML::Node& n, const std::string& path);
  core::SynapseFormat read_format(const YAML::Node& n, const std::string& path);
  void read_compartments(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                         Groups& groups);
  void read_synapse_lists(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                          Groups& groups);
  void read_input_axons(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                        Groups& groups);
  void read_output_axons(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                         Groups& groups);
  void read_inputs(const YAML::Node& n, CoreSpec& spec);
  // A grouped table whose expanded size `total` exceeds `capacity`.
  void check_table_size(const YAML::Node& node, const std::string& path, std::int64_t total,
                        std::int64_t capacity, std::string_view why) const;

  // --- problems found after reading, reported together
  void add_validation_problems(const CoreSpec& spec);
  [[noreturn]] void throw_problems() const;
  int line_of_path(std::string path) const;

  std::string file_;
  core::CoreLimits limits_;
  std::map<std::string, int> lines_;  // YAML key path -> 1-based line
  std::vector<CoreGroups> groups_;
  std::vector<Problem> problems_;
};

CoreSpec SpecReader::read(const YAML::Node& root) {
  if (root.IsNull() || !root.IsDefined())
    throw InputError(
        fmt::format("{}: the spec is empty (expected a mapping with keys steps, "
                    "cores, inputs)",
                    file_));
  check_map(root, "", {"steps", "cores", "inputs"});
  CoreSpec spec;
  spec.source = file_;
  spec.chip.limits = limits_;
  spec.steps = integer_in(required(root, "", "steps", "the number of timesteps to run"), "steps", 1,
                          kMaxCoreRunSteps);

  const YAML::Node cores =
      sequence(required(root, "", "cores", "a list of cores"), "cores", "cores");
  if (cores.size() == 0) fail(cores, "cores: the list is empty; a spec needs at least one core");
  groups_.resize(cores.size());
  spec.chip.cores.resize(cores.size());
  for (std::size_t c = 0; c < cores.size(); ++c)
    read_core(cores[c], item("cores", c), spec.chip.cores[c], groups_[c]);

  std::int64_t total_compartments = 0;
  for (const auto& c : spec.chip.cores)
    total_compartments += static_cast<std::int64_t>(c.compartments.size());
  if (auto why = run_size_problem(spec.steps, total_compartments))
    problems_.push_back({"steps", fmt::format("steps = {}: {}", spec.steps, *why)});

  if (auto inputs = optional(root, "inputs")) read_inputs(*inputs, spec);
  add_validation_problems(spec);
  if (!problems_.empty()) throw_problems();
  return spec;
}

void SpecReader::read_core(const YAML::Node& n, const std::string& path, core::CoreConfig& cfg,
                           CoreGroups& groups) {
  check_map(n, path,
            {"accumulator_depth", "profiles", "formats", "compartments", "synapse_lists",
             "input_axons", "output_axons"});
  // cfg starts as core::CoreConfig{}, whose accumulator_depth is the default.
  if (auto d = optional(n, "accumulator_depth"))
    cfg.accumulator_depth = integer(*d, child(path, "accumulator_depth"));

  const std::string pp = child(path, "profiles");
  const YAML::Node profiles = sequence(
      required(n, path, "profiles", "a list of compartment profiles"), pp, "compartment profiles");
  for (std::size_t i = 0; i < profiles.size(); ++i)
    cfg.profiles.push_back(read_profile(profiles[i], item(pp, i)));

  if (auto f = optional(n, "formats")) {
    const std::string fp = child(path, "formats");
    const YAML::Node formats = sequence(*f, fp, "synapse formats");
    for (std::size_t i = 0; i < formats.size(); ++i)
      cfg.formats.push_back(read_format(formats[i], item(fp, i)));
  }
  read_compartments(required(n, path, "compartments", "a list of compartments or groups"),
                    child(path, "compartments"), cfg, groups.compartments);
  if (auto s = optional(n, "synapse_lists"))
    read_synapse_lists(*s, child(path, "synapse_lists"), cfg, groups.synapse_lists);
  if (auto a = optional(n, "input_axons"))
    read_input_axons(*a, child(path, "input_axons"), cfg, groups.input_axons);
  if (auto a = optional(n, "output_axons"))
    read_output_axons(*a, child(path, "output_axons"), cfg, groups.output_axons);
}

core::CompartmentProfile SpecReader::read_profile(const YAML::Node& n, const std::string& path) {
  check_map(n, path,
            {"decay_u", "decay_v", "vth_mant", "refract_delay", "vmin_exp", "vmax_exp", "reset",
             "spike", "payload_shift"});
  core::CompartmentProfile p;
  const auto get = [&](const char* key, std::string_view what) {
    return integer(required(n, path, key, what), child(path, key));
  };
  p.decay_u = get("decay_u", fmt::format("current decay, 0..{} in units of 1/{}", core::kMaxDecay,
                                         core::kDecayOne));
  p.decay_v = get("decay_v", fmt::format("voltage decay, 0..{} in units of 1/{}", core::kMaxDecay,
                                         core::kDecayOne));
  p.vth_mant = get("vth_mant", fmt::format("threshold mantissa, 0..{}; vth = vth_mant * {}",
                                           core::kMaxVthMant, 1 << core::kThresholdShift));
  p.refract_delay =
      get("refract_delay", fmt::format("refractory delay, 1..{} steps", core::kMaxRefractDelay));
  p.vmin_exp = get("vmin_exp", fmt::format("0..{}; vmin = -(2^vmin_exp - 1)", core::kMaxVminExp));
  p.vmax_exp =
      get("vmax_exp", fmt::format("0..{}; vmax = 2^(9 + 2 vmax_exp) - 1", core::kMaxVmaxExp));
  if (auto r = optional(n, "reset"))
    p.reset = choice(*r, child(path, "reset"), {"zero", "subtract"}) == 0
                  ? core::ResetMode::kZero
                  : core::ResetMode::kSubtract;
  if (auto s = optional(n, "spike"))
    p.spike = choice(*s, child(path, "spike"), {"binary", "graded"}) == 0
                  ? core::SpikeKind::kBinary
                  : core::SpikeKind::kGraded;
  if (auto s = optional(n, "payload_shift"))
    p.payload_shift = integer(*s, child(path, "payload_shift"));
  return p;
}

core::SynapseFormat SpecReader::read_format(const YAML::Node& n, const std::string& path) {
  check_map(n, path, {"weight_bits", "sign", "weight_exp", "delay_bits", "index_bits", "tag_bits"});
  core::SynapseFormat f;
  const auto get = [&](const char* key, std::string_view what) {
    return integer(required(n, path, key, what), child(path, key));
  };
  f.weight_bits = get("weight_bits", "one of " + allowed_weight_bits());
  switch (choice(required(n, path, "sign", "mixed, excitatory or inhibitory"), child(path, "sign"),
                 {"mixed", "excitatory", "inhibitory"})) {
    case 0:
      f.sign = core::SignMode::kMixed;
      break;
    case 1:
      f.sign = core::SignMode::kExcitatory;
      break;
    default:
      f.sign = core::SignMode::kInhibitory;
      break;
  }
  f.weight_exp = get("weight_exp", fmt::format("-{0}..{0}; w_eff = w8 * 2^({1} + weight_exp)",
                                               core::kMaxWeightExp, core::kWeightShift));
  f.delay_bits =
      get("delay_bits", fmt::format("0..{} bits of per-synapse delay", core::kMaxDelayBits));
  f.index_bits =
      get("index_bits", fmt::format("0 for a dense list, {}..{} for a sparse one",
                                    core::kMinSparseIndexBits, core::kMaxSparseIndexBits));
  if (auto t = optional(n, "tag_bits")) f.tag_bits = integer(*t, child(path, "tag_bits"));
  return f;
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

void SpecReader::check_table_size(const YAML::Node& node, const std::string& path,
                                  std::int64_t total, std::int64_t capacity,
                                  std::string_view why) const {
  if (total > capacity)
    fail(node, fmt::format("{} (count) = {} is outside the allowed range 0..{}{}", path, total,
                           capacity, why));
}

void SpecReader::read_compartments(const YAML::Node& node, const std::string& path,
                                   core::CoreConfig& cfg, Groups& groups) {
  const YAML::Node list = sequence(node, path, "compartments or compartment groups");
  const int depth = std::clamp(cfg.accumulator_depth, limits_.min_accumulator_depth,
                               limits_.max_accumulator_depth);
  const int capacity = core::compartment_capacity(limits_, depth);
  std::vector<Entry<core::CompartmentConfig>> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = item(path, i);
    const YAML::Node e = list[i];
    check_map(e, at, {"count", "profile", "bias_mant", "bias_exp"});
    Entry<core::CompartmentConfig> entry;
    entry.count = count_of(e, at);
    entry.value.profile =
        integer(required(e, at, "profile", "index into the core's profiles"), child(at, "profile"));
    if (auto b = optional(e, "bias_mant"))
      entry.value.bias_mant = integer(*b, child(at, "bias_mant"));
    if (auto b = optional(e, "bias_exp")) entry.value.bias_exp = integer(*b, child(at, "bias_exp"));
    entries.push_back(entry);
  }
  check_table_size(list, path, total_count(entries), capacity,
                   depth > limits_.accumulator_slots / limits_.max_compartments
                       ? fmt::format(" ({} accumulator slots / accumulator_depth {})",
                                     limits_.accumulator_slots, depth)
                       : std::string());
  record_groups(entries, groups);
  for (const auto& e : entries)
    cfg.compartments.insert(cfg.compartments.end(), static_cast<std::size_t>(e.count), e.value);
}

void SpecReader::read_synapse_lists(const YAML::Node& node, const std::string& path,
                                    core::CoreConfig& cfg, Groups& groups) {
  const YAML::Node list = sequence(node, path, "synapse lists");
  std::vector<Entry<core::SynapseList>> entries;
  std::int64_t synapses = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = item(path, i);
    const YAML::Node e = list[i];
    check_map(e, at, {"count", "format", "weights", "index", "delay"});
    Entry<core::SynapseList> entry;
    entry.count = count_of(e, at);
    core::SynapseList& l = entry.value;
    l.format =
        integer(required(e, at, "format", "index into the core's formats"), child(at, "format"));
    const YAML::Node w = required(e, at, "weights", "the stored weight mantissas");
    l.mantissa = integers(w, child(at, "weights"));
    lines_[child(at, "weights")] = line_of(w);
    if (auto x = optional(e, "index")) l.index = integers(*x, child(at, "index"));
    if (auto x = optional(e, "delay")) l.delay = integers(*x, child(at, "delay"));
    synapses +=
        static_cast<std::int64_t>(entry.count) * static_cast<std::int64_t>(l.mantissa.size());
    entries.push_back(std::move(entry));
  }
  // A list is reached only through an input axon, so a core needs no more lists than it may
  // have input axons.
  check_table_size(list, path, total_count(entries), limits_.max_input_axons,
                   " (a synapse list is reached only through an input axon)");
  // Every synapse costs at least one bit of synapse memory (a 64-bit word holds at most one
  // block of 64 synapses), so more synapses than memory bits cannot fit, whatever the formats.
  if (synapses > limits_.synapse_memory_bits)
    fail(list, fmt::format("{}: {} synapses exceed the per-core synapse memory of {} bits "
                           "(every synapse costs at least one bit)",
                           path, synapses, limits_.synapse_memory_bits));
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

void SpecReader::read_input_axons(const YAML::Node& node, const std::string& path,
                                  core::CoreConfig& cfg, Groups& groups) {
  const YAML::Node list = sequence(node, path, "input axons");
  struct Axons {
    std::int64_t list = 0, base = 0, list_step = 0, base_step = 0;
  };
  std::vector<Entry<Axons>> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = item(path, i);
    const YAML::Node e = list[i];
    check_map(e, at, {"count", "synapse_list", "base", "synapse_list_step", "base_step"});
    Entry<Axons> entry;
    entry.count = count_of(e, at);
    entry.value.list =
        integer(required(e, at, "synapse_list", "index into the core's synapse lists"),
                child(at, "synapse_list"));
    entry.value.base =
        integer(required(e, at, "base", "first target compartment"), child(at, "base"));
    if (auto x = optional(e, "synapse_list_step"))
      entry.value.list_step = integer(*x, child(at, "synapse_list_step"));
    if (auto x = optional(e, "base_step"))
      entry.value.base_step = integer(*x, child(at, "base_step"));
    entries.push_back(entry);
  }
  check_table_size(list, path, total_count(entries), limits_.max_input_axons, {});
  record_groups(entries, groups);
  for (const auto& e : entries)
    for (std::int64_t k = 0; k < e.count; ++k)  // |k * step| < 2^12 * 2^31: no overflow
      cfg.input_axons.push_back({clamp_to_int(e.value.list + k * e.value.list_step),
                                 clamp_to_int(e.value.base + k * e.value.base_step)});
}

void SpecReader::read_output_axons(const YAML::Node& node, const std::string& path,
                                   core::CoreConfig& cfg, Groups& groups) {
  const YAML::Node list = sequence(node, path, "output axons");
  std::vector<Entry<core::OutputAxon>> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = item(path, i);
    const YAML::Node e = list[i];
    check_map(e, at, {"count", "source", "dest_core", "dest_axon"});
    Entry<core::OutputAxon> entry;
    entry.count = count_of(e, at);
    entry.value.source = integer(
        required(e, at, "source", "the compartment of this core that fires"), child(at, "source"));
    entry.value.dest_core =
        integer(required(e, at, "dest_core", "index into cores"), child(at, "dest_core"));
    entry.value.dest_axon = integer(
        required(e, at, "dest_axon", "input axon of the destination core"), child(at, "dest_axon"));
    entries.push_back(entry);
  }
  check_table_size(list, path, total_count(entries), limits_.max_output_axons, {});
  record_groups(entries, groups);
  for (const auto& e : entries)
    for (std::int64_t k = 0; k < e.count; ++k)
      cfg.output_axons.push_back({clamp_to_int(e.value.source + k), e.value.dest_core,
                                  clamp_to_int(e.value.dest_axon + k)});
}

void SpecReader::read_inputs(const YAML::Node& node, CoreSpec& spec) {
  const YAML::Node list = sequence(node, "inputs", "raster entries");
  const auto n_cores = static_cast<std::int64_t>(spec.chip.cores.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = item("inputs", i);
    const YAML::Node e = list[i];
    check_map(e, at, {"step", "steps", "core", "axons", "payload"});
    std::vector<int> steps;
    const auto one = optional(e, "step");
    const auto many = optional(e, "steps");
    if (one && many) fail(e, fmt::format("{}: give either 'step' or 'steps', not both", at));
    if (!one && !many)
      fail(e, fmt::format("{}: missing required key 'step' (or 'steps': a list of steps), "
                          "1..{}",
                          at, spec.steps));
    const auto check_step = [&](const YAML::Node& s, const std::string& p) {
      return integer_in(s, p, 1, spec.steps, " (steps are numbered from 1)");
    };
    if (one) {
      steps.push_back(check_step(*one, child(at, "step")));
    } else {
      const YAML::Node s = sequence(*many, child(at, "steps"), "steps");
      for (std::size_t k = 0; k < s.size(); ++k)
        steps.push_back(check_step(s[k], item(child(at, "steps"), k)));
    }
    const int c =
        integer_in(required(e, at, "core", "index into cores"), child(at, "core"), 0, n_cores - 1);
    const auto& cfg = spec.chip.cores[static_cast<std::size_t>(c)];
    const auto n_axons = static_cast<std::int64_t>(cfg.input_axons.size());
    const std::string ap = child(at, "axons");
    const YAML::Node axons =
        sequence(required(e, at, "axons", "input axons of the core"), ap, "input axons");
    std::vector<int> ids;
    for (std::size_t k = 0; k < axons.size(); ++k) {
      if (n_axons == 0)
        fail(axons[k], fmt::format("{} = {}: core {} has no input axons", item(ap, k),
                                   integer(axons[k], item(ap, k)), c));
      ids.push_back(integer_in(axons[k], item(ap, k), 0, n_axons - 1,
                               fmt::format(" (the input axons of core {})", c)));
    }
    std::int32_t payload = 1;
    if (auto p = optional(e, "payload"))
      payload =
          integer_in(*p, child(at, "payload"), -(std::int64_t{1} << core::kPayloadBits),
                     (std::int64_t{1} << core::kPayloadBits) - 1, " (24-bit signed spike payload)");
    if (static_cast<std::int64_t>(spec.inputs.size()) +
            static_cast<std::int64_t>(steps.size() * ids.size()) >
        kMaxHostSpikes)
      fail(e, fmt::format("inputs: more than {} raster spikes", kMaxHostSpikes));
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
    problems_.push_back({path, message + note});
  }
}

int SpecReader::line_of_path(std::string path) const {
  while (!path.empty()) {
    if (auto it = lines_.find(path); it != lines_.end()) return it->second;
    const std::size_t cut = path.find_last_of(".[ ");
    if (cut == std::string::npos) break;
    path.resize(cut);
  }
  return 0;
}

void SpecReader::throw_problems() const {
  const auto line = [&](const Problem& p) {
    const int l = line_of_path(p.path);
    return l > 0 ? fmt::format("{}:{}: {}", file_, l, p.message)
                 : fmt::format("{}: {}", file_, p.message);
  };
  if (problems_.size() == 1) throw InputError(line(problems_[0]));
  std::string s = fmt::format("{}: {} problems in the spec:", file_, problems_.size());
  for (std::size_t i = 0; i < problems_.size() && i < kMaxReportedProblems; ++i)
    s += "\n  " + line(problems_[i]);
  if (problems_.size() > kMaxReportedProblems)
    s += fmt::format("\n  ... and {} more", problems_.size() - kMaxReportedProblems);
  throw InputError(s);
}

}  // namespace

CoreSpec parse_core_spec(const std::string& yaml_text, const std::string& file_name,
                         const core::CoreLimits& limits) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw InputError(fmt::format("{}: malformed YAML: {}", file_name, e.msg));
    throw InputError(fmt::format("{}:{}:{}: malformed YAML: {}", file_name, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
  try {
    return SpecReader(file_name, limits).read(root);
  } catch (const YAML::Exception& e) {
    // Not expected (the reader never converts with as<>), but never let one escape unlabelled.
    throw InputError(fmt::format("{}: {}", file_name, e.what()));
  }
}

CoreSpec read_core_spec(const std::filesystem::path& file, const core::CoreLimits& limits) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw InputError(fmt::format("{}: is a directory, not a spec file", file.string()));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the spec file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("{}: cannot read the spec file", file.string()));
  return parse_core_spec(text.str(), file.string(), limits);
}

}  // namespace loihisim
