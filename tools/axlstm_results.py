#!/usr/bin/python3
"""AxLSTM (methods.md C) on the CPU and on the chip: the section "AxLSTM: timestep skipping and
state reduction" of docs/results.md. For each row-wise MNIST classifier and each knob setting
(DTS tau, DSR fixed:K) it runs

  loihisim baseline W --dts-tau TAU | --dsr fixed:K   (CPU: accuracy, measured speed-up, counts)
  loihisim convert W --method hybrid-lstm --dts-tau TAU | --dsr fixed:K, then loihisim run
                                                      (chip: accuracy, energy, latency)

beside the full network of each, and picks per model the CPU setting with the largest measured
speed-up within 0.5 points of full accuracy (the issue's acceptance), with the chip's energy and
latency at that setting; then the sequence-to-sequence model on the CPU and the chip (tools/axlstm_seq2seq.py).
Also a section of tools/hybrid_results.py.

    /usr/bin/python3 tools/axlstm_results.py [--quick] [--force]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import axlstm_seq2seq  # noqa: E402  (the encoder-decoder part, issue 19)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- section: axlstm (tools/axlstm_results.py) -->"
END = "<!-- end of section: axlstm -->"
T = 32
ARCH = "loihi1"
# (weights, what it is); files that do not exist are left out with a note.
MODELS = [("models/weights/mnist_row_modified.h5", "modified cell, trained without the knobs"),
          ("models/weights/mnist_row_modified_dts.h5",
           "the same fine-tuned with DTS at tau 0.5 in the forward pass, models/weights/README.md")]
SETTINGS = [("--dts-tau", v) for v in ("0.47", "0.49", "0.50", "0.51")] + \
    [("--dsr", v) for v in ("fixed:112", "fixed:96")]
# Chip only: the probe shortened to P = T / 4 steps (its rate estimate is biased low: an IF
# neuron starting from 0 needs a step or two before its first spike, so tau moves down).
PROBE_STEPS = 8
CHIP_ONLY = ["0.44", "0.45", "0.46"]
# Every 2nd of the 2,000 test digits (the split is in class order, so this keeps the class mix):
# 1,000 digits, for a section that runs in about half an hour on two cores.
EVERY = 2
WITHIN = 0.5  # points of full accuracy (the acceptance)
PAPER_BAND = (1.08, 1.31)  # methods.md C: Sen and Raghunathan 2018, measured speed-ups


def tag_of(weights):
    return "axlstm-" + os.path.basename(weights).replace(".h5", "").replace("_", "-")


def cpu_run(R, weights, samples, option, value):
    name = "%s-cpu%s-%s-%d-every%d.json" % (tag_of(weights), option.replace("--", "-"),
                                            value.replace(":", ""), samples, EVERY)
    path = os.path.join(R.work, name)
    return R.cached(name, [[R.cli, "baseline", weights, "--samples", str(samples), "--every",
                            str(EVERY), "--rapl", "off", option, value, "--report",
                            path]])["axlstm"]


def chip_run(R, weights, samples, extra=()):
    run, _, _ = R.hybrid(os.path.join(HERE, weights), T, ARCH, samples, tag_of(weights),
                         extra=list(extra), every=EVERY)
    return run


def per(run, key):
    return run["per_inference"][key]


def rows_of(R, weights, samples):
    full = chip_run(R, weights, samples)
    rows = []
    for option, value in SETTINGS:
        cpu = cpu_run(R, weights, samples, option, value)
        chip = chip_run(R, weights, samples, [option, value])
        impl = {i["name"]: i for i in cpu["implementations"]}
        rows.append({"setting": "%s %s" % (option, value), "cpu": cpu, "tuned": impl["tuned"],
                     "straight": impl["straightforward"], "chip": chip})
    for tau in CHIP_ONLY:
        chip = chip_run(R, weights, samples, ["--dts-tau", tau, "--dts-probe-steps",
                                              str(PROBE_STEPS)])
        rows.append({"setting": "--dts-tau %s --dts-probe-steps %d (chip only)" % (tau, PROBE_STEPS),
                     "cpu": None, "chip": chip})
    return full, rows


def table(md, fmt_energy, fmt_time, full, rows):
    md("| setting | CPU accuracy, full / reduced (%) | symbols skipped, CPU (%) | state evaluated (%) "
       "| CPU speed-up, tuned / straightforward | chip accuracy (%) | symbols skipped, chip (%) "
       "| chip active energy | vs full | latency | vs full |")
    md("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    e0, l0 = per(full, "chip_active_energy_pJ"), per(full, "latency_ns")
    md("| full network | %.2f | 0 | 100 | 1 | %.2f | 0 | %s | 1 | %s | 1 |" % (
        100 * rows[0]["tuned"]["accuracy_full"], 100 * full["accuracy"]["fraction"],
        fmt_energy(e0), fmt_time(l0)))
    for r in rows:
        chip, cpu = r["chip"], r["cpu"]
        skipped = chip.get("dts", {}).get("fraction_skipped", 0.0)
        e, lat = per(chip, "chip_active_energy_pJ"), per(chip, "latency_ns")
        cpu_cells = "- | - | - | -"
        if cpu is not None:
            cpu_cells = "%.2f / %.2f | %.1f | %.1f | %.3fx / %.3fx" % (
                100 * r["tuned"]["accuracy_full"], 100 * r["tuned"]["accuracy_reduced"],
                100 * cpu["fraction_skipped"], 100 * cpu["fraction_of_state"],
                r["tuned"]["speedup_median"], r["straight"]["speedup_median"])
        md("| %s | %s | %.2f | %.1f | %s | %.2fx | %s | %.2fx |"
           % (r["setting"], cpu_cells, 100 * chip["accuracy"]["fraction"], 100 * skipped,
              fmt_energy(e), e / e0, fmt_time(lat), lat / l0))


def acceptance(md, fmt_energy, label, full, rows):
    ok = [r for r in rows if r["cpu"] is not None and
          100 * (r["tuned"]["accuracy_full"] - r["tuned"]["accuracy_reduced"]) <= WITHIN]
    if not ok:
        md("- %s: no setting is within %.1f points of full accuracy." % (label, WITHIN))
        return
    best = max(ok, key=lambda r: min(r["tuned"]["speedup_median"], r["straight"]["speedup_median"]))
    s = min(best["tuned"]["speedup_median"], best["straight"]["speedup_median"])
    e0, e = per(full, "chip_active_energy_pJ"), per(best["chip"], "chip_active_energy_pJ")
    verdict = "in or above" if s >= PAPER_BAND[0] else "below"
    md("- %s: the fastest setting within %.1f points is `%s`: %.2f %% against %.2f %% full, "
       "speed-up %.3fx (the smaller of the two implementations'), %s the paper's %.2f-%.2fx band; "
       "on the chip it costs %s per inference against %s for the full network (%.2fx), at "
       "%.2f %% accuracy." % (
           label, WITHIN, best["setting"], 100 * best["tuned"]["accuracy_reduced"],
           100 * best["tuned"]["accuracy_full"], s, verdict, PAPER_BAND[0], PAPER_BAND[1],
           fmt_energy(e), fmt_energy(e0), e / e0, 100 * best["chip"]["accuracy"]["fraction"]))


def chip_best(md, fmt_energy, fmt_time, label, full, rows):
    """The chip's own trade-off: the least active energy within WITHIN points of the chip's
    full accuracy."""
    a0 = 100 * full["accuracy"]["fraction"]
    ok = [r for r in rows if a0 - 100 * r["chip"]["accuracy"]["fraction"] <= WITHIN]
    if not ok:
        md("- %s on the chip: no setting within %.1f points of the full network's %.2f %%."
           % (label, WITHIN, a0))
        return
    best = min(ok, key=lambda r: per(r["chip"], "chip_active_energy_pJ"))
    e0, e = per(full, "chip_active_energy_pJ"), per(best["chip"], "chip_active_energy_pJ")
    l0, lat = per(full, "latency_ns"), per(best["chip"], "latency_ns")
    md("- %s on the chip: the least energy within %.1f points of the full network's %.2f %% is "
       "`%s`: %.2f %%, %s against %s per inference (%.2fx), latency %s against %s (%.2fx)." % (
           label, WITHIN, a0, best["setting"], 100 * best["chip"]["accuracy"]["fraction"],
           fmt_energy(e), fmt_energy(e0), e / e0, fmt_time(lat), fmt_time(l0), lat / l0))


def plot(accept, path):
    """Two panels: CPU accuracy against the measured speed-up (tuned implementation) and chip
    accuracy against chip active energy relative to the full network, one series per model."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, full, rows in accept:
        cpu = [r for r in rows if r["cpu"] is not None]
        ax1.plot([1.0] + [r["tuned"]["speedup_median"] for r in cpu],
                 [100 * cpu[0]["tuned"]["accuracy_full"]] +
                 [100 * r["tuned"]["accuracy_reduced"] for r in cpu], "o", label=label)
        e0 = per(full, "chip_active_energy_pJ")
        ax2.plot([1.0] + [per(r["chip"], "chip_active_energy_pJ") / e0 for r in rows],
                 [100 * full["accuracy"]["fraction"]] +
                 [100 * r["chip"]["accuracy"]["fraction"] for r in rows], "o", label=label)
    ax1.axvspan(PAPER_BAND[0], PAPER_BAND[1], color="0.9", label="paper's speed-up band")
    ax1.set_xlabel("CPU speed-up (measured, tuned implementation)")
    ax1.set_ylabel("accuracy (%)")
    ax1.set_title("CPU baseline")
    ax2.set_xlabel("chip active energy / full network's")
    ax2.set_ylabel("accuracy (%)")
    ax2.set_title("hybrid LSTM on %s, T = %d" % (ARCH, T))
    for ax in (ax1, ax2):
        ax.set_ylim(bottom=max(0, ax.get_ylim()[0]))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def section(R, md, fmt_energy, fmt_time, quick):
    """Appends the section (with its markers) through md()."""
    samples = 100 if quick else 1000
    md(BEGIN)
    md("## AxLSTM: timestep skipping and state reduction, on the CPU and on the chip")
    md("")
    md("Generated by `/usr/bin/python3 tools/axlstm_results.py` (or as part of "
       "tools/hybrid_results.py); row-wise MNIST, %d test digits (one in %d of the 2,000, which keeps the class mix); the chip runs are the "
       "hybrid LSTM at T = %d on %s. The knobs: [baseline.md](baseline.md) \"AxLSTM: DTS and "
       "DSR\" (CPU) and [hybrid-lstm.md](hybrid-lstm.md) \"AxLSTM on the chip\". The CPU "
       "speed-up is the median of per-sample wall-time ratios, full and reduced model timed back "
       "to back in one process; chip energy and latency come from the run reports. On the chip "
       "a probed symbol runs the input gate's T steps first and, unless skipped, the other "
       "gates' T steps after it, so a kept symbol costs 2T steps." % (samples, EVERY, T, ARCH))
    md("")
    accept = []
    for weights, what in MODELS:
        if not os.path.exists(os.path.join(HERE, weights)):
            md("`%s` (%s): not present, left out." % (weights, what))
            md("")
            continue
        md("### `%s` (%s)" % (os.path.basename(weights), what))
        md("")
        full, rows = rows_of(R, weights, samples)
        table(md, fmt_energy, fmt_time, full, rows)
        md("")
        accept.append((os.path.basename(weights), full, rows))
    if accept and not quick:
        plot(accept, os.path.join(HERE, "docs", "img", "axlstm_tradeoff.png"))
        md("![AxLSTM trade-off](img/axlstm_tradeoff.png)")
        md("")
    md("### Acceptance (within %.1f points of full accuracy, CPU speed-up in the paper's band)"
       % WITHIN)
    md("")
    for label, full, rows in accept:
        acceptance(md, fmt_energy, label, full, rows)
        chip_best(md, fmt_energy, fmt_time, label, full, rows)
    md("")
    axlstm_seq2seq.section(R, md, quick, fmt_energy, fmt_time)
    md(END)


def main():
    import board_results
    board_results.run_alone(__doc__, section, BEGIN, END, "AxLSTM")


if __name__ == "__main__":
    main()
