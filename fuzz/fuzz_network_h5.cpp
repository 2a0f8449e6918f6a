// Network array files (mapper/network_io): the companion HDF5 file of a network YAML. The input
// describes the file (fuzz/hdf5_input.hpp) or is one; it is all_kinds.h5 beside a fixed network,
// fuzz/corpus/network_yaml/seed_all_kinds.yaml, which reads every kind of array from it:
// per-neuron and dendrite biases in hardware units, real biases, dense and sparse weights
// (mantissas and real), delays and host-node arrays.
#include "fuzz/hdf5_input.hpp"
#include "mapper/network_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path network =
      loihisim::fuzz::copy_beside("fuzz/corpus/network_yaml/seed_all_kinds.yaml", "network.yaml");
  const loihisim::fuzz::Hdf5Input arrays("all_kinds.h5", data, size);
  if (arrays.usable())
    loihisim::fuzz::expect_input_errors([&] { loihisim::mapper::read_network(network); });
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
