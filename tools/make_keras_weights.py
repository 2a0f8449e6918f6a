#!/usr/bin/env python3
"""Rewrites a PyTorch-layout LSTM weight file (tools/train_lstm.py) as a Keras full-model .h5.

    /usr/bin/python3 tools/make_keras_weights.py IN.h5 OUT.h5

The Keras layout is what `model.save("m.h5")` writes for Sequential([LSTM(H), Dense(C)]):
model_weights/<layer>/<layer>/<cell>/{kernel:0, recurrent_kernel:0, bias:0} with the attributes
layer_names and weight_names, and the JSON attribute model_config. Keras's gate order (i, f, c,
o) is PyTorch's (i, f, g, o), so kernel = weight_ih^T, recurrent_kernel = weight_hh^T, bias =
bias_ih + bias_hh (float32). The root attributes dataset/layout and the /reference group are
copied. Keras cannot express the clamped phi1/phi2 cell in a standard LSTM config: a modified
cell is written with the custom activation names "phi2" / "phi1" and the root attribute
cell = "modified", the marker models/lstm_weights.cpp requires.

It exists to test the C++ Keras reader against the PyTorch one (tests/data/weights/); no Keras
is needed to write the file.
"""
import argparse
import json
import os

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("out")
    args = ap.parse_args()

    with h5py.File(args.src, "r") as f:
        w_ih = f["lstm/weight_ih_l0"][...].astype(np.float32)
        w_hh = f["lstm/weight_hh_l0"][...].astype(np.float32)
        bias = (f["lstm/bias_ih_l0"][...].astype(np.float32)
                + f["lstm/bias_hh_l0"][...].astype(np.float32)).astype(np.float32)
        fc_w = f["fc/weight"][...].astype(np.float32)
        fc_b = f["fc/bias"][...].astype(np.float32)
        cell = f.attrs["cell"]
        attrs = {k: f.attrs[k] for k in ("dataset", "layout") if k in f.attrs}
        ref = {k: f["reference/" + k][...] for k in ("inputs", "labels", "logits")} \
            if "reference" in f else None

    hidden = w_hh.shape[1]
    classes = fc_w.shape[0]
    steps = ref["inputs"].shape[1] if ref is not None else None
    act, rec = ("phi2", "phi1") if cell == "modified" else ("tanh", "sigmoid")
    config = {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [
            {"class_name": "InputLayer",
             "config": {"batch_input_shape": [None, steps, w_ih.shape[1]], "dtype": "float32",
                        "name": "lstm_input"}},
            {"class_name": "LSTM",
             "config": {"name": "lstm", "trainable": True, "dtype": "float32", "units": hidden,
                        "activation": act, "recurrent_activation": rec, "use_bias": True,
                        "unit_forget_bias": True, "return_sequences": False,
                        "return_state": False, "go_backwards": False, "stateful": False,
                        "time_major": False, "unroll": False, "implementation": 2}},
            {"class_name": "Dense",
             "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": classes,
                        "activation": "linear", "use_bias": True}},
        ]},
    }

    tmp = args.out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with h5py.File(tmp, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf-8")
        f.attrs["keras_version"] = b"2.11.0"
        f.attrs["backend"] = b"tensorflow"
        if cell == "modified":
            f.attrs.create("cell", data="modified", dtype=h5py.string_dtype("utf-8"))
        for k, v in attrs.items():
            f.attrs.create(k, data=v, dtype=h5py.string_dtype("utf-8"))
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"lstm", b"dense"])
        lstm = mw.create_group("lstm")
        names = [b"lstm/lstm_cell/kernel:0", b"lstm/lstm_cell/recurrent_kernel:0",
                 b"lstm/lstm_cell/bias:0"]
        lstm.attrs["weight_names"] = np.array(names)
        for n, v in zip(names, (w_ih.T, w_hh.T, bias)):
            lstm[n.decode()] = np.ascontiguousarray(v)
        dense = mw.create_group("dense")
        dnames = [b"dense/kernel:0", b"dense/bias:0"]
        dense.attrs["weight_names"] = np.array(dnames)
        dense[dnames[0].decode()] = np.ascontiguousarray(fc_w.T)
        dense[dnames[1].decode()] = fc_b
        if ref is not None:
            r = f.create_group("reference")
            for k, v in ref.items():
                r[k] = v
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
