"""loihisim from Python: the simulator's library calls (docs/python.md).

    import loihisim
    r = loihisim.run("examples/hybrid/mnist_row_t32.model.yaml", arch="loihi1", samples=200)
    print(r.accuracy, r.summary["per_inference"]["chip_active_energy_pJ"])

Everything is in the extension module loihisim._loihisim (built by the project's CMake into
build/python/loihisim/); this file re-exports it.
"""
from ._loihisim import (  # noqa: F401
    Architecture,
    BaselineResult,
    FreeRun,
    InputError,
    RunResult,
    __version__,
    architectures,
    baseline,
    compare,
    compare_text,
    convert,
    import_nir,
    map,
    run,
    simulate,
)

# Shown as loihisim.X (tracebacks, repr), where users find them.
for _cls in (Architecture, BaselineResult, FreeRun, InputError, RunResult):
    _cls.__module__ = __name__
del _cls
