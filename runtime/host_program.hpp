// The host coprocessor's program: the network's host nodes (mapper::HostNode), checked once and
// executed every input symbol around the chip's T steps. Semantics in docs/running.md, "Host
// nodes".
//
// Values are named vectors. `symbol` is the current input symbol; an output port's name is its
// population's spike counts of this symbol; every host node output is a value. A node reading a
// value that no node has produced yet in this symbol gets the previous symbol's value (zeros at
// the start of a sample): that is how recurrence (h, c of an LSTM) is written.
//
// Stages per symbol: `encode`/`bias`/`integer_bias`/`integer_lti` nodes run before the chip, in
// the order written (they read `symbol`, the previous symbol's values, and the outputs of
// integer_lti nodes written before them), all others after it, in the order written; nodes
// with `when: sequence_end` run once after the last symbol.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mapper/mapped_image.hpp"
#include "runtime/encoders.hpp"
#include "runtime/host_arithmetic.hpp"

namespace loihisim {

enum class HostNodeKind : std::uint8_t {
  kEncode,       // inputs -> spikes into 1 (unsigned/graded) or 2 (positive, negative) input ports
  kBias,         // inputs -> biases of a population (direct current injection)
  kIntegerBias,  // inputs -> exact integer affine map -> biases of a population (direct encoding)
  kIntegerLti,   // [x, state] -> [payload, state]: an exact integer linear system (LMU memory)
  kRate,         // [port] -> count / T; [pos_port, neg_port] -> (pos - neg) / T
  kLstmCell,
  kLinear,
  kConcat,
  kMul,
  kAdd,
  kClamp,
  kPhi1,
  kPhi2,
  kSigmoid,
  kTanh,
};

struct CompiledHostNode {
  std::string name;
  HostNodeKind kind = HostNodeKind::kConcat;
  bool at_sequence_end = false;
  std::vector<int> inputs;   // value ids
  std::vector<int> outputs;  // value ids (encode: none; see ports)
  // encode
  EncoderConfig encoder;
  std::vector<int> ports;  // input-port indices in the image: [positive] or [positive, negative]
  // bias, integer_bias
  int population = -1;  // population index in the image
  // integer_bias: byte = rint((x + input_offset) x input_scale) in float32 (ties to even, in
  // 0..255), acc = weight . bytes (int64,
  // weight rows x cols), then per replica k and row r: round_half_away((acc[r] + offset[k][r]) /
  // divisor), saturated to +-saturate, is the bias of neuron k rows + r (encode_bias).
  std::vector<std::int64_t> int_weight, int_offset;
  std::size_t reps = 0;
  double input_scale = 1.0, input_offset = 0.0;
  std::int64_t divisor = 1, saturate = 4095 * 128;
  // integer_lti (docs/running.md, "Host nodes"): p = round(x input_scale) (half away from zero),
  // state' = (A state + B p + 2^(shift-1)) >> shift, payload = (state' + 2^(out_shift-1)) >>
  // out_shift; A is rows x rows (int_weight), B rows x cols (int_input), all exact integers.
  std::vector<std::int64_t> int_input;
  int shift = 0, out_shift = 0;
  // linear
  std::vector<double> weight, bias;  // represented in the host number format
  std::size_t rows = 0, cols = 0;
  // clamp
  double lo = -1.0, hi = 1.0;
  // lstm_cell: true = hybrid cell (phi1/phi2 gates arrive as rates, clamp c, h = o * phi2(c));
  // false = standard (h = o * tanh(c), no clamp).
  bool hybrid = true;
};

class HostProgram {
 public:
  // Checks every node against the image (ports, populations, sizes); throws InputError naming
  // the node, the key and the problem. `symbol_size` is the dataset's values per symbol.
  HostProgram(const mapper::MappedImage& image, std::size_t symbol_size, HostNumberFormat fmt);

  std::size_t num_values() const { return names_.size(); }
  int value_id(const std::string& name) const;  // -1 when unknown
  const std::string& value_name(int id) const { return names_[static_cast<std::size_t>(id)]; }
  std::size_t value_size(int id) const { return sizes_[static_cast<std::size_t>(id)]; }
  int symbol_value() const { return 0; }
  // Value id of output port k's counts.
  int port_value(std::size_t output_port) const { return port_values_[output_port]; }

  const std::vector<CompiledHostNode>& before_chip() const { return before_; }
  const std::vector<CompiledHostNode>& after_chip() const { return after_; }
  const std::vector<CompiledHostNode>& at_end() const { return end_; }
  HostNumberFormat format() const { return fmt_; }

  // Runs one after-chip or end node: reads values, writes its outputs. `steps` is T (rates).
  void run_node(const CompiledHostNode& n, std::vector<std::vector<double>>& values,
                HostArithmetic& h, int steps) const;
  // An integer_bias node's biases (target values before encode_bias), one per population neuron;
  // counts its multiply-accumulates on `h`. InputError when an input's byte is outside 0..255.
  std::vector<std::int64_t> integer_biases(const CompiledHostNode& n,
                                           const std::vector<std::vector<double>>& values,
                                           HostArithmetic& h) const;
  // Runs an integer_lti node (before the chip): writes its payload and state values; counts its
  // integer operations on `h`. InputError when a value leaves the exact range (2^53).
  void run_integer_lti(const CompiledHostNode& n, std::vector<std::vector<double>>& values,
                       HostArithmetic& h) const;
  // Gathers (and represents in the host format) an encode/bias node's concatenated inputs.
  std::vector<float> gather_inputs(const CompiledHostNode& n,
                                   const std::vector<std::vector<double>>& values) const;

 private:
  int add_value(const std::string& name, std::size_t size);
  // A value's size: known already, or inferred as an output (`produced`); nullopt otherwise.
  std::optional<std::size_t> size_of(const std::string& name,
                                     const std::map<std::string, std::size_t>& produced) const;
  // No node output overwrites the symbol or an output port, or another node's output.
  void check_outputs(const mapper::MappedImage& image) const;
  // Output sizes depend on input sizes, and inputs may be produced later (recurrence): inferred
  // by repeated passes until nothing changes.
  std::map<std::string, std::size_t> infer_output_sizes(
      const std::vector<mapper::HostNode>& nodes) const;
  // Checks node n and adds it to its stage, with values for its inputs and outputs.
  void compile(const mapper::MappedImage& image, const mapper::HostNode& n,
               const std::map<std::string, std::size_t>& produced);

  HostNumberFormat fmt_;
  std::vector<std::string> names_;
  std::vector<std::size_t> sizes_;
  std::map<std::string, int> ids_;
  std::vector<int> port_values_;
  std::vector<CompiledHostNode> before_, after_, end_;
};

HostNodeKind host_node_kind_from_string(const std::string& kind, const std::string& node);

}  // namespace loihisim
