// Mapped images (mapper/mapped_image_io): HDF5 -> MappedImage. The input describes the file
// (fuzz/hdf5_input.hpp) or is one. The reader promises that what it returns passes
// core::validate (a chip can be built from it), so that is checked too.
#include "core/chip.hpp"
#include "fuzz/hdf5_input.hpp"
#include "mapper/mapped_image_io.hpp"

namespace {

void load(const std::filesystem::path& file) {
  const loihisim::mapper::MappedImage image = loihisim::mapper::read_mapped_image(file);
  const auto problems = loihisim::core::validate(loihisim::mapper::chip_config(image));
  if (!problems.empty())
    loihisim::fuzz::TempFile::fail(
        "read_mapped_image returned an image that core::validate rejects: " +
        problems.front().field + ": " + problems.front().message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::Hdf5Input file("mapped.h5", data, size);
  if (file.usable()) loihisim::fuzz::expect_input_errors([&] { load(file.path()); });
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
