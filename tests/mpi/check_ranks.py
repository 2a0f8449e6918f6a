#!/usr/bin/env python3
"""A network spread over 10 chips, run by `mpirun -np K loihisim simulate` and by one process
without mpirun: the summaries (--report) must be equal and the HDF5 results (--out: spike counts,
every spike, the energy and time arrays) bit-identical (docs/scaling.md), with the event network
model (rank 0 accounts every core) and the analytic one (each rank accounts its own cores), with
neurons of every rank's cores probed (v and u gathered from their owners); the image tables
the ranks hold add up to the one process's (each rank read only its own cores). Then batch inference,
`mpirun -np K loihisim run` (the samples split over the ranks) against one process: equal but for
what is measured (wall times, throughput). CTest runs it for K = 1, 2 and 4 (tests/CMakeLists.txt).

    /usr/bin/python3 tests/mpi/check_ranks.py --cli build/tools/loihisim --ranks 4 --work DIR

The network is bench/random_network.py's (2560 LIF neurons, 40 random targets each) on the test
architecture tests/data/arch/loihi1-small-chips.yaml (8 cores per chip, 32 compartments per core).
mpirun runs as root in CI: --allow-run-as-root and --oversubscribe (2 cores, up to 4 ranks).
"""
import argparse
import json
import re
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCH = os.path.join(HERE, "tests", "data", "arch", "loihi1-small-chips.yaml")
MODEL = os.path.join(HERE, "examples", "run", "hybrid_cell.model.yaml")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
# Keys of `loihisim run` summaries measured on this machine rather than simulated.
MEASURED = re.compile(r"(wall|seconds|per_s|per_second|threads|timings|timestamp|created)", re.I)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def h5_items(path):
    """Every dataset's bytes and every attribute, by path."""
    items = {}

    def visit(name, obj):
        for k, v in obj.attrs.items():
            items[f"{name}@{k}"] = np.asarray(v).tobytes() if not isinstance(v, str) else v
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            if obj.dtype.kind == "O":  # variable-length strings: their values, not pointers
                data = repr(np.asarray(data).tolist()).encode()
            else:
                data = np.asarray(data).tobytes()
            items[name] = (obj.dtype.str, obj.shape, data)

    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            items[f"/@{k}"] = np.asarray(v).tobytes() if not isinstance(v, str) else v
        f.visititems(visit)
    return items


def strip_measured(d):
    if isinstance(d, dict):
        return {k: strip_measured(v) for k, v in d.items() if not MEASURED.search(k)}
    if isinstance(d, list):
        return [strip_measured(x) for x in d]
    return d


def check_run(a, model, tag, samples, every=1):
    """Batch inference: `samples` samples (one in `every`) of `model` over K ranks and in one
    process."""
    out = {}
    for name, launch in (("one", []), ("ranks", MPIRUN + ["-np", str(a.ranks)])):
        base = os.path.join(a.work, f"run-{tag}-{name}-{a.ranks}")
        run(launch + [a.cli, "run", model, "--arch", "loihi1", "--samples", str(samples),
                      "--every", str(every), "--quiet", "--out", base + ".h5", "--report",
                      base + ".json"])
        with open(base + ".json") as f:
            summary = strip_measured(json.load(f))
        items = h5_items(base + ".h5")
        items["/@summary_json"] = strip_measured(json.loads(items["/@summary_json"]))
        out[name] = (summary, items)
    problems = []
    if out["one"][0] != out["ranks"][0]:
        problems.append(f"run {tag}: the summaries differ")
    h_ref, h_got = out["one"][1], out["ranks"][1]
    for k in sorted(set(h_ref) | set(h_got)):
        if h_ref.get(k) != h_got.get(k):
            problems.append(f"run {tag}: HDF5 {k} differs")
    return problems


IMAGE = re.compile(r"rank (\d+): .*; image tables (\d+) bytes")


def check_simulate(a, mapped, model):
    """`simulate` over K ranks and in one process: summaries and HDF5 results equal; each rank
    held only its own cores' image tables (they add up to the one-process figure)."""
    # The probed neurons lie on every rank's cores for K = 2 and 4 (chips 0, 1, 5, 6, 9).
    common = ["simulate", mapped, "--arch", ARCH, "--steps", str(a.steps), "-q",
              "--record-spikes", "--network-model", model,
              "--probe", "lif:0,7,100,1200-1210,1500,2000,2559"]
    one = os.path.join(a.work, f"one-{model}-{a.ranks}")
    many = os.path.join(a.work, f"ranks-{model}-{a.ranks}")
    text_one = run([a.cli] + common + ["--out", one + ".h5", "--report", one + ".json"])
    text = run(MPIRUN + ["-np", str(a.ranks), a.cli] + common +
               ["--out", many + ".h5", "--report", many + ".json"])
    with open(one + ".json") as f:
        ref = json.load(f)
    with open(many + ".json") as f:
        got = json.load(f)
    problems = []
    if ref != got:
        problems.append(f"{model}: the summaries differ")
    if ref["in_use"]["chips"] < 8:
        problems.append(f"the network uses {ref['in_use']['chips']} chips, not >= 8")
    if ref["populations"][0]["spikes"] == 0:
        problems.append("no spikes: the comparison would be empty")
    h_ref, h_got = h5_items(one + ".h5"), h5_items(many + ".h5")
    for k in sorted(set(h_ref) | set(h_got)):
        if h_ref.get(k) != h_got.get(k):
            problems.append(f"{model}: HDF5 {k} differs")
    if f"{a.ranks} rank" not in text:
        problems.append(f"the run did not report {a.ranks} ranks:\n{text}")
    whole = [int(m.group(2)) for m in IMAGE.finditer(text_one)]
    parts = [int(m.group(2)) for m in IMAGE.finditer(text)]
    if len(whole) != 1 or len(parts) != a.ranks or sum(parts) != whole[0]:
        problems.append(f"{model}: image tables per rank {parts} do not add up to {whole}")
    elif a.ranks > 1 and max(parts) >= whole[0]:
        problems.append(f"{model}: a rank held the whole image's tables: {parts}")
    return ref, problems


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", required=True)
    p.add_argument("--ranks", type=int, required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--steps", type=int, default=150)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    net = os.path.join(a.work, "net.yaml")
    mapped = os.path.join(a.work, "mapped.h5")
    if not os.path.exists(mapped):
        run([sys.executable, os.path.join(HERE, "bench", "random_network.py"), net,
             "--neurons", "2560", "--fanout", "40", "--seed", "3"])
        run([a.cli, "map", net, "--arch", ARCH, "-o", mapped])
    problems = []
    # The event network model: rank 0 accounts every core; the analytic one: every rank its own.
    for model in ("event", "analytic"):
        ref, more = check_simulate(a, mapped, model)
        problems += more
    problems += check_run(a, MODEL, "hybrid-cell", 12)
    # A hybrid LSTM with timestep skipping (docs/running.md): its per-sample probe and skip
    # counts travel with the gathered results (the summary's `dts` object).
    dts = os.path.join(a.work, f"dts-{a.ranks}.model.yaml")
    run([a.cli, "convert", os.path.join(HERE, "models", "weights", "mnist_row_modified.h5"),
         "--method", "hybrid-lstm", "--steps", "4", "--dts-tau", "0.48", "--out", dts])
    problems += check_run(a, dts, "dts", 6, every=300)
    for line in problems:
        print("check_ranks:", line)
    if problems:
        return 1
    print(f"check_ranks: {a.ranks} ranks, {ref['in_use']['chips']} chips, "
          f"{ref['populations'][0]['spikes']} spikes: identical to one process (event and "
          f"analytic network models, each rank reading its own cores); batch inference too")
    return 0


if __name__ == "__main__":
    sys.exit(main())
