// The extension module loihisim._loihisim; python/loihisim/__init__.py re-exports it.
#include <filesystem>

#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/version.hpp"
#include "python/bindings.hpp"

namespace loihisim::python {

PyArch::PyArch(const std::string& name_or_file, const std::string& network_model)
    : given(name_or_file), arch(load_architecture(name_or_file)) {
  if (network_model.empty()) return;
  if (network_model != "event" && network_model != "analytic" && network_model != "cycle")
    throw InputError("network_model '" + network_model + "': event, analytic or cycle");
  arch.network.model = network_model == "analytic" ? core::NetworkModel::kAnalytic
                       : network_model == "cycle"  ? core::NetworkModel::kCycle
                                                   : core::NetworkModel::kEvent;
  if (arch.network.model == core::NetworkModel::kCycle && !arch.cycle.present)
    throw InputError("network_model 'cycle': architecture '" + arch.name +
                     "' has no chip.cycle section");
}

PyArch arch_of(const py::object& o) {
  if (py::isinstance<PyArch>(o)) return o.cast<PyArch>();
  return PyArch(o.cast<std::string>());
}

py::object to_dict(const Summary& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

void input_if_file(OutputSet& files, const std::string& name, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name, ec)) files.input(name, what);
}

void bind_architecture(py::module_& m) {
  py::class_<PyArch>(m, "Architecture",
                     "An architecture profile: a shipped name (loihi1, loihi1-sanafe, loihi2) or "
                     "a YAML file of the same form (docs/energy-model.md).")
      .def(py::init<const std::string&, const std::string&>(), py::arg("name_or_file"),
           py::arg("network_model") = "",
           "network_model: event, analytic or cycle step timing ('' keeps the file's)")
      .def_property_readonly("name", [](const PyArch& a) { return a.arch.name; })
      .def_property_readonly("given", [](const PyArch& a) { return a.given; })
      .def("__repr__", [](const PyArch& a) { return "loihisim.Architecture('" + a.given + "')"; });
  m.def("architectures", &architecture_profiles, "Names of the shipped architecture profiles.");
}

}  // namespace loihisim::python

PYBIND11_MODULE(_loihisim, m) {
  namespace py = pybind11;
  m.doc() = "loihisim: a simulator of Loihi-style neuromorphic chips (docs/python.md)";
  m.attr("__version__") = std::string(loihisim::version());
  // Bad input: the command line's message, as a ValueError subclass.
  py::register_exception<loihisim::InputError>(m, "InputError", PyExc_ValueError);
  loihisim::python::bind_architecture(m);
  loihisim::python::bind_models(m);
  loihisim::python::bind_run(m);
  loihisim::python::bind_simulate(m);
  loihisim::python::bind_baseline(m);
}
