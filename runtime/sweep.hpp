// Design-space sweeps (`loihisim sweep SWEEP.yaml --out DIR`, docs/sweep.md): a model run at
// every point of a grid of architecture parameters (any numeric key of the architecture file, by
// dotted path), T, weight bits, placement and model options; one table of accuracy, energy and
// latency per inference (CSV and HDF5), and the Pareto front of accuracy against energy per
// inference and latency, plotted in an HTML page.
//
// Determinism: every point runs on its own (one inference thread), its results go to its own
// slot, so the table is byte-identical for any number of threads over points.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace loihisim {

// One grid key and its values, as the sweep file writes them (scalars' text).
struct SweepAxis {
  std::string key;  // "T", "weight_bits", "placement", "model.<option>" or "arch.<dotted.path>"
  std::vector<std::string> values;
};

struct SweepSpec {
  std::filesystem::path file;   // the sweep file
  std::filesystem::path model;  // the model file (relative paths: to the sweep file)
  std::string arch = "loihi1";  // a profile name or an architecture file
  std::uint64_t samples = 0;    // 0: all
  std::uint64_t every = 1;
  std::vector<SweepAxis> grid;  // in file order; the last key varies fastest
};

// Reads and checks a sweep file: unknown keys, an empty grid or an empty list of values, a key
// the architecture file does not have (or whose value there is not a number), a non-numeric
// value for a numeric key, an unknown placement or model option: InputError naming the file,
// the line and the key.
SweepSpec read_sweep(const std::filesystem::path& file);

// The figures of one point (per inference).
struct SweepRow {
  std::vector<std::string> values;  // one per axis
  double accuracy = 0;
  double chip_active_energy_pj = 0, chip_total_energy_pj = 0, host_energy_pj = 0;
  double active_energy_pj = 0, total_energy_pj = 0;  // chip active + host, chip total + host
  double latency_ns = 0;
  int cores_used = 0, chips = 0;
  bool pareto = false;
};

struct SweepResult {
  SweepSpec spec;
  std::string dataset;
  std::vector<SweepRow> rows;  // grid order
};

// Runs every point: `threads` points at a time. `cancel` stops handing out points; `progress`
// gets the number of finished points. InputError for a point that cannot run, naming the sweep
// file, the point and its values.
SweepResult run_sweep(const SweepSpec& spec, int threads, const std::string& data_cache,
                      const std::atomic<bool>* cancel = nullptr,
                      const std::function<void(std::size_t)>& progress = {});

// Marks the Pareto front: a row is on it when no other row is at least as accurate, at most as
// costly in active energy and at most as slow, and better in one of the three.
void mark_pareto_front(std::vector<SweepRow>& rows);

// The table as CSV (header line, one line per point; numbers in shortest round-trip form).
std::string sweep_csv(const SweepResult& r);
// The HTML page: the table and accuracy against energy and against latency, front highlighted.
std::string sweep_html(const SweepResult& r);
// DIR/sweep.csv, DIR/sweep.h5 and DIR/sweep.html, written atomically (the caller's OutputSet
// renames them together).
void write_sweep(const SweepResult& r, const std::filesystem::path& dir);

}  // namespace loihisim
