#!/usr/bin/env python3
"""Runs a fixed set of loihisim commands and writes a normalised dump of everything they produce.

A refactoring check: run it before and after a change with the same inputs and diff the two
dumps. Every output file is dumped by content (HDF5: each dataset's dtype, shape and SHA-256 of
its bytes, every attribute's value; JSON/YAML: the parsed tree; text: the lines), minus what is
measured rather than simulated (wall-clock times, CPU time per inference, this machine's
throughput). Keys are dumped as they are, so a renamed key shows up in the diff: read such lines
and check the value beside them is unchanged.

    /usr/bin/python3 tools/output_snapshot.py --cli build/tools/loihisim --work /tmp/snap-a > a.txt
    ... change, rebuild ...
    /usr/bin/python3 tools/output_snapshot.py --cli build/tools/loihisim --work /tmp/snap-b > b.txt
    diff a.txt b.txt
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Keys and text lines whose values are measured on this machine, not simulated.
MEASURED_KEY = re.compile(
    r"(wall|seconds_simulated|simulated_s|inferences_per_s|per_second|median|p10|p90|"
    r"mean_us|time_us|mean_ns|elapsed_s|measured|rapl|timestamp|date|host_cpu|cpu_model|"
    r"threads|command|created|timings)",
    re.I,
)
MEASURED_LINE = re.compile(r"(timings_seconds|simulated in|us stepping|inferences/s|median|p10|p90| us per inference|wall|"
                           r"\bCPU .* us\b|measured)", re.I)


def commands(cli, work, quick):
    """(name, argv, outputs) for every command of the snapshot."""
    ex = os.path.join(HERE, "examples")
    w = lambda *p: os.path.join(work, *p)
    out = []
    for spec in ("trace1", "trace2", "demo"):
        for arch in ("loihi1", "loihi2"):
            out.append((f"core-run {spec} {arch}",
                        [cli, "core-run", f"{ex}/core/{spec}.yaml", "--arch", arch, "--out",
                         w(f"core-{spec}-{arch}.h5"), "--report", w(f"core-{spec}-{arch}.json")],
                        [w(f"core-{spec}-{arch}.h5"), w(f"core-{spec}-{arch}.json")]))
    for net in ("tiny", "ring", "hybrid_cell"):
        for placer in ("metis", "greedy"):
            out.append((f"map {net} {placer}",
                        [cli, "map", f"{ex}/networks/{net}.yaml", "--arch", "loihi1", "--placer",
                         placer, "--out", w(f"map-{net}-{placer}.h5"), "--json"],
                        [w(f"map-{net}-{placer}.h5")]))
    samples = "8" if quick else "40"
    for arch in ("loihi1", "loihi2", "loihi1-sanafe"):
        out.append((f"run hybrid {arch}",
                    [cli, "run", f"{ex}/hybrid/mnist_row_t32.model.yaml", "--arch", arch,
                     "--samples", samples, "--every", "50", "--quiet", "--threads", "2",
                     "--out", w(f"run-{arch}.h5"), "--report", w(f"run-{arch}.json")],
                    [w(f"run-{arch}.h5"), w(f"run-{arch}.json")]))
    for model in ("tiny", "hybrid_cell"):
        out.append((f"run {model}",
                    [cli, "run", f"{ex}/run/{model}.model.yaml", "--arch", "loihi1", "--quiet",
                     "--out", w(f"run-{model}.h5"), "--report", w(f"run-{model}.json")],
                    [w(f"run-{model}.h5"), w(f"run-{model}.json")]))
    weights = os.path.join(HERE, "models", "weights")
    conversions = [
        ("row-t16-loihi1", "mnist_row_modified.h5", ["--steps", "16", "--arch", "loihi1"]),
        ("row-t16-loihi2", "mnist_row_modified.h5", ["--steps", "16", "--arch", "loihi2"]),
        ("row-shift", "mnist_row_modified.h5", ["--steps", "8", "--bias-shift"]),
        ("row-hard", "mnist_row_modified.h5", ["--steps", "8", "--neuron", "hard-reset"]),
        ("row-q", "mnist_row_modified.h5",
         ["--steps", "8", "--host-format", "q16.15", "--generator-start", "zero"]),
        ("fashion", "fashion_row_modified.h5", ["--steps", "8", "--host-location", "embedded"]),
        ("pixel", "mnist_pixel_modified.h5", ["--steps", "2"]),
    ]
    for name, f, extra in conversions:
        model = w(f"conv-{name}.model.yaml")
        out.append((f"convert {name}",
                    [cli, "convert", f"{weights}/{f}", "--method", "hybrid-lstm", "--out", model]
                    + extra,
                    [model, w(f"conv-{name}.network.yaml"),
                     w(f"conv-{name}.network.h5")]))
        out.append((f"run converted {name}",
                    [cli, "run", model, "--samples", "3" if name == "pixel" else samples,
                     "--every", "97", "--quiet", "--report", w(f"conv-{name}.run.json")]
                    + (["--arch", "loihi2"] if "loihi2" in name else []),
                    [w(f"conv-{name}.run.json")]))
    out.append(("baseline",
                [cli, "baseline", f"{weights}/mnist_row_modified.h5", "--samples", "20",
                 "--warmup", "0", "--rapl", "off", "--report", w("baseline.json")],
                [w("baseline.json")]))
    out.append(("compare",
                [cli, "compare", w("run-loihi1.json"), w("baseline.json"), "--report",
                 w("compare.json")],
                [w("compare.json")]))
    nir = os.path.join(HERE, "tests", "data", "nir")
    shared = os.path.join(os.path.dirname(HERE), "shared", "data", "nir")
    graphs = [f"{nir}/paper/01_lif/lif_norse.nir",
              f"{nir}/paper/03_rnn/braille_noDelay_bias_zero.nir",
              f"{nir}/paper/03_rnn/extras/braille_noDelay_bias_zero_subgraph.nir",
              f"{nir}/features.nir", f"{nir}/slow_leak.nir", f"{nir}/output_affine.nir"]
    for extra in ("02_cnn/cnn_sinabs.nir", "03_rnn/braille_noDelay_noBias_subtract.nir",
                  "01_lif/lif_rockpool.nir"):
        if os.path.exists(os.path.join(shared, extra)):
            graphs.append(os.path.join(shared, extra))
    for g in graphs:
        name = os.path.splitext(os.path.basename(g))[0]
        arch = "loihi2" if "subtract" in name else "loihi1"
        reset = ["--reset", "subtract"] if "subtract" in name else []
        steps = "4" if "cnn" in name else "30"
        model = w(f"nir-{name}.model.yaml")
        out.append((f"import-nir {name}",
                    [cli, "import-nir", g, "--arch", arch, "--out", model, "--synthetic-input",
                     steps, "--samples", "2", "--rate", "0.3", "--record",
                     w(f"nir-{name}.record.h5"), "--trace-voltage", "--approximate"] + reset,
                    [model, w(f"nir-{name}.record.h5")]))
    return out


def dump_h5(path):
    lines = []
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            for k in sorted(obj.attrs.keys()):
                if MEASURED_KEY.search(k):
                    continue
                v = obj.attrs[k]
                if isinstance(v, np.ndarray):
                    v = v.tolist()
                if isinstance(v, bytes):
                    v = v.decode()
                if isinstance(v, str) and v.startswith("{"):
                    v = json.dumps(scrub(json.loads(v)), sort_keys=True)
                lines.append(f"  {name}@{k} = {v!r}")

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                arr = np.asarray(data)
                if arr.dtype.kind == "O":
                    digest = hashlib.sha256(repr(arr.tolist()).encode()).hexdigest()[:16]
                else:
                    digest = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()[:16]
                lines.append(f"  {name}: {arr.dtype} {arr.shape} {digest}")
            attrs(name, obj)

        attrs("/", f)
        f.visititems(visit)
    return lines


def scrub(tree):
    if isinstance(tree, dict):
        return {k: scrub(v) for k, v in tree.items() if not MEASURED_KEY.search(k)}
    if isinstance(tree, list):
        return [scrub(v) for v in tree]
    return tree


def dump_tree(path):
    text = open(path).read()
    if path.endswith(".json"):
        tree = json.loads(text)
    else:
        import yaml  # python3-yaml

        tree = yaml.safe_load(text)
    return ["  " + l for l in json.dumps(scrub(tree), indent=1, sort_keys=True).splitlines()]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", default=os.path.join(HERE, "build", "tools", "loihisim"))
    p.add_argument("--work", required=True, help="scratch folder (emptied first)")
    p.add_argument("--quick", action="store_true", help="fewer samples")
    args = p.parse_args()
    cli = os.path.abspath(args.cli)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    for name, argv, outputs in commands(cli, os.path.abspath(args.work), args.quick):
        r = subprocess.run(argv, cwd=HERE, capture_output=True, text=True)
        print(f"== {name}: exit {r.returncode}")
        stdout = r.stdout
        if "--json" in argv and r.returncode == 0:  # a summary on stdout: dumped as a tree
            stdout = json.dumps(scrub(json.loads(stdout)), indent=1, sort_keys=True)
        for line in stdout.splitlines():
            if not MEASURED_LINE.search(line):
                print("  | " + line.replace(os.path.abspath(args.work), "WORK").replace(cli, "CLI"))
        if r.returncode != 0:
            print("  stderr: " + r.stderr.strip().replace(os.path.abspath(args.work), "WORK"))
        for o in outputs:
            rel = os.path.relpath(o, args.work)
            if not os.path.exists(o):
                print(f"-- {rel}: missing")
                continue
            print(f"-- {rel}")
            if o.endswith(".h5"):
                lines = dump_h5(o)
            elif o.endswith((".json", ".yaml")) and not o.endswith("network.yaml"):
                lines = dump_tree(o)
            else:
                lines = ["  " + l for l in open(o).read().replace(
                    os.path.abspath(args.work), "WORK").splitlines()]
            print("\n".join(l.replace(os.path.abspath(args.work), "WORK") for l in lines))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
