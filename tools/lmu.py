"""The Legendre Memory Unit and the sigma-delta quantiser of methods.md D (used by train_lmu.py).

Conventions (docs/hybrid-lmu.md gives the full design):
  memory     theta dm/dt = A m + B u, A[i][j] = (2i+1) * (-1 if i < j else (-1)^(i-j+1)),
             B[i] = (2i+1) (-1)^i, discretised with one step dt = 1:
               zoh    A_bar = expm(A / theta), B_bar = A^-1 (A_bar - I) B   (exactly: the top
                      right block of expm([[A, B], [0, 0]] / theta))
               euler  A_bar = I + A / theta, B_bar = B / theta; also matrix-free (O(d) per step)
  cell       u_t = e_x . x_t + e_h . h_(t-1) + e_m . m_(t-1)
             m_t = A_bar m_(t-1) + B_bar u_t
             z_t = W_x x_t + W_h h_(t-1) + W_m m_t + b,   h_t = Q(f(z_t))
             logits = W_o h_T + b_o                    (h_0 = 0, m_0 = 0)
  quantiser  Q: per neuron v_0 = 1/2; v <- v + omega f(z); n = floor(v); v <- v - n; h = n / omega
             (omega = None: no quantiser, h = f(z): the ANN). Training: the quantised value
             forward, f' backward (straight-through).

The fast engine (manual_loss_and_grads) requires e_h = e_m = 0 (the configuration of the
keras-lmu psMNIST example: hidden_to_memory = memory_to_memory = False): then m depends on the
input only, is computed for the whole sequence first, and the remaining recurrence is that of a
plain RNN, back-propagated by hand. reference_forward is the general cell with autograd.
"""
import math

import numpy as np
import torch

try:  # Debian's python3-scipy; without it torch's matrix exponential (float64) is used, which
    # for the committed sizes gives the same float32 A_bar, B_bar (differences ~1e-13)
    from scipy.linalg import expm as _expm
except ImportError:  # pragma: no cover
    def _expm(a):
        return torch.linalg.matrix_exp(torch.from_numpy(np.asarray(a, np.float64))).numpy()

ACTIVATIONS = ("crelu", "relu", "tanh")


# ----------------------------------------------------------------------------- the memory

def legendre_ab(d):
    """The continuous-time Legendre A (d x d) and B (d) of methods.md D, float64 numpy."""
    i = np.arange(d)[:, None]
    j = np.arange(d)[None, :]
    A = (2 * i + 1) * np.where(i < j, -1.0, (-1.0) ** (i - j + 1))
    B = (2 * np.arange(d) + 1) * (-1.0) ** np.arange(d)
    return A.astype(np.float64), B.astype(np.float64)


def discretise(d, theta, method):
    """(A_bar, B_bar) in float64 for one step dt = 1."""
    A, B = legendre_ab(d)
    if method == "euler":
        return np.eye(d) + A / theta, B / theta
    if method == "zoh":
        aug = np.zeros((d + 1, d + 1))
        aug[:d, :d] = A / theta
        aug[:d, d] = B / theta
        e = _expm(aug)
        return e[:d, :d].copy(), e[:d, d].copy()
    raise ValueError("unknown discretisation %r (zoh, euler)" % method)


def zoh_b_closed_form(d, theta):
    """B_bar = A^-1 (A_bar - I) B (unscaled A): the closed form, for the self-check."""
    A, B = legendre_ab(d)
    a_bar = _expm(A / theta)
    return np.linalg.solve(A, (a_bar - np.eye(d)) @ B)


def euler_stable(d, theta):
    """Spectral radius of I + A / theta (the Euler update is stable when it is < 1)."""
    A, _ = legendre_ab(d)
    return float(np.abs(np.linalg.eigvals(np.eye(d) + A / theta)).max())


def _signs(d, like):
    return torch.tensor([(-1.0) ** i for i in range(d)], dtype=like.dtype)


def legendre_apply(m, s, k):
    """A m over the last axis in O(d): (A m)_i = (2i+1) (-sum_(j>i) m_j + sum_(j<=i)
    (-1)^(i-j+1) m_j) = (2i+1) (c_i - c_(d-1) - s_i a_i), with c = cumsum(m), a = cumsum(s m),
    s_i = (-1)^i, k_i = 2i + 1 (a forward running sum and an alternating one)."""
    c = torch.cumsum(m, -1)
    a = torch.cumsum(m * s, -1)
    return k * (c - c[..., -1:] - s * a)


def legendre_apply_t(lam, s, k):
    """A^T lam in O(d): with w = k lam, (A^T lam)_j = -(sum_(i<j) w_i) - s_j sum_(i>=j) s_i w_i."""
    w = k * lam
    c = torch.cumsum(w, -1) - w
    r = torch.flip(torch.cumsum(torch.flip(w * s, [-1]), -1), [-1])
    return -c - s * r


class Memory:
    """The linear memory over a whole sequence: m_t = A_bar m_(t-1) + B_bar u_t, u [T, B] ->
    m [T, B, d], and the adjoint (du from dm). update: dense (A_bar as a matrix) or
    matrix_free (Euler only: A m by two running sums)."""

    def __init__(self, d, theta, method, update="dense", dtype=torch.float32):
        if update == "matrix_free" and method != "euler":
            raise ValueError("the matrix-free update exists for the Euler discretisation only")
        self.d, self.theta, self.method, self.update = d, theta, method, update
        a_bar, b_bar = discretise(d, theta, method)
        self.a_bar64, self.b_bar64 = a_bar, b_bar
        self.a_bar = torch.tensor(a_bar, dtype=dtype)
        self.b_bar = torch.tensor(b_bar, dtype=dtype)
        self.a_bar_t = self.a_bar.t().contiguous()
        _, b = legendre_ab(d)
        self.b = torch.tensor(b, dtype=dtype)
        self.s = _signs(d, self.a_bar)
        self.k = torch.tensor(2.0 * np.arange(d) + 1.0, dtype=dtype)

    def to(self, dtype):
        return Memory(self.d, self.theta, self.method, self.update, dtype)

    def step(self, m, u):
        """One step: m [B, d], u [B] -> the next m."""
        if self.update == "matrix_free":
            return m + (legendre_apply(m, self.s, self.k) + self.b * u[:, None]) / self.theta
        return torch.addmm(u[:, None] * self.b_bar, m, self.a_bar_t)

    def run(self, u):
        steps, b = u.shape
        out = u.new_empty(steps, b, self.d)
        m = u.new_zeros(b, self.d)
        for t in range(steps):
            m = self.step(m, u[t])
            out[t] = m
        return out

    def adjoint(self, dm):
        """dL/du [T, B] from dL/dm [T, B, d] (dm holds the direct gradients at every step)."""
        steps = dm.shape[0]
        du = dm.new_empty(dm.shape[:2])
        lam = torch.zeros_like(dm[0])
        for t in reversed(range(steps)):
            if t == steps - 1:
                lam = dm[t].clone()
            elif self.update == "matrix_free":
                lam = dm[t] + lam + legendre_apply_t(lam, self.s, self.k) / self.theta
            else:
                lam = dm[t] + lam @ self.a_bar
            du[t] = lam @ self.b_bar
        return du


# ----------------------------------------------------------------------------- activations

def act_forward(z, activation):
    if activation == "crelu":
        return torch.clamp(z, 0.0, 1.0)
    if activation == "relu":
        return torch.clamp(z, min=0.0)
    if activation == "tanh":
        return torch.tanh(z)
    raise ValueError("unknown activation %r" % activation)


def act_deriv(z, y, activation):
    """f'(z) as autograd forms it for act_forward (torch.clamp passes lo <= z <= hi)."""
    if activation == "crelu":
        return ((z >= 0.0) & (z <= 1.0)).to(z.dtype)
    if activation == "relu":
        return (z >= 0.0).to(z.dtype)
    return 1.0 - y * y


def sigma_delta(y, v, omega):
    """One step of the quantiser for every neuron: returns (n, new v). v in [0, 1)."""
    v = v + omega * y
    n = torch.floor(v)
    return n, v - n


# ----------------------------------------------------------------------------- the model

class LMUClassifier(torch.nn.Module):
    def __init__(self, n_in, d, theta, hidden, n_out=10, discretisation="zoh",
                 memory_update="dense", activation="crelu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError("unknown activation %r" % activation)
        self.n_in, self.d, self.theta, self.hidden = n_in, d, theta, hidden
        self.discretisation, self.memory_update, self.activation = discretisation, memory_update, activation
        self.memory = Memory(d, theta, discretisation, memory_update)
        # keras-lmu psMNIST example: e_x initialised to ones; the hidden cell (SimpleRNNCell):
        # glorot-uniform kernel over [x, m], orthogonal recurrent kernel, zero bias; Dense readout.
        self.e_x = torch.nn.Parameter(torch.ones(n_in))
        kernel = torch.empty(hidden, n_in + d)
        torch.nn.init.xavier_uniform_(kernel)
        self.W_x = torch.nn.Parameter(kernel[:, :n_in].clone())
        self.W_m = torch.nn.Parameter(kernel[:, n_in:].clone())
        self.W_h = torch.nn.Parameter(torch.empty(hidden, hidden))
        torch.nn.init.orthogonal_(self.W_h)
        self.b = torch.nn.Parameter(torch.zeros(hidden))
        self.W_o = torch.nn.Parameter(torch.empty(n_out, hidden))
        torch.nn.init.xavier_uniform_(self.W_o)
        self.b_o = torch.nn.Parameter(torch.zeros(n_out))
        # the general cell's memory encoders: zero (and not trained) in this project's models
        self.register_buffer("e_h", torch.zeros(hidden))
        self.register_buffer("e_m", torch.zeros(d))

    def memory_for(self, x):
        """Memory sequence m [T, B, d] for input x [B, T, n_in] (e_h = e_m = 0), plus what the
        e_x gradient needs: ('unit', M) with m = e_x M when n_in == 1, else ('u', xs)."""
        xs = x.transpose(0, 1)
        mem = self.memory if self.memory.a_bar.dtype == x.dtype else self.memory.to(x.dtype)
        if self.n_in == 1:
            unit = mem.run(xs[:, :, 0].contiguous())
            return self.e_x.detach()[0] * unit, ("unit", unit), mem
        u = xs @ self.e_x.detach()
        return mem.run(u), ("u", xs), mem

    def forward(self, x, omega=None, record=False):
        """Fast forward (no autograd; e_h = e_m = 0). Returns logits, and with record a dict with
        'n' [T, B, H] (quantised: integer counts) or 'h' (float), 'm' [T, B, d], 'z'."""
        with torch.no_grad():
            out = run_forward(self, x, omega, keep=record)
            logits = out["logits"]
        if record:
            return logits, out
        return logits


def run_forward(model, x, omega, keep=True):
    """Forward pass shared by the fast engine and evaluation."""
    assert not bool(model.e_h.any()) and not bool(model.e_m.any()), "fast engine needs e_h = e_m = 0"
    b, steps, _ = x.shape
    H = model.hidden
    m, mem_info, mem = model.memory_for(x)
    xs = x.transpose(0, 1)
    z = torch.matmul(xs, model.W_x.detach().t())  # [T, B, H], becomes z_t below
    z += torch.matmul(m, model.W_m.detach().t())
    z += model.b.detach()
    h = z.new_zeros(steps + 1, b, H)  # h[t + 1] = h_t
    w_hh_t = model.W_h.detach().t()
    # the quantiser's state in float64: with float32, v + omega f can round up to the next
    # integer (e.g. 0.99999 + 64 -> 65.0) and emit n = omega + 1
    v = z.new_full((b, H), 0.5, dtype=torch.float64) if omega is not None else None
    n_all = z.new_empty(steps, b, H) if (omega is not None and keep) else None
    for t in range(steps):
        zt = z[t]
        zt.addmm_(h[t], w_hh_t)
        y = act_forward(zt, model.activation)
        if omega is None:
            h[t + 1] = y
        else:
            n, v = sigma_delta(y.double(), v, omega)
            if n_all is not None:
                n_all[t] = n
            h[t + 1] = n / omega
    logits = torch.nn.functional.linear(h[steps], model.W_o.detach(), model.b_o.detach())
    return {"logits": logits, "z": z, "h": h, "m": m, "mem_info": mem_info, "mem": mem,
            "xs": xs, "n": n_all}


def manual_loss_and_grads(model, x, y, omega=None):
    """Cross-entropy loss with gradients back-propagated through time by hand (straight-through
    for the quantiser), stored in every parameter's .grad as autograd would form them
    (train_lmu.py --check compares them in float64)."""
    with torch.no_grad():
        out = run_forward(model, x, omega, keep=False)
        b = x.shape[0]
        steps = x.shape[1]
        H = model.hidden
        z, h, m, xs = out["z"], out["h"], out["m"], out["xs"]
        logits = out["logits"]
        loss = torch.nn.functional.cross_entropy(logits, y)
        d_logits = torch.softmax(logits, 1)
        d_logits[torch.arange(b), y] -= 1.0
        d_logits /= b
        model.W_o.grad = d_logits.t() @ h[steps]
        model.b_o.grad = d_logits.sum(0)
        dh = d_logits @ model.W_o
        w_hh = model.W_h.detach()
        # z is overwritten by dz step by step (z_t is needed only at step t)
        for t in reversed(range(steps)):
            zt = z[t]
            yt = act_forward(zt, model.activation) if model.activation == "tanh" else None
            zt.copy_(dh * act_deriv(zt, yt, model.activation))
            dh = zt @ w_hh
        dz = z.reshape(steps * b, H)
        model.W_h.grad = dz.t() @ h[:steps].reshape(steps * b, H)
        model.W_x.grad = dz.t() @ xs.reshape(steps * b, -1)
        model.W_m.grad = dz.t() @ m.reshape(steps * b, -1)
        model.b.grad = dz.sum(0)
        dm = (dz @ model.W_m.detach()).reshape(steps, b, -1)
        kind, data = out["mem_info"]
        if kind == "unit":
            model.e_x.grad = (dm * data).sum().reshape(1)
        else:
            du = out["mem"].adjoint(dm)  # [T, B]
            model.e_x.grad = torch.einsum("tb,tbi->i", du, data)
        return float(loss)


def reference_forward(model, x, omega=None, e_h=None, e_m=None):
    """The general LMU cell of methods.md D, step by step, with autograd (any e_h, e_m):
    the reference the fast engine is checked against. The quantiser is straight-through:
    h = y + (n / omega - y).detach()."""
    e_h = model.e_h if e_h is None else e_h
    e_m = model.e_m if e_m is None else e_m
    b, steps, _ = x.shape
    mem = model.memory if model.memory.a_bar.dtype == x.dtype else model.memory.to(x.dtype)
    h = x.new_zeros(b, model.hidden)
    m = x.new_zeros(b, model.d)
    v = x.new_full((b, model.hidden), 0.5)
    hs = []
    for t in range(steps):
        xt = x[:, t]
        u = xt @ model.e_x + h @ e_h + m @ e_m
        if mem.update == "matrix_free":
            m = m + (legendre_apply(m, mem.s, mem.k) + mem.b * u[:, None]) / mem.theta
        else:
            m = m @ mem.a_bar.t() + u[:, None] * mem.b_bar
        z = xt @ model.W_x.t() + h @ model.W_h.t() + m @ model.W_m.t() + model.b
        yv = act_forward(z, model.activation)
        if omega is None:
            h = yv
        else:
            with torch.no_grad():
                n, v = sigma_delta(yv.detach(), v, omega)
            h = yv + (n / omega - yv).detach()
        hs.append(h)
    return h @ model.W_o.t() + model.b_o, hs


# ----------------------------------------------------------------------------- statistics

def significant_bits(n):
    """Width of the odd part of |n| (n = odd * 2^k): 1 for 1, 2, 4, 8; 2 for 3, 6, 12; 3 for
    5, 7, ... The bits a multiplier by n needs once its power-of-two factor is a shift.
    n: int64 tensor of nonzero values."""
    a = n.abs()
    odd = a // (a & -a)
    bits = torch.zeros_like(odd)
    while bool((odd > 0).any()):
        bits += (odd > 0).to(bits.dtype)
        odd = odd >> 1
    return bits


class BitStats:
    """Statistics of the graded payloads n of one quantised layer over a data set.

    mean_bits       mean over (sequence, neuron) of log2(1 + max_t |n_t|): the payload width
                    (fractional bits) that neuron needs in that sequence
    mean_bits_ceil  the same with ceil(log2(1 + max_t |n_t|)) (whole bits)
    mean_sig_bits   mean over all nonzero n of significant_bits(n)
    step_bits       mean over (step, sequence, neuron) of log2(1 + |n_t|) (secondary)
    spike_rate      fraction of (step, neuron) with n != 0 (graded spikes sent per step)
    mean_abs_n      mean |n| over all (step, neuron)
    histogram       counts of each value of n (index = n - n_min)"""

    def __init__(self):
        self.hist = {}
        self.sum_bits = 0.0
        self.sum_bits_ceil = 0.0
        self.n_seq_neurons = 0
        self.sum_sig = 0
        self.n_nonzero = 0
        self.sum_step_bits = 0.0
        self.n_events = 0
        self.sum_abs = 0
        self.max_abs = 0

    def add(self, n):
        """n: [T, B, H] float tensor of integer values."""
        ni = n.to(torch.int64)
        vals, counts = torch.unique(ni, return_counts=True)
        for v_, c_ in zip(vals.tolist(), counts.tolist()):
            self.hist[v_] = self.hist.get(v_, 0) + c_
        a = ni.abs()
        mx = a.max(0).values.to(torch.float64)  # [B, H]
        self.sum_bits += float(torch.log2(1.0 + mx).sum())
        self.sum_bits_ceil += float(torch.ceil(torch.log2(1.0 + mx)).sum())
        self.n_seq_neurons += mx.numel()
        nz = ni[ni != 0]
        if nz.numel():
            self.sum_sig += int(significant_bits(nz).sum())
        self.n_nonzero += nz.numel()
        self.sum_step_bits += float(torch.log2(1.0 + a.to(torch.float64)).sum())
        self.n_events += a.numel()
        self.sum_abs += int(a.sum())
        self.max_abs = max(self.max_abs, int(a.max()))

    def summary(self):
        lo = min(self.hist) if self.hist else 0
        hi = max(self.hist) if self.hist else 0
        hist = np.array([self.hist.get(v_, 0) for v_ in range(lo, hi + 1)], np.int64)
        return {
            "mean_bits": self.sum_bits / max(self.n_seq_neurons, 1),
            "mean_bits_ceil": self.sum_bits_ceil / max(self.n_seq_neurons, 1),
            "mean_sig_bits": self.sum_sig / max(self.n_nonzero, 1),
            "step_bits": self.sum_step_bits / max(self.n_events, 1),
            "spike_rate": self.n_nonzero / max(self.n_events, 1),
            "mean_abs_n": self.sum_abs / max(self.n_events, 1),
            "max_abs_n": self.max_abs,
            "n_min": lo,
            "histogram": hist,
        }


def format_stats(s):
    h = s["histogram"]
    tot = max(int(h.sum()), 1)
    shown = ", ".join("%d: %.4g%%" % (s["n_min"] + i, 100.0 * c / tot) for i, c in enumerate(h) if c)
    return ("bits/activation %.3f (ceil %.3f), significant bits of nonzero n %.3f, per-step "
            "log2(1+|n|) %.3f, nonzero %.2f%%, mean |n| %.3f, max |n| %d; n histogram {%s}" % (
                s["mean_bits"], s["mean_bits_ceil"], s["mean_sig_bits"], s["step_bits"],
                100.0 * s["spike_rate"], s["mean_abs_n"], s["max_abs_n"], shown))


def splitmix_permutation(length, seed):
    """The fixed pixel order of permuted MNIST: positions 0..length-1 sorted by
    (splitmix64(seed XOR i), i), as tools/datasets.py orders its split. perm[t] = the index
    (row-major, 28 r + c) of the pixel presented at step t."""
    import datasets
    return np.array(sorted(range(length), key=lambda i: (datasets.splitmix64(seed ^ i), i)),
                    np.int64)


def clip_grad_norm(params, max_norm):
    total = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in params))
    if max_norm > 0 and total > max_norm:
        for p in params:
            p.grad.mul_(max_norm / (total + 1e-6))
    return total
