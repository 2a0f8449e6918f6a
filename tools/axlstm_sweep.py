#!/usr/bin/python3
"""AxLSTM knob sweep (docs/baseline.md "AxLSTM: DTS and DSR"): runs `loihisim baseline` with
--dts-tau and --dsr settings on row-wise MNIST (the committed standard and modified-cell LSTMs,
and the same two fine-tuned with DTS in the forward pass: `train_lstm.py --dts-tau`) and writes a
markdown table of quality against measured speed-up (full and reduced model timed back to back
in the same process), fraction of symbols skipped and fraction of state evaluated, and the
settings that meet issue 19's CPU acceptance (within 0.5 points of the same file's full accuracy,
speed-up >= 1.08x).

    python3 tools/axlstm_sweep.py --loihisim build/tools/loihisim --out docs/axlstm.md

With --plot FILE.png (python3-matplotlib, installed by tools/setup_training.sh): accuracy lost
against measured speed-up, per model and implementation, with the acceptance region marked.
"""
import argparse
import json
import subprocess
import sys

DTS_TAUS = ["0.47", "0.48", "0.49", "0.50", "0.51", "0.52", "0.53"]
DSR = ["fixed:96", "fixed:64", "complexity:32:0.3"]
FINE_TUNED_TAUS = ["0.45", "0.48", "0.50", "0.52", "0.55"]  # trained at 0.50
# (file, --dts-tau values, --dsr policies)
MODELS = [("models/weights/mnist_row_standard.h5", DTS_TAUS, DSR),
          ("models/weights/mnist_row_modified.h5", DTS_TAUS, DSR),
          ("models/weights/mnist_row_standard_dts.h5", FINE_TUNED_TAUS, []),
          ("models/weights/mnist_row_modified_dts.h5", FINE_TUNED_TAUS, [])]
ACCEPT_POINTS, ACCEPT_SPEEDUP = 0.5, 1.08


def run(binary, model, samples, option, value):
    cmd = [binary, "baseline", model, "--rapl", "off", "--samples", str(samples), "--json",
           option, value]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return " ".join(cmd), json.loads(out)["axlstm"]


def meets(ax):
    """The implementations (of straightforward, tuned) at which this setting meets the acceptance."""
    return [i["name"] for i in ax["implementations"]
            if 100 * (i["accuracy_full"] - i["accuracy_reduced"]) <= ACCEPT_POINTS
            and i["speedup_median"] >= ACCEPT_SPEEDUP]


def point(model, ax):
    """(model, implementation, points lost, speed-up) for the plot, per implementation."""
    return [(model.split("/")[-1], i["name"], 100 * (i["accuracy_full"] - i["accuracy_reduced"]),
             i["speedup_median"]) for i in ax["implementations"]]


def plot(points, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401
    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = sorted({p[0] for p in points})
    for k, name in enumerate(names):
        for impl, marker in (("straightforward", "o"), ("tuned", "^")):
            sel = [p for p in points if p[0] == name and p[1] == impl]
            ax.scatter([p[3] for p in sel], [p[2] for p in sel], marker=marker, color="C%d" % k,
                       label="%s, %s" % (name.replace(".h5", ""), impl), s=22)
    ax.axhspan(-100, ACCEPT_POINTS, xmin=0, xmax=1, color="0.9", zorder=0)
    ax.axvline(ACCEPT_SPEEDUP, color="0.4", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%gx"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([0.9, 1, 1.08, 1.31, 2, 4])
    ax.set_yscale("symlog", linthresh=1.0)  # linear within 1 point, logarithmic beyond
    ax.set_ylim(-1, 100)
    ax.set_xlabel("measured speed-up (median, full over reduced, same run)")
    ax.set_ylabel("accuracy lost (points)")
    ax.set_title("AxLSTM DTS/DSR on the CPU baseline, row-wise MNIST\n"
                 "grey: within %.1f points; dashed: %.2fx" % (ACCEPT_POINTS, ACCEPT_SPEEDUP), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def row(model, option, value, ax):
    impl = {i["name"]: i for i in ax["implementations"]}
    s, t = impl["straightforward"], impl["tuned"]
    return ("| {} | {} {} | {:.2f} | {:.2f} | {:.2f} | {:.1f} | {:.1f} | {:.1f} | {:.3f}x | {:.3f}x |"
            .format(model.split("/")[-1], option, value, 100 * t["accuracy_full"],
                    100 * t["accuracy_reduced"], 100 * s["accuracy_reduced"],
                    100 * ax["fraction_skipped"], 100 * ax["fraction_of_state"],
                    100 * ax["ops_saved_fraction"], s["speedup_median"], t["speedup_median"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loihisim", default="build/tools/loihisim")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--out", default="docs/axlstm.md")
    ap.add_argument("--plot", default=None, metavar="FILE.png")
    args = ap.parse_args()
    rows, commands, accepted, points = [], [], [], []
    for model, taus, dsr in MODELS:
        for option, values in (("--dts-tau", taus), ("--dsr", dsr)):
            for value in values:
                cmd, ax = run(args.loihisim, model, args.samples, option, value)
                commands.append(cmd)
                rows.append(row(model, option, value, ax))
                points += point(model, ax)
                if meets(ax):
                    accepted.append("- %s %s %s: %s" % (model.split("/")[-1], option, value,
                                                        " and ".join(meets(ax))))
                print(rows[-1], file=sys.stderr)
    header = [
        "# AxLSTM on the CPU baseline: DTS and DSR sweep",
        "",
        "Written by `python3 tools/axlstm_sweep.py{}` (docs/baseline.md, \"AxLSTM: DTS and DSR\"):"
        .format(" --plot " + args.plot if args.plot else ""),
        "row-wise MNIST, the first {} test digits, batch 1, 1 thread. Accuracy and the fractions"
        .format(args.samples),
        "come from the run; the speed-up is the median wall time per inference of the full model",
        "over that of the reduced one, both timed back to back per sample in the same process",
        "(the order alternating), so machine noise hits both alike. Operations saved: multiply-",
        "accumulates, adds, multiplies, compares and nonlinearities, counted by the instrumented",
        "implementation over every sample (DTS's probe included). The `_dts` files are the",
        "same networks fine-tuned with DTS at tau 0.50 in the forward pass (models/weights/README.md).",
        "",
        "| model | setting | accuracy full (%) | reduced, tuned (%) | reduced, straightforward (%)"
        " | symbols skipped (%) | state evaluated (%) | operations saved (%)"
        " | speed-up straightforward | speed-up tuned |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdict = ["", "Settings within %.1f points of the same file's full accuracy with a median speed-up"
               " of at least %.2fx (issue 19's CPU acceptance), and the implementations at which"
               " they meet it:" % (ACCEPT_POINTS, ACCEPT_SPEEDUP), ""]
    verdict += accepted or ["(none)"]
    text = "\n".join(header + rows + verdict + ["", "Commands:", "", "```"] + commands + ["```", ""])
    if args.plot:
        plot(points, args.plot)
        text = text.replace("\nSettings within", "\n![accuracy lost against speed-up](%s)\n\nSettings within"
                            % args.plot.split("/")[-1], 1)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
