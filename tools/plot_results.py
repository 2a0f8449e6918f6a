#!/usr/bin/python3
"""Plots of the hybrid LSTM results from the files tools/hybrid_results.py leaves in its work
folder (run reports, CPU baselines, comparisons):

  /usr/bin/python3 tools/plot_results.py [--work demo-output/results] [--out docs/img]

writes hybrid_accuracy.png (row-wise MNIST accuracy against T: the ANNs, the hybrid on loihi1
and loihi2, the two other restart choices, the paper) and hybrid_energy.png (chip active
energy per inference and the CPU/chip ratio against T). Needs python3-matplotlib
(tools/setup_training.sh installs it).
"""
import argparse
import glob
import json
import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_ROW = {16: 92.89, 32: 98.37, 64: 98.74, 128: 98.81}


def load(path):
    with open(path) as f:
        return json.load(f)


def runs(work, pattern):
    """{T: run report} for run files whose name matches mnist-row-T<T>-<pattern>-2000.run.json."""
    out = {}
    for p in glob.glob(os.path.join(work, "mnist-row-T*-%s-*.run.json" % pattern)):
        m = re.match(r"mnist-row-T(\d+)-%s-(\d+)\.run\.json$" % re.escape(pattern), os.path.basename(p))
        if m:
            out[int(m.group(1))] = load(p)
    return dict(sorted(out.items()))


def accuracy(r):
    return 100.0 * r["accuracy"]["fraction"]


def baseline_accuracy(work, tag):
    files = glob.glob(os.path.join(work, "baseline-%s-*.json" % tag))
    if not files:
        return None
    b = load(files[0])
    return 100.0 * [i for i in b["implementations"] if i["name"] == "tuned"][0]["accuracy"]["fraction"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(HERE, "demo-output", "results"))
    ap.add_argument("--out", default=os.path.join(HERE, "docs", "img"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    l1, l2 = runs(args.work, "loihi1"), runs(args.work, "loihi2")
    zero = runs(args.work, "loihi1-generator-startzero")
    shift = runs(args.work, "loihi1-bias-shift")
    if not l1:
        raise SystemExit("no run reports in %s: run tools/hybrid_results.py first" % args.work)

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for T_runs, label, style in ((l1, "hybrid, loihi1 (default: generators restart at 1024)", "o-"),
                                 (l2, "hybrid, loihi2 (native soft reset)", "x--"),
                                 (zero, "hybrid, loihi1, generators restart at 0", "s:"),
                                 (shift, "hybrid, loihi1, + bias shift", "^-.")):
        if T_runs:
            ax.plot(list(T_runs), [accuracy(r) for r in T_runs.values()], style, label=label)
    ax.plot(list(PAPER_ROW), list(PAPER_ROW.values()), "k*-", label="paper hybrid (ANN 98.95 %)")
    for tag, label, color in (("mnist-row-modified", "our ANN, modified cell", "tab:green"),
                              ("mnist-row-standard", "our ANN, standard cell", "tab:gray")):
        a = baseline_accuracy(args.work, tag)
        if a is not None:
            ax.axhline(a, color=color, lw=1, ls="--", label="%s (%.2f %%)" % (label, a))
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(l1))
    ax.set_xticklabels([str(t) for t in l1])
    ax.set_xlabel("SNN steps per symbol T")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(40, 100)
    ax.set_title("Row-wise MNIST, 2,000 test digits")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "hybrid_accuracy.png"), dpi=120)

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.6))
    for T_runs, label, style in ((l1, "loihi1", "o-"), (l2, "loihi2 (estimates)", "x--")):
        Ts = list(T_runs)
        ax[0].plot(Ts, [r["per_inference"]["chip_active_energy_pJ"] / 1e6 for r in T_runs.values()],
                   style, label=label + ", active")
        ax[0].plot(Ts, [r["per_inference"]["chip_total_energy_pJ"] / 1e6 for r in T_runs.values()],
                   style, alpha=0.4, label=label + ", total")
        cmp = {}
        for T in Ts:
            p = os.path.join(args.work, "mnist-row-T%d-%s.compare.json" % (T, label.split()[0]))
            if os.path.exists(p):
                cmp[T] = {r["profile"]: r["ratio_to_active"] for r in load(p)["cpu"]["rows"]}
        if cmp:
            ax[1].plot(list(cmp), [c["system_i7"] for c in cmp.values()], style, label=label + ", system_i7")
            ax[1].plot(list(cmp), [c["horowitz45"] for c in cmp.values()], style, alpha=0.4,
                       label=label + ", horowitz45")
    ax[1].axhline(55.9, color="k", lw=1, ls=":", label="paper: 55.9x (measured)")
    ax[1].axhline(1, color="k", lw=0.5)
    for a in ax:
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xticks(list(l1))
        a.set_xticklabels([str(t) for t in l1])
        a.set_xlabel("T")
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    ax[0].set_ylabel("chip energy per inference (uJ)")
    ax[1].set_ylabel("CPU energy / (chip active + host)")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "hybrid_energy.png"), dpi=120)
    print("wrote", os.path.join(args.out, "hybrid_accuracy.png"), os.path.join(args.out, "hybrid_energy.png"))


if __name__ == "__main__":
    main()
