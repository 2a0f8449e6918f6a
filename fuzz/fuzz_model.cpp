// Model files (models/model_file): YAML -> ModelSpec.
#include "fuzz/fuzz_support.hpp"
#include "models/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::TempFile file("model.yaml", data, size);
  loihisim::fuzz::expect_input_errors([&] { loihisim::read_model(file.path()); });
  return 0;
}
