"""The Python module loihisim (docs/python.md) against the command line on the same inputs.

Run by CTest (tests/CMakeLists.txt) as
    PYTHONPATH=build/python LOIHISIM_CLI=build/tools/loihisim /usr/bin/python3 -m pytest tests/python
The results must equal the CLI's (reports, HDF5 arrays, files, error messages), the arrays must
have the documented shapes and types, and runs must release the GIL.
"""
import json
import os
import signal
import subprocess
import threading
import time

import h5py
import numpy as np
import pytest

import loihisim

SRC = os.environ.get("LOIHISIM_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CLI = os.environ.get("LOIHISIM_CLI", os.path.join(SRC, "build", "tools", "loihisim"))
MODEL = os.path.join(SRC, "examples", "hybrid", "mnist_row_t32.model.yaml")
WEIGHTS = os.path.join(SRC, "models", "weights", "mnist_row_modified.h5")
TINY = os.path.join(SRC, "examples", "networks", "tiny.yaml")
NIR = os.path.join(SRC, "tests", "data", "nir", "paper", "01_lif", "lif_norse.nir")
SAMPLES = 8
# Measured on this machine, not simulated: the only keys that may differ between two runs.
MEASURED = {"wall_s", "simulated_inferences_per_wall_s", "timings"}


def cli(*args, cwd=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def cli_json(*args):
    p = cli(*args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def simulated(summary):
    return {k: v for k, v in summary.items() if k not in MEASURED}


def cli_error(*args):
    p = cli(*args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    prefix = "loihisim: error: "
    assert p.stderr.startswith(prefix), p.stderr
    return p.stderr[len(prefix):].rstrip("\n")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_run")
    p = cli("run", MODEL, "--arch", "loihi1", "--samples", SAMPLES, "--quiet", "--report",
            d / "run.json", "--out", d / "run.h5")
    assert p.returncode == 0, p.stderr
    with open(d / "run.json") as f:
        return json.load(f), d / "run.h5"


@pytest.fixture(scope="module")
def py_run():
    return loihisim.run(MODEL, arch="loihi1", samples=SAMPLES)


def test_run_report_equals_the_cli_report(cli_run, py_run):
    report, _ = cli_run
    assert simulated(py_run.summary) == simulated(report)
    assert py_run.accuracy == report["accuracy"]["fraction"]
    assert py_run.samples == SAMPLES
    energy = report["chip"]["energy"]
    assert py_run.energy_by_event_fJ == {line["event"]: line["energy_fJ"]
                                         for line in energy["breakdown"]}
    assert sum(py_run.energy_by_event_fJ.values()) == energy["total_fJ"]
    cores = py_run.energy_by_core
    assert cores["core"].tolist() == [c["core"] for c in report["chip"]["by_core"]]
    assert cores["dynamic_fJ"].tolist() == [c["dynamic_fJ"] for c in report["chip"]["by_core"]]
    host, chip = report["host"]["energy_fJ"], energy["dynamic_fJ"]
    assert py_run.host_share == pytest.approx(host / (host + chip), rel=1e-12)


def test_run_arrays_equal_the_cli_hdf5(cli_run, py_run):
    _, h5 = cli_run
    with h5py.File(h5, "r") as f:
        s = f["samples"]
        for name, mine in [("label", py_run.labels), ("prediction", py_run.predictions),
                           ("output", py_run.outputs), ("chip_steps", py_run.chip_steps),
                           ("chip_time_ps", py_run.chip_time_ps),
                           ("host_time_ps", py_run.host_time_ps),
                           ("chip_dynamic_fJ", py_run.chip_dynamic_fJ),
                           ("chip_total_fJ", py_run.chip_total_fJ),
                           ("host_energy_fJ", py_run.host_energy_fJ),
                           ("population_spikes", py_run.population_spikes),
                           ("chip_events", py_run.chip_events)]:
            assert np.array_equal(mine, s[name][()]), name
        attr = lambda name: s.attrs[name].decode() if isinstance(s.attrs[name], bytes) else s.attrs[name]  # noqa: E731
        assert ",".join(py_run.population_names) == attr("population_names")
        assert ",".join(py_run.event_names) == attr("chip_events_columns")


def test_run_array_shapes_and_types(py_run):
    n, pops = SAMPLES, len(py_run.population_names)
    expected = {"labels": ((n,), np.int32), "predictions": ((n,), np.int32),
                "outputs": ((n, 10), np.float64), "population_spikes": ((n, pops), np.uint64),
                "chip_events": ((n, len(py_run.event_names)), np.uint64),
                "chip_steps": ((n,), np.int64), "chip_time_ps": ((n,), np.int64),
                "host_time_ps": ((n,), np.int64), "latency_ps": ((n,), np.int64),
                "chip_dynamic_fJ": ((n,), np.int64), "chip_total_fJ": ((n,), np.int64),
                "host_energy_fJ": ((n,), np.int64)}
    for name, (shape, dtype) in expected.items():
        a = getattr(py_run, name)
        assert isinstance(a, np.ndarray) and a.shape == shape and a.dtype == dtype, name
    assert np.array_equal(py_run.latency_ps, py_run.chip_time_ps + py_run.host_time_ps)
    assert py_run.accuracy == np.mean(py_run.labels == py_run.predictions)
    # The summary's run totals are the arrays' sums.
    assert py_run.population_spikes.sum(axis=0).tolist() == [
        p["spikes"] for p in py_run.summary["populations"]]
    assert py_run.chip_dynamic_fJ.sum() == py_run.summary["chip"]["energy"]["dynamic_fJ"]


def test_written_report_and_hdf5_equal_the_cli_files(tmp_path, cli_run, py_run):
    report, h5 = cli_run
    py_run.write_report(str(tmp_path / "py.json"))
    py_run.write_h5(str(tmp_path / "py.h5"))
    with open(tmp_path / "py.json") as f:
        assert simulated(json.load(f)) == simulated(report)
    with h5py.File(h5, "r") as a, h5py.File(tmp_path / "py.h5", "r") as b:
        assert np.array_equal(a["samples/chip_events"][()], b["samples/chip_events"][()])


def test_errors_carry_the_cli_messages(tmp_path):
    missing = str(tmp_path / "missing.model.yaml")
    with pytest.raises(loihisim.InputError) as e:
        loihisim.run(missing)
    assert str(e.value) == cli_error("run", missing)
    assert isinstance(e.value, ValueError)

    bad = tmp_path / "bad.model.yaml"
    bad.write_text("name: x\nnetwork: nowhere.network.yaml\nsteps_per_symbol: -3\n")
    with pytest.raises(loihisim.InputError) as e:
        loihisim.run(str(bad))
    assert str(e.value) == cli_error("run", bad)

    with pytest.raises(loihisim.InputError) as e:
        loihisim.run(MODEL, arch="loihi9")
    assert str(e.value) == cli_error("run", MODEL, "--arch", "loihi9")

    with pytest.raises(loihisim.InputError) as e:
        loihisim.baseline(str(bad))
    assert str(e.value) == cli_error("baseline", bad)


def test_runs_release_the_gil_and_threads_give_identical_results(py_run):
    results = [None, None]

    def work(i):
        results[i] = loihisim.run(MODEL, arch="loihi1", samples=SAMPLES)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    # This thread keeps running Python while the two runs work. Measured: about 700,000 loops
    # per second with the GIL released, about 2,500 with it held (the loop then runs only in the
    # moments the interpreter wrests the GIL back).
    ticks = 0
    while any(t.is_alive() for t in threads):
        ticks += 1
    elapsed = time.perf_counter() - start
    for t in threads:
        t.join()
    assert elapsed > 0.2, "the runs were too short to tell"
    assert ticks / elapsed > 20000, (ticks, elapsed)
    for r in results:
        assert simulated(r.summary) == simulated(py_run.summary)
        assert np.array_equal(r.population_spikes, py_run.population_spikes)


def test_ctrl_c_stops_a_run():
    # All 2,000 digits take about a minute; Ctrl-C after half a second stops the run early.
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        loihisim.run(MODEL, arch="loihi1")
    timer.join()
    assert time.perf_counter() - start < 15


def raster_file(path, steps=48, size=4, seed=3):
    values = (np.random.default_rng(seed).random((1, steps, size)) < 0.3).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["values"] = values
        f.attrs["num_classes"] = 0
    return values


def test_simulate_equals_the_cli(tmp_path):
    raster_file(tmp_path / "in.h5")
    out, report = tmp_path / "cli.h5", tmp_path / "cli.json"
    p = cli("simulate", TINY, "--steps", 48, "--input", tmp_path / "in.h5", "-q",
            "--record-spikes", "--probe", "hidden:0,2", "--probe", "out", "--out", out,
            "--report", report)
    assert p.returncode == 0, p.stderr
    s = loihisim.simulate(TINY, 48, input=str(tmp_path / "in.h5"), record_spikes=True,
                          probes=[("hidden", [0, 2]), "out"])
    with open(report) as f:
        cli_summary = json.load(f)
    assert s.summary == cli_summary
    assert sum(s.spike_counts.values()) > 0
    with h5py.File(out, "r") as f:
        for name, count in s.spike_counts.items():
            assert count == f["populations"][name].attrs["spikes"]
            step, neuron = s.spikes(name)
            assert np.array_equal(step, f["populations"][name]["step"][()])
            assert np.array_equal(neuron, f["populations"][name]["neuron"][()])
            raster = s.raster(name)
            assert raster.dtype == np.uint8 and raster.shape[0] == 48
            assert raster.sum() == count
        for name, probe in s.probes.items():
            assert probe["v"].shape == (48, len(probe["neurons"])) and probe["v"].dtype == np.int32
            assert np.array_equal(probe["v"], f["probes"][name]["v"][()])
            assert np.array_equal(probe["u"], f["probes"][name]["u"][()])
    per_step = s.per_step
    assert per_step["latency_ps"].shape == (48,) and per_step["latency_ps"].dtype == np.int64
    assert per_step["latency_ps"].sum() == cli_summary["time"]["latency_ps"]
    assert len(per_step["critical"]) == 48


def test_cycle_timing_model_equals_the_cli(tmp_path):
    report = tmp_path / "cli.json"
    p = cli("simulate", TINY, "--steps", 24, "-q", "--network-model", "cycle", "--report", report)
    assert p.returncode == 0, p.stderr
    s = loihisim.simulate(TINY, 24, arch=loihisim.Architecture("loihi1", network_model="cycle"))
    with open(report) as f:
        assert s.summary == json.load(f)
    with pytest.raises(Exception, match="event, analytic or cycle"):
        loihisim.Architecture("loihi1", network_model="clock")


def test_baseline_and_compare_equal_the_cli(tmp_path, cli_run, py_run):
    run_report, _ = cli_run
    b = loihisim.baseline(WEIGHTS, samples=SAMPLES, warmup=1, rapl="off")
    report = tmp_path / "base.json"
    p = cli("baseline", WEIGHTS, "--samples", SAMPLES, "--warmup", 1, "--rapl", "off",
            "--report", report)
    assert p.returncode == 0, p.stderr
    with open(report) as f:
        cli_base = json.load(f)
    # Counts and accuracy are exact; the times are measured.
    for key in ["weights", "dataset", "samples", "counts_per_inference", "implementations_agree"]:
        assert b.summary[key] == cli_base[key], key
    for mine, theirs in zip(b.summary["implementations"], cli_base["implementations"]):
        assert mine["accuracy"] == theirs["accuracy"]
    assert b.accuracy == cli_base["implementations"][1]["accuracy"]["fraction"]
    for name, predictions in b.predictions.items():
        assert predictions.shape == (SAMPLES,) and predictions.dtype == np.int32, name
    with open(tmp_path / "run.json", "w") as f:
        json.dump(run_report, f)
    theirs = cli_json("compare", tmp_path / "run.json", report, "--json")
    mine = loihisim.compare(py_run, b)
    chip_mine = {k: v for k, v in mine["neuromorphic"].items() if k != "run_report"}
    chip_theirs = {k: v for k, v in theirs["neuromorphic"].items() if k != "run_report"}
    assert chip_mine == chip_theirs
    assert loihisim.compare(str(tmp_path / "run.json"), str(report)) == theirs
    text = cli("compare", tmp_path / "run.json", report)
    assert loihisim.compare_text(str(tmp_path / "run.json"), str(report)) == text.stdout


def tree(path):
    """Every dataset of an HDF5 file by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()])
                     if isinstance(o, h5py.Dataset) else None)
    return out


@pytest.mark.parametrize("method, weights, extra", [
    ("hybrid-lstm", WEIGHTS, ["--steps", "4"]),
    ("spiking-lstm", os.path.join(SRC, "models", "weights", "spiking_mnist_row_t4.h5"), []),
])
def test_convert_writes_the_cli_files(tmp_path, method, weights, extra):
    (tmp_path / "cli").mkdir()
    (tmp_path / "py").mkdir()
    p = cli("convert", weights, "--method", method, "--arch", "loihi1", "--out", "m.model.yaml",
            *extra, cwd=tmp_path / "cli")
    assert p.returncode == 0, p.stderr
    cwd = os.getcwd()
    os.chdir(tmp_path / "py")
    try:
        kwargs = {"steps": 4} if method == "hybrid-lstm" else {}
        c = loihisim.convert(weights, "m.model.yaml", method=method, arch="loihi1", **kwargs)
    finally:
        os.chdir(cwd)
    assert p.stdout == c["text"] + f"wrote {c['model_file']} and {c['network_file']}\n"
    for name in ["m.model.yaml", "m.network.yaml"]:
        assert (tmp_path / "py" / name).read_text() == (tmp_path / "cli" / name).read_text()
    a, b = tree(tmp_path / "py" / "m.network.h5"), tree(tmp_path / "cli" / "m.network.h5")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert c["mapping"]["cores_used"] >= 1


def test_convert_and_map_errors(tmp_path):
    with pytest.raises(loihisim.InputError) as e:
        loihisim.convert(WEIGHTS, str(tmp_path / "m.model.yaml"), steps=0)
    assert str(e.value) == cli_error("convert", WEIGHTS, "--method", "hybrid-lstm", "--steps", 0,
                                     "--out", tmp_path / "m.model.yaml")
    with pytest.raises(loihisim.InputError, match="--generator-start 'middle': one of half, zero"):
        loihisim.convert(WEIGHTS, str(tmp_path / "m.model.yaml"), generator_start="middle")
    assert not list(tmp_path.iterdir())
    with pytest.raises(loihisim.InputError) as e:
        loihisim.map(str(tmp_path / "none.yaml"))
    assert str(e.value) == cli_error("map", tmp_path / "none.yaml")


def test_map_equals_the_cli():
    mine = loihisim.map(TINY, arch="loihi2", placer="greedy")
    theirs = cli_json("map", TINY, "--arch", "loihi2", "--placer", "greedy", "--json")
    assert simulated(mine) == simulated(theirs)


def test_import_nir_writes_the_cli_network(tmp_path):
    (tmp_path / "cli").mkdir()
    p = cli("import-nir", NIR, "--out", tmp_path / "cli" / "lif.model.yaml", "--dt", "1e-4",
            "--synthetic-input", 20, "--quiet")
    assert p.returncode == 0, p.stderr
    r = loihisim.import_nir(NIR, str(tmp_path / "lif.model.yaml"), dt=1e-4, synthetic_steps=20)
    assert (tmp_path / "lif.network.yaml").read_text() == \
        (tmp_path / "cli" / "lif.network.yaml").read_text()
    a, b = tree(tmp_path / "lif.input.h5"), tree(tmp_path / "cli" / "lif.input.h5")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert r["populations"] and r["mapping"]["cores_used"] >= 1
    assert r["input_file"] == str(tmp_path / "lif.input.h5")


def test_the_worked_example_runs():
    p = subprocess.run(["/usr/bin/python3", os.path.join("examples", "python", "demo.py"), "20"],
                       capture_output=True, text=True, cwd=SRC,
                       env={**os.environ, "PYTHONPATH": os.path.dirname(loihisim.__path__[0])})
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("accuracy: chip ") and "CPU/active" in p.stdout
