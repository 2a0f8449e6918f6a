// NIR graphs (models/nir_graph + nir_lower; the input describes the file, fuzz/hdf5_input.hpp,
// or is one): read, flatten and lower, since the lowering is where
// a graph's parameters and shapes are used. Each graph is lowered twice: exactly (what cannot be
// lowered exactly is an InputError) and with approximations (warnings instead, which reaches the
// code that picks the nearest representable choice).
#include "fuzz/hdf5_input.hpp"
#include "models/nir_graph.hpp"
#include "models/nir_lower.hpp"

namespace {

namespace nir = loihisim::models::nir;

void lower(const nir::NirFile& file, bool approximate) {
  const nir::FlatGraph flat = nir::flatten(file, approximate);
  nir::LowerOptions options;
  options.approximate = approximate;
  nir::lower(flat, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::Hdf5Input file("graph.nir", data, size);
  nir::NirFile graph;
  if (file.usable() &&
      loihisim::fuzz::expect_input_errors([&] { graph = nir::read_nir(file.path()); })) {
    loihisim::fuzz::expect_input_errors([&] { lower(graph, false); });
    loihisim::fuzz::expect_input_errors([&] { lower(graph, true); });
  }
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
