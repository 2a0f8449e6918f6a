#!/usr/bin/env python3
"""Writes the recurrent benchmark network of docs/performance.md ("Spiking networks"): N LIF
neurons in one population, each projecting to `fanout` random targets (no self-connections),
a fraction `--excitatory` of the sources excitatory, driven by a constant bias per neuron drawn
uniformly from [bias_lo, bias_hi] (hardware units), all in Loihi 1 hardware units.

    /usr/bin/python3 bench/random_network.py OUT.yaml [--neurons 4096] [--fanout 100]
        [--excitatory 0.8] [--w-exc 2] [--w-inh -12] [--bias-lo 450] [--bias-hi 560] [--seed 1]
        [--split K]

Writes OUT.yaml and its arrays OUT.h5 (pre, post, weight of the one sparse projection), for
`loihisim map`, `loihisim simulate` and bench/brian2_compare.py, which builds the same network
in Brian2 from the same files.

`--split K` writes the same neurons and synapses (same seed) split by hand into K populations of
N/K consecutive neurons (lif0, lif1, ...; neuron i is neuron i % (N/K) of population i // (N/K)),
with one sparse projection for every ordered pair of populations that has synapses: the hand
split that docs/performance.md ("Partitioning random connectivity") compares the mapper's own
partition with. bench/brian2_compare.py reads only the unsplit form.
"""
import argparse
import os
import sys

import h5py
import numpy as np

PROFILE = {"decay_u": 1024, "decay_v": 256, "vth_mant": 100, "refract_delay": 1}


def build(args):
    rng = np.random.default_rng(args.seed)
    n, k = args.neurons, args.fanout
    if not (0 < k < n):
        sys.exit(f"--fanout {k} must be in 1..{n - 1}")
    pre = np.repeat(np.arange(n, dtype=np.int64), k)
    post = np.empty(n * k, dtype=np.int64)
    for i in range(n):
        t = rng.choice(n - 1, size=k, replace=False)
        t[t >= i] += 1  # no self-connection
        post[i * k:(i + 1) * k] = np.sort(t)
    excitatory = np.arange(n) < int(round(args.excitatory * n))
    weight = np.where(excitatory[pre], args.w_exc, args.w_inh).astype(np.int64)
    bias = rng.integers(args.bias_lo, args.bias_hi + 1, size=n, dtype=np.int64)
    return pre, post, weight, bias


def write_split(args, pre, post, weight, bias, arrays):
    """The hand split: K populations of N/K neurons, one projection per connected pair."""
    n, k = args.neurons, args.split
    size = n // k
    src, dst = pre // size, post // size
    pairs = np.unique(src * k + dst)  # sorted: by source population, then target population
    profile = ", ".join(f"{key}: {v}" for key, v in PROFILE.items())
    lines = [f"""# bench/random_network.py {' '.join(sys.argv[1:])}
loihisim_network: 1
name: random_{n}_{args.fanout}_split{k}
arrays: {os.path.basename(arrays)}
populations:
"""]
    with h5py.File(arrays, "w") as f:
        for p in range(k):
            f[f"bias{p}"] = bias[p * size:(p + 1) * size]
            lines.append(f"""  - name: lif{p}
    size: {size}
    profile: {{{profile}}}
    bias_mant: {{dataset: /bias{p}}}
    bias_exp: 0
""")
        lines.append("projections:\n")
        for pair in pairs:
            a, b = divmod(int(pair), k)
            sel = (src == a) & (dst == b)  # keeps the synapses' order within the pair
            g = f"p{a}_{b}"
            f[f"{g}/pre"], f[f"{g}/post"] = pre[sel] - a * size, post[sel] - b * size
            f[f"{g}/weight"] = weight[sel]
            lines.append(f"""  - name: recurrent_{a}_{b}
    source: lif{a}
    target: lif{b}
    format: {{weight_bits: 8, sign: mixed, weight_exp: 0}}
    sparse: {{pre: {{dataset: /{g}/pre}}, post: {{dataset: /{g}/post}}, weight: {{dataset: /{g}/weight}}}}
""")
    with open(args.out, "w") as f:
        f.write("".join(lines))
    print(f"wrote {args.out} and {arrays}: {n} neurons in {k} populations of {size}, "
          f"{len(pairs)} projections, {len(pre)} synapses")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--neurons", type=int, default=4096)
    ap.add_argument("--fanout", type=int, default=100)
    ap.add_argument("--excitatory", type=float, default=0.8)
    ap.add_argument("--w-exc", type=int, default=2, help="8-bit mixed-sign mantissa (even)")
    ap.add_argument("--w-inh", type=int, default=-12, help="8-bit mixed-sign mantissa (even)")
    ap.add_argument("--bias-lo", type=int, default=450)
    ap.add_argument("--bias-hi", type=int, default=560)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", type=int, default=1,
                    help="write the network as K populations of N/K neurons (K divides N)")
    args = ap.parse_args()
    if args.split < 1 or args.neurons % args.split:
        sys.exit(f"--split {args.split} must be a divisor of --neurons {args.neurons}")
    pre, post, weight, bias = build(args)
    arrays = os.path.splitext(args.out)[0] + ".h5"
    if args.split > 1:
        write_split(args, pre, post, weight, bias, arrays)
        return
    with h5py.File(arrays, "w") as f:
        f["pre"], f["post"], f["weight"], f["bias"] = pre, post, weight, bias
    profile = ", ".join(f"{k}: {v}" for k, v in PROFILE.items())
    with open(args.out, "w") as f:
        f.write(f"""# bench/random_network.py {' '.join(sys.argv[1:])}
loihisim_network: 1
name: random_{args.neurons}_{args.fanout}
arrays: {os.path.basename(arrays)}
populations:
  - name: lif
    size: {args.neurons}
    profile: {{{profile}}}
    bias_mant: {{dataset: /bias}}
    bias_exp: 0
projections:
  - name: recurrent
    source: lif
    target: lif
    format: {{weight_bits: 8, sign: mixed, weight_exp: 0}}
    sparse: {{pre: {{dataset: /pre}}, post: {{dataset: /post}}, weight: {{dataset: /weight}}}}
""")
    print(f"wrote {args.out} and {arrays}: {args.neurons} neurons, {len(pre)} synapses")


if __name__ == "__main__":
    main()
