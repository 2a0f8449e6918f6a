#include "mapper/mapped_image_io.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::mapper {
namespace {

constexpr const char* kFormatName = "loihisim_mapped_image";

// Large arrays are compressed (fast deflate); small ones are stored plainly.
template <class T>
void put(h5::Group& g, const std::string& name, const std::vector<T>& v) {
  g.write(name, v, {static_cast<std::uint64_t>(v.size())}, v.size() > (1u << 16) ? 1 : 0);
}

// A 1-D array of variable-length UTF-8 strings (h5py reads it as a list of str/bytes).
void put_strings(h5::Group& g, const std::string& name, const std::vector<std::string>& v) {
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t dims[1] = {v.size()};
  h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  h5::Handle ds(H5Dcreate2(g.id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT),
                H5Dclose);
  if (!ds) g.fail(name, "cannot create string dataset");
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  if (!v.empty() && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    g.fail(name, "cannot write string dataset");
}

// Per-core tables flattened: field arrays plus offsets (num_cores + 1) into them.
struct Flat {
  std::vector<std::int64_t> offsets{0};
  void next(std::size_t total) { offsets.push_back(static_cast<std::int64_t>(total)); }
};

// Each per-core table as columns, one add() per core, written as one group.
struct ProfileColumns {
  Flat off;
  std::vector<std::int32_t> decay_u, decay_v, vth, refract, vmin, vmax, payload, input_max;
  std::vector<std::uint8_t> reset, spike, neuron;

  void add(const core::CoreConfig& c) {
    for (const auto& p : c.profiles) {
      decay_u.push_back(p.decay_u);
      decay_v.push_back(p.decay_v);
      vth.push_back(p.vth_mant);
      refract.push_back(p.refract_delay);
      vmin.push_back(p.vmin_exp);
      vmax.push_back(p.vmax_exp);
      reset.push_back(static_cast<std::uint8_t>(p.reset));
      spike.push_back(static_cast<std::uint8_t>(p.spike));
      payload.push_back(p.payload_shift);
      neuron.push_back(static_cast<std::uint8_t>(p.neuron));
      input_max.push_back(p.input_max);
    }
    off.next(decay_u.size());
  }
  void write(h5::Group p) const {
    put(p, "offsets", off.offsets);
    put(p, "decay_u", decay_u);
    put(p, "decay_v", decay_v);
    put(p, "vth_mant", vth);
    put(p, "refract_delay", refract);
    put(p, "vmin_exp", vmin);
    put(p, "vmax_exp", vmax);
    put(p, "reset", reset);
    put(p, "spike", spike);
    put(p, "payload_shift", payload);
    put(p, "neuron", neuron);        // 0 cuba, 1 sigma_delta (optional on read: cuba)
    put(p, "input_max", input_max);  // optional on read: -1
  }
};

struct FormatColumns {
  Flat off;
  std::vector<std::int8_t> wbits, sign, wexp, dbits, ibits, tbits;

  void add(const core::CoreConfig& c) {
    for (const auto& f : c.formats) {
      wbits.push_back(static_cast<std::int8_t>(f.weight_bits));
      sign.push_back(static_cast<std::int8_t>(f.sign));
      wexp.push_back(static_cast<std::int8_t>(f.weight_exp));
      dbits.push_back(static_cast<std::int8_t>(f.delay_bits));
      ibits.push_back(static_cast<std::int8_t>(f.index_bits));
      tbits.push_back(static_cast<std::int8_t>(f.tag_bits));
    }
    off.next(wbits.size());
  }
  void write(h5::Group f) const {
    put(f, "offsets", off.offsets);
    put(f, "weight_bits", wbits);
    put(f, "sign", sign);
    put(f, "weight_exp", wexp);
    put(f, "delay_bits", dbits);
    put(f, "index_bits", ibits);
    put(f, "tag_bits", tbits);
  }
};

struct CompartmentColumns {
  Flat off;
  std::vector<std::int32_t> profile, bias_mant, bias_exp, join_parent;

  void add(const core::CoreConfig& c) {
    for (const auto& x : c.compartments) {
      profile.push_back(x.profile);
      bias_mant.push_back(x.bias_mant);
      bias_exp.push_back(x.bias_exp);
      join_parent.push_back(x.join == core::JoinOp::kNone ? -1 : x.join_parent);
    }
    off.next(profile.size());
  }
  void write(h5::Group cx) const {
    put(cx, "offsets", off.offsets);
    put(cx, "profile", profile);
    put(cx, "bias_mant", bias_mant);
    put(cx, "bias_exp", bias_exp);
    put(cx, "join_parent", join_parent);  // ADD join into that compartment, -1 for none
  }
};

// Synapse lists: their fields concatenated, with offsets per list as well as per core.
struct SynapseListColumns {
  Flat off;
  std::vector<std::int32_t> format;
  std::vector<std::int64_t> syn_off{0}, idx_off{0}, del_off{0};
  std::vector<std::int16_t> mantissa, index;
  std::vector<std::uint8_t> delay;

  void add(const core::CoreConfig& c) {
    for (const auto& l : c.synapse_lists) {
      format.push_back(l.format);
      for (auto m : l.mantissa) mantissa.push_back(static_cast<std::int16_t>(m));
      for (auto i : l.index) index.push_back(static_cast<std::int16_t>(i));
      for (auto d : l.delay) delay.push_back(static_cast<std::uint8_t>(d));
      syn_off.push_back(static_cast<std::int64_t>(mantissa.size()));
      idx_off.push_back(static_cast<std::int64_t>(index.size()));
      del_off.push_back(static_cast<std::int64_t>(delay.size()));
    }
    off.next(format.size());
  }
  void write(h5::Group sl) const {
    put(sl, "offsets", off.offsets);
    put(sl, "format", format);
    put(sl, "synapse_offsets", syn_off);
    put(sl, "mantissa", mantissa);
    put(sl, "index_offsets", idx_off);
    put(sl, "index", index);
    put(sl, "delay_offsets", del_off);
    put(sl, "delay", delay);
  }
};

struct InputAxonColumns {
  Flat off;
  std::vector<std::int32_t> list, base;

  void add(const core::CoreConfig& c) {
    for (const auto& a : c.input_axons) {
      list.push_back(a.synapse_list);
      base.push_back(a.base);
    }
    off.next(list.size());
  }
  void write(h5::Group ia) const {
    put(ia, "offsets", off.offsets);
    put(ia, "synapse_list", list);
    put(ia, "base", base);
  }
};

struct OutputAxonColumns {
  Flat off;
  std::vector<std::int32_t> source, dest_core, dest_axon;

  void add(const core::CoreConfig& c) {
    for (const auto& o : c.output_axons) {
      source.push_back(o.source);
      dest_core.push_back(o.dest_core);
      dest_axon.push_back(o.dest_axon);
    }
    off.next(source.size());
  }
  void write(h5::Group oa) const {
    put(oa, "offsets", off.offsets);
    put(oa, "source", source);
    put(oa, "dest_core", dest_core);
    put(oa, "dest_axon", dest_axon);
  }
};

void write_cores(h5::Group& root, const std::vector<core::CoreConfig>& cores) {
  h5::Group g = root.create_group("cores");
  std::vector<std::int32_t> depth;
  ProfileColumns profiles;
  FormatColumns formats;
  CompartmentColumns compartments;
  SynapseListColumns lists;
  InputAxonColumns input_axons;
  OutputAxonColumns output_axons;
  for (const auto& c : cores) {
    depth.push_back(c.accumulator_depth);
    profiles.add(c);
    formats.add(c);
    compartments.add(c);
    lists.add(c);
    input_axons.add(c);
    output_axons.add(c);
  }
  put(g, "accumulator_depth", depth);
  profiles.write(g.create_group("profiles"));
  formats.write(g.create_group("formats"));
  compartments.write(g.create_group("compartments"));
  lists.write(g.create_group("synapse_lists"));
  input_axons.write(g.create_group("input_axons"));
  output_axons.write(g.create_group("output_axons"));
}

void write_limits(h5::Group g, const core::CoreLimits& l) {
  g.set_attribute("max_compartments", std::int64_t{l.max_compartments});
  g.set_attribute("max_input_axons", std::int64_t{l.max_input_axons});
  g.set_attribute("max_output_axons", std::int64_t{l.max_output_axons});
  g.set_attribute("synapse_memory_bits", l.synapse_memory_bits);
  g.set_attribute("max_compartment_profiles", std::int64_t{l.max_compartment_profiles});
  g.set_attribute("max_threshold_profiles", std::int64_t{l.max_threshold_profiles});
  g.set_attribute("max_synapse_formats", std::int64_t{l.max_synapse_formats});
  g.set_attribute("accumulator_slots", std::int64_t{l.accumulator_slots});
  g.set_attribute("min_accumulator_depth", std::int64_t{l.min_accumulator_depth});
  g.set_attribute("max_accumulator_depth", std::int64_t{l.max_accumulator_depth});
  g.set_attribute("allow_reset_subtract", std::int64_t{l.allow_reset_subtract ? 1 : 0});
  g.set_attribute("allow_graded_spikes", std::int64_t{l.allow_graded_spikes ? 1 : 0});
}

void write_mesh(h5::Group mesh, const core::MeshGeometry& m) {
  mesh.set_attribute("tiles_x", std::int64_t{m.tiles_x});
  mesh.set_attribute("tiles_y", std::int64_t{m.tiles_y});
  mesh.set_attribute("cores_per_tile", std::int64_t{m.cores_per_tile});
  mesh.set_attribute("chips_x", std::int64_t{m.chips_x});
  mesh.set_attribute("chips_y", std::int64_t{m.chips_y});
  if (m.board_chips_x > 0 || m.board_chips_y > 0) {  // several boards; absent = one board
    mesh.set_attribute("board_chips_x", std::int64_t{m.board_chips_x});
    mesh.set_attribute("board_chips_y", std::int64_t{m.board_chips_y});
  }
}

// One group per population under /populations, its blocks as columns; /population_names
// lists them in order.
void write_population_sites(h5::Group& root, const std::vector<PopulationSites>& populations) {
  std::vector<std::string> names;
  h5::Group pops = root.create_group("populations");
  for (const auto& p : populations) {
    names.push_back(p.name);
    h5::Group g = pops.create_group(p.name);
    g.set_attribute("size", std::int64_t{p.size});
    std::vector<std::int32_t> first, count, core, cx;
    for (const auto& b : p.blocks) {
      first.push_back(b.first_neuron);
      count.push_back(b.count);
      core.push_back(b.core);
      cx.push_back(b.first_compartment);
    }
    put(g, "first_neuron", first);
    put(g, "count", count);
    put(g, "core", core);
    put(g, "first_compartment", cx);
  }
  put_strings(root, "population_names", names);
}

void write_input_port_sites(h5::Group& root, const std::vector<InputPortSites>& ports) {
  std::vector<std::string> names;
  h5::Group ins = root.create_group("input_ports");
  for (const auto& p : ports) {
    names.push_back(p.name);
    h5::Group g = ins.create_group(p.name);
    g.set_attribute("size", std::int64_t{p.size});
    std::vector<std::int32_t> core, axon;
    for (const auto& a : p.axons) {
      core.push_back(a.core);
      axon.push_back(a.axon);
    }
    put(g, "offsets", p.offsets);
    put(g, "core", core);
    put(g, "axon", axon);
  }
  put_strings(root, "input_port_names", names);
}

void write_output_port_sites(h5::Group& root, const std::vector<OutputPortSites>& ports) {
  std::vector<std::string> names;
  h5::Group outs = root.create_group("output_ports");
  for (const auto& p : ports) {
    names.push_back(p.name);
    h5::Group g = outs.create_group(p.name);
    g.set_attribute("population", p.population);
    std::vector<std::int32_t> core, cx;
    for (const auto& s : p.neurons) {
      core.push_back(s.core);
      cx.push_back(s.compartment);
    }
    put(g, "core", core);
    put(g, "compartment", cx);
  }
  put_strings(root, "output_port_names", names);
}

void write_host_nodes(h5::Group& root, const std::vector<HostNode>& nodes) {
  std::vector<std::string> names;
  h5::Group hosts = root.create_group("host_nodes");
  for (const auto& h : nodes) {
    names.push_back(h.name);
    h5::Group g = hosts.create_group(h.name);
    g.set_attribute("kind", h.kind);
    put_strings(g, "inputs", h.inputs);
    put_strings(g, "outputs", h.outputs);
    h5::Group params = g.create_group("params");
    for (const auto& [k, v] : h.params) params.write_string(k, v);
    h5::Group arrays = g.create_group("arrays");
    for (const auto& [k, a] : h.arrays) arrays.write(k, a.values, a.shape);
  }
  put_strings(root, "host_node_names", names);
}

// ------------------------------------------------------------------------------------------
// Reading, with every structural fact checked.

class ImageReader {
 public:
  // `held`: the cores whose tables are read (one flag per core); empty: all.
  explicit ImageReader(const std::string& file, std::vector<std::uint8_t> held = {})
      : root_(h5::open_file(file)), held_(std::move(held)) {}

  MappedImage read() {
    MappedImage img;
    read_header(img);
    if (!held_.empty() && held_.size() != img.cores.size())
      throw std::invalid_argument(fmt::format("{}: {} held flags for an image of {} cores",
                                              root_.file_name(), held_.size(), img.cores.size()));
    read_limits(root_.open_group("limits"), img.limits);
    read_cores(img);
    read_sites(img);
    read_host_nodes(img);
    check_cores(img);
    return img;
  }

  std::vector<CoreOutline> outline() {
    MappedImage img;
    read_header(img);
    const h5::Group g = root_.open_group("cores");
    const h5::Group x = g.open_group("compartments"), a = g.open_group("input_axons");
    const auto cx = offsets(x, "offsets", img.cores.size(), length(x, "profile"));
    const auto ax = offsets(a, "offsets", img.cores.size(), length(a, "synapse_list"));
    std::vector<CoreOutline> out(img.cores.size());
    for (std::size_t c = 0; c < out.size(); ++c)
      out[c] = {static_cast<std::int32_t>(cx[c + 1] - cx[c]),
                static_cast<std::int32_t>(ax[c + 1] - ax[c])};
    return out;
  }

 private:
  // Format, version, names and mesh; img.cores sized to the mesh (empty tables).
  void read_header(MappedImage& img) {
    if (!root_.has_attribute("format") || root_.string_attribute("format") != kFormatName)
      root_.fail("@format",
                 std::string("not a loihisim mapped image (expected attribute format = ") +
                     kFormatName + ")");
    const auto version = root_.int_attribute("version");
    if (version != kMappedImageVersion)
      root_.fail("@version", fmt::format("version {} is not supported (this build reads {})",
                                         version, kMappedImageVersion));
    img.architecture = root_.string_attribute("architecture");
    img.network = root_.string_attribute("network");
    img.placer = root_.string_attribute("placer");
    const h5::Group mesh = root_.open_group("mesh");
    img.mesh.tiles_x = int_attr(mesh, "tiles_x", 1, 1 << 16);
    img.mesh.tiles_y = int_attr(mesh, "tiles_y", 1, 1 << 16);
    img.mesh.cores_per_tile = int_attr(mesh, "cores_per_tile", 1, 1 << 16);
    img.mesh.chips_x = int_attr(mesh, "chips_x", 1, 1 << 16);
    img.mesh.chips_y = int_attr(mesh, "chips_y", 1, 1 << 16);
    if (mesh.has_attribute("board_chips_x")) {
      img.mesh.board_chips_x = int_attr(mesh, "board_chips_x", 1, img.mesh.chips_x);
      img.mesh.board_chips_y = int_attr(mesh, "board_chips_y", 1, img.mesh.chips_y);
      if (img.mesh.chips_x % img.mesh.board_chips_x != 0 ||
          img.mesh.chips_y % img.mesh.board_chips_y != 0)
        mesh.fail("board_chips_x", "the boards do not divide the chip grid");
    }
    if (std::int64_t{img.mesh.cores_per_chip()} * img.mesh.num_chips() > (1 << 26))
      mesh.fail("", "more than 2^26 cores");
    img.cores.resize(static_cast<std::size_t>(img.mesh.num_cores()));
  }

  // core::validate of the cores read (their output axons against every core's input axons).
  void check_cores(const MappedImage& img) const {
    std::vector<std::uint8_t> held(img.cores.size());
    for (std::size_t c = 0; c < held.size(); ++c) held[c] = this->held(c) ? 1 : 0;
    const auto problems = core::validate(img.cores, img.limits, held, input_axons_);
    if (!problems.empty()) {
      std::string msg = "the core tables fail validation:";
      for (std::size_t k = 0; k < problems.size() && k < 10; ++k)
        msg += "\n  " + problems[k].message;
      root_.fail("cores", msg);
    }
  }

  static int int_attr(const h5::Group& g, const std::string& name, std::int64_t lo,
                      std::int64_t hi) {
    const auto v = g.int_attribute(name);
    if (v < lo || v > hi)
      g.fail("@" + name, fmt::format("value {} is outside the allowed range {}..{}", v, lo, hi));
    return static_cast<int>(v);
  }

  static void read_limits(const h5::Group& g, core::CoreLimits& l) {
    constexpr std::int64_t big = std::int64_t{1} << 30;
    l.max_compartments = int_attr(g, "max_compartments", 1, big);
    l.max_input_axons = int_attr(g, "max_input_axons", 0, big);
    l.max_output_axons = int_attr(g, "max_output_axons", 0, big);
    l.synapse_memory_bits = g.int_attribute("synapse_memory_bits");
    l.max_compartment_profiles = int_attr(g, "max_compartment_profiles", 1, big);
    l.max_threshold_profiles = int_attr(g, "max_threshold_profiles", 1, big);
    l.max_synapse_formats = int_attr(g, "max_synapse_formats", 0, big);
    l.accumulator_slots = int_attr(g, "accumulator_slots", 1, big);
    l.min_accumulator_depth = int_attr(g, "min_accumulator_depth", 2, big);
    l.max_accumulator_depth = int_attr(g, "max_accumulator_depth", l.min_accumulator_depth, big);
    l.allow_reset_subtract = int_attr(g, "allow_reset_subtract", 0, 1) != 0;
    l.allow_graded_spikes = int_attr(g, "allow_graded_spikes", 0, 1) != 0;
  }

  // A 1-D dataset of exactly n values (n < 0: any length).
  template <class T>
  static std::vector<T> vec(const h5::Group& g, const std::string& name, std::int64_t n = -1) {
    std::vector<std::uint64_t> dims;
    auto v = g.read<T>(name, &dims);
    if (dims.size() != 1) g.fail(name, "expected a 1-D dataset");
    if (n >= 0 && static_cast<std::int64_t>(v.size()) != n)
      g.fail(name, fmt::format("has {} values, expected {}", v.size(), n));
    return v;
  }

  // The length of a 1-D dataset, which must be n when n >= 0; nothing is read.
  static std::int64_t length(const h5::Group& g, const std::string& name, std::int64_t n = -1) {
    const auto dims = g.shape(name);
    if (dims.size() != 1) g.fail(name, "expected a 1-D dataset");
    const auto m = static_cast<std::int64_t>(dims[0]);
    if (n >= 0 && m != n) g.fail(name, fmt::format("has {} values, expected {}", m, n));
    return m;
  }

  // Values [begin, end) of a 1-D dataset of exactly n values: only they are read.
  template <class T>
  static std::vector<T> part(const h5::Group& g, const std::string& name, std::int64_t n,
                             std::int64_t begin, std::int64_t end) {
    length(g, name, n);
    return g.read_range<T>(name, static_cast<std::uint64_t>(begin),
                           static_cast<std::uint64_t>(end - begin));
  }

  // Offsets into a field array of length `total`: count + 1 values, 0 first, non-decreasing,
  // ending at total.
  static std::vector<std::int64_t> offsets(const h5::Group& g, const std::string& name,
                                           std::size_t count, std::int64_t total) {
    return offset_part(g, name, count, total, 0, count);
  }

  // Entries [first, end] of such offsets (the ones items first..end-1 need), checked as far as
  // they go: 0 first when first = 0, non-decreasing, within 0..total, ending at total when end
  // = count.
  static std::vector<std::int64_t> offset_part(const h5::Group& g, const std::string& name,
                                               std::size_t count, std::int64_t total,
                                               std::size_t first, std::size_t end) {
    auto o =
        part<std::int64_t>(g, name, static_cast<std::int64_t>(count) + 1,
                           static_cast<std::int64_t>(first), static_cast<std::int64_t>(end) + 1);
    if (first == 0 && o.front() != 0) g.fail(name, "must start at 0");
    for (std::size_t k = 1; k < o.size(); ++k)
      if (o[k] < o[k - 1]) g.fail(name, fmt::format("decreases at entry {}", first + k));
    if (end == count && o.back() != total)
      g.fail(name, fmt::format("ends at {} but the data has {} values", o.back(), total));
    if (o.front() < 0 || o.back() > total)
      g.fail(name, fmt::format("entries {}..{} leave the data's {} values", first, end, total));
    return o;
  }

  // A run of consecutive cores whose tables are read: [first, end).
  struct Run {
    std::size_t first = 0, end = 0;
  };

  void read_cores(MappedImage& img) {
    const h5::Group g = root_.open_group("cores");
    const auto n = static_cast<std::size_t>(img.mesh.num_cores());
    const auto depth = vec<std::int32_t>(g, "accumulator_depth", static_cast<std::int64_t>(n));
    img.cores.assign(n, core::CoreConfig{});
    for (std::size_t c = 0; c < n; ++c) img.cores[c].accumulator_depth = depth[c];
    std::vector<Run> runs;
    for (std::size_t c = 0; c < n; ++c)
      if (held(c)) {
        if (runs.empty() || runs.back().end != c) runs.push_back({c, c});
        runs.back().end = c + 1;
      }
    read_profiles(g, img, runs);
    read_formats(g, img, runs);
    read_compartments(g, img, runs);
    read_synapse_lists(g, img, runs);
    read_input_axons(g, img, runs);
    read_output_axons(g, img, runs);
  }

  bool held(std::size_t c) const { return held_.empty() || held_[c] != 0; }

  // Profiles: reset and spike hold enum values.
  static void read_profiles(const h5::Group& g, MappedImage& img, const std::vector<Run>& runs) {
    const h5::Group p = g.open_group("profiles");
    const auto m = length(p, "decay_u");
    const auto off = offsets(p, "offsets", img.cores.size(), m);
    for (const Run& r : runs) {
      const auto b = off[r.first], e = off[r.end];
      const auto decay_u = part<std::int32_t>(p, "decay_u", m, b, e);
      const auto decay_v = part<std::int32_t>(p, "decay_v", m, b, e);
      const auto vth = part<std::int32_t>(p, "vth_mant", m, b, e);
      const auto refract = part<std::int32_t>(p, "refract_delay", m, b, e);
      const auto vmin = part<std::int32_t>(p, "vmin_exp", m, b, e);
      const auto vmax = part<std::int32_t>(p, "vmax_exp", m, b, e);
      const auto reset = part<std::uint8_t>(p, "reset", m, b, e);
      const auto spike = part<std::uint8_t>(p, "spike", m, b, e);
      const auto payload = part<std::int32_t>(p, "payload_shift", m, b, e);
      // Images written before sigma-delta neurons have neither: cuba, no input clip.
      const auto size = static_cast<std::size_t>(e - b);
      const auto neuron = p.has("neuron") ? part<std::uint8_t>(p, "neuron", m, b, e)
                                          : std::vector<std::uint8_t>(size, 0);
      const auto input_max = p.has("input_max") ? part<std::int32_t>(p, "input_max", m, b, e)
                                                : std::vector<std::int32_t>(size, -1);
      for (std::size_t k = 0; k < size; ++k) {
        const auto at = static_cast<std::int64_t>(k) + b;
        if (reset[k] > 1)
          p.fail("reset",
                 fmt::format("value {} at {} is not 0 (zero) or 1 (subtract)", int{reset[k]}, at));
        if (spike[k] > 1)
          p.fail("spike",
                 fmt::format("value {} at {} is not 0 (binary) or 1 (graded)", int{spike[k]}, at));
        if (neuron[k] > 1)
          p.fail("neuron", fmt::format("value {} at {} is not 0 (cuba) or 1 (sigma_delta)",
                                       int{neuron[k]}, at));
      }
      for (std::size_t c = r.first; c < r.end; ++c)
        for (auto k = static_cast<std::size_t>(off[c] - b);
             k < static_cast<std::size_t>(off[c + 1] - b); ++k) {
          core::CompartmentProfile q;
          q.decay_u = decay_u[k];
          q.decay_v = decay_v[k];
          q.vth_mant = vth[k];
          q.refract_delay = refract[k];
          q.vmin_exp = vmin[k];
          q.vmax_exp = vmax[k];
          q.reset = static_cast<core::ResetMode>(reset[k]);
          q.spike = static_cast<core::SpikeKind>(spike[k]);
          q.payload_shift = payload[k];
          q.neuron = static_cast<core::NeuronModel>(neuron[k]);
          q.input_max = input_max[k];  // validate() checks its range
          img.cores[c].profiles.push_back(q);
        }
    }
  }

  // Synapse formats: sign holds an enum value.
  static void read_formats(const h5::Group& g, MappedImage& img, const std::vector<Run>& runs) {
    const h5::Group f = g.open_group("formats");
    const auto m = length(f, "weight_bits");
    const auto off = offsets(f, "offsets", img.cores.size(), m);
    for (const Run& r : runs) {
      const auto b = off[r.first], e = off[r.end];
      const auto wbits = part<std::int32_t>(f, "weight_bits", m, b, e);
      const auto sign = part<std::int32_t>(f, "sign", m, b, e);
      const auto wexp = part<std::int32_t>(f, "weight_exp", m, b, e);
      const auto dbits = part<std::int32_t>(f, "delay_bits", m, b, e);
      const auto ibits = part<std::int32_t>(f, "index_bits", m, b, e);
      const auto tbits = part<std::int32_t>(f, "tag_bits", m, b, e);
      for (std::size_t k = 0; k < sign.size(); ++k)
        if (sign[k] < 0 || sign[k] > 2)
          f.fail("sign", fmt::format("value {} at {} is not 0 (mixed), 1 (excitatory) or 2 "
                                     "(inhibitory)",
                                     sign[k], static_cast<std::int64_t>(k) + b));
      for (std::size_t c = r.first; c < r.end; ++c)
        for (auto k = static_cast<std::size_t>(off[c] - b);
             k < static_cast<std::size_t>(off[c + 1] - b); ++k)
          img.cores[c].formats.push_back({wbits[k], static_cast<core::SignMode>(sign[k]), wexp[k],
                                          dbits[k], ibits[k], tbits[k]});
    }
  }

  // Compartments: those of the cores not read are default ones (only their number is known).
  void read_compartments(const h5::Group& g, MappedImage& img, const std::vector<Run>& runs) {
    const h5::Group x = g.open_group("compartments");
    const auto m = length(x, "profile");
    const auto off = offsets(x, "offsets", img.cores.size(), m);
    for (std::size_t c = 0; c < img.cores.size(); ++c)
      if (!held(c)) img.cores[c].compartments.resize(static_cast<std::size_t>(off[c + 1] - off[c]));
    for (const Run& r : runs) read_compartment_run(x, img, m, off, r);
  }

  static void read_compartment_run(const h5::Group& x, MappedImage& img, std::int64_t m,
                                   const std::vector<std::int64_t>& off, const Run& r) {
    const auto b = off[r.first], e = off[r.end];
    const auto profile = part<std::int32_t>(x, "profile", m, b, e);
    const auto bias_mant = part<std::int32_t>(x, "bias_mant", m, b, e);
    const auto bias_exp = part<std::int32_t>(x, "bias_exp", m, b, e);
    // Joins: join_parent (child side, trees of any shape). Images written before that have
    // join_source (parent side: each soma names its one child), images before joins neither.
    std::vector<std::int32_t> join_parent(profile.size(), -1), join_source;
    if (x.has("join_parent")) join_parent = part<std::int32_t>(x, "join_parent", m, b, e);
    if (x.has("join_source")) join_source = part<std::int32_t>(x, "join_source", m, b, e);
    for (std::size_t c = r.first; c < r.end; ++c) {
      const auto first = static_cast<std::size_t>(off[c] - b),
                 end = static_cast<std::size_t>(off[c + 1] - b);
      for (auto k = first; k < end; ++k)
        img.cores[c].compartments.push_back(
            {profile[k], bias_mant[k], bias_exp[k],
             join_parent[k] < 0 ? core::JoinOp::kNone : core::JoinOp::kAdd,
             join_parent[k] < 0 ? -1 : join_parent[k]});
      for (auto k = first; k < end && !join_source.empty(); ++k) {
        const auto child = join_source[k];
        if (child < 0) continue;
        // validate() reports a child index outside the core; here it must only not crash.
        if (static_cast<std::size_t>(child) >= end - first)
          x.fail("join_source", fmt::format("compartment {} of core {} joins compartment {}, but "
                                            "the core has {}",
                                            k - first, c, child, end - first));
        auto& cx = img.cores[c].compartments[static_cast<std::size_t>(child)];
        cx.join = core::JoinOp::kAdd;
        cx.join_parent = static_cast<std::int32_t>(k - first);
      }
    }
  }

  // Synapse lists: offsets per core into the lists, per list into their fields.
  static void read_synapse_lists(const h5::Group& g, MappedImage& img,
                                 const std::vector<Run>& runs) {
    const h5::Group s = g.open_group("synapse_lists");
    const auto lists = length(s, "format");
    const auto mantissas = length(s, "mantissa");
    const auto indices = length(s, "index");
    const auto delays = length(s, "delay");
    const auto off = offsets(s, "offsets", img.cores.size(), lists);
    const auto nl = static_cast<std::size_t>(lists);
    for (const Run& r : runs) {
      const auto lb = static_cast<std::size_t>(off[r.first]),
                 le = static_cast<std::size_t>(off[r.end]);
      const auto format = part<std::int32_t>(s, "format", lists, off[r.first], off[r.end]);
      const auto syn = offset_part(s, "synapse_offsets", nl, mantissas, lb, le);
      const auto idx = offset_part(s, "index_offsets", nl, indices, lb, le);
      const auto del = offset_part(s, "delay_offsets", nl, delays, lb, le);
      const auto mantissa = part<std::int32_t>(s, "mantissa", mantissas, syn.front(), syn.back());
      const auto index = part<std::int32_t>(s, "index", indices, idx.front(), idx.back());
      const auto delay = part<std::int32_t>(s, "delay", delays, del.front(), del.back());
      for (std::size_t c = r.first; c < r.end; ++c)
        for (auto l = static_cast<std::size_t>(off[c]) - lb;
             l < static_cast<std::size_t>(off[c + 1]) - lb; ++l) {
          core::SynapseList list;
          list.format = format[l];
          list.mantissa.assign(mantissa.begin() + (syn[l] - syn.front()),
                               mantissa.begin() + (syn[l + 1] - syn.front()));
          list.index.assign(index.begin() + (idx[l] - idx.front()),
                            index.begin() + (idx[l + 1] - idx.front()));
          list.delay.assign(delay.begin() + (del[l] - del.front()),
                            delay.begin() + (del[l + 1] - del.front()));
          img.cores[c].synapse_lists.push_back(std::move(list));
        }
    }
  }

  // Input axons: the number of every core's is kept for the checks of the sites.
  void read_input_axons(const h5::Group& g, MappedImage& img, const std::vector<Run>& runs) {
    const h5::Group a = g.open_group("input_axons");
    const auto m = length(a, "synapse_list");
    const auto off = offsets(a, "offsets", img.cores.size(), m);
    input_axons_.clear();
    for (std::size_t c = 0; c < img.cores.size(); ++c)
      input_axons_.push_back(static_cast<std::int32_t>(off[c + 1] - off[c]));
    for (const Run& r : runs) {
      const auto b = off[r.first], e = off[r.end];
      const auto list = part<std::int32_t>(a, "synapse_list", m, b, e);
      const auto base = part<std::int32_t>(a, "base", m, b, e);
      for (std::size_t c = r.first; c < r.end; ++c)
        for (auto k = static_cast<std::size_t>(off[c] - b);
             k < static_cast<std::size_t>(off[c + 1] - b); ++k)
          img.cores[c].input_axons.push_back({list[k], base[k]});
    }
  }

  static void read_output_axons(const h5::Group& g, MappedImage& img,
                                const std::vector<Run>& runs) {
    const h5::Group o = g.open_group("output_axons");
    const auto m = length(o, "source");
    const auto off = offsets(o, "offsets", img.cores.size(), m);
    for (const Run& r : runs) {
      const auto b = off[r.first], e = off[r.end];
      const auto source = part<std::int32_t>(o, "source", m, b, e);
      const auto dest_core = part<std::int32_t>(o, "dest_core", m, b, e);
      const auto dest_axon = part<std::int32_t>(o, "dest_axon", m, b, e);
      for (std::size_t c = r.first; c < r.end; ++c)
        for (auto k = static_cast<std::size_t>(off[c] - b);
             k < static_cast<std::size_t>(off[c + 1] - b); ++k)
          img.cores[c].output_axons.push_back({source[k], dest_core[k], dest_axon[k]});
    }
  }

  std::vector<std::string> names(const std::string& dataset) {
    std::vector<std::uint64_t> dims;
    auto v = root_.read_strings(dataset, &dims);
    if (dims.size() != 1) root_.fail(dataset, "expected a 1-D list of names");
    return v;
  }

  void check_site(const h5::Group& g, const std::string& what, const MappedImage& img,
                  std::int32_t core, std::int64_t compartment_end) const {
    if (core < 0 || core >= static_cast<std::int32_t>(img.cores.size()))
      g.fail(what,
             fmt::format("core {} does not exist (the image has {})", core, img.cores.size()));
    const auto n_cx =
        static_cast<std::int64_t>(img.cores[static_cast<std::size_t>(core)].compartments.size());
    if (compartment_end > n_cx)
      g.fail(what, fmt::format("reaches compartment {} of core {}, which has {}",
                               compartment_end - 1, core, n_cx));
  }

  void read_sites(MappedImage& img) {
    const h5::Group pops = root_.open_group("populations");
    for (const auto& name : names("population_names")) {
      const h5::Group g = pops.open_group(name);
      PopulationSites ps;
      ps.name = name;
      ps.size = int_attr(g, "size", 1, std::int64_t{1} << 30);
      const auto first = vec<std::int32_t>(g, "first_neuron");
      const auto m = static_cast<std::int64_t>(first.size());
      const auto count = vec<std::int32_t>(g, "count", m);
      const auto core = vec<std::int32_t>(g, "core", m);
      const auto cx = vec<std::int32_t>(g, "first_compartment", m);
      std::int64_t next = 0;
      for (std::size_t k = 0; k < first.size(); ++k) {
        if (first[k] != next || count[k] < 1)
          g.fail("first_neuron", fmt::format("blocks must cover the neurons in order; block {} "
                                             "starts at {} with {} neurons, expected start {}",
                                             k, first[k], count[k], next));
        if (cx[k] < 0) g.fail("first_compartment", fmt::format("negative at block {}", k));
        check_site(g, "core", img, core[k], std::int64_t{cx[k]} + count[k]);
        next += count[k];
        ps.blocks.push_back({first[k], count[k], core[k], cx[k]});
      }
      if (next != ps.size)
        g.fail("count",
               fmt::format("blocks cover {} neurons but the population has {}", next, ps.size));
      img.populations.push_back(std::move(ps));
    }
    const h5::Group ins = root_.open_group("input_ports");
    for (const auto& name : names("input_port_names")) {
      const h5::Group g = ins.open_group(name);
      InputPortSites s;
      s.name = name;
      s.size = int_attr(g, "size", 1, std::int64_t{1} << 30);
      const auto core = vec<std::int32_t>(g, "core");
      const auto axon = vec<std::int32_t>(g, "axon", static_cast<std::int64_t>(core.size()));
      s.offsets = offsets(g, "offsets", static_cast<std::size_t>(s.size),
                          static_cast<std::int64_t>(core.size()));
      for (std::size_t k = 0; k < core.size(); ++k) {
        if (core[k] < 0 || core[k] >= static_cast<std::int32_t>(img.cores.size()))
          g.fail("core", fmt::format("entry {} names core {}, which does not exist", k, core[k]));
        const auto n_ax = input_axons_[static_cast<std::size_t>(core[k])];
        if (axon[k] < 0 || axon[k] >= n_ax)
          g.fail("axon", fmt::format("entry {} names input axon {} of core {}, which has {}", k,
                                     axon[k], core[k], n_ax));
        s.axons.push_back({core[k], axon[k]});
      }
      img.input_ports.push_back(std::move(s));
    }
    const h5::Group outs = root_.open_group("output_ports");
    for (const auto& name : names("output_port_names")) {
      const h5::Group g = outs.open_group(name);
      OutputPortSites s;
      s.name = name;
      s.population = g.string_attribute("population");
      const auto* pop = img.find_population(s.population);
      if (!pop)
        g.fail("@population", fmt::format("'{}' names no population of the image", s.population));
      const auto core = vec<std::int32_t>(g, "core", pop->size);
      const auto cx = vec<std::int32_t>(g, "compartment", pop->size);
      for (std::size_t k = 0; k < core.size(); ++k) {
        if (cx[k] < 0) g.fail("compartment", fmt::format("negative at entry {}", k));
        check_site(g, "core", img, core[k], std::int64_t{cx[k]} + 1);
        s.neurons.push_back({core[k], cx[k]});
      }
      img.output_ports.push_back(std::move(s));
    }
  }

  void read_host_nodes(MappedImage& img) {
    const h5::Group hosts = root_.open_group("host_nodes");
    for (const auto& name : names("host_node_names")) {
      const h5::Group g = hosts.open_group(name);
      HostNode h;
      h.name = name;
      h.kind = g.string_attribute("kind");
      h.inputs = g.read_strings("inputs");
      h.outputs = g.read_strings("outputs");
      const h5::Group params = g.open_group("params");
      for (const auto& key : params.children()) h.params[key] = params.read_string(key);
      const h5::Group arrays = g.open_group("arrays");
      for (const auto& key : arrays.children()) {
        HostArray a;
        a.values = arrays.read<double>(key, &a.shape);
        if (a.shape.empty()) a.shape = {1};
        h.arrays[key] = std::move(a);
      }
      img.host_nodes.push_back(std::move(h));
    }
  }

  h5::Group root_;
  std::vector<std::uint8_t> held_;
  std::vector<std::int32_t> input_axons_;  // per core, from the offsets
};

}  // namespace

void write_mapped_image(const MappedImage& img, const std::filesystem::path& file) {
  AtomicOutput out(file);
  {
    h5::Group root = h5::create_file(out);
    root.set_attribute("format", std::string(kFormatName));
    root.set_attribute("version", std::int64_t{kMappedImageVersion});
    root.set_attribute("architecture", img.architecture);
    root.set_attribute("network", img.network);
    root.set_attribute("placer", img.placer);
    write_mesh(root.create_group("mesh"), img.mesh);
    write_limits(root.create_group("limits"), img.limits);
    write_cores(root, img.cores);
    write_population_sites(root, img.populations);
    write_input_port_sites(root, img.input_ports);
    write_output_port_sites(root, img.output_ports);
    write_host_nodes(root, img.host_nodes);
  }  // the file is closed here, before the rename
  out.commit();
}

MappedImage read_mapped_image(const std::filesystem::path& file) {
  return ImageReader(file.string()).read();
}

std::vector<CoreOutline> read_core_outline(const std::filesystem::path& file) {
  return ImageReader(file.string()).outline();
}

MappedImage read_mapped_image_part(const std::filesystem::path& file,
                                   std::vector<std::uint8_t> held) {
  return ImageReader(file.string(), std::move(held)).read();
}

}  // namespace loihisim::mapper
