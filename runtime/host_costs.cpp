#include "runtime/host_costs.hpp"


namespace loihisim {

HostCosts host_costs(const core::Architecture& arch, HostLocation location) {
  const core::HostOpCosts* ops = location == HostLocation::kExternal
                                     ? &arch.host_coprocessor.external
                                     : &arch.host_coprocessor.embedded;
  HostCosts c;
  c.location = location;
  c.mul_fj = ops->mul.energy_fj;
  c.add_fj = ops->add.energy_fj;
  c.cmp_fj = ops->cmp.energy_fj;
  c.nonlin_fj = ops->nonlin.energy_fj;
  c.byte_fj = ops->byte.energy_fj;
  c.mul_ps = ops->mul.latency_ps;
  c.add_ps = ops->add.latency_ps;
  c.cmp_ps = ops->cmp.latency_ps;
  c.nonlin_ps = ops->nonlin.latency_ps;
  c.byte_ps = ops->byte.latency_ps;
  return c;
}

}  // namespace loihisim
