#!/usr/bin/env python3
"""Writes the hostile inputs of tests/cli/test_hostile_input.cpp into a folder (issue 15).

    /usr/bin/python3 tests/cli/make_hostile_inputs.py OUT_DIR NIR_GRAPH WEIGHTS.h5

Each file is a small, valid-looking input with one thing wrong that used to crash, hang or
exhaust memory: an empty NIR Input shape, weights and biases of 1e30, integer attributes stored
as arrays, an HDF5 file of a few KB declaring a dataset of terabytes, a YAML alias bomb, a
population of 2^30 neurons, reports with negative energies or accuracies above 100 %.
"""
import json
import os
import shutil
import sys

import h5py
import numpy as np


def nir_with_input_shape(src, dst, shape):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        for name, g in f["node/nodes"].items():
            t = g["type"][()]
            if (t.decode() if isinstance(t, bytes) else t) == "Input":
                del g["shape"]
                g["shape"] = shape


def weights_with(src, dst, path, index, value):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        f[path][index] = value


def dataset(dst, values, num_classes):
    with h5py.File(dst, "w") as f:
        f["values"] = values
        f["labels"] = np.zeros(values.shape[0], dtype="i4")
        f.attrs["num_classes"] = num_classes


def huge_declared_dataset(dst):
    # Chunked and empty: a few KB on disk, 2^40 floats declared.
    with h5py.File(dst, "w") as f:
        f.create_dataset("values", shape=(1 << 20, 1 << 10, 1 << 10), dtype="f4",
                         chunks=(1, 1, 1024))
        f.create_dataset("labels", shape=(1 << 20,), dtype="i4", chunks=(1024,))
        f.attrs["num_classes"] = 10


def network_yaml(size, dense_text=None):
    text = f"""loihisim_network: 1
name: hostile
input_ports:
  - name: in
    size: {size if dense_text else 4}
populations:
  - name: hidden
    size: {size}
    profile: {{decay_u: 1024, decay_v: 256, vth_mant: 100, refract_delay: 1}}
projections:
  - name: p
    source: in
    target: hidden
    format: {{weight_bits: 8, sign: mixed, weight_exp: 0}}
"""
    if dense_text:
        return text + "    dense: " + dense_text + "\n"
    return text + "    sparse: {pre: [0], post: [1], weight: [10]}\n"


def main():
    out, nir, weights = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    nir_with_input_shape(nir, p("empty_input_shape.nir"), np.zeros((0,), dtype="i8"))
    nir_with_input_shape(nir, p("huge_input_shape.nir"), np.array([1 << 40], dtype="i8"))
    weights_with(weights, p("weight_1e30.h5"), "lstm/weight_ih_l0", (3, 4), 1e30)
    weights_with(weights, p("bias_3e38.h5"), "lstm/bias_ih_l0", 5, 3e38)

    dataset(p("array_attribute.h5"), np.zeros((4, 3, 2), dtype="f4"), np.array([3, 4, 5]))
    huge_declared_dataset(p("huge_declared.h5"))

    n = 100000
    row = "&a [" + ",".join(["2"] * 1000) + "]"
    with open(p("alias_bomb.yaml"), "w") as f:
        f.write(network_yaml(1000, "[" + row + "," + ",".join(["*a"] * (n - 1)) + "]"))
    with open(p("huge_population.yaml"), "w") as f:
        f.write(network_yaml(1 << 30))

    return 0


if __name__ == "__main__":
    sys.exit(main())
