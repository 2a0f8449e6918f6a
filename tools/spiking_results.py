"""The spiking-LSTM section of docs/results.md (methods.md B; docs/spiking-lstm.md), run by
tools/hybrid_results.py with its Runner, so that every number comes from a listed command:
`loihisim convert --method spiking-lstm` (all replicas, and each replica alone for the serial
schedule), `loihisim run --report`, the training script's measurements stored in the weight file
(snn/results), and the operation-energy table cpu/horowitz45.yaml."""
import json
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# methods.md B: Datta et al. 2022, Google Speech Commands, T = 2.
PAPER_GSC_ACCURACY = 94.75
PAPER_ENERGY_RATIO = 4.1


def op_energies():
    """E_MAC and E_AC (pJ) of methods.md B's operation model, from the operation table the CPU
    baseline uses: a multiply-accumulate is a multiply plus an add, an accumulate an add."""
    ops = {}
    with open(os.path.join(HERE, "cpu", "horowitz45.yaml")) as f:
        for line in f:
            s = line.split("#")[0].strip()
            for key in ("multiply_pj", "add_pj"):
                if s.startswith(key + ":"):
                    ops[key] = float(s.split(":")[1])
    return ops["multiply_pj"] + ops["add_pj"], ops["add_pj"]


def host_link_ns(arch):
    """Latency (ns) of one host-link word and one read-back in the architecture file."""
    out, section = {}, None
    with open(os.path.join(HERE, "arch", arch + ".yaml")) as f:
        for line in f:
            s = line.split("#")[0].rstrip()
            if s.strip() in ("readback:", "word:"):
                section = s.strip()[:-1]
            elif section and s.strip().startswith("latency_ns:"):
                out[section] = float(s.split(":")[1])
                section = None
    return out["word"], out["readback"]


def host_link_time(run, arch):
    """Chip time per inference spent on the host link (bias words and read-backs)."""
    t_word, t_read = host_link_ns(arch)
    n = run["samples"]
    count = {e["event"]: e.get("count", 0) / n for e in run["chip"]["energy"]["breakdown"]}
    return count.get("host_word", 0) * t_word + count.get("host_readback", 0) * t_read


def file_results(path):
    """The training script's measurements (snn/results attributes) and the shape."""
    import h5py
    with h5py.File(path) as f:
        res = {k: f["snn/results"].attrs[k] for k in f["snn/results"].attrs}
        shape = {"T": int(f["snn/chip/steps"][()]), "H": int(f["snn/chip/hidden"][()]),
                 "inputs": int(f["snn/chip/input_weight"].shape[1]),
                 "epochs": int(f.attrs["epochs"]), "command": str(f.attrs["command"])}
    out = {}
    for k, v in res.items():
        if isinstance(v, (bytes, str)):
            try:
                out[k] = json.loads(v)
            except ValueError:
                out[k] = v
        else:
            out[k] = float(v) if getattr(v, "shape", ()) == () else v
    return out, shape


def finished(path):
    """A file the training script has finished: --checkpoint files written after each epoch
    have no snn/reference until the last step exports it."""
    if not os.path.exists(path):
        return False
    import h5py
    with h5py.File(path) as f:
        return "snn/reference" in f


def run_model(R, weights, arch, samples, tag, replica=None, every=1):
    name = "%s-%s-%d%s%s" % (tag, arch, samples, "-replica%d" % replica if replica is not None else "",
                             "-every%d" % every if every > 1 else "")
    model = os.path.join(R.work, name + ".model.yaml")
    report = os.path.join(R.work, name + ".run.json")
    extra = ["--replica", str(replica)] if replica is not None else []
    sub = ["--every", str(every)] if every > 1 else []
    return R.cached(name + ".run.json", [
        [R.cli, "convert", weights, "--method", "spiking-lstm", "--arch", arch, "--out", model] + extra,
        [R.cli, "run", model, "--arch", arch, "--samples", str(samples)] + sub + ["--threads",
         str(R.threads), "--quiet", "--report", report]])


def pop(run, name):
    for p in run["populations"]:
        if p["name"] == name:
            return p
    raise KeyError(name)


def measure(R, weights, arch, samples, tag, every=1):
    """The pipelined run (all replicas in lockstep) and the serial schedule (the sum of each
    replica run alone: they never exchange spikes, tests/models/test_spiking_lstm.cpp)."""
    res, shape = file_results(weights)
    run = run_model(R, weights, arch, samples, tag, every=every)
    serial = [run_model(R, weights, arch, samples, tag, k, every) for k in range(shape["T"])]
    n = run["samples"]
    L = run["chip"]["per_inference"]["steps"]
    e_mac, e_ac = op_energies()
    H, I, T = shape["H"], shape["inputs"], shape["T"]
    h_spikes = pop(run, "H")["spikes"] / n
    syn_ops = sum(e["count"] for e in run["chip"]["energy"]["breakdown"]
                  if e["event"] in ("syn_op_dense", "syn_op_sparse")) / n
    macs = 4 * H * I * L                     # the direct-encoded first layer, once per symbol
    m = {
        "res": res, "shape": shape, "run": run, "n": n, "L": L,
        "acc": 100.0 * run["accuracy"]["fraction"],
        "rates": {p: pop(run, p)["spikes_per_neuron_per_step"]
                  for p in ("S_A", "S_F", "S_Bbar", "S_Obar", "H")},
        "pipelined_steps": L,
        "pipelined_ns": run["per_inference"]["latency_ns"],
        "serial_steps": sum(s["chip"]["per_inference"]["steps"] for s in serial),
        # Host time is the same work in both schedules (one first layer per symbol, the same
        # bias words); the chip time is the sum of the replicas' runs.
        "serial_ns": sum(s["chip"]["per_inference"]["time_ns"] for s in serial) +
                     (run["per_inference"]["latency_ns"] - run["chip"]["per_inference"]["time_ns"]),
        # The same without the host link's words and read-backs: the cores' and the mesh's time.
        "pipelined_core_ns": run["chip"]["per_inference"]["time_ns"] - host_link_time(run, arch),
        "serial_core_ns": sum(s["chip"]["per_inference"]["time_ns"] - host_link_time(s, arch)
                              for s in serial),
        "serial_active_pJ": sum(s["per_inference"]["chip_active_energy_pJ"] for s in serial) +
                            run["per_inference"]["host_energy_pJ"],
        # methods.md B's operation model: first-layer MACs + spike-driven ACs of the recurrent
        # layer (each hidden spike reaches 4 H dendrites); 'all synapses' adds the soft-reset
        # feedback synapses this construction needs.
        "op_snn_pJ": macs * e_mac + h_spikes * 4 * H * e_ac,
        "op_snn_all_pJ": macs * e_mac + syn_ops * e_ac,
        "op_ann_pJ": 4 * H * (I + H) * L * e_mac,
        "e_mac": e_mac, "e_ac": e_ac,
    }
    return m


def fmt_pct(x):
    return "%.2f" % (100.0 * x)


def section(R, md, fmt_energy, fmt_time, quick, hybrid_best, cpu_std):
    """Appends the section. hybrid_best: (T, run) of the hybrid LSTM at its best T on row-wise
    MNIST (loihi1); cpu_std: the same-size standard LSTM's baseline report (row-wise MNIST)."""
    W = lambda f: os.path.join(HERE, "models", "weights", f)
    n_row = 40 if quick else 2000
    n_fashion = 40 if quick else 10000
    Ts = [t for t in (1, 2, 4, 8) if finished(W("spiking_mnist_row_t%d.h5" % t))]
    if quick:
        Ts = Ts[:2]
    rows = {T: measure(R, W("spiking_mnist_row_t%d.h5" % T), "loihi1", n_row, "spiking-mnist-row-t%d" % T)
            for T in Ts}
    t4_loihi2 = (run_model(R, W("spiking_mnist_row_t4.h5"), "loihi2", n_row, "spiking-mnist-row-t4")
                 if 4 in Ts else None)
    fTs = [t for t in (1, 2, 4, 8) if finished(W("spiking_fashion_row_t%d.h5" % t))]
    fashion = {T: measure(R, W("spiking_fashion_row_t%d.h5" % T), "loihi1", n_fashion,
                          "spiking-fashion-row-t%d" % T) for T in fTs[:1 if quick else None]}

    md("## The spiking LSTM (methods.md B): bias shifts, LIF fine-tuning, pipelining")
    md("")
    md("Method and construction: [spiking-lstm.md](spiking-lstm.md). Each row is "
       "`loihisim convert spiking_<data>_t<T>.h5 --method spiking-lstm --arch loihi1` then "
       "`loihisim run` on the test split: T replicas of the recurrent layer, every gate, the "
       "cell and the hidden state as compartments of 12-compartment neurons (ADD joins) on "
       "cores, the first layer's multiplies on the host (direct encoding, exact integers), the "
       "classifier on the host once per sequence. The ANN and conversion columns are the "
       "training script's measurements stored in each file (`snn/results`, float SNN on the "
       "test split); 'chip' is the simulated chip. The chip reproduces the training script's "
       "independent integer reference spike for spike (tests/models/test_spiking_lstm.cpp), so "
       "its accuracy equals the integer model's.")
    md("")
    if not rows:
        md("Not produced: no `models/weights/spiking_mnist_row_t*.h5`.")
        return
    md("### Row-wise MNIST (%d test digits)" % n_row)
    md("")
    md("| T | ANN | converted, no shift | converted, theta/(2T) | converted, calibrated | "
       "fine-tuned (float) | **chip** | fine-tuning epochs | compartments | loihi1 cores |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        r = m["res"]
        md("| %d | %s | %s | %s | %s | %s | **%.2f** | %d | %d | %d |" % (
            T, fmt_pct(r["ann_accuracy"]), fmt_pct(r["converted_none"]),
            fmt_pct(r["converted_default"]), fmt_pct(r["converted_calibrated"]),
            fmt_pct(r["finetuned_float"]), m["acc"], m["shape"]["epochs"],
            12 * m["shape"]["H"] * T, m["run"]["mapping"]["cores_used"]))
    md("")
    if 4 in rows:
        ann = 100.0 * rows[4]["res"]["ann_accuracy"]
        md("Acceptance (T = 4 within 1.5 points of its ANN): ANN %.2f %%, chip %.2f %%, a drop "
           "of %.2f points." % (ann, rows[4]["acc"], ann - rows[4]["acc"]))
        if t4_loihi2 is not None:
            md(" loihi2 (the same network; Loihi 2 runs the joins as Loihi 1 does): %.2f %%."
               % (100.0 * t4_loihi2["accuracy"]["fraction"]))
        md("")
    md("The converted networks are at chance for every bias shift: the replicas of a unit are "
       "binary LSTMs that each feed back their own hidden spikes, and the mean of a nonlinear "
       "recurrent function of binary samples is not the function of the means "
       "([spiking-lstm.md](spiking-lstm.md), section 3, measures why); the accuracy comes from "
       "the fine-tuning, whose last epochs train on the chip's exact integers. The calibrated "
       "shifts per layer (A, F, Bbar, Obar, hidden; units of theta / T): " + "; ".join(
           "T = %d: %s" % (T, ", ".join("%.2f" % v for v in m["res"]["calibrated_shift_theta_over_T"]))
           for T, m in rows.items()) + ".")
    md("")
    md("Spike rates per neuron and step on the chip (one step per symbol; S_x: the gate "
       "comparators, H: the hidden soma):")
    md("")
    md("| T | S_A (write-up) | S_F (keep) | S_Bbar (no write-down) | S_Obar (output closed) | H (hidden) |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        md("| %d | %s |" % (T, " | ".join("%.4f" % m["rates"][p] for p in ("S_A", "S_F", "S_Bbar", "S_Obar", "H"))))
    md("")
    md("### Latency: pipelined against serial")
    md("")
    md("Pipelined: the T replicas in lockstep, one chip step per symbol (measured). Serial: "
       "the T steps of each symbol one after another on one copy of the layer, measured as the "
       "sum of each replica run alone (`--replica k`; the replicas never exchange spikes, so "
       "the sum is exactly the serial schedule's chip work), plus the same host work. "
       "methods.md B's wavefront would take L + T - 1 steps.")
    md("")
    md("| T | pipelined steps | serial steps | L + T - 1 | pipelined latency | serial latency | "
       "speed-up (time) | chip active + host, pipelined | chip active + host, serial |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        md("| %d | %.0f | %.0f | %.0f | %s | %s | %.2fx | %s | %s |" % (
            T, m["pipelined_steps"], m["serial_steps"], m["L"] + T - 1, fmt_time(m["pipelined_ns"]),
            fmt_time(m["serial_ns"]), m["serial_ns"] / m["pipelined_ns"],
            fmt_energy(m["run"]["per_inference"]["chip_active_energy_pJ"] +
                       m["run"]["per_inference"]["host_energy_pJ"]),
            fmt_energy(m["serial_active_pJ"])))
    md("")
    md("Where the time goes: every chip step begins with the host writing the step's input "
       "currents as dendrite biases, 4 H T words over the host link (32 ns each in "
       "arch/loihi1.yaml, an uncertain figure), and the serial schedule writes the same words, "
       "4 H per step over T times the steps. The host link's time is therefore the same in "
       "both schedules and only the cores' time shrinks with pipelining:")
    md("")
    md("| T | host link, pipelined | cores and mesh, pipelined | cores and mesh, serial | speed-up of the cores and mesh |")
    md("| ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        md("| %d | %s | %s | %s | %.2fx |" % (
            T, fmt_time(m["run"]["chip"]["per_inference"]["time_ns"] - m["pipelined_core_ns"]),
            fmt_time(m["pipelined_core_ns"]), fmt_time(m["serial_core_ns"]),
            m["serial_core_ns"] / m["pipelined_core_ns"]))
    md("")
    if 8 in rows:
        m = rows[8]
        md("Acceptance (pipelining cuts a 28-symbol sequence's latency at least 5x at T = 8): "
           "met in chip steps, %.0f against %.0f (%.1fx); in time %s against %s (%.2fx), the "
           "cores and mesh alone %.2fx. Not met in time, because the direct-encoded input is "
           "written into every replica's dendrites through the host link: T x the words per "
           "step. What would meet it: sending the 4 H shared input currents once per step and "
           "fanning them out to the T replicas on the chip (Loihi 2 graded spikes through "
           "synapses of weight 1, with the replica offsets as fixed biases), which changes the "
           "rounding the network was trained with (the current would enter through the "
           "synaptic accumulator, not the bias), so the model would need to be fine-tuned for it." % (
               m["serial_steps"], m["pipelined_steps"], m["serial_steps"] / m["pipelined_steps"],
               fmt_time(m["pipelined_ns"]), fmt_time(m["serial_ns"]),
               m["serial_ns"] / m["pipelined_ns"], m["serial_core_ns"] / m["pipelined_core_ns"]))
        md("")
    md("### Energy per inference: the chip model and methods.md B's operation model")
    md("")
    e_mac, e_ac = next(iter(rows.values()))["e_mac"], next(iter(rows.values()))["e_ac"]
    md("Operation model (methods.md B, E_MAC = %.1f pJ, E_AC = %.1f pJ from cpu/horowitz45.yaml: "
       "a multiply-accumulate is a multiply plus an add): E_SNN = first-layer MACs (4 H n_in per "
       "symbol) x E_MAC + recurrent accumulates (hidden spikes x 4 H, counted on the chip) x "
       "E_AC; 'all synapses' counts every synaptic operation the chip performed instead (the "
       "soft-reset feedback adds some; recurrent weights quantised to 0 are not stored and "
       "subtract some); E_ANN = 4 H (n_in + H) MACs per symbol x E_MAC; the classifier is "
       "left out of both. Chip: counted events x arch/loihi1.yaml, plus the host (the first "
       "layer and the classifier at Horowitz's operation energies, and the host link)." % (e_mac, e_ac))
    md("")
    md("| T | chip active | chip total | host | E_SNN (ops) | E_SNN (ops, all synapses) | E_ANN (ops) | E_ANN / E_SNN |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        p = m["run"]["per_inference"]
        md("| %d | %s | %s | %s | %s | %s | %s | %.2fx |" % (
            T, fmt_energy(p["chip_active_energy_pJ"]), fmt_energy(p["chip_total_energy_pJ"]),
            fmt_energy(p["host_energy_pJ"]), fmt_energy(m["op_snn_pJ"]),
            fmt_energy(m["op_snn_all_pJ"]), fmt_energy(m["op_ann_pJ"]),
            m["op_ann_pJ"] / m["op_snn_pJ"]))
    md("")
    md("What the on-chip products cost (Loihi 1 has no multiply of two compartments, so each "
       "unit and replica is 12 compartments where the gates alone would be 4 plus a hidden "
       "neuron): 3x the compartments (the cores in the accuracy table), the comparators' spikes "
       "and their feedback synaptic operations, and the window and cell spikes, which drive no "
       "synapse; all are in the chip columns. The alternative, the products on the host, would "
       "need a read-back and an injection between the gates and the hidden state of every step, "
       "two chip steps per symbol instead of one ([spiking-lstm.md](spiking-lstm.md), section 1).")
    md("")
    md("The paper's headline (%.2f %% on Google Speech Commands at T = 2, %.1fx less energy than "
       "the iso-architecture LSTM) is on data we do not have offline. The ratio carries over: "
       "under the same operation model our T = 2 row-wise MNIST network spends %s less than its "
       "ANN. The ratio falls with T because the first layer's MACs are fixed while the "
       "accumulates grow with the spikes of T replicas." % (
           PAPER_GSC_ACCURACY, PAPER_ENERGY_RATIO,
           "%.2fx" % (rows[2]["op_ann_pJ"] / rows[2]["op_snn_pJ"]) if 2 in rows else "(no T = 2 file)"))
    md("")
    if hybrid_best is not None:
        hT, hrun = hybrid_best
        best = max(rows.items(), key=lambda kv: kv[1]["acc"])
        md("Beside the hybrid LSTM (methods.md A) at its best T on the same digits: hybrid T = %d "
           "%.2f %%, chip active %s + host %s, latency %s in %d chip steps; spiking LSTM T = %d "
           "%.2f %%, chip active %s + host %s, latency %s in %d chip steps." % (
               hT, 100.0 * hrun["accuracy"]["fraction"],
               fmt_energy(hrun["per_inference"]["chip_active_energy_pJ"]),
               fmt_energy(hrun["per_inference"]["host_energy_pJ"]),
               fmt_time(hrun["per_inference"]["latency_ns"]), hrun["chip"]["per_inference"]["steps"],
               best[0], best[1]["acc"], fmt_energy(best[1]["run"]["per_inference"]["chip_active_energy_pJ"]),
               fmt_energy(best[1]["run"]["per_inference"]["host_energy_pJ"]),
               fmt_time(best[1]["pipelined_ns"]), best[1]["pipelined_steps"]))
        md("")
    if cpu_std:
        tuned = [i for i in cpu_std["implementations"] if i["name"] == "tuned"][0]
        md("CPU baseline, the same-size standard LSTM (128 hidden, float32, batch 1, this machine): "
           "%.2f %%, median %s per inference; its energy under the operation profiles: %s "
           "([baseline.md](baseline.md))." % (
               100.0 * tuned["accuracy"]["fraction"], fmt_time(tuned["time_per_inference"]["median_ns"]),
               ", ".join("%s %s" % (e["profile"], fmt_energy(e["energy_pJ"]))
                         for e in cpu_std["energy_per_inference"])))
        md("")
    if fashion:
        md("### Row-wise Fashion-MNIST (%d test images)" % n_fashion)
        md("")
        md("| T | ANN | converted, no shift | converted, theta/(2T) | fine-tuned (float) | **chip** | latency | chip active | host | E_ANN / E_SNN (ops) | fine-tuning epochs |")
        md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for T, m in fashion.items():
            r = m["res"]
            p = m["run"]["per_inference"]
            md("| %d | %s | %s | %s | %s | **%.2f** | %s | %s | %s | %.2fx | %d |" % (
                T, fmt_pct(r["ann_accuracy"]), fmt_pct(r["converted_none"]),
                fmt_pct(r["converted_default"]), fmt_pct(r["finetuned_float"]), m["acc"],
                fmt_time(m["pipelined_ns"]), fmt_energy(p["chip_active_energy_pJ"]),
                fmt_energy(p["host_energy_pJ"]), m["op_ann_pJ"] / m["op_snn_pJ"],
                m["shape"]["epochs"]))
        md("")
    pixel_section(R, md, fmt_energy, fmt_time, quick)


PIXEL_BEGIN = "<!-- section: spiking-pixel (tools/spiking_results.py) -->"
PIXEL_END = "<!-- end of section: spiking-pixel -->"


def pixel_section(R, md, fmt_energy, fmt_time, quick):
    """Pixel-wise MNIST (784 symbols of one pixel) at the T that were trained, on the subset of
    test digits the training script evaluated (--eval-limit 200: every 10th). Runnable alone:
    `tools/spiking_results.py` regenerates just this part of docs/results.md."""
    W = lambda f: os.path.join(HERE, "models", "weights", f)
    pTs = [t for t in (1, 2, 4) if finished(W("spiking_mnist_pixel_t%d.h5" % t))]
    md(PIXEL_BEGIN)
    md("### Pixel-wise MNIST (784 symbols of one pixel)")
    md("")
    if not pTs:
        src = W("spiking_source_mnist_pixel.h5")
        trained = ""
        if os.path.exists(src):
            import h5py
            with h5py.File(src) as f:
                trained = (" The source ANN trains (`spiking_source_mnist_pixel.h5`: %.2f %% after %d "
                           "epochs, still rising); the fine-tuning of T = 1 was stopped in its last "
                           "epoch for time, see models/weights/README.md." % (
                               100.0 * float(f.attrs["test_accuracy"]), int(f.attrs["epochs"])))
        md("Not produced: no finished fine-tuned pixel-wise model "
           "(`models/weights/spiking_mnist_pixel_t*.h5`)." + trained)
        md("")
        md(PIXEL_END)
        return
    n, every = (10, 200) if quick else (200, 10)
    import h5py
    with h5py.File(W("spiking_source_mnist_pixel.h5")) as f:
        src_epochs, src_acc = int(f.attrs["epochs"]), 100.0 * float(f.attrs["test_accuracy"])
    rows = {T: measure(R, W("spiking_mnist_pixel_t%d.h5" % T), "loihi1", n,
                       "spiking-mnist-pixel-t%d" % T, every=every) for T in pTs}
    md("On %d test digits, every %dth of the class-ordered split (the subset the training "
       "script evaluates with `--eval-limit 200`, so every column is on the same digits). The "
       "source ANN (`spiking_source_mnist_pixel.h5`, inputs in [-1, 1], forget-gate input "
       "weights started at -1, lr 3e-4, batch 32) was stopped after %d epochs at %.2f %% on "
       "all 2000 test digits to leave time for the rest, and each SNN was fine-tuned on 1,000 "
       "training digits spread over the split (`--train-limit 1000 --train-mixed`): a budget "
       "run, about 28x a row-wise epoch per sample; the commands are the files' `command` "
       "attributes (models/weights/README.md)." % (n, every, src_epochs, src_acc))
    md("")
    md("| T | ANN | converted, no shift | converted, theta/(2T) | converted, calibrated | "
       "fine-tuned (float) | **chip** | fine-tuning epochs |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        r = m["res"]
        md("| %d | %s | %s | %s | %s | %s | **%.2f** | %d |" % (
            T, fmt_pct(r["ann_accuracy"]), fmt_pct(r["converted_none"]),
            fmt_pct(r["converted_default"]), fmt_pct(r["converted_calibrated"]),
            fmt_pct(r["finetuned_float"]), m["acc"], m["shape"]["epochs"]))
    md("")
    md("Spike rates per neuron and step on the chip, latency (pipelined: one chip step per symbol; "
       "serial: each replica alone, summed) and energy per inference (chip model; methods.md B's "
       "operation model as in the row-wise table):")
    md("")
    md("| T | S_A | S_F | S_Bbar | S_Obar | H | pipelined latency (steps) | serial latency (steps) "
       "| chip active | chip total | host | E_SNN (ops) | E_ANN (ops) | E_ANN / E_SNN |")
    md("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for T, m in rows.items():
        p = m["run"]["per_inference"]
        md("| %d | %s | %s (%.0f) | %s (%.0f) | %s | %s | %s | %s | %s | %.2fx |" % (
            T, " | ".join("%.4f" % m["rates"][k] for k in ("S_A", "S_F", "S_Bbar", "S_Obar", "H")),
            fmt_time(m["pipelined_ns"]), m["pipelined_steps"], fmt_time(m["serial_ns"]),
            m["serial_steps"], fmt_energy(p["chip_active_energy_pJ"]),
            fmt_energy(p["chip_total_energy_pJ"]), fmt_energy(p["host_energy_pJ"]),
            fmt_energy(m["op_snn_pJ"]), fmt_energy(m["op_ann_pJ"]), m["op_ann_pJ"] / m["op_snn_pJ"]))
    md("")
    if list(rows) == [1]:
        hist = rows[1]["res"].get("history", [])
        qat = sum(1 for e in hist if e.get("qat"))
        md("Only T = 1 was fine-tuned: %d epochs in float%s on 1,000 sequences of 784 symbols, 40 "
           "to 60 minutes each here with the machine shared "
           "(models/weights/logs/spiking_mnist_pixel_t1.log); T = 2 would take about twice that. "
           "At T = 1 the pipelined and serial schedules are the same single replica." % (
               len(hist) - qat, " and %d on the chip's integers" % qat if qat else
               ", none on the chip's integers (the run's last, integer epoch was not run; the "
               "chip column is the integer network the file describes)"))
        md("")
    md("The pixel-wise source cell trains slowly (near chance for the first epochs, %.2f %% after %d; "
       "models/weights/logs/spiking_source_mnist_pixel.log) and the spiking network inherits its "
       "accuracy: these rows show the pipeline working on 784-symbol sequences (one chip step per "
       "symbol at every T, the serial schedule T x 784), not a tuned pixel-wise model." %
       (src_acc, src_epochs))
    md("")
    md(PIXEL_END)


def main():
    import board_results
    board_results.run_alone(__doc__, pixel_section, PIXEL_BEGIN, PIXEL_END,
                            "spiking LSTM's pixel-wise")


if __name__ == "__main__":
    main()
