// The Python module `loihisim` (docs/python.md): the library's calls behind `loihisim convert`,
// `import-nir`, `map`, `run`, `simulate`, `baseline` and `compare`, with results as numpy arrays
// and dicts (the reports' keys, docs/reports.md). One bind_* function per part; module.cpp
// registers them and the exception InputError.
//
// Threads: the long calls (map, run, simulate, baseline) release the GIL while the library
// works. Calls that write files (convert, import_nir, the results' write_* methods) keep it:
// io/atomic_output's OutputSet is one per process, and holding the GIL serialises them.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "io/atomic_output.hpp"
#include "io/summary_file.hpp"

namespace loihisim::python {

namespace py = pybind11;

// An architecture as the user named it: a shipped profile ("loihi1") or a YAML file.
struct PyArch {
  std::string given;  // the name or path, as the command line's --arch
  core::Architecture arch;
  explicit PyArch(const std::string& name_or_file, const std::string& network_model = "");
};

// Every call's `arch` argument: an Architecture, or a str naming one (an unknown name or a bad
// file raises InputError with the command line's message).
PyArch arch_of(const py::object& o);

// A summary (docs/reports.md) as the dict json.loads gives for the command line's --report JSON.
py::object to_dict(const Summary& j);

// A 1-D (or, with `shape`, n-D row-major) numpy array holding a copy of `v`.
template <class T>
py::array_t<T> to_array(const std::vector<T>& v, std::vector<py::ssize_t> shape = {}) {
  if (shape.empty()) shape.push_back(static_cast<py::ssize_t>(v.size()));
  py::array_t<T> a(shape);
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

// A file argument: declared as an input when it names a file (an architecture or profile may be
// a shipped name instead).
void input_if_file(OutputSet& files, const std::string& name, const std::string& what);

// Runs `work(cancel)` on a worker thread with the GIL released and, every 100 ms, lets Python
// handle its signals: Ctrl-C (a notebook's "interrupt") sets `cancel`, waits for the work to
// stop between samples or steps, and raises KeyboardInterrupt. Exceptions of the work (InputError
// ...) arrive in the caller.
template <class F>
auto interruptible(F work) -> decltype(work(nullptr)) {
  std::atomic<bool> cancel{false};
  py::gil_scoped_release release;
  auto done = std::async(std::launch::async, [&] { return work(&cancel); });
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    py::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) {
      cancel = true;
      done.wait();
      throw py::error_already_set();
    }
  }
  return done.get();
}

void bind_architecture(py::module_& m);
void bind_models(py::module_& m);    // convert, import_nir, map
void bind_run(py::module_& m);       // run, RunResult
void bind_simulate(py::module_& m);  // simulate, FreeRun
void bind_baseline(py::module_& m);  // baseline, BaselineResult, compare

}  // namespace loihisim::python
