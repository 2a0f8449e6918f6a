#!/usr/bin/python3
"""Writes examples/run/patterns.h5: the small shipped dataset of `examples/run/tiny.model.yaml`.

40 samples of 2 symbols x 8 values in [0, 1], 4 classes (10 each). Class k lights inputs 2k and
2k+1 (0.6 .. 1.0) in both symbols; every other input is background (0 .. 0.3). Fixed seed.
  /usr/bin/python3 tools/make_patterns.py examples/run/patterns.h5
"""
import sys

import h5py
import numpy as np

rng = np.random.default_rng(7)
n, symbols, size, classes = 40, 2, 8, 4
values = rng.uniform(0.0, 0.3, (n, symbols, size))
labels = np.arange(n) % classes
for i, k in enumerate(labels):
    values[i, :, 2 * k:2 * k + 2] = rng.uniform(0.6, 1.0, (symbols, 2))
values = np.round(values, 3).astype(np.float32)
with h5py.File(sys.argv[1], "w") as f:
    f["values"] = values
    f["labels"] = labels.astype(np.int32)
    f.attrs["num_classes"] = classes
    f.attrs["source"] = "tools/make_patterns.py (numpy default_rng seed 7)"
