#!/usr/bin/python3
"""The sequence-to-sequence task of issue 19 (AxLSTM, methods.md C): sorting digit strings.

A source is a string of L decimal digits, L uniform in [MIN_LEN, MAX_LEN] (1..12), so that the
work and the difficulty vary with the input; its target is the same digits in ascending order.
Generated, not stored: every value comes from splitmix64 (the same mixer as the MNIST split,
tools/datasets.py), so any implementation (C++ included) can regenerate the data exactly:

    draw(seed, i, j) = splitmix64((seed << 40) ^ (i << 5) ^ j)       (64-bit, j < 32)
    L      = MIN_LEN + draw(seed, i, 0) % (MAX_LEN - MIN_LEN + 1)
    digit_j = draw(seed, i, j) % 10,  j = 1 .. L

Splits: train seed 1 (TRAIN_SAMPLES strings), test seed 2 (TEST_SAMPLES strings). The splits are
drawn independently, so short strings occur in both (there are only 10 of length 1 and 100 of
length 2); exact-sequence accuracy per length is what shows whether the model generalises.

Tokens: digits 0-9, BOS = 10 (the decoder's first input), EOS = 11 (the decoder's last target).
Encoder input: one-hot over the 10 digits; decoder input: one-hot over 11 tokens (digits, BOS);
decoder output: 11 classes (digits, EOS at index 10). Metrics (tools/seq2seq_lstm.py): exact
sequence accuracy (the greedy output up to its first EOS equals the target) and token accuracy
(over the target's L + 1 positions, EOS included, the fraction the greedy output matches).

    python3 tools/seq2seq_task.py --check    # determinism and the task's invariants (CTest)
"""
import argparse
import hashlib
import sys

import numpy as np

MASK64 = (1 << 64) - 1
MIN_LEN, MAX_LEN = 1, 12
TRAIN_SEED, TEST_SEED = 1, 2
TRAIN_SAMPLES, TEST_SAMPLES = 20000, 2000
DIGITS, BOS, EOS = 10, 10, 11
OUT_CLASSES = 11  # digits and EOS (class 10)


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def draw(seed, i, j):
    return splitmix64(((seed << 40) ^ (i << 5) ^ j) & MASK64)


def generate(seed, n, min_len=MIN_LEN, max_len=MAX_LEN):
    """n (source, target) pairs as lists of ints (digits); target = sorted(source)."""
    if not 1 <= min_len <= max_len < 32:
        raise ValueError("lengths must satisfy 1 <= min_len <= max_len < 32")
    out = []
    for i in range(n):
        length = min_len + draw(seed, i, 0) % (max_len - min_len + 1)
        src = [draw(seed, i, j) % 10 for j in range(1, length + 1)]
        out.append((src, sorted(src)))
    return out


def split(name):
    return generate(TRAIN_SEED, TRAIN_SAMPLES) if name == "train" else generate(TEST_SEED, TEST_SAMPLES)


def as_arrays(pairs, max_len=MAX_LEN):
    """Padded int arrays: src [n, max_len] and tgt [n, max_len] (-1 beyond the length), lengths [n]."""
    n = len(pairs)
    src = np.full((n, max_len), -1, np.int64)
    tgt = np.full((n, max_len), -1, np.int64)
    lengths = np.zeros(n, np.int64)
    for k, (s, t) in enumerate(pairs):
        src[k, :len(s)], tgt[k, :len(t)], lengths[k] = s, t, len(s)
    return src, tgt, lengths


def digest(pairs):
    h = hashlib.sha256()
    for s, t in pairs:
        h.update(bytes(s) + b"|" + bytes(t) + b";")
    return h.hexdigest()


def check():
    """Same seed, same data; another seed, other data; targets sorted permutations; every length
    of the range drawn. Returns a process exit status."""
    a, b = generate(TEST_SEED, 500), generate(TEST_SEED, 500)
    ok = a == b and digest(a) == digest(b)
    ok &= generate(TRAIN_SEED, 500) != a
    ok &= all(t == sorted(s) and len(s) == len(t) for s, t in a)
    ok &= {len(s) for s, _ in a} == set(range(MIN_LEN, MAX_LEN + 1))
    ok &= all(0 <= d <= 9 for s, _ in a for d in s)
    # A value fixed by the definition in the docstring (computed by hand from splitmix64).
    ok &= a[0][0] == [draw(TEST_SEED, 0, j) % 10
                      for j in range(1, MIN_LEN + draw(TEST_SEED, 0, 0) % (MAX_LEN - MIN_LEN + 1) + 1)]
    ok &= splitmix64(0) == 0xE220A8397B1DCDAF  # the published first output of splitmix64(seed 0)
    print("seq2seq task: test split digest %s, first pair %s -> %s: %s"
          % (digest(split("test"))[:16], a[0][0], a[0][1], "ok" if ok else "FAILED"), file=sys.stderr)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="run the determinism checks and exit")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="print the first N test pairs")
    args = ap.parse_args()
    if args.check:
        sys.exit(check())
    for s, t in split("test")[:args.show]:
        print("".join(map(str, s)), "->", "".join(map(str, t)))


if __name__ == "__main__":
    main()
