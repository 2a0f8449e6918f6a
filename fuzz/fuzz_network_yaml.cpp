// Network files (mapper/network_io): YAML -> Network. The input sits beside copies of the shipped
// companion HDF5 files (ring.h5, mnist_row_t32.network.h5, and all_kinds.h5, the seed of the
// network_h5 target), so that the seeds' `{dataset: ...}` references reach the HDF5 side of the
// reader too.
#include "fuzz/fuzz_support.hpp"
#include "mapper/network_io.hpp"

namespace {

// The array files the seeds name, copied once beside the input.
bool copy_arrays() {
  loihisim::fuzz::copy_beside("examples/networks/ring.h5", "ring.h5");
  loihisim::fuzz::copy_beside("examples/hybrid/mnist_row_t32.network.h5",
                              "mnist_row_t32.network.h5");
  loihisim::fuzz::copy_beside("fuzz/corpus/network_h5/seed_all_kinds.h5", "all_kinds.h5");
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool arrays = copy_arrays();
  (void)arrays;
  const loihisim::fuzz::TempFile file("network.yaml", data, size);
  loihisim::fuzz::expect_input_errors([&] { loihisim::mapper::read_network(file.path()); });
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
