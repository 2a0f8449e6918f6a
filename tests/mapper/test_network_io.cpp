// Network files: reading (inline arrays and HDF5 datasets), quantisation of real-valued
// descriptions, writing and reading back, and clear errors for malformed files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/network_io.hpp"
#include "mapper/quantize.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using namespace loihisim::mapper;

namespace {

using loihisim::testing::TempDir;

std::string error_of(const std::string& yaml, const fs::path& base = ".") {
  try {
    parse_network(yaml, "net.yaml", base);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const char* kHeader = R"(loihisim_network: 1
input_ports:
  - {name: in, size: 3}
populations:
  - name: p
    size: 2
    profile: {vth_mant: 10}
)";

void check_same(const Network& a, const Network& b) {
  CHECK(a.name == b.name);
  REQUIRE(a.populations().size() == b.populations().size());
  for (std::size_t i = 0; i < a.populations().size(); ++i) {
    const auto& x = a.population(a.populations()[i]);
    const auto& y = b.population(b.populations()[i]);
    CHECK(x.name == y.name);
    CHECK(x.size == y.size);
    CHECK(x.profile == y.profile);
    CHECK(x.bias_mant == y.bias_mant);
    CHECK(x.bias_exp == y.bias_exp);
    CHECK(x.dendrite == y.dendrite);
  }
  REQUIRE(a.input_ports().size() == b.input_ports().size());
  REQUIRE(a.projections().size() == b.projections().size());
  for (std::size_t i = 0; i < a.projections().size(); ++i) {
    const auto& x = a.projection(a.projections()[i]);
    const auto& y = b.projection(b.projections()[i]);
    CHECK(x.name == y.name);
    CHECK(x.source == y.source);
    CHECK(x.target == y.target);
    CHECK(x.format == y.format);
    CHECK(x.dense == y.dense);
    CHECK(x.pre == y.pre);
    CHECK(x.post == y.post);
    CHECK(x.weight == y.weight);
    CHECK(x.delay == y.delay);
    CHECK(x.uniform_delay == y.uniform_delay);
    CHECK(x.rate == y.rate);
  }
  REQUIRE(a.output_ports().size() == b.output_ports().size());
  CHECK(a.host_nodes() == b.host_nodes());
}

}  // namespace

TEST_CASE("network io: the tiny example reads with its real values quantised") {
  const Network net = read_network(fs::path(LOIHISIM_SOURCE_DIR) / "examples/networks/tiny.yaml");
  CHECK(net.name == "tiny");
  REQUIRE(net.populations().size() == 2);
  const auto& hidden = net.population(net.populations()[0]);
  CHECK(hidden.bias_mant == std::vector<std::int32_t>{0, 10, -10});
  CHECK(hidden.bias_exp == std::vector<std::int32_t>{2, 2, 2});
  const auto& out = net.population(net.populations()[1]);
  CHECK(out.profile.decay_u == 905);
  CHECK(out.profile.decay_v == 248);
  CHECK(out.profile.vth_mant == 100);
  CHECK(out.bias_mant == std::vector<std::int32_t>{320, 320});
  REQUIRE(net.projections().size() == 2);
  const auto& sp = net.projection(net.projections()[1]);
  CHECK_FALSE(sp.dense);
  // 100 w rounded to multiples of 4 (6 excitatory bits): 100, 50 -> 52, 200, 25 -> 24.
  CHECK(sp.weight == std::vector<std::int16_t>{100, 52, 200, 24});
  CHECK(sp.delay == std::vector<std::uint8_t>{0, 1, 2, 0});
  CHECK(sp.rate == 0.1);
}

TEST_CASE("network io: quantisation of real neurons, biases and weights") {
  RealNeuron n;
  n.dt = 1;
  n.tau_v = 16;
  n.decay_u = 0.5;  // u loses half per step: decay_u = 2048 - 1
  n.threshold = 2.5;
  n.scale = 1000;  // vth_mant = round(2500 / 64) = round(39.06) = 39
  const auto p = quantize_neuron(n, "x");
  CHECK(p.decay_v == 248);
  CHECK(p.decay_u == 2047);
  CHECK(p.vth_mant == 39);

  CHECK(quantize_bias(4095, "b") == QuantizedBias{4095, 0});
  CHECK(quantize_bias(4096, "b") == QuantizedBias{2048, 1});
  CHECK(quantize_bias(-10000, "b") == QuantizedBias{-2500, 2});
  CHECK(quantize_bias(4095.0 * 128, "b") == QuantizedBias{4095, 7});
  CHECK_THROWS_AS(quantize_bias(4096.0 * 128, "b"), InputError);

  core::SynapseFormat f;  // 8 bits, mixed: even values, |m| <= 254
  CHECK(quantize_weights({1.0, -3.0, 2.9}, 10.0, f, false, "w") ==
        std::vector<std::int16_t>{10, -30, 30});
  try {
    quantize_weights({0, 0, 0, 0, 30.0, 0}, 10.0, f, false, "projection 'q'", 3);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(contains(e.what(), "projection 'q'"));
    CHECK(contains(e.what(), "[target 1, source 1]"));
    CHECK(contains(e.what(), "<= 254"));
  }
  std::int64_t saturated = 0;
  CHECK(quantize_weights({30.0, -30.0}, 10.0, f, true, "w", 0, &saturated) ==
        std::vector<std::int16_t>{254, -254});
  CHECK(saturated == 2);
}

TEST_CASE("network io: write and read back, inline and through HDF5") {
  TempDir s("network_io");
  Network net;
  net.name = "roundtrip";
  net.add_input_port({"in", 40});
  Population p;
  p.name = "p";
  p.size = 30;
  p.profile.vth_mant = 77;
  p.profile.decay_u = 12;
  p.profile.reset = core::ResetMode::kSubtract;
  for (int i = 0; i < 30; ++i) {
    p.bias_mant.push_back(i * 7 - 100);
    p.bias_exp.push_back(i % 8);
  }
  net.add_population(p);
  Projection d;  // 30 x 40 = 1200 weights: goes to the HDF5 file
  d.name = "dense";
  d.source = "in";
  d.target = "p";
  d.format.delay_bits = 3;
  for (int k = 0; k < 1200; ++k) {
    d.weight.push_back(static_cast<std::int16_t>(2 * ((k * 37) % 255 - 127)));
    d.delay.push_back(static_cast<std::uint8_t>(k % 8));
  }
  net.add_projection(d);
  Projection sp;  // small: inline
  sp.name = "sparse";
  sp.source = "p";
  sp.target = "p";
  sp.dense = false;
  sp.format = {4, core::SignMode::kInhibitory, -2, 0, 0, 0};
  sp.pre = {0, 1, 29};
  sp.post = {5, 5, 0};
  sp.weight = {-16, 0, -240};
  sp.rate = 0.25;
  net.add_projection(sp);
  net.add_output_port({"counts", "p"});
  HostNode h;
  h.name = "readout";
  h.kind = "linear";
  h.inputs = {"counts"};
  h.outputs = {"result"};
  h.params = {{"classes", "10"}};
  h.arrays["w"] = HostArray{{10, 30}, std::vector<double>(300, 0.125)};
  h.arrays["b"] = HostArray{{10}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10.5}};
  net.add_host_node(h);

  const fs::path yaml = s.path / "net.yaml";
  write_network(net, yaml);
  CHECK(fs::exists(s.path / "net.h5"));
  const Network back = read_network(yaml);
  check_same(net, back);
  // And again from the re-read network: the canonical form is stable.
  write_network(back, s.path / "again.yaml");
  check_same(net, read_network(s.path / "again.yaml"));

  // Two-compartment neurons: the dendrite's profile and biases (through HDF5 when large).
  Network two;
  two.name = "two";
  Population q = p;
  q.name = "q";
  q.size = 100;
  q.bias_mant.assign(100, -32);
  q.bias_exp.clear();
  Dendrite dd;
  dd.profile.decay_u = 4095;
  dd.profile.vth_mant = core::kMaxVthMant;
  for (int i = 0; i < 100; ++i) dd.bias_mant.push_back(512 + i);
  dd.bias_exp.assign(100, 6);
  q.dendrite = dd;
  two.add_population(q);
  write_network(two, s.path / "two.yaml");
  CHECK(fs::exists(s.path / "two.h5"));
  check_same(two, read_network(s.path / "two.yaml"));

  // A small network needs no companion file.
  Network tiny;
  tiny.name = "t";
  tiny.add_population(p);
  write_network(tiny, s.path / "tiny.yaml");
  CHECK_FALSE(fs::exists(s.path / "tiny.h5"));
  check_same(tiny, read_network(s.path / "tiny.yaml"));
}

TEST_CASE("network io: datasets are read from the arrays file with checked shapes") {
  TempDir s("network_io_ds");
  {
    auto root = h5::create_file((s.path / "arr.h5").string());
    root.write<std::int32_t>("w", {2, 4, 6, 8, 10, 12}, {2, 3});
    root.write<double>("wr", {0.5, 1.0, 1.5, 2.0, 2.5, 3.0}, {2, 3});
    root.write<std::int32_t>("flat", {2, 4}, {2});
  }
  const std::string base = std::string("loihisim_network: 1\narrays: arr.h5\n") + R"(
input_ports: [{name: in, size: 3}]
populations: [{name: p, size: 2, profile: {vth_mant: 10}}]
projections:
  - name: a
    source: in
    target: p
    format: {weight_bits: 8}
)";
  const Network net = parse_network(base + "    dense: {dataset: /w}\n", "net.yaml", s.path);
  CHECK(net.projection(net.projections()[0]).weight ==
        std::vector<std::int16_t>{2, 4, 6, 8, 10, 12});
  const Network real =
      parse_network(base + "    weight_unit: real\n    scale: 4.0\n    dense: {dataset: /wr}\n",
                    "net.yaml", s.path);
  CHECK(real.projection(real.projections()[0]).weight ==
        std::vector<std::int16_t>{2, 4, 6, 8, 10, 12});

  auto msg = error_of(base + "    dense: {dataset: /flat}\n", s.path);
  CHECK(contains(msg, "net.yaml:"));
  CHECK(contains(msg, "projections[0].dense"));
  CHECK(contains(msg, "shape [2] does not match the expected [2, 3]"));
  msg = error_of(base + "    dense: {dataset: /nope}\n", s.path);
  CHECK(contains(msg, "projections[0].dense"));
  CHECK(contains(msg, "/nope"));
  // Fractional values cannot be integer mantissas.
  msg = error_of(base + "    dense: {dataset: /wr}\n", s.path);
  CHECK(contains(msg, "projections[0].dense"));
  msg = error_of(std::string("loihisim_network: 1\narrays: missing.h5\n") +
                     "populations: [{name: p, size: 2, profile: {}, bias_mant: {dataset: /b}}]\n",
                 s.path);
  CHECK(contains(msg, "missing.h5"));
  msg = error_of(
      "loihisim_network: 1\npopulations: [{name: p, size: 2, profile: {}, bias_mant: "
      "{dataset: /b}}]\n");
  CHECK(contains(msg, "populations[0].bias_mant"));
  CHECK(contains(msg, "no 'arrays:' key"));
}

TEST_CASE("network io: malformed files are rejected with the file, line, key and limit") {
  SUBCASE("unknown key") {
    const auto msg = error_of(std::string(kHeader) + "    sizee: 3\n");
    CHECK(contains(msg, "net.yaml:8:"));
    CHECK(contains(msg, "populations[0].sizee: unknown key 'sizee'"));
  }
  SUBCASE("missing key") {
    const auto msg = error_of("loihisim_network: 1\npopulations:\n  - name: p\n    profile: {}\n");
    CHECK(contains(msg, "populations[0].size: missing required key 'size'"));
  }
  SUBCASE("missing version") {
    CHECK(contains(error_of("populations: []\n"), "missing required key 'loihisim_network'"));
    CHECK(contains(error_of("loihisim_network: 2\n"), "loihisim_network = 2 is outside"));
  }
  SUBCASE("dangling reference") {
    const auto msg = error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: nope, format: {weight_bits: 8}, dense: [[2, 2, 2]]}
)");
    CHECK(contains(msg, "projections[0].target = 'nope' names no population"));
    CHECK(contains(error_of(std::string(kHeader) + "output_ports: [{name: o, population: q}]\n"),
                   "population 'q' names no population"));
  }
  SUBCASE("shape mismatch") {
    const auto msg = error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 8}, dense: [[2, 2], [2, 2]]}
)");
    CHECK(contains(msg, "projections[0].dense: shape [2, 2] does not match the expected [2, 3]"));
    const auto ragged = error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 8}, dense: [[2, 2, 2], [2, 2]]}
)");
    CHECK(contains(ragged, "projections[0].dense[1]: expected a row of 3 numbers"));
    const auto bias = error_of(std::string(kHeader) + "    bias_mant: [1, 2, 3]\n");
    CHECK(contains(bias, "populations[0].bias_mant: shape [3] does not match the expected [2]"));
  }
  SUBCASE("weights that do not fit") {
    const auto msg = error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 8}, dense: [[2, 3, 2], [2, 2, 2]]}
)");
    CHECK(contains(msg, "projections[0].dense: weight [0, 1] = 3 is not storable"));
    CHECK(contains(msg, "multiples of 2"));
    const auto real = error_of(std::string(kHeader) + R"(projections:
  - name: x
    source: in
    target: p
    format: {weight_bits: 8}
    weight_unit: real
    scale: 100
    sparse: {pre: [0, 2], post: [1, 1], weight: [1.0, 3.0]}
)");
    CHECK(contains(real, "projection 'x': weight 1 = 3"));
    CHECK(contains(real, "saturate: true"));
    const Network sat = parse_network(std::string(kHeader) + R"(projections:
  - name: x
    source: in
    target: p
    format: {weight_bits: 8}
    weight_unit: real
    scale: 100
    saturate: true
    sparse: {pre: [0, 2], post: [1, 1], weight: [1.0, 3.0]}
)",
                                      "net.yaml");
    CHECK(sat.projection(sat.projections()[0]).weight == std::vector<std::int16_t>{100, 254});
  }
  SUBCASE("out-of-range values") {
    CHECK(contains(error_of(std::string(kHeader) + "    bias_exp: 8\n"),
                   "populations[0].bias_exp = 8 is outside the allowed range 0..7"));
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: p, size: 1, profile: "
                            "{decay_u: 4096}}]\n"),
                   "populations[0].profile.decay_u = 4096 is outside the allowed range 0..4095"));
    CHECK(contains(error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 7}, dense: [[2, 2, 2], [2, 2, 2]]}
)"),
                   "projections[0].format.weight_bits = 7 is not one of the allowed values"));
    CHECK(contains(error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 8, delay_bits: 2}, delay: 4,
     dense: [[2, 2, 2], [2, 2, 2]]}
)"),
                   "projections[0].delay = 4 is outside the allowed range 0..3"));
    CHECK(contains(error_of(std::string(kHeader) + R"(projections:
  - {name: x, source: in, target: p, format: {weight_bits: 8}, sparse: {pre: [3], post: [0], weight: [2]}}
)"),
                   "projections[0].sparse.pre[0] = 3 is outside the source 'in' (0..2)"));
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: p, size: 1, neuron: "
                            "{threshold: 1e9, scale: 64}}]\n"),
                   "vth_mant"));
  }
  SUBCASE("names and kinds") {
    CHECK(contains(error_of("loihisim_network: 1\ninput_ports: [{name: p, size: 1}]\n"
                            "populations: [{name: p, size: 1, profile: {}}]\n"),
                   "population name 'p' is already used by the input port of that name"));
    CHECK(contains(
        error_of("loihisim_network: 1\npopulations: [{name: a/b, size: 1, profile: {}}]\n"),
        "name 'a/b' is not allowed"));
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: p, size: 1}]\n"),
                   "missing required key 'profile' (hardware units) or 'neuron'"));
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: p, size: 1, profile: {}, "
                            "bias: 0.5}]\n"),
                   "'bias' (real units) goes with 'neuron'"));
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: p, size: 1, profile: "
                            "{reset: soft}}]\n"),
                   "populations[0].profile.reset = 'soft' is not one of: zero, subtract"));
    CHECK(contains(
        error_of("loihisim_network: 1\npopulations: [{name: p, size: two, profile: {}}]\n"),
        "populations[0].size: expected an integer, got 'two'"));
  }
  SUBCASE("host node references") {
    CHECK(contains(error_of(std::string(kHeader) +
                            "host_nodes: [{name: h, kind: k, inputs: [ghost], outputs: []}]\n"),
                   "host node 'h': input 'ghost' names no output port and no host node output"));
    CHECK(contains(error_of(std::string(kHeader) + "output_ports: [{name: op, population: p}]\n" +
                            "host_nodes: [{name: h, kind: k, inputs: [], outputs: [op]}]\n"),
                   "output 'op' names an output port"));
    // A population is a valid output: a `bias` host node drives its biases.
    CHECK(error_of(std::string(kHeader) +
                   "host_nodes: [{name: h, kind: bias, inputs: [], outputs: [p]}]\n") ==
          "(no error)");
  }
  SUBCASE("YAML syntax") {
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [\n"), "malformed YAML"));
  }
  SUBCASE("missing file") {
    try {
      read_network("/nonexistent/net.yaml");
      FAIL("expected an error");
    } catch (const InputError& e) {
      CHECK(contains(e.what(), "/nonexistent/net.yaml: cannot open"));
    }
  }
}

TEST_CASE("network io: sigma-delta profiles are read, checked and written back") {
  const std::string sd = "loihisim_network: 1\npopulations: [{name: p, size: 2, profile: ";
  SUBCASE("the keys, their defaults and a round trip (inline and through HDF5)") {
    const Network net =
        parse_network(sd + "{decay_u: 4095, neuron: sigma_delta, spike: graded, payload_shift: 4, "
                           "input_max: 64}},\n  {name: c, size: 1, profile: {vth_mant: 3}}]\n",
                      "net.yaml");
    const auto& p = net.population(net.populations()[0]).profile;
    CHECK(p.neuron == core::NeuronModel::kSigmaDelta);
    CHECK(p.input_max == 64);
    CHECK(p.payload_shift == 4);
    const auto& c = net.population(net.populations()[1]).profile;  // files without the keys
    CHECK(c.neuron == core::NeuronModel::kCuba);
    CHECK(c.input_max == -1);

    TempDir s("network_io_sd");
    write_network(net, s.path / "sd.yaml");
    std::ifstream in(s.path / "sd.yaml");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(contains(text, "neuron: sigma_delta"));
    CHECK(contains(text, "input_max: 64"));
    // The cuba population's profile is written as before (no new keys).
    CHECK(contains(text, "payload_shift: 0}"));
    const Network back = read_network(s.path / "sd.yaml");
    check_same(net, back);
    CHECK(back.population(back.populations()[0]).profile == p);

    // A large one (biases through HDF5), with a sigma-delta dendrite and no upper clip.
    Network big;
    big.name = "big";
    Population q;
    q.name = "q";
    q.size = 300;
    q.profile = p;
    q.profile.input_max = core::kMaxInputMax;
    q.bias_mant.assign(300, 7);
    Dendrite d;
    d.profile = p;
    d.profile.input_max = -1;
    d.profile.payload_shift = 23;
    q.dendrite = d;
    big.add_population(q);
    write_network(big, s.path / "big.yaml");
    CHECK(fs::exists(s.path / "big.h5"));
    check_same(big, read_network(s.path / "big.yaml"));
  }
  SUBCASE("real-valued neurons: input_max in real units, no threshold needed") {
    const Network net = parse_network(
        "loihisim_network: 1\npopulations: [{name: h, size: 1, neuron: {neuron: sigma_delta, "
        "decay_u: 1.0, scale: 16, spike: graded, payload_shift: 4, input_max: 8}}]\n",
        "net.yaml");
    const auto& p = net.population(net.populations()[0]).profile;
    CHECK(p.neuron == core::NeuronModel::kSigmaDelta);
    CHECK(p.input_max == 128);  // 8 x 16
    CHECK(p.vth_mant == 0);
    CHECK(p.decay_u == 4095);
    RealNeuron r;
    r.neuron = core::NeuronModel::kSigmaDelta;
    r.scale = 16;
    r.input_max = 1e6;  // x 16 > 2^23 - 1
    try {
      quantize_neuron(r, "population 'h'");
      FAIL("expected an error");
    } catch (const InputError& e) {
      CHECK(contains(e.what(), "population 'h': input_max = 16000000"));
      CHECK(contains(e.what(), "0..8388607"));
    }
    r.input_max = -1.0;
    try {
      quantize_neuron(r, "x");
      FAIL("expected an error");
    } catch (const InputError& e) {
      CHECK(contains(e.what(), "x: input_max = -1 must be a finite number >= 0"));
    }
    // A cuba neuron still needs its threshold.
    CHECK(contains(error_of("loihisim_network: 1\npopulations: [{name: h, size: 1, neuron: "
                            "{scale: 16}}]\n"),
                   "missing required key 'threshold'"));
  }
  SUBCASE("out-of-range values name the file, the key and the limit") {
    auto msg = error_of(sd + "{neuron: lif}}]\n");
    CHECK(contains(msg, "net.yaml:2:"));
    CHECK(contains(msg, "populations[0].profile.neuron = 'lif' is not one of: cuba, sigma_delta"));
    msg = error_of(sd +
                   "{neuron: sigma_delta, spike: graded, payload_shift: 4, input_max: "
                   "8388608}}]\n");
    CHECK(contains(msg,
                   "populations[0].profile.input_max = 8388608 is outside the allowed range "
                   "-1..8388607"));
    msg = error_of(sd + "{input_max: -2}}]\n");
    CHECK(contains(msg, "populations[0].profile.input_max = -2 is outside the allowed range"));
  }
  SUBCASE("the rules of a sigma-delta profile, named with the population") {
    const std::string ok = "neuron: sigma_delta, spike: graded, payload_shift: 4";
    auto msg = error_of(sd + "{neuron: sigma_delta, payload_shift: 4}}]\n");
    CHECK(contains(msg, "population 'p': profile.spike = binary"));
    CHECK(contains(msg, "must be graded"));
    msg = error_of(sd + "{neuron: sigma_delta, spike: graded}}]\n");
    CHECK(contains(msg, "profile.payload_shift = 0 is outside the allowed range 1..23"));
    msg = error_of(sd + "{" + ok + ", reset: subtract}}]\n");
    CHECK(contains(msg, "profile.reset = subtract does not apply to a sigma_delta neuron"));
    msg = error_of(sd + "{" + ok + ", refract_delay: 2}}]\n");
    CHECK(contains(msg, "profile.refract_delay = 2"));
    CHECK(contains(msg, "must be 1"));
    msg = error_of(sd + "{input_max: 5}}]\n");
    CHECK(contains(msg,
                   "population 'p': profile.input_max = 5 applies to sigma_delta neurons "
                   "only: must be -1"));
    CHECK(error_of(sd + "{" + ok + ", decay_v: 4095, input_max: 0}}]\n") == "(no error)");
  }
}
