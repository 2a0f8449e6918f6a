// HDF5 dataset files (formats/datasets: read_dataset_h5): values, labels and their attributes.
// The input describes the file (fuzz/hdf5_input.hpp) or is one.
#include "formats/datasets.hpp"
#include "fuzz/hdf5_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::Hdf5Input file("dataset.h5", data, size);
  if (file.usable())
    loihisim::fuzz::expect_input_errors([&] { loihisim::read_dataset_h5(file.path()); });
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
