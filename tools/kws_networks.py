#!/usr/bin/python3
"""Writes the keyword-spotter (KWS) and scaling networks of the published Loihi power logs
(shared/reference/silicon-power.md; docs/energy-model.md, "The board level") as loihisim
examples in examples/kws/:

  kws.h5                  the weight matrices every network shares (seeded random, below)
  features.h5             the dataset: synthetic 390-value inputs (no speech offline)
  kws.network.yaml        390 -> 256 -> 256, the 29-way read-out on the host
  kws.model.yaml          T = 10 steps per inference (nengo-loihi's presentation time)
  scaling_nN.network.yaml 390 -> 256 -> N branches of 10 layers of 256 -> 256, read-out on the
                          host, for N in 0, 1, 2, 4, 6, 8, 10 (N = 0 is the KWS topology)
  scaling_nN.model.yaml   T = SCALING_STEPS (not published: fitted by tools/board_fit.py)

    /usr/bin/python3 tools/kws_networks.py [--out examples/kws] [--scaling-steps T]

The trained weights are not available offline, so every layer draws from one seeded uniform
distribution, U(-0.21, 0.19) in units of the threshold (LOW, HIGH): with the synthetic inputs it
makes the hidden layers fire at about 0.02-0.09 spikes per neuron per step (0.05 on average),
the range of the 0.048 an independent float simulation of the trained KWS gives on real speech
(silicon-power.md). Neurons are nengo LIF as nengo-loihi quantises them: tau_rc 20 ms,
tau_ref 1 ms (2 steps), synapse 5 ms, dt 1 ms, threshold 1. The branches of the scaling runs
share one 256 x 256 matrix per link (the published weights come from one fixed distribution; a
shared matrix keeps the shipped files small); every network reads kws.h5.

Inputs: 390 values per sample, |N(0, 0.3)| clipped to [0, 1] (mean 0.24: the rate of the
signed-accumulator encoder, spikes per input per step), 29 random labels (the accuracy of these
untrained networks is meaningless and not reported). Deterministic: numpy default_rng(SEED).
"""
import argparse
import os

import h5py
import numpy as np

SEED = 23
LOW, HIGH = -0.21, 0.19  # the uniform weight distribution, threshold units
SAMPLES = 64
INPUTS, HIDDEN, CLASSES, DEPTH = 390, 256, 29, 10
BRANCHES = (0, 1, 2, 4, 6, 8, 10)
KWS_STEPS = 10
# Steps per inference of the scaling runs: not published; tools/board_fit.py fits it (docs/
# energy-model.md, "The board level") and this default is its result.
SCALING_STEPS = 23

NEURON = ("{dt: 1.0, tau_v: 20.0, tau_u: 5.0, threshold: 1.0, scale: 6400.0, "
          "refractory: 2}")
# 8-bit mixed weights with weight_exp -1: a synaptic event adds mantissa x 32 to u, and one
# real unit of v is 6400, so mantissa = 200 x w (resolution 0.01).
FORMAT = "{weight_bits: 8, sign: mixed, weight_exp: -1}"


def write_arrays(out):
    rng = np.random.default_rng(SEED)
    arrays = {
        "/in": rng.uniform(LOW, HIGH, (HIDDEN, INPUTS)),
        "/hidden": rng.uniform(LOW, HIGH, (HIDDEN, HIDDEN)),
        "/branch": rng.uniform(LOW, HIGH, (HIDDEN, HIDDEN)),
        "/merge": rng.uniform(LOW, HIGH, (HIDDEN, HIDDEN)),
    }
    readout = rng.uniform(-1.0, 1.0, (CLASSES, HIDDEN))
    with h5py.File(os.path.join(out, "kws.h5"), "w") as f:
        # Stored in hundredths of the threshold as int8 (small files); the projections read
        # them with scale 2.0: mantissa = 2 x hundredths = 200 x w.
        for name, a in arrays.items():
            f.create_dataset(name, data=np.round(a * 100).astype(np.int8), compression="gzip",
                             compression_opts=9, shuffle=True)
        f.create_dataset("/readout", data=np.round(readout, 2).astype(np.float32))
        f.attrs["source"] = f"tools/kws_networks.py (numpy default_rng seed {SEED})"
    values = np.clip(np.abs(rng.normal(0.0, 0.3, (SAMPLES, 1, INPUTS))), 0.0, 1.0)
    with h5py.File(os.path.join(out, "features.h5"), "w") as f:
        f.create_dataset("values", data=np.round(values, 2).astype(np.float32),
                         compression="gzip", compression_opts=9, shuffle=True)
        f["labels"] = rng.integers(0, CLASSES, SAMPLES).astype(np.int32)
        f.attrs["num_classes"] = CLASSES
        f.attrs["source"] = (f"tools/kws_networks.py (numpy default_rng seed {SEED}): synthetic "
                             "|N(0, 0.3)| features, random labels")


def population(name):
    return f"  - {{name: {name}, size: {HIDDEN}, neuron: {NEURON}}}\n"


def projection(name, source, target, dataset):
    return (f"  - {{name: {name}, source: {source}, target: {target}, format: {FORMAT},\n"
            f"     weight_unit: real, scale: 2.0, dense: {{dataset: {dataset}}}, rate: 0.05}}\n")


def network_text(name, branches, header):
    """branches None: the KWS (hidden2 fed by hidden1); else the scaling topology."""
    pops, projs = [population("hidden1")], [projection("x_to_hidden1", "x", "hidden1", "/in")]
    last = "hidden2"
    if branches is None or branches == 0:
        projs.append(projection("hidden1_to_hidden2", "hidden1", "hidden2", "/hidden"))
    else:
        for b in range(branches):
            prev = "hidden1"
            for d in range(DEPTH):
                cur = f"b{b}_l{d}"
                pops.append(population(cur))
                projs.append(projection(f"{prev}_to_{cur}", prev, cur, "/branch"))
                prev = cur
            projs.append(projection(f"{prev}_to_hidden2", prev, "hidden2", "/merge"))
    pops.append(population(last))
    return (header + "loihisim_network: 1\n" + f"name: {name}\narrays: kws.h5\n\n"
            f"input_ports:\n  - {{name: x, size: {INPUTS}}}\n\npopulations:\n" + "".join(pops) +
            "\nprojections:\n" + "".join(projs) +
            "\noutput_ports:\n  - {name: hidden2_counts, population: hidden2}\n\n"
            "host_nodes:\n"
            "  - {name: encoder, kind: encode, inputs: [symbol], outputs: [x],\n"
            "     params: {encoder: signed_accumulator}}\n"
            "  - {name: rates, kind: rate, inputs: [hidden2_counts], outputs: [hidden2_rate]}\n"
            "  - {name: readout, kind: linear, inputs: [hidden2_rate], outputs: [score],\n"
            "     arrays: {weight: {dataset: /readout}}}\n")


def model_text(name, network, steps, header):
    return (header + f"name: {name}\nnetwork: {network}\nplacer: metis\n"
            "dataset: {file: features.h5}\n"
            f"steps_per_symbol: {steps}\nreset: symbol\ninput_timing: next_step\n"
            "prediction: score\nhost: {format: float32, location: external}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "examples",
                                                  "kws"))
    ap.add_argument("--scaling-steps", type=int, default=SCALING_STEPS)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_arrays(args.out)
    gen = "# Generated by tools/kws_networks.py (do not edit; docs/energy-model.md, 'The board level').\n"
    kws = ("# The keyword spotter of the published Loihi power logs (silicon-power.md): 390 -> 256\n"
           "# -> 256 LIF, the 29-way read-out on the host; seeded random weights.\n")
    with open(os.path.join(args.out, "kws.network.yaml"), "w") as f:
        f.write(network_text("kws", None, gen + kws))
    with open(os.path.join(args.out, "kws.model.yaml"), "w") as f:
        f.write(model_text("kws", "kws.network.yaml", KWS_STEPS,
                           gen + "# `loihisim run examples/kws/kws.model.yaml --arch loihi1-board`\n"))
    for n in BRANCHES:
        head = (gen + f"# The scaling run with N = {n} branches of {DEPTH} layers of {HIDDEN} "
                "(silicon-power.md).\n")
        with open(os.path.join(args.out, f"scaling_n{n}.network.yaml"), "w") as f:
            f.write(network_text(f"scaling_n{n}", n, head))
        with open(os.path.join(args.out, f"scaling_n{n}.model.yaml"), "w") as f:
            f.write(model_text(f"scaling_n{n}", f"scaling_n{n}.network.yaml", args.scaling_steps,
                               head + "# steps_per_symbol: fitted (tools/board_fit.py)\n"))


if __name__ == "__main__":
    main()
