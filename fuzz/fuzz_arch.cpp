// Architecture files (formats/arch_io): YAML -> core::Architecture, validated.
#include "formats/arch_io.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::TempFile file("arch.yaml", data, size);
  loihisim::fuzz::expect_input_errors([&] { loihisim::read_architecture(file.path()); });
  return 0;
}
