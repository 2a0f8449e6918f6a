// Core-run specs (formats/core_spec_io): YAML -> CoreSpec, checked against Loihi 1's per-core
// limits.
#include "formats/core_spec_io.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::TempFile file("spec.yaml", data, size);
  loihisim::fuzz::expect_input_errors([&] { loihisim::read_core_spec(file.path()); });
  return 0;
}
