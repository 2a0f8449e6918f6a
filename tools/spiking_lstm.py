"""The all-spiking LSTM of methods.md B (Datta et al. 2022): source cell, conversion with bias
shifts, surrogate-gradient fine-tuning of weights, thresholds and leaks, quantisation to the
chip's integers, an integer reference forward pass, and the HDF5 export. Used by
tools/train_lstm.py (--cell spiking, --spiking-from, --check-spiking); the network, step by step
in integers, is specified in docs/spiking-lstm.md, which this file follows name for name.

Units: "ANN units" are those of the source LSTM (a gate is phi1(z) = clip((z + 2) / 4, 0, 1)).
"Chip units" are the integers of the chip's registers (loihi.md section 2). A gate layer's
threshold theta (ANN units, trained) is always 65,536 chip units, so that layer's scale is
sigma = 65536 / theta chip units per ANN unit.

Gate neurons ("chip order", four layers of H neurons per replica):
  A     write-up:            fires -> the cell counts +1   (the source's i row)
  F     keep:                silent -> the cell is erased  (f row)
  Bbar  no-write-down:       silent -> the cell counts -1  (g row, negated: b = 1 - Bbar)
  Obar  output-closed:       fires -> no hidden spike      (o row, negated: o = 1 - Obar)
"""
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch

# ---------------------------------------------------------------- the chip construction's constants
THETA_CHIP = 65536          # every gate layer's threshold in chip units (vth 1024 x 64)
WINDOW = 4032               # amplitude of the N and W window compartments (vth_mant 63)
CELL_LO = -1023             # C's vmin (vmin_exp 10)
CELL_HI = 2048              # C's threshold (vth_mant 32): above it C fires and resets to 0
D_VMIN = -(2 ** 22 - 1)     # gate dendrites clip like the hybrid LSTM's (vmin_exp 22, vmax_exp 6)
D_VMAX = 2 ** 21 - 1
H_VMIN = -4095              # the hidden soma (vmin_exp 12)
BIAS_MAX = 4095 * 128       # the largest bias register value (mantissa 4095, exponent 7)
INPUT_FRAC = 256            # host input weights are in 1/256 chip units per pixel byte
GATES = ("A", "F", "Bbar", "Obar")
# Paper operation energies (methods.md B), 45 nm, 32-bit float.
E_MAC = 4.6e-12
E_AC = 0.9e-12


def phi1(z):
    return torch.clamp((z + 2.0) / 4.0, 0.0, 1.0)


# ---------------------------------------------------------------------------- the source ANN cell
def ann_cell(zi, zf, zg, zo, c):
    """One step of the source LSTM (train_lstm.py --cell spiking). Rows of the nn.LSTM naming:
    i = write-up gate a, f = keep gate, g = write-down gate b, o = output gate; all phi1.
    c <- f * clip(c + a - b, CELL_LO, CELL_HI) (forget after add), h = o * clip(c, 0, 1)."""
    a, f, b, o = phi1(zi), phi1(zf), phi1(zg), phi1(zo)
    c = f * torch.clamp(c + a - b, float(CELL_LO), float(CELL_HI))
    return c, o * torch.clamp(c, 0.0, 1.0)


# ------------------------------------------------------------------------------ surrogate spikes
class Spike(torch.autograd.Function):
    """Heaviside(x > 0) forward; backward the triangle max(0, 1 - |x| / w) / w (area 1, the
    derivative of the smooth step `smooth_step`). w may be a tensor broadcastable to x."""

    @staticmethod
    def forward(ctx, x, width):
        ctx.save_for_backward(x, width)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, width = ctx.saved_tensors
        g = grad * torch.clamp(1.0 - x.abs() / width, min=0.0) / width
        return g, None


def spike(x, width):
    return Spike.apply(x, torch.as_tensor(width, dtype=x.dtype))


def smooth_step(x, width):
    """The integral of the surrogate triangle: 0 below -w, 1 above w, piecewise quadratic
    between. Used only by the gradient check (its exact derivative is the surrogate)."""
    y = torch.clamp(x / width, -1.0, 1.0)
    return torch.where(y < 0, 0.5 * (1.0 + y) ** 2, 1.0 - 0.5 * (1.0 - y) ** 2)


def ste(x, y):
    """y in the forward pass, the gradient of x in the backward pass (straight-through)."""
    return x + (y - x).detach()


def round_half_away(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def np_round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def wrap(x, bits):
    """Two's-complement wrap to `bits` bits + sign (x integer-valued)."""
    m = float(2 ** bits)
    return torch.remainder(x + m, 2.0 * m) - m


def trunc_decay(v, keep):
    """trunc(v * keep / 4096) toward zero, keep = 4096 - decay (exact for |v| < 2^40)."""
    return torch.trunc(v * keep / 4096.0)


def encode_bias(target):
    """The bias register value for an integer target (runtime/encoders.cpp encode_bias: exponent
    0..7, mantissa rounded half away from zero while |mantissa| > 4095). target already clipped to
    +-BIAS_MAX. Returns mantissa * 2^exponent."""
    out = target.clone()
    need = target.abs() > 4095
    e = 0
    while bool(need.any()):
        e += 1
        m = round_half_away(target / 2.0 ** e)
        out = torch.where(need, m * 2.0 ** e, out)
        need = need & (m.abs() > 4095)
    return out


# ------------------------------------------------------------------------------ the float SNN
class SpikingLSTM(torch.nn.Module):
    """T replicas (one per SNN step index) of one LSTM layer of H units; replica k runs step k of
    every symbol and keeps its own state across symbols (docs/spiking-lstm.md). Parameters are in
    ANN units and chip gate order (A, F, Bbar, Obar)."""

    def __init__(self, n_in, hidden, n_out, steps, scaling="unit"):
        super().__init__()
        self.n_in, self.hidden, self.steps, self.scaling = n_in, hidden, steps, scaling
        H = hidden
        self.w_ih = torch.nn.Parameter(torch.zeros(4 * H, n_in))
        self.w_hh = torch.nn.Parameter(torch.zeros(4 * H, H))
        self.bias = torch.nn.Parameter(torch.zeros(4 * H))       # includes phi1's +2
        self.theta = torch.nn.Parameter(torch.full((4,), 4.0))   # per gate layer
        self.leak = torch.nn.Parameter(torch.zeros(4))           # lambda per gate layer
        self.shift = torch.nn.Parameter(torch.zeros(4))          # bias shift per gate layer
        self.kappa = torch.nn.Parameter(torch.tensor(1.0))       # hidden threshold span
        self.shift_h = torch.nn.Parameter(torch.tensor(0.0))     # hidden threshold shift
        self.fc = torch.nn.Linear(H, n_out)
        self.width = 0.5          # surrogate half-width, as a fraction of theta
        self.width_h = 1.0        # surrogate half-width of the hidden threshold, in cell counts
        self.spike_fn = spike     # the checks swap in reference formulations
        # order[k, n]: which of the T threshold levels replica k's neuron n (of the 4H gate
        # neurons) uses; the identity ("aligned") or a fixed random permutation per neuron
        # ("shuffled": decorrelates the gates' replicas, docs/spiking-lstm.md)
        self.register_buffer("order", torch.arange(steps)[:, None].repeat(1, 4 * hidden))

    def set_order(self, mode, seed=2022):
        """aligned: replica k uses level k everywhere; shuffled: a random permutation of the T
        levels per gate neuron, from numpy's default_rng(seed)."""
        T, n = self.steps, 4 * self.hidden
        if mode == "aligned":
            o = np.repeat(np.arange(T)[:, None], n, 1)
        else:
            rng = np.random.default_rng(seed)
            o = np.stack([rng.permutation(T) for _ in range(n)], 1)
        self.order.copy_(torch.from_numpy(o.astype(np.int64)))

    # -- conversion from the source ANN (train_lstm.LSTMClassifier, cell "spiking")
    @classmethod
    def from_ann(cls, w_ih, w_hh, bias, fc_w, fc_b, steps, scaling):
        """w_ih, w_hh, bias: the source's stacked rows i, f, g, o (numpy or tensors)."""
        w_ih, w_hh, bias = (torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in (w_ih, w_hh, bias))
        H = w_hh.shape[1]
        m = cls(w_ih.shape[1], H, fc_w.shape[0], steps, scaling)
        sign = torch.tensor([1.0, 1.0, -1.0, -1.0]).repeat_interleave(H)   # Bbar, Obar negated
        with torch.no_grad():
            m.w_ih.copy_(w_ih * sign[:, None])
            m.w_hh.copy_(w_hh * sign[:, None])
            m.bias.copy_(bias * sign + 2.0)
            m.fc.weight.copy_(torch.as_tensor(np.asarray(fc_w)))
            m.fc.bias.copy_(torch.as_tensor(np.asarray(fc_b)))
        m.set_shift("default")
        return m

    def set_shift(self, mode):
        """none: 0; default: theta / (2T) (and kappa / (2T) for the hidden threshold)."""
        with torch.no_grad():
            if mode == "none":
                self.shift.zero_()
                self.shift_h.zero_()
            else:
                self.shift.copy_(self.theta / (2 * self.steps))
                self.shift_h.copy_(self.kappa / (2 * self.steps))

    def ann_view(self):
        """The float weights back in the source's nn.LSTM rows i, f, g, o (phi1's +2 removed)."""
        H = self.hidden
        sign = torch.tensor([1.0, 1.0, -1.0, -1.0]).repeat_interleave(H)
        with torch.no_grad():
            return (self.w_ih * sign[:, None]).numpy(), (self.w_hh * sign[:, None]).numpy(), \
                ((self.bias - 2.0) * sign).numpy()

    def replica_offsets(self):
        """beta[k, n] = theta (1 - (order[k, n] + 1) / T) + shift: the bias offset of replica k's
        gate neuron n (ANN units), [T, 4H]."""
        H = self.hidden
        level = self.order.to(self.theta.dtype)
        theta = self.theta.repeat_interleave(H)[None, :]
        return theta * (1.0 - (level + 1.0) / self.steps) + self.shift.repeat_interleave(H)[None, :]

    def hidden_thresholds(self):
        k = torch.arange(self.steps, dtype=self.kappa.dtype)
        return self.kappa * (k + 1.0) / self.steps - self.shift_h

    def clamp_parameters(self):
        with torch.no_grad():
            self.leak.clamp_(0.0, 1.0)
            self.theta.clamp_(min=0.5)
            self.kappa.clamp_(min=0.25)

    def forward(self, x, record=None):
        """x: [batch, symbols, n_in] in the dataset's scaling. record: optional dict that receives
        spike counts (summed over batch, replicas, symbols) per population and the gate
        activations per symbol (for calibration). Returns logits."""
        B, L, _ = x.shape
        H, R = self.hidden, self.steps
        dt = x.dtype
        theta = self.theta.to(dt).repeat_interleave(H)            # [4H]
        lam = self.leak.to(dt).repeat_interleave(H)
        beta = self.replica_offsets().to(dt)                       # [R, 4H]
        width = self.width * theta
        th_h = self.hidden_thresholds().to(dt)[:, None]            # [R, 1]
        xin = torch.matmul(x, self.w_ih.to(dt).t()) + self.bias.to(dt)     # [B, L, 4H]
        U = x.new_zeros(B, R, 4 * H)
        s = x.new_zeros(B, R, 4 * H)
        c = x.new_zeros(B, R, H)
        h = x.new_zeros(B, R, H)
        w_hh = self.w_hh.to(dt)
        for t in range(L):
            current = xin[:, t, None, :] + beta + torch.matmul(h, w_hh.t())
            U = lam * (U - theta * s) + current
            s = self.spike_fn(U - theta, width)
            a, keep = s[..., :H], s[..., H:2 * H]
            down, o = 1.0 - s[..., 2 * H:3 * H], 1.0 - s[..., 3 * H:]
            c = keep * torch.clamp(c + a - down, float(CELL_LO), float(CELL_HI))
            h = o * self.spike_fn(c - th_h, self.width_h)
            if record is not None:
                record_step(record, s, h, c, keep, H)
        return self.fc(h.mean(1))

    # -- quantisation to the chip's integers
    def chip_params(self, detach=False):
        """The integer parameters of the construction (docs/spiking-lstm.md "Parameters"), as
        float64 tensors whose gradients flow straight through the roundings to the float
        parameters (quantisation-aware training); detach=True gives plain values."""
        H, R = self.hidden, self.steps
        d64 = torch.float64
        theta = self.theta.to(d64)
        sigma = THETA_CHIP / theta                                 # chip units per ANN unit
        sig_rows = sigma.repeat_interleave(H)
        p = {}
        # recurrent weights: 8-bit mixed-sign mantissas w8 = 2m, w_eff = m 2^(7 + e)
        vals = self.w_hh.to(d64) * sig_rows[:, None]
        exps, w_eff = [], []
        for g in range(4):
            v = vals[g * H:(g + 1) * H]
            big = float(v.detach().abs().max())
            e = 7 if big == 0 else int(min(7, max(-7, math.ceil(math.log2(big / 127.0)) - 7)))
            step = 2.0 ** (7 + e)
            m = torch.clamp(round_half_away(v.detach() / step), -127, 127)
            exps.append(e)
            w_eff.append(ste(v, m * step))
        p["weight_exp"] = exps
        p["w_eff"] = torch.cat(w_eff)                              # [4H, H] chip units
        # host input weights (1/256 chip unit per pixel byte) and per-replica constants
        sx = 1.0 if self.scaling == "unit" else 2.0
        a_real = self.w_ih.to(d64) * sig_rows[:, None] * (INPUT_FRAC * sx / 255.0)
        p["input_weight"] = ste(a_real, round_half_away(a_real.detach()))
        const = self.bias.to(d64)
        if self.scaling == "signed":
            const = const - self.w_ih.to(d64).sum(1)
        beta = self.replica_offsets().to(d64)                      # [R, 4H]
        b_real = (const[None, :] + beta) * sig_rows[None, :] * INPUT_FRAC
        p["input_bias"] = ste(b_real, round_half_away(b_real.detach()))   # [R, 4H]
        # leaks: decay_v = round(4096 (1 - lambda)) in 0..4095, keep = 4096 - decay_v
        lam = torch.clamp(self.leak.to(d64), 0.0, 1.0)
        decay = torch.clamp(round_half_away(4096.0 * (1.0 - lam.detach())), 0, 4095)
        p["decay_v"] = decay
        p["keep"] = ste(4096.0 * lam, 4096.0 - decay)
        # soft-reset feedback: lambda_q theta_chip as an 8-bit magnitude m 2^(6 + e), m <= 255
        fb = (4096.0 - decay) / 4096.0 * THETA_CHIP
        fe = torch.clamp(torch.ceil(torch.log2(fb / 255.0)) - 6, -6, 7)   # 2^(6+e) integral
        fm = torch.clamp(round_half_away(fb / 2.0 ** (6 + fe)), 0, 255)
        p["feedback_mant"], p["feedback_exp"] = fm, fe
        p["feedback"] = ste(p["keep"] / 4096.0 * THETA_CHIP, torch.floor(fm * 2.0 ** (6 + fe)))
        # hidden thresholds per replica (integers: c is an integer count)
        th = self.hidden_thresholds().to(d64)
        p["hidden_threshold"] = ste(th, torch.clamp(torch.floor(th.detach()), -1024, 63))
        if detach:
            p = {k: (v.detach() if torch.is_tensor(v) else v) for k, v in p.items()}
        return p

    def chip_forward(self, xb, p=None, record=None):
        """The chip's integer semantics in float64 (exact: every value is an integer below 2^53),
        with surrogate / straight-through gradients. xb: pixel bytes [batch, symbols, n_in] as
        float64. Returns (logits, counts [batch, H] of hidden spikes at the last symbol)."""
        if p is None:
            p = self.chip_params()
        B, L, _ = xb.shape
        H, R = self.hidden, self.steps
        d64 = torch.float64
        keep = p["keep"].repeat_interleave(H)
        fb = p["feedback"].repeat_interleave(H)
        wsur = self.width * THETA_CHIP
        acc = torch.matmul(xb, p["input_weight"].t())              # [B, L, 4H], 1/256 units
        v = xb.new_zeros(B, R, 4 * H)
        r = xb.new_zeros(B, R, 4 * H)
        c = xb.new_zeros(B, R, H)
        h = xb.new_zeros(B, R, H)
        th_h = p["hidden_threshold"][:, None]
        for t in range(L):
            total = acc[:, t, None, :] + p["input_bias"][None]     # [B, R, 4H]
            target = ste(total / INPUT_FRAC, round_half_away(total.detach() / INPUT_FRAC))
            target = torch.clamp(target, -BIAS_MAX, BIAS_MAX)
            bias_reg = ste(target, encode_bias(target.detach()))
            q = torch.matmul(h, p["w_eff"].t()) - fb * r
            q = ste(q, wrap(q.detach(), 21))
            u2 = ste(q + bias_reg, wrap(wrap(q.detach(), 23) + bias_reg.detach(), 23))
            vd = ste(v * keep / 4096.0, trunc_decay(v.detach(), keep.detach()))
            v = torch.clamp(vd + u2, D_VMIN, D_VMAX)
            ell = spike(v - THETA_CHIP + 0.5, wsur)                # logic value [v >= theta]
            r = spike(v - THETA_CHIP - 0.5, wsur)                  # reset spike [v > theta]
            a, kp = ell[..., :H], ell[..., H:2 * H]
            nb, no = ell[..., 2 * H:3 * H], ell[..., 3 * H:]
            # C: clip(c + a - (1 - nb) + WINDOW (1 - kp), CELL_LO, 8191), fires above CELL_HI
            vc = c + a - (1.0 - nb) + WINDOW * (1.0 - kp)
            vc_exact = torch.clamp(vc.detach(), CELL_LO, 8191)
            c_exact = torch.where(vc_exact > CELL_HI, torch.zeros_like(vc_exact), vc_exact)
            c = ste(kp * torch.clamp(c + a - (1.0 - nb), float(CELL_LO), float(CELL_HI)), c_exact)
            # H: fires iff o and c > threshold (W = WINDOW (1 - no))
            h = (1.0 - no) * spike(c - th_h, self.width_h)
            if record is not None:
                record_step(record, r, h, c, kp, H, ell=ell)
        counts = h.sum(1)
        logits = self.fc(counts.to(self.fc.weight.dtype) / R)
        return logits, counts


def record_step(rec, s, h, c, keep, H, ell=None):
    """Adds this symbol's spike counts per population to `rec` (sums over batch and replicas)."""
    with torch.no_grad():
        names = ("A", "F", "Bbar", "Obar")
        for g, n in enumerate(names):
            rec[n] = rec.get(n, 0.0) + float(s[..., g * H:(g + 1) * H].sum())
        rec["H"] = rec.get("H", 0.0) + float(h.sum())
        rec["erase"] = rec.get("erase", 0.0) + float((1.0 - keep).sum())
        rec["steps"] = rec.get("steps", 0) + int(s.shape[0] * s.shape[1])   # neuron-steps / H
        if "activations" in rec:   # per-symbol replica means, for calibration
            lv = s if ell is None else ell
            rec["activations"].append(torch.cat([lv.mean(1), h.mean(1)], 1))


# ------------------------------------------------------------------ integer reference (numpy)
def _trunc_mul(v, keep):
    """trunc(v * keep / 4096): multiply the magnitude, shift right 12, restore the sign."""
    return np.sign(v) * ((np.abs(v) * keep) >> 12)


def _wrap(v, bits):
    m = np.int64(1) << bits
    return ((v + m) & ((m << 1) - 1)) - m


def _encode_bias(target):
    out = target.copy()
    need = np.abs(target) > 4095
    e = 0
    while need.any():
        e += 1
        m = np.sign(target) * ((np.abs(target) + (np.int64(1) << (e - 1))) >> e)
        out = np.where(need, m << e, out)
        need &= np.abs(m) > 4095
    return out


def integer_forward(ip, xb, record_trains=0):
    """The chip's integer semantics (docs/spiking-lstm.md), int64 numpy, written independently
    of the torch model. ip: the exported integer parameters (dict of numpy arrays, see
    `export_integers`); xb: uint8 pixel bytes [n, symbols, n_in]. Returns a dict: counts [n, H]
    (hidden spikes at the last symbol, summed over replicas), logits [n, classes] (float64),
    population spike counts [n, 8] (POPULATIONS), and, for the first `record_trains` samples,
    the hidden spikes of every symbol [n, symbols, T, H]."""
    xb = np.asarray(xb, dtype=np.int64)
    n, L, _ = xb.shape
    T, H = int(ip["steps"]), int(ip["hidden"])
    W = ip["weight_mant"].astype(np.int64)                          # [4H, H], even mantissas
    wexp = ip["weight_exp"].astype(np.int64)                        # [4]
    w_eff = np.concatenate([W[g * H:(g + 1) * H] * (np.int64(1) << (6 + wexp[g]))
                            if 6 + wexp[g] >= 0 else
                            np.floor_divide(W[g * H:(g + 1) * H], np.int64(1) << -(6 + wexp[g]))
                            for g in range(4)])
    keep = np.repeat(4096 - ip["decay_v"].astype(np.int64), H)      # [4H]
    fm, fe = ip["feedback_mant"].astype(np.int64), ip["feedback_exp"].astype(np.int64)
    fb = np.repeat(np.array([m << (6 + e) if 6 + e >= 0 else m >> -(6 + e) for m, e in zip(fm, fe)],
                            dtype=np.int64), H)
    A = ip["input_weight"].astype(np.int64)                         # [4H, n_in]
    Bk = ip["input_bias"].astype(np.int64)                          # [T, 4H]
    thh = ip["hidden_threshold"].astype(np.int64)                   # [T]
    v = np.zeros((n, T, 4 * H), np.int64)
    r = np.zeros((n, T, 4 * H), np.int64)
    c = np.zeros((n, T, H), np.int64)
    h = np.zeros((n, T, H), np.int64)
    pops = np.zeros((n, len(POPULATIONS)), np.int64)
    trains = np.zeros((min(record_trains, n), L, T, H), np.uint8)
    for t in range(L):
        # host: the direct-encoded input current, written as the gate dendrites' bias
        acc = xb[:, t, :] @ A.T                                     # [n, 4H]
        total = acc[:, None, :] + Bk[None]                          # [n, T, 4H]
        target = np.sign(total) * ((np.abs(total) + INPUT_FRAC // 2) // INPUT_FRAC)
        target = np.clip(target, -BIAS_MAX, BIAS_MAX)
        bias = _encode_bias(target)
        # gate dendrites D: u = q (decay_u 4095), v = trunc(v keep / 4096) + wrap23(u + bias)
        q = np.einsum("ntj,gj->ntg", h, w_eff) - fb * r             # spikes of the last step
        q = _wrap(q, 21)
        u2 = _wrap(_wrap(q, 23) + bias, 23)
        v = np.clip(_trunc_mul(v, keep) + u2, D_VMIN, D_VMAX)
        # comparators S: v_S = clip(v_D - theta, -1, 511); fires (and resets to 0) iff > 0
        vs = np.clip(v - THETA_CHIP, -1, 511)
        r = (vs > 0).astype(np.int64)
        vs = np.where(r > 0, 0, vs)                                 # post-reset: 0 or -1
        sA, sF, sB, sO = (vs[..., g * H:(g + 1) * H] for g in range(4))
        # windows N (on S_F) and W (on S_Obar): v = v_S + WINDOW + 1, fire iff > WINDOW
        vn = sF + WINDOW + 1
        n_fire = vn > WINDOW
        vn = np.where(n_fire, 0, vn)
        vw = sO + WINDOW + 1
        w_fire = vw > WINDOW
        vw = np.where(w_fire, 0, vw)
        # cell C: v = clip(v + S_A + S_Bbar + N + 1, CELL_LO, 8191); fires iff > CELL_HI
        vc = np.clip(c + sA + sB + vn + 1, CELL_LO, 8191)
        c_fire = vc > CELL_HI
        c = np.where(c_fire, 0, vc)
        # hidden soma H: v = clip(C + W - WINDOW - thr_k, H_VMIN, 511); fires iff > 0
        vh = np.clip(c + vw - WINDOW - thh[None, :, None], H_VMIN, 511)
        h = (vh > 0).astype(np.int64)
        pops[:, 0:4] += r.reshape(n, T, 4, H).sum(axis=(1, 3))
        pops[:, 4] += n_fire.sum(axis=(1, 2))
        pops[:, 5] += w_fire.sum(axis=(1, 2))
        pops[:, 6] += c_fire.sum(axis=(1, 2))
        pops[:, 7] += h.sum(axis=(1, 2))
        if len(trains):
            trains[:, t] = h[:len(trains)]
    counts = h.sum(1)
    logits = counts.astype(np.float64) @ ip["fc_weight"].astype(np.float64).T / T + ip["fc_bias"]
    return {"counts": counts, "logits": logits, "population_spikes": pops, "trains": trains}


POPULATIONS = ("S_A", "S_F", "S_Bbar", "S_Obar", "N", "W", "C", "H")


# ------------------------------------------------------------------------- ANN reference values
def ann_forward(w_ih, w_hh, bias, x, activations=None):
    """The source ANN (cell spiking) on x; with `activations` (a list), appends per symbol the
    values the SNN's populations approximate: [a, f, 1 - b, 1 - o, h] (chip order), [B, 5H]."""
    w_ih, w_hh, bias = (torch.as_tensor(np.asarray(v)) for v in (w_ih, w_hh, bias))
    H = w_hh.shape[1]
    B = x.shape[0]
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    xw = torch.matmul(x, w_ih.t()) + bias
    for t in range(x.shape[1]):
        z = xw[:, t] + torch.matmul(h, w_hh.t())
        c, h = ann_cell(z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:], c)
        if activations is not None:
            g = phi1(z)
            activations.append(torch.cat([g[:, :2 * H], 1.0 - g[:, 2 * H:], h], 1))
    return h


# ------------------------------------------------------------------------------- bias shifts
def calibrate_shifts(snn, ann, xcal, grid=(-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5),
                     rounds=2, log=None):
    """Per-layer shift (A, F, Bbar, Obar, hidden) minimising the mean squared difference between
    the ANN's activations and the SNN's replica means over every symbol of the calibration
    samples; coordinate descent over the layers, `rounds` passes, shifts on a grid in units of
    theta / T (kappa / T for the hidden threshold). Returns the per-layer errors."""
    H = snn.hidden
    acts = []
    with torch.no_grad():
        ann_forward(ann[0], ann[1], ann[2], xcal, acts)
    want = torch.stack(acts)                                        # [L, B, 5H]

    def errors():
        rec = {"activations": []}
        with torch.no_grad():
            snn(xcal, record=rec)
        got = torch.stack(rec["activations"])
        d = (got - want) ** 2
        return [float(d[..., k * H:(k + 1) * H].mean()) for k in range(5)]

    for _ in range(rounds):
        for layer in range(5):
            unit = (snn.theta[layer] if layer < 4 else snn.kappa) / snn.steps
            best = None
            for g in grid:
                with torch.no_grad():
                    if layer < 4:
                        snn.shift[layer] = g * unit
                    else:
                        snn.shift_h.fill_(g * unit)
                e = errors()[layer]
                if best is None or e < best[0] - 1e-12:
                    best = (e, g)
            with torch.no_grad():
                if layer < 4:
                    snn.shift[layer] = best[1] * unit
                else:
                    snn.shift_h.fill_(best[1] * unit)
            if log:
                log("calibration: layer %s shift %.2f theta/T (mse %.5f)"
                    % ((GATES + ("H",))[layer], best[1], best[0]))
    return errors()


# --------------------------------------------------------------------------------- evaluation
def to_bytes(x, scaling):
    """Pixel bytes 0..255 from the dataset's float values (exact: x = b / 255 or 2 b / 255 - 1)."""
    b = x * 255.0 if scaling == "unit" else (x + 1.0) * 127.5
    return np.rint(b).astype(np.uint8)


def evaluate_float(snn, x, y, batch=500, rates=None):
    correct = 0
    snn.eval()
    with torch.no_grad():
        for s in range(0, len(x), batch):
            logits = snn(torch.from_numpy(x[s:s + batch]), record=rates)
            correct += int((logits.argmax(1).numpy() == y[s:s + batch]).sum())
    snn.train()
    return correct / len(x)


def evaluate_chip(snn, xb, y, batch=250, rates=None):
    correct = 0
    p = snn.chip_params(detach=True)
    with torch.no_grad():
        for s in range(0, len(xb), batch):
            logits, _ = snn.chip_forward(torch.from_numpy(xb[s:s + batch]).double(), p, record=rates)
            correct += int((logits.argmax(1).numpy() == y[s:s + batch]).sum())
    return correct / len(xb)


def spike_rates(rec, H):
    """Spikes per neuron per chip step, per population, from a `record` dict."""
    n = max(rec.get("steps", 0), 1) * H
    return {k: rec[k] / n for k in ("A", "F", "Bbar", "Obar", "H", "erase") if k in rec}


def energy_per_symbol(rate_h, n_in, H, T):
    """methods.md B's operation model, per input symbol: the direct-encoded first layer (4H x n_in
    MACs) at E_MAC, the recurrent layer's 4H x H MACs at E_AC times the hidden spike rate times T;
    the ANN: 4H (n_in + H) MACs. The classifier (once per sequence) is left out of both."""
    e_snn = 4 * H * n_in * E_MAC + 4 * H * H * rate_h * T * E_AC
    e_ann = 4 * H * (n_in + H) * E_MAC
    return e_snn, e_ann


# ------------------------------------------------------------------------------ integer export
def export_integers(snn):
    """The exported integer parameters (the dict integer_forward reads)."""
    p = snn.chip_params(detach=True)
    H = snn.hidden
    w8 = np.zeros((4 * H, H), np.int16)
    for g in range(4):
        step = 2.0 ** (7 + p["weight_exp"][g])
        w8[g * H:(g + 1) * H] = 2 * np.rint(p["w_eff"][g * H:(g + 1) * H].numpy() / step)
    return {
        "steps": np.int64(snn.steps), "hidden": np.int64(H),
        "weight_mant": w8, "weight_exp": np.asarray(p["weight_exp"], np.int64),
        "decay_v": p["decay_v"].numpy().astype(np.int64),
        "feedback_mant": p["feedback_mant"].numpy().astype(np.int64),
        "feedback_exp": p["feedback_exp"].numpy().astype(np.int64),
        "input_weight": p["input_weight"].numpy().astype(np.int64),
        "input_bias": p["input_bias"].numpy().astype(np.int64),
        "hidden_threshold": p["hidden_threshold"].numpy().astype(np.int64),
        "fc_weight": snn.fc.weight.detach().double().numpy(),
        "fc_bias": snn.fc.bias.detach().double().numpy(),
    }


# --------------------------------------------------------------------------- HDF5 files
SCALING_TEXT = {"unit": "x / 255, in [0, 1]", "signed": "2 x / 255 - 1, in [-1, 1]"}


def _set(f, name, value):
    if isinstance(value, str):
        f.attrs.create(name, data=value, dtype=h5py.string_dtype("utf-8"))
    else:
        f.attrs[name] = value


def load_source(path):
    """The source ANN (train_lstm.py --cell spiking): weights and attributes."""
    with h5py.File(path) as f:
        cell = f.attrs["cell"]
        cell = cell.decode() if isinstance(cell, bytes) else str(cell)
        if cell != "spiking":
            sys.exit("%s: cell '%s'; the spiking LSTM converts a source trained with --cell spiking"
                     % (path, cell))
        a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        scaling = "signed" if str(a["input_scaling"]).startswith("2 x") else "unit"
        return {"w_ih": f["lstm/weight_ih_l0"][...], "w_hh": f["lstm/weight_hh_l0"][...],
                "bias": f["lstm/bias_ih_l0"][...] + f["lstm/bias_hh_l0"][...],
                "fc_w": f["fc/weight"][...], "fc_b": f["fc/bias"][...], "attrs": a,
                "scaling": scaling}


# The construction the C++ converter builds (docs/spiking-lstm.md "The chip construction"),
# per hidden unit and replica; written as JSON into every file so that the file says what its
# integers mean. Profiles: decay_u, decay_v, vth (chip units, = vth_mant * 64), vmin, vmax,
# bias (chip units), reset; "children": the ADD-join sources summed into u in the same step.
CONSTRUCTION = {
    "compartments_per_unit": 12,
    "update_order": ["D_A", "D_F", "D_Bbar", "D_Obar", "S_A", "S_F", "S_Bbar", "S_Obar",
                     "N", "W", "C", "H"],
    "D_x": {"decay_u": 4095, "decay_v": "decay_v[x]", "vth_mant": 131071, "vmin": D_VMIN,
            "vmax": D_VMAX, "bias": "host-written input current, every symbol", "children": [],
            "synapses": "recurrent from H (weight_mant[x rows], weight_exp[x]), and from S_x: "
                        "-(feedback_mant[x] * 2^(6 + feedback_exp[x]))"},
    "S_x": {"decay_u": 4095, "decay_v": 4095, "vth_mant": 0, "vmin": -1, "vmax": 511,
            "bias": -THETA_CHIP, "children": ["D_x"], "spikes_to": "D_x (feedback)"},
    "N": {"decay_u": 4095, "decay_v": 4095, "vth_mant": WINDOW // 64, "vmin": 0, "vmax": 8191,
          "bias": WINDOW + 1, "children": ["S_F"]},
    "W": {"decay_u": 4095, "decay_v": 4095, "vth_mant": WINDOW // 64, "vmin": 0, "vmax": 8191,
          "bias": WINDOW + 1, "children": ["S_Obar"]},
    "C": {"decay_u": 4095, "decay_v": 0, "vth_mant": CELL_HI // 64, "vmin": CELL_LO, "vmax": 8191,
          "bias": 1, "children": ["S_A", "S_Bbar", "N"]},
    "H": {"decay_u": 4095, "decay_v": 4095, "vth_mant": 0, "vmin": H_VMIN, "vmax": 511,
          "bias": "-(WINDOW + hidden_threshold[k])", "children": ["C", "W"],
          "spikes_to": "D_x of the same replica (recurrent), read-out"},
}


def write_spiking(path, snn, results, meta, reference, opt=None, epochs_done=0):
    """Writes the spiking LSTM file (to a temporary name, renamed when complete)."""
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    H = snn.hidden
    ip = export_integers(snn)
    w_ih, w_hh, bias = snn.ann_view()
    with h5py.File(tmp, "w") as f:
        g = f.create_group("lstm")
        g["weight_ih_l0"] = w_ih.astype(np.float32)
        g["weight_hh_l0"] = w_hh.astype(np.float32)
        g["bias_ih_l0"] = bias.astype(np.float32)
        g["bias_hh_l0"] = np.zeros(4 * H, np.float32)
        fc = f.create_group("fc")
        fc["weight"] = snn.fc.weight.detach().numpy()
        fc["bias"] = snn.fc.bias.detach().numpy()
        s = f.create_group("snn")
        fl = s.create_group("float")
        for name in ("w_ih", "w_hh", "bias", "theta", "leak", "shift", "kappa", "shift_h"):
            fl[name] = getattr(snn, name).detach().numpy()
        ch = s.create_group("chip")
        for k, v in ip.items():
            ch[k] = v
        ch.attrs.create("construction", data=json.dumps(CONSTRUCTION, indent=1),
                        dtype=h5py.string_dtype("utf-8"))
        for k, v in (("theta_chip", THETA_CHIP), ("window", WINDOW), ("cell_lo", CELL_LO),
                     ("cell_hi", CELL_HI), ("input_frac", INPUT_FRAC), ("bias_max", BIAS_MAX)):
            ch.attrs[k] = v
        if reference is not None:
            r = s.create_group("reference")
            for k, v in reference.items():
                r[k] = v
            r.attrs.create("population_names", data=",".join(POPULATIONS),
                           dtype=h5py.string_dtype("utf-8"))
        res = s.create_group("results")
        for k, v in results.items():
            if isinstance(v, (dict, list)):
                res.attrs.create(k, data=json.dumps(v), dtype=h5py.string_dtype("utf-8"))
            else:
                _set(res, k, v)
        for k, v in meta.items():
            _set(f, k, v)
        _set(f, "epochs", epochs_done)
        _set(f, "torch_version", torch.__version__)
        if opt is not None:
            t = f.create_group("training")
            for name, p in snn.named_parameters():
                st = opt.state.get(p, {})
                if "exp_avg" in st:
                    t[name + "/exp_avg"] = st["exp_avg"].numpy()
                    t[name + "/exp_avg_sq"] = st["exp_avg_sq"].numpy()
                    t[name].attrs["step"] = int(st["step"])
    os.replace(tmp, path)


def read_spiking(path, snn=None, opt=None):
    """Loads a spiking file's float parameters (into `snn`) and optimiser state; returns
    (integer parameter dict, results dict, root attributes)."""
    with h5py.File(path) as f:
        if snn is not None:
            with torch.no_grad():
                for name in ("w_ih", "w_hh", "bias", "theta", "leak", "shift", "kappa", "shift_h"):
                    getattr(snn, name).copy_(torch.from_numpy(np.asarray(f["snn/float/" + name][...])))
                snn.fc.weight.copy_(torch.from_numpy(f["fc/weight"][...]))
                snn.fc.bias.copy_(torch.from_numpy(f["fc/bias"][...]))
        if opt is not None and "training" in f:
            for name, p in snn.named_parameters():
                if name in f["training"]:
                    g = f["training"][name]
                    opt.state[p] = {"step": torch.tensor(float(g.attrs["step"])),
                                    "exp_avg": torch.from_numpy(g["exp_avg"][...]),
                                    "exp_avg_sq": torch.from_numpy(g["exp_avg_sq"][...])}
        ip = {k: f["snn/chip/" + k][...] for k in f["snn/chip"].keys()}
        res = {}
        for k, v in f["snn/results"].attrs.items():
            v = v.decode() if isinstance(v, bytes) else v
            if isinstance(v, str) and v[:1] in "[{":
                v = json.loads(v)
            res[k] = v
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return ip, res, attrs


# ------------------------------------------------------------------------------------- checks
def _random_snn(n_in, H, T, seed, scaling="unit", scale=1.0):
    torch.manual_seed(seed)
    m = SpikingLSTM(n_in, H, 10, T, scaling)
    with torch.no_grad():
        m.w_ih.normal_(0, scale)
        m.w_hh.normal_(0, scale)
        m.bias.normal_(2.0, scale)
        m.theta.uniform_(2.0, 6.0)
        m.leak.uniform_(0.0, 1.0)
        m.shift.uniform_(-0.5, 1.0)
        m.kappa.fill_(1.7)
        m.shift_h.fill_(0.3)
        m.fc.weight.normal_(0, 1)
    return m.double()


def check(log=print):
    """Fast self-test (well under a minute): (1) the surrogate backward is the derivative of the
    smooth step it stands for (finite differences); (2) back-propagation through the replicas,
    symbols, leaks, resets and cell, with the smooth step in place of every spike, against
    finite differences; (3) the Spike function against a straight-through reference formulation
    on the whole network; (4) the chip-exact torch forward against the independent numpy int64
    reference, bit for bit, on random networks driven into every clip, erase and wrap;
    (5) the replicas of a converted gate reproduce T-level rounding of phi1; (6) the HDF5 round
    trip. Returns a process exit status."""
    ok = True
    t0 = time.time()
    # (1) surrogate vs finite differences of smooth_step
    x = torch.linspace(-1.7, 1.7, 341, dtype=torch.float64, requires_grad=True)
    w = 0.8
    spike(x, w).sum().backward()
    eps = 1e-6
    fd = (smooth_step(x.detach() + eps, w) - smooth_step(x.detach() - eps, w)) / (2 * eps)
    err = float((x.grad - fd).abs().max())
    log("surrogate backward vs finite differences of its smooth step: max error %.2e" % err)
    ok &= err < 1e-5
    # (2) BPTT with smooth steps vs finite differences (float64, central differences)
    m = _random_snn(3, 4, 3, seed=3, scale=0.7)
    m.spike_fn = lambda v, width: smooth_step(v, width)
    m.width_h = 2.5
    xs = torch.rand(2, 5, 3, dtype=torch.float64)
    y = torch.tensor([1, 7])
    loss = torch.nn.functional.cross_entropy(m(xs), y)
    m.zero_grad()
    loss.backward()
    worst = 0.0
    for name, p in m.named_parameters():
        g = p.grad.clone()
        flat = p.data.view(-1)
        for idx in range(0, flat.numel(), max(1, flat.numel() // 6)):
            old = float(flat[idx])
            flat[idx] = old + 1e-6
            lp = float(torch.nn.functional.cross_entropy(m(xs), y))
            flat[idx] = old - 1e-6
            lm = float(torch.nn.functional.cross_entropy(m(xs), y))
            flat[idx] = old
            num = (lp - lm) / 2e-6
            worst = max(worst, abs(num - float(g.view(-1)[idx])) / max(1.0, abs(num)))
    log("BPTT (smooth steps) vs finite differences: largest error %.2e" % worst)
    ok &= worst < 1e-6
    # (3) the Spike autograd function vs the straight-through reference s = S(x) + (H(x) - S(x))
    def ref_spike(v, width):
        sm = smooth_step(v, torch.as_tensor(width, dtype=v.dtype).detach())
        return sm + ((v > 0).to(v.dtype) - sm).detach()
    grads = []
    for fn in (spike, ref_spike):
        m.spike_fn = fn
        m.zero_grad()
        torch.nn.functional.cross_entropy(m(xs), y).backward()
        grads.append([p.grad.clone() for p in m.parameters()])
    err = max(float((a - b).abs().max()) for a, b in zip(*grads))
    log("surrogate BPTT vs straight-through reference formulation: max difference %.2e" % err)
    ok &= err < 1e-12
    # (4) chip-exact torch forward vs the numpy int64 reference
    cases, same_all, pops = 0, True, 0
    for seed, (n_in, H, T, L, scale, scaling) in enumerate(
            [(5, 6, 1, 9, 1.0, "unit"), (4, 8, 2, 12, 3.0, "signed"), (3, 5, 4, 30, 0.5, "unit"),
             (28, 16, 8, 28, 0.4, "unit"), (1, 7, 3, 60, 6.0, "signed"),
             (6, 40, 2, 20, 60.0, "unit")]):   # the last one wraps q and clips D
        m = _random_snn(n_in, H, T, seed=10 + seed, scaling=scaling, scale=scale)
        xb = torch.randint(0, 256, (6, L, n_in)).double()
        with torch.no_grad():
            logits, counts = m.chip_forward(xb, m.chip_params(detach=True))
        ip = export_integers(m)
        out = integer_forward(ip, xb.numpy().astype(np.uint8))
        same = np.array_equal(out["counts"], counts.numpy().astype(np.int64))
        same &= np.allclose(out["logits"], logits.numpy(), rtol=0, atol=1e-9)
        cases += 1
        pops = pops + out["population_spikes"].sum(0)
        if not same:
            log("chip forward DIFFERS from the integer reference (case %d)" % seed)
            same_all = False
    log("chip-exact torch forward vs numpy int64 reference: %d random networks, %s "
        "(spikes per population %s: %s)" % (cases, "identical" if same_all else "DIFFERENT",
                                             ",".join(POPULATIONS), list(pops)))
    ok &= same_all and bool((pops > 0).all())
    # (5) conversion: a memoryless gate's replicas round T phi1(z) (default shift)
    worst = 0
    for T in (1, 2, 4, 8):
        m = SpikingLSTM(1, 1, 10, T).double()
        with torch.no_grad():
            m.w_ih.fill_(1.0)
            m.bias.fill_(2.0)
            m.set_shift("default")
        z = torch.linspace(-2.9, 2.9, 117, dtype=torch.float64)
        rec = {"activations": []}
        with torch.no_grad():
            m(z[:, None, None], record=rec)
        got = rec["activations"][0][:, 0]
        want = torch.ceil(T * phi1(z) - 0.5) / T     # strict threshold: halves round down
        worst = max(worst, int(((got - want).abs() > 1e-12).sum()))
    log("converted gate replicas vs round(T phi1(z)) / T, T = 1, 2, 4, 8: %d mismatches" % worst)
    ok &= worst == 0
    # (6) the file round trip
    import tempfile
    m = _random_snn(4, 6, 2, seed=5).float()
    xb = np.random.default_rng(0).integers(0, 256, (3, 7, 4)).astype(np.uint8)
    ref = integer_forward(export_integers(m), xb)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.h5")
        write_spiking(path, m, {"x": 1.0}, {"cell": "spiking"},
                      {"inputs": xb, "counts": ref["counts"]})
        m2 = _random_snn(4, 6, 2, seed=6).float()
        ip, _, _ = read_spiking(path, m2)
        again = integer_forward(ip, xb)
    rt = np.array_equal(again["counts"], ref["counts"]) and np.allclose(again["logits"], ref["logits"])
    rt &= all(torch.equal(a, b) for a, b in zip(m.parameters(), m2.parameters()))
    log("HDF5 round trip: %s" % ("identical" if rt else "DIFFERENT"))
    ok &= rt
    log("spiking LSTM checks %s (%.1f s)" % ("passed" if ok else "FAILED", time.time() - t0))
    return 0 if ok else 1


# ------------------------------------------------------------------------------------ the run
def _mixed(n_total, n):
    """Indices of a class-mixed subset of n samples (the splits are stored in class order)."""
    if not n or n >= n_total:
        return np.arange(n_total)
    return (np.arange(n) * (n_total // n)).astype(np.int64)


def ann_accuracy(src, x, y, batch=500):
    correct = 0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            h = ann_forward(src["w_ih"], src["w_hh"], src["bias"], torch.from_numpy(x[s:s + batch]))
            logits = h @ torch.from_numpy(src["fc_w"]).t() + torch.from_numpy(src["fc_b"])
            correct += int((logits.argmax(1).numpy() == y[s:s + batch]).sum())
    return correct / len(x)


def integer_evaluate(ip, xb, y, batch=250, trains=0):
    correct, pops, preds = 0, 0, []
    for s in range(0, len(xb), batch):
        out = integer_forward(ip, xb[s:s + batch])
        pred = out["logits"].argmax(1)
        preds.append(pred)
        correct += int((pred == y[s:s + batch]).sum())
        pops = pops + out["population_spikes"].sum(0)
    return correct / len(xb), pops, np.concatenate(preds)


class _Data:
    """The run's data: float sequences (the dataset's scaling) and pixel bytes."""

    def __init__(self, args, src):
        import datasets
        a = src["attrs"]
        self.dataset, self.layout, self.scaling = str(a["dataset"]), str(a["layout"]), src["scaling"]
        xtr, ytr, xte, yte = datasets.load(self.dataset, args.cache)
        if self.scaling == "signed":
            xtr, xte = 2.0 * xtr - 1.0, 2.0 * xte - 1.0
        xtr = datasets.as_sequences(xtr, self.layout)
        xte = datasets.as_sequences(xte, self.layout)
        if args.train_limit:
            keep = (_mixed(len(xtr), args.train_limit) if getattr(args, "train_mixed", False)
                    else np.arange(min(args.train_limit, len(xtr))))
            xtr, ytr = xtr[keep], ytr[keep]
        self.sel = _mixed(len(xte), args.eval_limit)
        self.xtr, self.ytr, self.xte, self.yte = xtr, ytr, xte[self.sel], yte[self.sel]
        self.xbtr, self.xbte = to_bytes(self.xtr, self.scaling), to_bytes(self.xte, self.scaling)


def _log(m):
    print(m, file=sys.stderr, flush=True)


def _convert(args, src, snn, data):
    """The source's accuracy and the converted SNN's with bias shift none, theta / (2T) and
    calibrated (left in place: the fine-tuning starts from it)."""
    H, T = snn.hidden, snn.steps
    res = {"ann_accuracy": ann_accuracy(src, data.xte, data.yte)}
    _log("source ANN: test accuracy %.4f on %d samples (file says %s)"
         % (res["ann_accuracy"], len(data.xte), src["attrs"].get("test_accuracy")))
    for mode in ("none", "default"):
        snn.set_shift(mode)
        rec = {}
        res["converted_%s" % mode] = evaluate_float(snn, data.xte, data.yte, rates=rec)
        res["converted_%s_rates" % mode] = spike_rates(rec, H)
        _log("converted, bias shift %s: float SNN accuracy %.4f, rates %s" % (
            mode, res["converted_%s" % mode], _fmt(res["converted_%s_rates" % mode])))
    cal = _mixed(len(data.xtr), args.calibration)
    res["calibration_mse"] = calibrate_shifts(
        snn, (src["w_ih"], src["w_hh"], src["bias"]), torch.from_numpy(data.xtr[cal]), log=_log)
    rec = {}
    res["converted_calibrated"] = evaluate_float(snn, data.xte, data.yte, rates=rec)
    res["converted_calibrated_rates"] = spike_rates(rec, H)
    res["calibrated_shift_theta_over_T"] = (
        (snn.shift.detach() * T / snn.theta.detach()).tolist()
        + [float(snn.shift_h.detach() * T / snn.kappa.detach())])
    res["converted_calibrated_integer"] = evaluate_chip(snn, data.xbte, data.yte)
    _log("converted, calibrated shifts %s theta/T: float SNN accuracy %.4f, integer %.4f" % (
        _fmt(res["calibrated_shift_theta_over_T"]), res["converted_calibrated"],
        res["converted_calibrated_integer"]))
    return res


def _train_epoch(args, snn, opt, data, perm, qat):
    """One epoch of surrogate-gradient BPTT (on the chip's integers when `qat`); mean loss."""
    loss_fn = torch.nn.CrossEntropyLoss()
    n_batches = math.ceil(len(data.xtr) / args.batch)
    if args.max_batches:
        n_batches = min(n_batches, args.max_batches)
    total = 0.0
    for k in range(n_batches):
        idx = perm[k * args.batch:(k + 1) * args.batch]
        opt.zero_grad()
        if qat:
            logits, _ = snn.chip_forward(torch.from_numpy(data.xbtr[idx]).double())
        else:
            logits = snn(torch.from_numpy(data.xtr[idx]))
        loss = loss_fn(logits, torch.from_numpy(data.ytr[idx]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(snn.parameters(), 1.0)
        opt.step()
        snn.clamp_parameters()
        total += float(loss)
    return total / max(n_batches, 1)


def _set_lr(args, opt, epoch):
    """Cosine decay from --lr to --lr-final, a function of the epoch only (resumable)."""
    if args.lr_final is None:
        return
    lr = args.lr_final + 0.5 * (args.lr - args.lr_final) * (
        1.0 + math.cos(math.pi * epoch / max(args.epochs - 1, 1)))
    for group in opt.param_groups:
        group["lr"] = lr


def _finalise(snn, data, res):
    """The final model's float and integer accuracies, the torch chip forward against the numpy
    reference, spike rates, energies, latencies; returns the reference outputs for the file."""
    H, T = snn.hidden, snn.steps
    L = data.xte.shape[1]
    rec = {}
    res["finetuned_float"] = evaluate_float(snn, data.xte, data.yte, rates=rec)
    res["finetuned_float_rates"] = spike_rates(rec, H)
    ip = export_integers(snn)
    acc_int, pops, _ = integer_evaluate(ip, data.xbte, data.yte)
    res["integer"] = acc_int
    n_chk = min(len(data.xbte), 200)
    with torch.no_grad():
        _, counts = snn.chip_forward(torch.from_numpy(data.xbte[:n_chk]).double(),
                                     snn.chip_params(detach=True))
    ref = integer_forward(ip, data.xbte[:n_chk])
    res["torch_chip_forward_matches_integer_reference"] = bool(
        np.array_equal(ref["counts"], counts.numpy().astype(np.int64)))
    rates = {name: float(pops[k]) / (len(data.xbte) * L * T * H) for k, name in enumerate(POPULATIONS)}
    res["integer_rates"] = rates
    e_snn, e_ann = energy_per_symbol(rates["H"], data.xte.shape[2], H, T)
    res["energy_per_sequence_snn_J"] = e_snn * L
    res["energy_per_sequence_ann_J"] = e_ann * L
    res["latency_chip_steps"] = {"serial_L_times_T": L * T, "replicas_lockstep": L,
                                 "wavefront_L_plus_T_minus_1": L + T - 1}
    _log("final: float SNN %.4f, integer (numpy int64) %.4f on %d samples; torch chip forward == "
         "integer reference: %s; integer spike rates %s" % (
             res["finetuned_float"], acc_int, len(data.xbte),
             res["torch_chip_forward_matches_integer_reference"], _fmt(rates)))
    _log("energy per sequence (methods.md B model): SNN %.3e J, ANN %.3e J (%.2fx)" % (
        e_snn * L, e_ann * L, e_ann / e_snn))
    picks = _mixed(len(data.xbte), 8)
    out = integer_forward(ip, data.xbte[picks], record_trains=2)
    return {"indices": data.sel[picks], "inputs": data.xbte[picks], "labels": data.yte[picks],
            "counts": out["counts"], "logits": out["logits"], "prediction": out["logits"].argmax(1),
            "population_spikes": out["population_spikes"], "hidden_trains": out["trains"]}


def run(args, reproducing_command):
    """Conversion, calibration, fine-tuning, quantisation, integer check and export
    (train_lstm.py --spiking-from). Every number it reports is measured here."""
    src = load_source(args.spiking_from)
    data = _Data(args, src)
    T, H = args.steps, src["w_hh"].shape[1]
    torch.manual_seed(args.seed)
    snn = SpikingLSTM.from_ann(src["w_ih"], src["w_hh"], src["bias"], src["fc_w"], src["fc_b"],
                               T, data.scaling)
    snn.width = args.surrogate_width
    snn.set_order(args.replica_order)
    opt = torch.optim.Adam(snn.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    meta = {
        "cell": "spiking", "method": "spiking-lstm (methods.md B; docs/spiking-lstm.md)",
        "layout_convention": "pytorch",
        "gate_order": "i,f,g,o (i = write-up gate a, g = write-down gate b; see docs/spiking-lstm.md)",
        "activation": "phi1_write_up_down", "layout": data.layout, "dataset": data.dataset,
        "input_scaling": SCALING_TEXT[data.scaling], "hidden": H, "steps": T, "seed": args.seed,
        "qat_epochs": args.qat_epochs, "lr": args.lr,
        "lr_final": args.lr if args.lr_final is None else args.lr_final,
        "surrogate_width": args.surrogate_width, "replica_order": args.replica_order,
        "source": os.path.basename(args.spiking_from), "split": str(src["attrs"].get("split", "")),
        "test_samples": len(data.xte),
    }
    first, t0 = 0, time.time()
    if args.resume:
        _, res, attrs = read_spiking(args.out, snn, opt)
        first = int(attrs["epochs"])
        for _ in range(first):   # the same shuffles as an uninterrupted run
            rng.permutation(len(data.xtr))
        _log("resumed %s after %d epochs" % (args.out, first))
    else:
        res = _convert(args, src, snn, data)
        if args.checkpoint:
            meta["command"] = reproducing_command(0)
            write_spiking(args.out, snn, res, meta, None, opt, 0)
    history = res.get("history", [])
    for epoch in range(first, args.epochs):
        qat = epoch >= args.epochs - args.qat_epochs
        _set_lr(args, opt, epoch)
        loss = _train_epoch(args, snn, opt, data, rng.permutation(len(data.xtr)), qat)
        rec = {}
        entry = {"epoch": epoch + 1, "qat": qat, "loss": loss,
                 "float": evaluate_float(snn, data.xte, data.yte, rates=rec), "rates": spike_rates(rec, H)}
        if qat:
            entry["integer"] = evaluate_chip(snn, data.xbte, data.yte)
        history.append(entry)
        res["history"] = history
        _log("epoch %d/%d%s loss %.4f float SNN acc %.4f%s leak %s theta %s (%.0f s)" % (
            epoch + 1, args.epochs, " (QAT)" if qat else "", loss, entry["float"],
            " integer %.4f" % entry["integer"] if qat else "", _fmt(snn.leak.tolist()),
            _fmt(snn.theta.tolist()), time.time() - t0))
        if args.checkpoint:
            meta["command"] = reproducing_command(epoch + 1)
            write_spiking(args.out, snn, res, meta, None, opt, epoch + 1)
    reference = _finalise(snn, data, res)
    meta["command"] = reproducing_command(args.epochs)
    meta["test_accuracy"] = res["integer"]
    write_spiking(args.out, snn, res, meta, reference, opt if args.checkpoint else None,
                  max(args.epochs, first))
    _log("wrote %s (%.0f s)" % (args.out, time.time() - t0))


def _fmt(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s %.4f" % (k, x) for k, x in v.items()) + "}"
    return "[" + ", ".join("%.3f" % x for x in v) + "]"


# ----------------------------------------------- hand-written BPTT of the source ANN (pixel-wise)
def _mask(u, lo, hi):
    return ((u >= lo) & (u <= hi)).to(u.dtype)


def manual_loss_and_grads(model, x, y):
    """train_lstm.py --engine manual for --cell spiking: the cross-entropy loss and every
    parameter's .grad, back-propagated through time by hand (like train_lstm's
    manual_loss_and_grads, which covers the standard and modified cells), equal to autograd's up
    to summation order (checked by check()). Over hundreds of symbols with the cell kept (f = 1)
    the gradient can exceed float32's range (measured: norm 6e41 at one pixel-wise start); such
    a batch is recomputed in float64 and its gradients returned in the model's dtype, where the
    gradient-norm clip then scales them."""
    loss = _manual(model, x, y)
    if model.weight_hh.dtype == torch.float32 and not all(
            bool(torch.isfinite(p.grad).all()) for p in model.parameters()):
        from types import SimpleNamespace
        names = [n for n, _ in model.named_parameters()]
        wide = {n: p.detach().double().requires_grad_(True) for n, p in model.named_parameters()}
        view = SimpleNamespace(hidden=model.hidden, weight_ih=wide["weight_ih"],
                               weight_hh=wide["weight_hh"], bias=wide["bias"],
                               fc=SimpleNamespace(weight=wide["fc.weight"], bias=wide["fc.bias"]))
        loss = _manual(view, x.double(), y)
        got = {"weight_ih": view.weight_ih.grad, "weight_hh": view.weight_hh.grad,
               "bias": view.bias.grad, "fc.weight": view.fc.weight.grad, "fc.bias": view.fc.bias.grad}
        norm = math.sqrt(sum(float((got[n] ** 2).sum()) for n in names))
        scale = min(1.0, 1e30 / norm)   # one factor for all: the direction is kept
        for n, p in model.named_parameters():
            p.grad = (got[n] * scale).to(p.dtype)
    return loss


def _manual(model, x, y):
    with torch.no_grad():
        b, steps, _ = x.shape
        H = model.hidden
        xs = x.transpose(0, 1).contiguous()
        z = torch.matmul(xs, model.weight_ih.t()) + model.bias        # [T, B, 4H]
        act = torch.empty_like(z)
        pre = z.new_empty(steps, b, H)     # c_(t-1) + a - b, before the clamp
        q = z.new_empty(steps, b, H)       # the clamped value
        c = z.new_zeros(steps + 1, b, H)
        h = z.new_zeros(steps + 1, b, H)
        for t in range(steps):
            zt = z[t]
            zt.addmm_(h[t], model.weight_hh.t())
            torch.clamp((zt + 2.0) / 4.0, 0.0, 1.0, out=act[t])
            at = act[t]
            torch.add(c[t], at[:, :H] - at[:, 2 * H:3 * H], out=pre[t])
            torch.clamp(pre[t], float(CELL_LO), float(CELL_HI), out=q[t])
            torch.mul(at[:, H:2 * H], q[t], out=c[t + 1])
            torch.mul(at[:, 3 * H:], torch.clamp(c[t + 1], 0.0, 1.0), out=h[t + 1])
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
            f, o = at[:, H:2 * H], at[:, 3 * H:]
            ct = c[t + 1]
            dc += dh * o * _mask(ct, 0.0, 1.0)
            dzt[:, 3 * H:] = dh * torch.clamp(ct, 0.0, 1.0)
            dzt[:, H:2 * H] = dc * q[t]
            dp = dc * f * _mask(pre[t], float(CELL_LO), float(CELL_HI))
            dzt[:, :H] = dp
            dzt[:, 2 * H:3 * H] = -dp
            dc = dp
            dzt *= _mask((zt + 2.0) / 4.0, 0.0, 1.0) / 4.0
            dh = dzt @ model.weight_hh
        flat = dz.reshape(steps * b, 4 * H)
        model.weight_hh.grad = flat.t() @ h[:steps].reshape(steps * b, H)
        model.weight_ih.grad = flat.t() @ xs.reshape(steps * b, -1)
        model.bias.grad = flat.sum(0)
        return float(loss)


def check_manual(model_cls, log=print):
    """The hand-written BPTT of the source cell against autograd (float64, weights large enough
    that every clamp is active somewhere). Returns the largest relative difference."""
    worst = 0.0
    for n_in, steps in ((1, 40), (28, 6)):
        torch.manual_seed(7)
        model = model_cls(n_in, 16, 10, "spiking").double()
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
        got = manual_loss_and_grads(model, x, y)
        err = abs(got - float(loss)) / abs(float(loss))
        for n, p in model.named_parameters():
            err = max(err, float((p.grad - want[n]).abs().max() / want[n].abs().max()))
        worst = max(worst, err)
    log("source cell: manual BPTT vs autograd, largest relative difference %.2e" % worst)
    return worst
