#!/usr/bin/python3
"""AxLSTM on the sequence-to-sequence model (issue 19, methods.md C): the part "The
encoder-decoder on the CPU" of the AxLSTM section of docs/results.md (tools/axlstm_results.py).
For each sort-digits encoder-decoder and each knob setting (DTS tau on every layer, DSR fixed:K
or complexity:KMIN:FULL with the source length as the complexity) it runs

  loihisim baseline W --every E --dts-tau TAU | --dsr POLICY --report R.json

(the full and the reduced model timed back to back per string in one process, both
implementations), tabulates exact sequence and token accuracy against the measured speed-up with
the fractions of layer-steps skipped and of state evaluated, plots them, and states the
acceptance: a setting within 0.5 points of the full model's exact sequence accuracy with a
measured speed-up of at least the paper's 1.08x. Runs alone (replacing its part of
docs/results.md) or as part of tools/axlstm_results.py.

    /usr/bin/python3 tools/axlstm_seq2seq.py [--quick] [--force]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- part: axlstm-seq2seq (tools/axlstm_seq2seq.py) -->"
END = "<!-- end of part: axlstm-seq2seq -->"
STANDARD = [("--dts-tau", v) for v in ("0.3", "0.35", "0.4", "0.45")] + \
    [("--dsr", v) for v in ("fixed:120", "fixed:116", "fixed:112", "fixed:104", "fixed:96",
                            "complexity:96:1", "complexity:80:1", "complexity:64:1",
                            "complexity:96:0.5")]
# The modified cell's phi1 reaches 0 (z <= -2), so its input-gate means spread lower, and its
# accuracy falls with fewer cells removed: a grid shifted to match.
MODIFIED = [("--dts-tau", v) for v in ("0.1", "0.2", "0.25", "0.3", "0.4")] + \
    [("--dsr", v) for v in ("fixed:126", "fixed:124", "fixed:120", "fixed:112",
                            "complexity:120:1", "complexity:112:1", "complexity:96:1")]
# (weights, what it is, knob settings); files that do not exist are left out with a note.
MODELS = [("models/weights/seq2seq_sort_digits.h5", "standard cell", STANDARD),
          ("models/weights/seq2seq_sort_digits_modified.h5", "modified cell", MODIFIED)]
QUICK_SETTINGS = [("--dts-tau", "0.1"), ("--dsr", "complexity:64:1")]
# On the chip (the hybrid conversion needs the modified cell): T, and the settings run there
# beside the full network: each model's accepted CPU setting (fixed:116 standard, fixed:126
# modified) and timestep skipping with the full-length and a one-eighth probe.
CHIP_WEIGHTS = "models/weights/seq2seq_sort_digits_modified.h5"
CHIP_T, CHIP_ARCH = 128, "loihi1"
CHIP_SETTINGS = [[], ["--dsr", "fixed:126"], ["--dsr", "fixed:116"], ["--dts-tau", "0.3"],
                 ["--dts-tau", "0.3", "--dts-probe-steps", "16"]]
EVERY = 2  # every 2nd of the 2,000 test strings: 1,000 strings
WITHIN = 0.5  # points of the full model's exact sequence accuracy (the acceptance)
PAPER_BAND = (1.08, 1.31)  # methods.md C: Sen and Raghunathan 2018, measured speed-ups


def tag_of(weights):
    return "axlstm-" + os.path.basename(weights).replace(".h5", "").replace("_", "-")


def cpu_run(R, weights, samples, every, option, value):
    name = "%s-cpu%s-%s-%d-every%d.json" % (tag_of(weights), option.replace("--", "-"),
                                            value.replace(":", "-"), samples, every)
    path = os.path.join(R.work, name)
    return R.cached(name, [[R.cli, "baseline", weights, "--samples", str(samples), "--every",
                            str(every), "--rapl", "off", option, value, "--report", path]])


def chip_run(R, extra, samples, every, T):
    """`loihisim convert --method hybrid-seq2seq` with the knob options `extra`, then `run` on
    the same strings as the CPU rows."""
    name = "%s-chip-T%d-%s%s-%d-every%d" % (tag_of(CHIP_WEIGHTS), T, CHIP_ARCH,
                                             "".join(e.replace("--", "-").replace(":", "-")
                                                     for e in extra), samples, every)
    model = os.path.join(R.work, name + ".model.yaml")
    report = os.path.join(R.work, name + ".run.json")
    return R.cached(name + ".run.json", [
        [R.cli, "convert", os.path.join(HERE, CHIP_WEIGHTS), "--method", "hybrid-seq2seq",
         "--steps", str(T), "--arch", CHIP_ARCH, "--out", model] + extra,
        [R.cli, "run", model, "--arch", CHIP_ARCH, "--samples", str(samples), "--every",
         str(every), "--threads", str(R.threads), "--quiet", "--report", report]])


def chip_rows(R, samples, every, T):
    """{setting text: run report} for CHIP_SETTINGS; "full" for the network without knobs."""
    return {" ".join(e) or "full": chip_run(R, e, samples, every, T) for e in CHIP_SETTINGS}


def chip_table(md, chips, fmt_energy, fmt_time):
    full = chips["full"]["per_inference"]
    md("| chip setting | exact sequence (%) | tokens (%) | layer-steps skipped | chip steps "
       "| chip active | chip total | latency | active energy vs full | latency vs full |")
    md("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for setting, r in chips.items():
        p, seq, dts = r["per_inference"], r["sequence"], r.get("dts")
        skipped = ("%d of %d" % (dts["symbols_skipped"], dts["symbols_probed"]) if dts else "-")
        md("| `%s` | %.2f | %.2f | %s | %.0f | %s | %s | %s | %.3fx | %.3fx |" % (
            setting, 100 * seq["exact_accuracy"], 100 * seq["token_accuracy"], skipped,
            r["chip"]["per_inference"]["steps"], fmt_energy(p["chip_active_energy_pJ"]),
            fmt_energy(p["chip_total_energy_pJ"]), fmt_time(p["latency_ns"]),
            p["chip_active_energy_pJ"] / full["chip_active_energy_pJ"],
            p["latency_ns"] / full["latency_ns"]))


def chip_at(md, label, rows, chips, fmt_energy):
    """The chip's energy at the CPU's accepted (or fastest within-0.5-point) setting."""
    ok = [r for r in rows if points_lost(r["tuned"]) <= WITHIN and
          points_lost(r["straight"]) <= WITHIN]
    if not ok:
        return
    best = max(ok, key=speedup)
    chip = chips.get(best["setting"])
    if chip is None:
        md("  - On the chip: `%s` was not run there." % best["setting"])
        return
    full, p = chips["full"], chip["per_inference"]
    saved = 1 - p["chip_active_energy_pJ"] / full["per_inference"]["chip_active_energy_pJ"]
    md("  - On the chip at `%s` (%s, T = %d, %s, the same strings%s): exact sequence %.2f %% "
       "against %.2f %% for the full network, chip active energy %s against %s: **%.1f %% %s**, "
       "latency %.3fx." % (
           best["setting"], os.path.basename(CHIP_WEIGHTS), CHIP_T, CHIP_ARCH,
           "" if "modified" in label else "; the standard cell cannot be converted to the "
           "hybrid form, so the chip runs the modified model at the same setting",
           100 * chip["sequence"]["exact_accuracy"], 100 * full["sequence"]["exact_accuracy"],
           fmt_energy(p["chip_active_energy_pJ"]),
           fmt_energy(full["per_inference"]["chip_active_energy_pJ"]), abs(100 * saved),
           "saved" if saved >= 0 else "more", p["latency_ns"] / full["per_inference"]["latency_ns"]))


def speedup(row):
    """The acceptance's speed-up: the ratio of total wall times (the means over the strings:
    lengths vary, so the total is what a user waits for), the smaller of the two
    implementations'."""
    return min(row["tuned"]["speedup_mean"], row["straight"]["speedup_mean"])


def rows_of(R, weights, samples, every, settings):
    rows = []
    for option, value in settings:
        report = cpu_run(R, weights, samples, every, option, value)
        ax = report["axlstm"]
        impl = {i["name"]: i for i in ax["implementations"]}
        rows.append({"setting": "%s %s" % (option, value), "ax": ax, "tuned": impl["tuned"],
                     "straight": impl["straightforward"], "report": report})
    return rows


def table(md, rows):
    md("| setting | exact sequence, full / reduced (%) | tokens, full / reduced (%) "
       "| layer-steps skipped (%) | state evaluated (%) | MACs saved (%) "
       "| speed-up tuned, total / median | speed-up straightforward, total / median |")
    md("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        t, s, ax = r["tuned"], r["straight"], r["ax"]
        md("| `%s` | %.2f / %.2f | %.2f / %.2f | %.1f | %.1f | %.1f | %.3fx / %.3fx | "
           "%.3fx / %.3fx |" % (
               r["setting"], 100 * t["exact_full"], 100 * t["exact_reduced"],
               100 * t["token_full"], 100 * t["token_reduced"], 100 * ax["fraction_skipped"],
               100 * ax["fraction_of_state"], 100 * ax["macs_saved_fraction"],
               t["speedup_mean"], t["speedup_median"], s["speedup_mean"], s["speedup_median"]))


def full_line(md, report):
    impl = {i["name"]: i for i in report["implementations"]}
    t, s = impl["tuned"], impl["straightforward"]
    md("Full model: exact sequence %.2f %%, tokens %.2f %%, %.0f multiply-accumulates per "
       "string (mean), median time per string %.1f us tuned, %.1f us straightforward; "
       "the file's 8 reference greedy outputs reproduced: %d/8 (tuned), %d/8 (straightforward)."
       % (100 * t["accuracy"]["exact_fraction"], 100 * t["accuracy"]["token_fraction"],
          report["counts_per_inference"]["multiply_accumulates"],
          t["time_per_inference"]["median_ns"] / 1e3, s["time_per_inference"]["median_ns"] / 1e3,
          t["reference_check"]["greedy_outputs_agree"],
          s["reference_check"]["greedy_outputs_agree"]))


def points_lost(impl):
    """Exact sequence accuracy lost, in points (rounded: fractions of whole strings)."""
    return round(100 * (impl["exact_full"] - impl["exact_reduced"]), 6)


def acceptance(md, label, rows):
    ok = [r for r in rows if points_lost(r["tuned"]) <= WITHIN and
          points_lost(r["straight"]) <= WITHIN]
    fastest = max(rows, key=speedup)
    if not ok:
        md("- %s: **not met**: no setting stays within %.1f points of the full model's exact "
           "sequence accuracy (the fastest setting, `%s`, runs %.3fx at %.2f %% against %.2f %%)."
           % (label, WITHIN, fastest["setting"], speedup(fastest),
              100 * fastest["tuned"]["exact_reduced"], 100 * fastest["tuned"]["exact_full"]))
        return
    best = max(ok, key=speedup)
    s = speedup(best)
    verdict = "**met**" if s >= PAPER_BAND[0] else "**not met**"
    band = "in or above" if s >= PAPER_BAND[0] else "below"
    md("- %s: %s: the fastest setting within %.1f points is `%s`: exact sequence %.2f %% "
       "against %.2f %% full (tokens %.2f %% against %.2f %%), speed-up %.3fx (total time, the "
       "smaller of the two implementations': tuned %.3fx, straightforward %.3fx), %s the "
       "paper's %.2f-%.2fx band; %.1f %% of the layer-steps skipped, %.1f %% of the state "
       "evaluated, %.1f %% of the multiply-accumulates saved." % (
           label, verdict, WITHIN, best["setting"], 100 * best["tuned"]["exact_reduced"],
           100 * best["tuned"]["exact_full"], 100 * best["tuned"]["token_reduced"],
           100 * best["tuned"]["token_full"], s, best["tuned"]["speedup_mean"],
           best["straight"]["speedup_mean"], band, PAPER_BAND[0], PAPER_BAND[1],
           100 * best["ax"]["fraction_skipped"], 100 * best["ax"]["fraction_of_state"],
           100 * best["ax"]["macs_saved_fraction"]))


def dts_note(md, label, rows):
    """What DTS alone does: the most it skips within WITHIN points, and the first tau beyond."""
    dts = [r for r in rows if r["setting"].startswith("--dts-tau")]
    if not dts:
        return
    loss = [points_lost(r["tuned"]) for r in dts]
    ok = [r for r, lost in zip(dts, loss) if lost <= WITHIN]
    text = "- %s, DTS alone: " % label
    if ok:
        best = max(ok, key=lambda r: r["ax"]["fraction_skipped"])
        text += ("within %.1f points it skips at most %.2f %% of the layer-steps (`%s`, speed-up "
                 "%.3fx tuned, %.3fx straightforward: the probe's cost is not repaid)" % (
                     WITHIN, 100 * best["ax"]["fraction_skipped"], best["setting"],
                     best["tuned"]["speedup_mean"], best["straight"]["speedup_mean"]))
    beyond = [(r, lost) for r, lost in zip(dts, loss) if lost > WITHIN]
    if beyond:
        r, lost = beyond[0]
        ax = r["ax"]
        share = ax["encoder_layer_steps_skipped"] / max(1, ax["layer_steps_skipped"])
        why = ("most skips fall on source symbols, and a sorted output needs every digit"
               if share >= 0.5 else
               "the skips fall on decoder steps, whose state tracks what was already emitted: "
               "carrying it unchanged costs tokens" +
               ("; the encoder's input gates stay above tau on every digit" if share == 0
                else ""))
        text += ("%s`%s` skips %.2f %% of the layer-steps (%.0f %% of them in the encoder) and "
                 "loses %.2f points of exact sequence accuracy (%s)" % (
                     "; " if ok else "", r["setting"], 100 * ax["fraction_skipped"],
                     100 * share, lost, why))
    md(text + ".")


def plot(done, path):
    """Exact sequence accuracy against the measured speed-up (total time), per model and
    implementation."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for label, rows in done:
        for key, marker in (("tuned", "o"), ("straight", "s")):
            ax.plot([1.0] + [r[key]["speedup_mean"] for r in rows],
                    [100 * rows[0][key]["exact_full"]] +
                    [100 * r[key]["exact_reduced"] for r in rows], marker, fillstyle="none",
                    label="%s, %s" % (label, "tuned" if key == "tuned" else "straightforward"))
    ax.axvspan(PAPER_BAND[0], PAPER_BAND[1], color="0.9", label="paper's speed-up band")
    ax.set_xlabel("CPU speed-up (measured, total time over the strings)")
    ax.set_ylabel("exact sequence accuracy (%)")
    ax.set_title("AxLSTM on the sort-digits encoder-decoder (CPU)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def section(R, md, quick, fmt_energy, fmt_time):
    """Appends the part through md() (inside the AxLSTM section's markers)."""
    every = 100 if quick else EVERY
    samples = 2000 // every
    md(BEGIN)
    md("### The encoder-decoder on the CPU (sort-digits, issue 19)")
    md("")
    md("The sequence-to-sequence model: the LSTM encoder-decoder (2 + 2 layers of 128, greedy "
       "decoding) on %d of the 2,000 sort-digits test strings (one in %d), run by `loihisim "
       "baseline` ([baseline.md](baseline.md) \"The sequence-to-sequence model\": DTS probes "
       "every layer's input gate at every step, DSR keeps the k most important cells of every "
       "layer, k from the source length). Speed-up: the full and the reduced model timed back to "
       "back per string in one process, the order alternating; \"total\" is the ratio of the "
       "summed wall times (lengths vary), \"median\" that of the medians. The acceptance uses "
       "the total, the smaller of the two implementations'." % (samples, every))
    md("")
    done = []
    for weights, what, settings in MODELS:
        if quick:
            settings = QUICK_SETTINGS
        if not os.path.exists(os.path.join(HERE, weights)):
            md("`%s` (%s): not present, left out." % (weights, what))
            md("")
            continue
        rows = rows_of(R, os.path.join(HERE, weights), samples, every, settings)
        md("#### `%s` (%s)" % (os.path.basename(weights), what))
        md("")
        full_line(md, rows[0]["report"])
        md("")
        table(md, rows)
        md("")
        done.append((os.path.basename(weights).replace(".h5", ""), rows))
    if done and not quick:
        plot(done, os.path.join(HERE, "docs", "img", "axlstm_seq2seq_tradeoff.png"))
        md("![AxLSTM on the encoder-decoder](img/axlstm_seq2seq_tradeoff.png)")
        md("")
    chips = {}
    if os.path.exists(os.path.join(HERE, CHIP_WEIGHTS)):
        T = 32 if quick else CHIP_T
        chips = chip_rows(R, samples, every, T)
        md("### The encoder-decoder on the chip")
        md("")
        md("`%s` as the hybrid network (`loihisim convert --method hybrid-seq2seq --steps %d "
           "--arch %s`, docs/hybrid-lstm.md \"Encoder-decoder on the chip\": every layer's gates "
           "spiking, cells, read-out and greedy decoding on the host; %s), on the same %d strings, "
           "with the knobs as convert options: `--dsr fixed:K` maps the K most important cells "
           "of every layer, `--dts-tau` probes every layer's input gate in its own phase first "
           "(`--dts-probe-steps P`: for P of the T steps). Per string:" % (
               os.path.basename(CHIP_WEIGHTS), T, CHIP_ARCH,
               "T = 32 for the quick run" if quick else "T = %d, the smallest power of two at "
               "which its exact accuracy comes within a few points of the float model's: "
               "docs/hybrid-lstm.md measures T = 32 to 256" % T, samples))
        md("")
        chip_table(md, chips, fmt_energy, fmt_time)
        md("")
    md("#### Acceptance on the encoder-decoder (within %.1f points of full exact sequence "
       "accuracy, CPU speed-up of at least %.2fx)" % (WITHIN, PAPER_BAND[0]))
    md("")
    for label, rows in done:
        acceptance(md, label, rows)
        if chips:
            chip_at(md, label, rows, chips, fmt_energy)
        dts_note(md, label, rows)
    md("")
    md(END)


def main():
    import board_results
    board_results.run_alone(__doc__, lambda R, md, fmt_energy, fmt_time, quick:
                            section(R, md, quick, fmt_energy, fmt_time), BEGIN, END,
                            "AxLSTM encoder-decoder")


if __name__ == "__main__":
    main()
