#!/usr/bin/env python3
"""Strong and weak scaling of `mpirun -np K loihisim simulate` (docs/scaling.md): random LIF
networks (bench/random_network.py) on bench/arch/loihi1-16-core-chips.yaml, K = 1, 2, 4 ranks.
Every run's summary must equal the single-process run's (checked here too); the table gives the
measured wall time per step; per rank and step, the time stepping its own cores and the time in
the exchange (packing, MPI, waiting for the slowest rank, unpacking) and in the accountant (rank
0 alone with the event model, every rank its own cores with the analytic one); the measured chip
memory, image tables held and peak resident memory per rank.

    /usr/bin/python3 bench/scaling.py --cli build/tools/loihisim --work /tmp/scaling \\
        [--ranks 1,2,4] [--steps 40] [--strong 65536] [--weak 16384] [--fanout 32]
        [--network-model event|analytic]

Strong: --strong neurons whatever K; weak: --weak neurons per rank (K x --weak in all). mpirun
runs with --oversubscribe (and --allow-run-as-root as root).
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH = os.path.join(HERE, "bench", "arch", "loihi1-16-core-chips.yaml")
RANK = re.compile(r"rank (\d+): (\d+) \+ (\d+) \+ (\d+) = (\d+); per step ([\d.]+) us stepping, "
                  r"([\d.]+) us exchange, ([\d.]+) us accounting \(([\d.]+) us of it in reductions\); "
                  r"image tables (\d+) bytes; peak RSS (\d+) bytes")


def sh(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def network(a, neurons):
    base = os.path.join(a.work, f"net{neurons}")
    if not os.path.exists(base + ".mapped.h5"):
        sh([sys.executable, os.path.join(HERE, "bench", "random_network.py"), base + ".yaml",
            "--neurons", str(neurons), "--fanout", str(a.fanout), "--seed", "5"])
        sh([a.cli, "map", base + ".yaml", "--arch", ARCH, "-o", base + ".mapped.h5"])
    return base + ".mapped.h5"


def simulate(a, mapped, k):
    report = os.path.join(a.work, f"{os.path.basename(mapped)}.{k}{''.join(a.model)}.json")
    mpirun = ["mpirun", "--oversubscribe", "-np", str(k)]
    if os.geteuid() == 0:
        mpirun.insert(1, "--allow-run-as-root")
    text = sh(mpirun + [a.cli, "simulate", mapped, "--arch", ARCH, "--steps", str(a.steps),
                        "--quiet", "--report", report] + a.model)
    loop = float(re.search(r"simulated in ([\d.]+) s", text).group(1))
    ranks = [tuple(float(x) for x in m.groups()) for m in RANK.finditer(text)]
    chips = re.search(r"(\d+) chip\(s\), \d+ tile\(s\), (\d+) of", text)
    with open(report) as f:
        summary = json.load(f)
    return {"loop": loop, "ranks": ranks, "chips": int(chips.group(1)),
            "cores": int(chips.group(2)), "summary": summary}


def table(a, kind, sizes):
    model = a.network_model or "event"
    print(f"\n{kind} scaling ({a.steps} steps, fanout {a.fanout}, {model} network model):\n")
    print("| K | neurons | chips | cores | wall ms/step | stepping us/step per rank "
          "| exchange (and wait) us/step per rank "
          "| accounting (in reductions) us/step per rank | chip MB per rank | image tables MB per rank "
          "| peak RSS MB per rank | same as K=1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    first = {}
    for k, n in sizes:
        mapped = network(a, n)
        r = simulate(a, mapped, k)
        if n not in first:  # the single-process run of this network, to compare with
            first[n] = r["summary"] if k == 1 else simulate(a, mapped, 1)["summary"]
        same = "yes" if first[n] == r["summary"] else "NO"
        step = " / ".join(f"{x[5]:.0f}" for x in r["ranks"])
        exch = " / ".join(f"{x[6]:.0f}" for x in r["ranks"])
        acct = " / ".join(f"{x[7]:.0f} ({x[8]:.0f})" for x in r["ranks"])
        mem = " / ".join(f"{x[4] / 1e6:.1f}" for x in r["ranks"])
        image = " / ".join(f"{x[9] / 1e6:.1f}" for x in r["ranks"])
        rss = " / ".join(f"{x[10] / 1e6:.0f}" for x in r["ranks"])
        print(f"| {k} | {n} | {r['chips']} | {r['cores']} | {1e3 * r['loop'] / a.steps:.1f} "
              f"| {step} | {exch} | {acct} | {mem} | {image} | {rss} | {same} |", flush=True)
        if same == "NO":
            sys.exit(f"{kind}: K={k} differs from K=1")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--ranks", default="1,2,4")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--strong", type=int, default=65536)
    p.add_argument("--weak", type=int, default=16384)
    p.add_argument("--fanout", type=int, default=32)
    p.add_argument("--network-model", choices=["event", "analytic"],
                   help="mesh timing model (default: the architecture file's, event)")
    a = p.parse_args()
    a.model = ["--network-model", a.network_model] if a.network_model else []
    os.makedirs(a.work, exist_ok=True)
    ks = [int(k) for k in a.ranks.split(",")]
    table(a, "strong", [(k, a.strong) for k in ks])
    table(a, "weak", [(k, a.weak * k) for k in ks])
    return 0


if __name__ == "__main__":
    sys.exit(main())
