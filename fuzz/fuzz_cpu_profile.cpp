// CPU energy profiles (baseline/cpu_profile_io): YAML -> CpuProfile, validated.
#include "baseline/cpu_profile_io.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::TempFile file("cpu_profile.yaml", data, size);
  loihisim::fuzz::expect_input_errors([&] { loihisim::read_cpu_profile(file.path()); });
  return 0;
}
