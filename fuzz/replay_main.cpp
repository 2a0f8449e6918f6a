// The fuzz harnesses' main() outside the fuzz build (docs/reliability.md): runs
// LLVMFuzzerTestOneInput once on every file named on the command line and on every file of every
// folder named there (sorted, not recursive), so that CTest replays the committed regression
// corpus (fuzz/corpus/<target>/) in the normal and the sanitizer builds. libFuzzer's options
// (arguments starting with '-') are ignored.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return false;
  }
  // On the heap with exactly the input's size, as libFuzzer passes it, so that a read past the
  // end is caught by AddressSanitizer.
  const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), data.size());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("-")) continue;
    if (fs::is_directory(arg)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file()) in_dir.push_back(e.path());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...: runs the harness on every input\n", argv[0]);
    return 2;
  }
  bool ok = true;
  for (const auto& f : files) ok = replay(f) && ok;
  std::fprintf(stderr, "replay: %zu input(s)%s\n", files.size(), ok ? "" : ", some unreadable");
  return ok ? 0 : 1;
}
