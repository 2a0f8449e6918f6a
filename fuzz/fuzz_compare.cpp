// Summary files (io/summary_file: read_summary) and `loihisim compare`'s reading of its two
// reports (baseline/baseline_report: read_run_summary, read_baseline_summary). The input is read
// as a .json and as a .yaml file (the extension picks the parser), then as a run report beside
// the shipped baseline report and as a baseline report beside the shipped run report, and the
// comparison is built, printed and written the way `loihisim compare [--json] [--report]` does.
#include "baseline/baseline_report.hpp"
#include "fuzz/fuzz_support.hpp"
#include "io/summary_file.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(LOIHISIM_SOURCE_DIR) / "fuzz/corpus/compare";

void compare(const loihisim::ChipSummary& chip, const loihisim::CpuSummary& cpu) {
  const loihisim::Summary s = loihisim::compare_summary(chip, cpu);
  (void)s.dump(2);
  (void)loihisim::summary_yaml(s);
  (void)loihisim::compare_text(chip, cpu);
}

void read_report(const fs::path& report) {
  namespace fuzz = loihisim::fuzz;
  if (!fuzz::expect_input_errors([&] { loihisim::read_summary(report); })) return;
  fuzz::expect_input_errors([&] {
    compare(loihisim::read_run_summary(report),
            loihisim::read_baseline_summary(kCorpus / "seed_baseline.json"));
  });
  fuzz::expect_input_errors([&] {
    compare(loihisim::read_run_summary(kCorpus / "seed_run.json"),
            loihisim::read_baseline_summary(report));
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const char* name : {"report.json", "report.yaml"}) {
    const loihisim::fuzz::TempFile file(name, data, size);
    read_report(file.path());
  }
  return 0;
}
