// A recurrent LIF population with a fixed sparse connectivity (neuron i drives i + k stride for
// k = 1..fan_out, excitatory below `excitatory`, inhibitory above), tonic biases in 450..559:
// the benchmark's kind of network in a size a test can run, mapped with the default placer.
#pragma once

#include <cstdint>
#include <string>

#include "core/architecture.hpp"
#include "mapper/mapper.hpp"

namespace loihisim::testing {

struct RecurrentNetwork {
  std::string name;
  std::int32_t size = 0, fan_out = 0, stride = 1, excitatory = 0;
  std::int16_t w_exc = 0, w_inh = 0;
};

inline mapper::MappedImage map_recurrent_network(const RecurrentNetwork& n,
                                                 const core::Architecture& arch) {
  mapper::Network net;
  net.name = n.name;
  mapper::Population p;
  p.name = "lif";
  p.size = n.size;
  p.profile.decay_u = 1024;
  p.profile.decay_v = 256;
  p.profile.vth_mant = 100;
  for (std::int32_t i = 0; i < p.size; ++i) p.bias_mant.push_back(450 + (i * 37) % 110);
  p.bias_exp.assign(static_cast<std::size_t>(p.size), 0);
  net.add_population(p);
  mapper::Projection r;
  r.name = "recurrent";
  r.source = r.target = "lif";
  r.dense = false;
  r.format.weight_bits = 8;
  for (std::int32_t i = 0; i < p.size; ++i)
    for (std::int32_t k = 1; k <= n.fan_out; ++k) {
      r.pre.push_back(i);
      r.post.push_back((i + k * n.stride) % p.size);
      r.weight.push_back(i < n.excitatory ? n.w_exc : n.w_inh);
    }
  net.add_projection(r);
  mapper::MapOptions mo;
  mo.compare_placers = false;
  return mapper::map_network(net, arch, mo).image;
}

}  // namespace loihisim::testing
