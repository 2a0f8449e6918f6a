#!/usr/bin/python3
"""Writes the small NIR files of tests/data/nir/ that tests/test_nir.cpp reads.

They are written the way the `nir` Python package writes graphs (one HDF5 group per node with a
string dataset `type`, numeric datasets, an N x 2 string dataset `edges`), by hand with h5py so
that no `nir` package is needed, and some are broken on purpose:

  features.nir      a nested graph exercising the lowering: Conv2d (groups 2, padding, stride),
                    IF, AvgPool2d, Flatten, Scale, Delay, Affine with bias, LIF without v_reset
                    and with an unknown dataset, CubaLIF with a recurrent Linear; float64 and
                    float32 mixed, gzip-compressed arrays. Weights are drawn with a fixed seed.
  missing_type.nir  a node group without `type`
  unknown_type.nir  a node of type "Mystery" between the input and a LIF
  shape_mismatch.nir  an Affine whose weight takes 5 inputs, fed by an Input of 4
  dangling_edge.nir an edge naming a node that does not exist
  not_hdf5.nir      a text file
  slow_leak.nir     a LIF whose leak (tau = 1 s at dt = 1e-4 s) rounds to zero
  output_affine.nir an Output fed by an Affine (a weighted sum, not spikes)

  /usr/bin/python3 tools/make_nir_test_files.py tests/data/nir
"""
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(8)
STR = h5py.string_dtype()


def write_node(group, node):
    for key, value in node.items():
        if key == "nodes":
            nodes = group.create_group("nodes")
            for name, child in value.items():
                write_node(nodes.create_group(name), child)
        elif key == "edges":
            group.create_dataset("edges", data=np.array(value, dtype=object), dtype=STR)
        elif isinstance(value, str):
            group.create_dataset(key, data=value, dtype=STR)
        else:
            arr = np.asarray(value)
            gzip = arr.ndim > 0 and arr.size > 4
            group.create_dataset(key, data=arr, compression="gzip" if gzip else None)


def write(name, graph):
    with h5py.File(os.path.join(out, name), "w") as f:
        f.create_dataset("version", data="0.2.0", dtype=STR)
        write_node(f.create_group("node"), graph)


def graph(nodes, edges):
    return {"type": "NIRGraph", "nodes": nodes, "edges": edges}


def inp(shape):
    return {"type": "Input", "shape": np.array(shape, dtype=np.int64)}


def outp(shape):
    return {"type": "Output", "shape": np.array(shape, dtype=np.int64)}


def lif(n, tau=0.0025, thr=0.1, dtype=np.float32):
    return {"type": "LIF", "tau": np.full(n, tau, dtype), "r": np.ones(n, dtype),
            "v_leak": np.zeros(n, dtype), "v_threshold": np.full(n, thr, dtype)}


# features.nir: input (2, 6, 6) -> conv (4 out, groups 2, 3x3, stride 1, padding 1) -> IF
# (4, 6, 6) -> AvgPool2d 2 -> Flatten -> Scale -> Delay (3 steps) -> Affine (5 x 36, bias) ->
# sub.LIF (5) -> output; and sub.LIF -> sub.rec (Linear 5 x 5) -> sub.LIF inside a nested graph.
conv_w = np.round(rng.uniform(-1, 1, (4, 1, 3, 3)), 3).astype(np.float64)
scale = np.round(rng.uniform(0.5, 1.5, 36), 3).astype(np.float32)
aff_w = np.round(rng.uniform(-0.3, 0.6, (5, 36)), 3).astype(np.float32)
aff_b = np.round(rng.uniform(0.0, 0.02, 5), 4).astype(np.float32)
rec_w = np.round(rng.uniform(-0.2, 0.2, (5, 5)), 3).astype(np.float64)
sub_lif = lif(5, tau=0.002, thr=0.2, dtype=np.float64)
sub_lif["unknown_extra"] = np.arange(5, dtype=np.int64)  # ignored by readers
sub = graph({"input": inp([5]), "lif": sub_lif,
             "rec": {"type": "Linear", "weight": rec_w}, "output": outp([5])},
            [["input", "lif"], ["lif", "rec"], ["rec", "lif"], ["lif", "output"]])
write("features.nir", graph(
    {"input": inp([2, 6, 6]),
     "conv": {"type": "Conv2d", "weight": conv_w, "bias": np.zeros(4),
              "stride": np.array([1, 1], np.int64), "padding": np.array([1, 1], np.int64),
              "dilation": np.array([1, 1], np.int64), "groups": np.int64(2),
              "input_shape": np.array([6, 6], np.int64)},
     "if": {"type": "IF", "r": np.ones((4, 6, 6), np.float32),
            "v_threshold": np.full((4, 6, 6), 1.0, np.float32)},
     "pool": {"type": "AvgPool2d", "kernel_size": np.array([2, 2], np.int64),
              "stride": np.array([2, 2], np.int64), "padding": np.array([0, 0], np.int64)},
     "flat": {"type": "Flatten", "start_dim": np.int64(0), "end_dim": np.int64(-1),
              "input_type": np.array([4, 3, 3], np.int64)},
     "scale": {"type": "Scale", "scale": scale},
     "delay": {"type": "Delay", "delay": np.full(36, 3e-4)},
     "fc": {"type": "Affine", "weight": aff_w, "bias": aff_b},
     "sub": sub,
     "output": outp([5])},
    [["input", "conv"], ["conv", "if"], ["if", "pool"], ["pool", "flat"], ["flat", "scale"],
     ["scale", "delay"], ["delay", "fc"], ["fc", "sub"], ["sub", "output"]]))

# missing_type.nir: the LIF group has no `type`.
bad = lif(2)
del bad["type"]
write("missing_type.nir", graph(
    {"input": inp([2]), "fc": {"type": "Linear", "weight": np.eye(2)}, "lif": bad,
     "output": outp([2])},
    [["input", "fc"], ["fc", "lif"], ["lif", "output"]]))

# unknown_type.nir: "Mystery" between the input and the LIF.
write("unknown_type.nir", graph(
    {"input": inp([3]), "odd": {"type": "Mystery", "weight": np.eye(3)},
     "fc": {"type": "Linear", "weight": np.eye(3)}, "lif": lif(3), "output": outp([3])},
    [["input", "odd"], ["odd", "lif"], ["input", "fc"], ["fc", "lif"], ["lif", "output"]]))

# shape_mismatch.nir: weight 3 x 5 fed by 4 inputs.
write("shape_mismatch.nir", graph(
    {"input": inp([4]), "fc": {"type": "Linear", "weight": np.ones((3, 5))}, "lif": lif(3),
     "output": outp([3])},
    [["input", "fc"], ["fc", "lif"], ["lif", "output"]]))

# dangling_edge.nir: "fc" -> "lif2", which does not exist.
write("dangling_edge.nir", graph(
    {"input": inp([2]), "fc": {"type": "Linear", "weight": np.eye(2)}, "lif": lif(2),
     "output": outp([2])},
    [["input", "fc"], ["fc", "lif2"], ["lif", "output"]]))

# slow_leak.nir: tau = 1 s is 10,000 steps of 1e-4 s: 4096 / 10000 rounds to 0.
write("slow_leak.nir", graph(
    {"input": inp([2]), "fc": {"type": "Linear", "weight": np.eye(2)}, "lif": lif(2, tau=1.0),
     "output": outp([2])},
    [["input", "fc"], ["fc", "lif"], ["lif", "output"]]))

# output_affine.nir: the Output reads an Affine's weighted sum.
write("output_affine.nir", graph(
    {"input": inp([2]), "fc": {"type": "Linear", "weight": np.eye(2)}, "lif": lif(2),
     "ro": {"type": "Affine", "weight": np.ones((1, 2)), "bias": np.zeros(1)},
     "output": outp([1])},
    [["input", "fc"], ["fc", "lif"], ["lif", "ro"], ["ro", "output"]]))

with open(os.path.join(out, "not_hdf5.nir"), "w") as f:
    f.write("this is not an HDF5 file\n")
