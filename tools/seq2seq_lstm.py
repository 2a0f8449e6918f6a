"""The LSTM encoder-decoder of issue 19 (AxLSTM's sequence-to-sequence model, methods.md C),
trained by `train_lstm.py --task sort-digits` on the task of tools/seq2seq_task.py.

Model: an encoder LSTM (input: one-hot digit, 10) and a decoder LSTM (input: one-hot of the
previous token, 11 = digits and BOS) of --layers stacked layers of --hidden units each; --cell
standard (the default): nn.LSTM, sigmoid/tanh; --cell modified: the hybrid-convertible cell of
train_lstm.py (phi1/phi2 gates, c clamped to [-1, 1], every weight and bias clipped to [-1, 1]
after every optimiser step; orthogonal init per gate block, forget bias 1), written out with
nn.LSTM's parameter names so that the same reader takes both; the decoder starts from the encoder's final (h, c) of every layer, taken at
each source's own length; Linear(hidden, 11) reads the decoder's top layer (classes: digits and
EOS). Training: teacher forcing, cross-entropy over the target's L + 1 positions, RMSprop --lr,
gradient-norm clip 1.0, PyTorch's default initialisation. Greedy decoding for the metrics: feed
BOS, then each step's argmax, for MAX_LEN + 1 steps.

Output HDF5 (documented in models/weights/README.md): encoder/ and decoder/ with nn.LSTM's names
(weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}; gate order i, f, g, o), fc/weight
(11 x hidden), fc/bias; reference/ (the first 8 test pairs: source, target, lengths, and the
greedy output classes of this model, -1 padded); attributes model = "seq2seq", task, layers,
hidden, vocabulary, seeds, test_exact_accuracy, test_token_accuracy, command.
"""
import os
import sys
import time

import h5py
import numpy as np
import torch

import seq2seq_task as task

STEPS_OUT = task.MAX_LEN + 1


def phi1(z):
    return torch.clamp((z + 2.0) / 4.0, 0.0, 1.0)


def phi2(z):
    return torch.clamp(z / 2.0, -1.0, 1.0)


class ModifiedLSTM(torch.nn.Module):
    """A stack of modified LSTM layers (methods.md A) with nn.LSTM's parameter names and call
    convention (batch_first): forward(x [B, S, in], state=None, lengths=None) -> (top layer's h
    [B, S, H], (h, c) each [layers, B, H]); with lengths, each sequence's state stops changing
    after its own length, as nn.LSTM's packed input does."""

    def __init__(self, n_in, hidden, layers):
        super().__init__()
        self.hidden, self.layers = hidden, layers
        for k in range(layers):
            for name, cols in (("weight_ih", n_in if k == 0 else hidden), ("weight_hh", hidden)):
                w = torch.empty(4 * hidden, cols)
                for g in range(4):  # orthogonal init per gate block
                    torch.nn.init.orthogonal_(w[g * hidden:(g + 1) * hidden])
                self.register_parameter("%s_l%d" % (name, k), torch.nn.Parameter(w))
            b = torch.zeros(4 * hidden)
            b[hidden:2 * hidden] = 1.0  # forget bias 1
            self.register_parameter("bias_ih_l%d" % k, torch.nn.Parameter(b))
            self.register_parameter("bias_hh_l%d" % k, torch.nn.Parameter(torch.zeros(4 * hidden)))

    def forward(self, x, state=None, lengths=None):
        B, S, H = x.shape[0], x.shape[1], self.hidden
        if state is None:
            h = [x.new_zeros(B, H) for _ in range(self.layers)]
            c = [x.new_zeros(B, H) for _ in range(self.layers)]
        else:
            h, c = list(state[0].unbind(0)), list(state[1].unbind(0))
        p = dict(self.named_parameters())
        outs = []
        for t in range(S):
            inp = x[:, t]
            live = None if lengths is None else (lengths > t).to(x.dtype)[:, None]
            for k in range(self.layers):
                z = (inp @ p["weight_ih_l%d" % k].t() + h[k] @ p["weight_hh_l%d" % k].t()
                     + p["bias_ih_l%d" % k] + p["bias_hh_l%d" % k])
                i, f = phi1(z[:, :H]), phi1(z[:, H:2 * H])
                g, o = phi2(z[:, 2 * H:3 * H]), phi1(z[:, 3 * H:])
                c_new = torch.clamp(f * c[k] + i * g, -1.0, 1.0)
                h_new = o * phi2(c_new)
                if live is not None:
                    c_new = live * c_new + (1.0 - live) * c[k]
                    h_new = live * h_new + (1.0 - live) * h[k]
                c[k], h[k] = c_new, h_new
                inp = h_new
            outs.append(inp)
        return torch.stack(outs, 1), (torch.stack(h), torch.stack(c))


class Seq2Seq(torch.nn.Module):
    def __init__(self, hidden, layers, cell="standard"):
        super().__init__()
        self.cell = cell
        if cell == "modified":
            self.encoder = ModifiedLSTM(task.DIGITS, hidden, layers)
            self.decoder = ModifiedLSTM(task.DIGITS + 1, hidden, layers)
        else:
            self.encoder = torch.nn.LSTM(task.DIGITS, hidden, layers, batch_first=True)
            self.decoder = torch.nn.LSTM(task.DIGITS + 1, hidden, layers, batch_first=True)
        self.fc = torch.nn.Linear(hidden, task.OUT_CLASSES)

    def encode(self, src, lengths):
        x = torch.nn.functional.one_hot(src.clamp(min=0), task.DIGITS).float()
        if self.cell == "modified":
            return self.encoder(x, None, lengths)[1]
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                         enforce_sorted=False)
        _, state = self.encoder(packed)
        return state  # (h, c), each [layers, batch, hidden], at each source's own length

    def clip_parameters(self):
        """The modified cell's training rule: every weight and bias in [-1, 1]."""
        if self.cell == "modified":
            with torch.no_grad():
                for p in self.parameters():
                    p.clamp_(-1.0, 1.0)

    def forward(self, src, lengths, dec_in):  # teacher forcing: logits [batch, steps, classes]
        out, _ = self.decoder(torch.nn.functional.one_hot(dec_in, task.DIGITS + 1).float(),
                              self.encode(src, lengths))
        return self.fc(out)

    def greedy(self, src, lengths):
        """Output classes [batch, STEPS_OUT] (10 = EOS), each step fed the previous argmax."""
        state = self.encode(src, lengths)
        tok = torch.full((src.shape[0],), task.BOS, dtype=torch.int64)
        outs = []
        for _ in range(STEPS_OUT):
            o, state = self.decoder(torch.nn.functional.one_hot(tok, task.DIGITS + 1).float()[:, None], state)
            cls = self.fc(o[:, 0]).argmax(1)
            outs.append(cls)
            tok = torch.where(cls == 10, torch.full_like(cls, task.BOS), cls)  # after EOS: unused
        return torch.stack(outs, 1)


def teacher_arrays(src, tgt, lengths):
    """Decoder inputs [BOS, t_1 .. t_L] and targets [t_1 .. t_L, EOS class] (-1: ignored)."""
    n = len(src)
    dec_in = np.full((n, STEPS_OUT), task.BOS, np.int64)
    dec_tgt = np.full((n, STEPS_OUT), -1, np.int64)
    for k in range(n):
        L = lengths[k]
        dec_in[k, 1:L + 1] = tgt[k, :L]
        dec_tgt[k, :L] = tgt[k, :L]
        dec_tgt[k, L] = 10
    return dec_in, dec_tgt


def metrics(model, src, tgt, lengths, batch=500):
    """(exact sequence accuracy, token accuracy, per-length exact accuracy, greedy classes)."""
    _, dec_tgt = teacher_arrays(src, tgt, lengths)
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model.greedy(torch.from_numpy(src[s:s + batch]),
                                       torch.from_numpy(lengths[s:s + batch]))
                          for s in range(0, len(src), batch)]).numpy()
    model.train()
    valid = dec_tgt >= 0
    token_ok = (pred == dec_tgt) & valid
    exact = token_ok.sum(1) == valid.sum(1)  # every target position, EOS included
    per_len = {int(L): float(exact[lengths == L].mean()) for L in np.unique(lengths)}
    return float(exact.mean()), float(token_ok.sum() / valid.sum()), per_len, pred


def write(model, args, data, res, epochs_done, command):
    src, tgt, lengths = data
    ref = 8
    tmp = args.out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with h5py.File(tmp, "w") as f:
        for part in ("encoder", "decoder"):
            g = f.create_group(part)
            for name, p in getattr(model, part).named_parameters():
                g[name] = p.detach().numpy()
        f["fc/weight"] = model.fc.weight.detach().numpy()
        f["fc/bias"] = model.fc.bias.detach().numpy()
        r = f.create_group("reference")
        r["source"], r["target"], r["lengths"] = src[:ref], tgt[:ref], lengths[:ref]
        r["greedy_classes"] = res[3][:ref]
        attrs = {"model": "seq2seq", "task": "sort-digits (tools/seq2seq_task.py)",
                 "cell": args.cell,
                 "activation": "phi1_phi2_clamped" if args.cell == "modified" else "sigmoid_tanh", "gate_order": "i,f,g,o",
                 "layout_convention": "pytorch", "layers": args.layers, "hidden": args.hidden,
                 "vocabulary": "encoder in: digits 0-9 one-hot (10); decoder in: digits, BOS=10 "
                               "one-hot (11); out: digits, EOS=10 (11)",
                 "lengths": "%d..%d" % (task.MIN_LEN, task.MAX_LEN),
                 "train_seed_samples": "%d, %d" % (task.TRAIN_SEED, task.TRAIN_SAMPLES),
                 "test_seed_samples": "%d, %d" % (task.TEST_SEED, task.TEST_SAMPLES),
                 "seed": args.seed, "epochs": epochs_done, "command": command,
                 "test_exact_accuracy": res[0], "test_token_accuracy": res[1],
                 "torch_version": torch.__version__}
        for k, v in attrs.items():
            if isinstance(v, str):
                f.attrs.create(k, data=v, dtype=h5py.string_dtype("utf-8"))
            else:
                f.attrs[k] = v
    os.replace(tmp, args.out)


def run(args, reproducing_command):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    src, tgt, lengths = task.as_arrays(task.split("train"))
    if args.train_limit:
        src, tgt, lengths = src[:args.train_limit], tgt[:args.train_limit], lengths[:args.train_limit]
    test = task.as_arrays(task.split("test"))
    dec_in, dec_tgt = teacher_arrays(src, tgt, lengths)
    if args.cell not in ("standard", "modified"):
        sys.exit("--task sort-digits: --cell must be standard or modified, not %s" % args.cell)
    model = Seq2Seq(args.hidden, args.layers, args.cell)
    model.clip_parameters()
    opt = torch.optim.RMSprop(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-1)
    t0 = time.time()
    for epoch in range(args.epochs):
        perm = rng.permutation(len(src))
        n_batches = (len(src) + args.batch - 1) // args.batch
        if args.max_batches:
            n_batches = min(n_batches, args.max_batches)
        total = 0.0
        for k in range(n_batches):
            idx = perm[k * args.batch:(k + 1) * args.batch]
            opt.zero_grad()
            logits = model(torch.from_numpy(src[idx]), torch.from_numpy(lengths[idx]),
                           torch.from_numpy(dec_in[idx]))
            loss = loss_fn(logits.reshape(-1, task.OUT_CLASSES), torch.from_numpy(dec_tgt[idx]).reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            model.clip_parameters()
            total += float(loss)
        res = metrics(model, *test)
        print("epoch %d/%d loss %.4f test exact %.4f token %.4f | exact by length %s (%.0f s)" % (
            epoch + 1, args.epochs, total / max(n_batches, 1), res[0], res[1],
            " ".join("%d:%.2f" % kv for kv in res[2].items()), time.time() - t0),
            file=sys.stderr, flush=True)
        if args.checkpoint:
            write(model, args, test, res, epoch + 1, reproducing_command(epoch + 1))
    res = metrics(model, *test)
    if not args.checkpoint or args.epochs == 0:
        write(model, args, test, res, args.epochs, reproducing_command(args.epochs))
    print("wrote %s: exact sequence accuracy %.4f, token accuracy %.4f on %d test strings"
          % (args.out, res[0], res[1], len(test[0])), file=sys.stderr)
