#!/usr/bin/python3
"""Writes the seeds of the fuzz targets' regression corpus (fuzz/corpus/<target>/seed_*).

Seeds are the shipped examples (copied), small files written here with h5py where the shipped
ones are large (weights, network arrays), with --cli outputs of the command line (mapped images,
run and baseline reports), and every HDF5 seed again as a description of fuzz/hdf5_input.hpp
(seed_*.txt, what the fuzz build mutates). Also writes the dictionaries fuzz/dict/*.dict. The
crash_* and regression_* inputs and fuzz/corpus/network_yaml/seed_all_kinds.yaml are left alone.
docs/reliability.md says how the corpus is used.

    /usr/bin/python3 fuzz/make_seeds.py [--cli build/tools/loihisim] [--shared ../shared]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(HERE, "fuzz", "corpus")

# target -> shipped files (relative to the checkout, or to --shared for "shared:...").
COPIES = {
    "arch": ["arch/loihi1.yaml", "arch/loihi1-sanafe.yaml", "arch/loihi2.yaml"],
    "cpu_profile": ["cpu/horowitz45.yaml", "cpu/system_i7.yaml"],
    "core_spec": ["examples/core/demo.yaml", "examples/core/trace1.yaml",
                  "examples/core/trace2.yaml", "tests/data/specs/group_bias.yaml",
                  "tests/data/specs/synapse_memory.yaml", "tests/data/specs/unknown_dest_axon.yaml"],
    "network_yaml": ["examples/networks/tiny.yaml", "examples/networks/ring.yaml",
                     "examples/networks/hybrid_cell.yaml", "examples/run/tiny.network.yaml",
                     "examples/hybrid/mnist_row_t32.network.yaml"],
    "model": ["examples/run/tiny.model.yaml", "examples/run/hybrid_cell.model.yaml",
              "examples/hybrid/mnist_row_t32.model.yaml"],
    "dataset": ["examples/run/patterns.h5", "examples/run/cell_inputs.h5"],
    "nir": ["tests/data/nir/features.nir", "tests/data/nir/dangling_edge.nir",
            "tests/data/nir/output_affine.nir", "tests/data/nir/shape_mismatch.nir",
            "tests/data/nir/slow_leak.nir", "tests/data/nir/unknown_type.nir",
            "tests/data/nir/paper/01_lif/lif_norse.nir",
            "tests/data/nir/paper/03_rnn/braille_noDelay_bias_zero.nir",
            "shared:data/nir/01_lif/lif_rockpool.nir",
            "shared:data/nir/01_lif/debug_spike_representation/two_lif_neurons.nir",
            "shared:data/nir/03_rnn/extras/braille_noDelay_bias_zero_subgraph.nir"],
}


def seed_path(target, name):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "seed_" + name)


def copy_shipped(shared):
    for target, files in COPIES.items():
        for rel in files:
            src = os.path.join(shared, rel[7:]) if rel.startswith("shared:") else \
                os.path.join(HERE, rel)
            if not os.path.exists(src):
                print(f"make_seeds: {src} not found, skipped", file=sys.stderr)
                continue
            shutil.copyfile(src, seed_path(target, os.path.basename(src)))


def write_all_kinds(path):
    """The arrays fuzz/corpus/network_yaml/seed_all_kinds.yaml reads, in several stored types."""
    with h5py.File(path, "w") as f:
        f["populations/hidden/bias_mant"] = np.array([0, 10, -10], np.int16)
        f["populations/hidden/bias_exp"] = np.array([2, 2, 2], np.uint8)
        f["populations/gate/dendrite_bias_mant"] = np.array([1, -2, 3], np.int32)
        f["populations/gate/dendrite_bias_exp"] = np.array([6, 6, 6], np.float64)
        f["populations/out/bias"] = np.array([0.05, -0.05], np.float64)
        f.create_dataset("projections/in_to_hidden/dense", compression="gzip",
                         data=np.array([[100, 50, 0, 0], [0, 100, 50, 0], [0, 0, 100, 254]],
                                       np.int16))
        f["projections/in_to_hidden/delay"] = np.array(
            [[0, 1, 0, 0], [0, 7, 2, 0], [0, 0, 3, 4]], np.uint8)
        f["projections/in_to_gate/dense"] = np.array(
            [[0.5, -0.25, 0, 0], [0, 1.0, 0.75, 0], [3.0, 0, -1.0, 0.125]], np.float32)
        f["projections/hidden_to_out/pre"] = np.array([0, 1, 2, 2], np.int64)
        f["projections/hidden_to_out/post"] = np.array([0, 0, 1, 0], np.int32)
        f["projections/hidden_to_out/weight"] = np.array([1.0, 0.5, 2.0, 0.25], np.float32)
        f["projections/hidden_to_out/delay"] = np.array([0, 1, 2, 0], np.int8)
        f["projections/gate_to_out/pre"] = np.array([0, 1, 2], np.uint16)
        f["projections/gate_to_out/post"] = np.array([1, 1, 0], np.uint16)
        f["projections/gate_to_out/weight"] = np.array([2, -4, 6], np.int16)
        f["host_nodes/classifier/weight"] = np.array([[1.0, -1.0], [0.5, 0.5]], np.float32)
        f["host_nodes/classifier/bias"] = np.array([0.1, -0.1], np.float64)


def write_pytorch(path, cell, scaling, rng, hidden=4, inputs=4, classes=3):
    """A small LSTM in tools/train_lstm.py's layout, with reference data."""
    with h5py.File(path, "w") as f:
        f.attrs["cell"] = cell
        f.attrs["dataset"] = "mnist"
        f.attrs["layout"] = "row"
        f.attrs["input_scaling"] = scaling
        g = 4 * hidden
        f["lstm/weight_ih_l0"] = rng.uniform(-1, 1, (g, inputs)).astype(np.float32)
        f["lstm/weight_hh_l0"] = rng.uniform(-1, 1, (g, hidden)).astype(np.float32)
        f["lstm/bias_ih_l0"] = rng.uniform(-0.5, 0.5, g).astype(np.float32)
        f["lstm/bias_hh_l0"] = rng.uniform(-0.5, 0.5, g).astype(np.float32)
        f["fc/weight"] = rng.uniform(-1, 1, (classes, hidden)).astype(np.float32)
        f["fc/bias"] = rng.uniform(-1, 1, classes).astype(np.float32)
        f["reference/inputs"] = rng.uniform(0, 1, (2, 3, inputs)).astype(np.float32)
        f["reference/labels"] = np.array([0, 2], np.int64)
        f["reference/logits"] = rng.uniform(-1, 1, (2, classes)).astype(np.float32)


def write_weights():
    rng = np.random.default_rng(15)
    modified = seed_path("weights", "pytorch_modified.h5")
    write_pytorch(modified, "modified", "x / 255, in [0, 1]", rng)
    write_pytorch(seed_path("weights", "pytorch_modified_signed.h5"), "modified",
                  "2 x / 255 - 1, in [-1, 1]", rng)
    write_pytorch(seed_path("weights", "pytorch_standard.h5"), "standard", "x / 255, in [0, 1]",
                  rng)
    subprocess.run([sys.executable, os.path.join(HERE, "tools", "make_keras_weights.py"), modified,
                    seed_path("weights", "keras_modified.h5")], check=True)


def quote(text):
    """A word of fuzz/hdf5_input.hpp's descriptions: bare when it can be, else "..." escaped."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    if text and all(33 <= b < 127 and b not in b'"\\' for b in text):
        return text.decode()
    out = ""
    for b in text:
        out += {34: '\\"', 92: "\\\\", 10: "\\n", 9: "\\t"}.get(b, chr(b) if 32 <= b < 127 else f"\\x{b:02x}")
    return '"' + out + '"'


def type_word(tid):
    cls = tid.get_class()
    if cls == h5py.h5t.STRING:
        return "s" if tid.is_variable_str() else f"s{tid.get_size()}"
    if cls == h5py.h5t.FLOAT:
        return f"f{8 * tid.get_size()}"
    if cls == h5py.h5t.INTEGER:
        signed = tid.get_sign() != h5py.h5t.SGN_NONE
        return f"{'i' if signed else 'u'}{8 * tid.get_size()}"
    return None


def shape_word(shape):
    if shape is None:
        return "~"
    return "-" if shape == () else "x".join(str(d) for d in shape)


def value_words(data):
    flat = np.asarray(data, dtype=object).reshape(-1) if not np.isscalar(data) else [data]
    words = []
    for v in flat:
        if isinstance(v, (bytes, str)):
            words.append(quote(v))
        elif isinstance(v, (float, np.floating)):
            words.append(repr(float(v)))
        else:
            words.append(str(int(v)))
    return " ".join(words)


def describe(path):
    """An HDF5 file as a description of fuzz/hdf5_input.hpp (groups, datasets, attributes)."""
    lines = [f"# {os.path.basename(path)} as a description of fuzz/hdf5_input.hpp"]
    with h5py.File(path, "r") as f:
        def attributes(where, obj):
            for name in obj.attrs:
                aid = h5py.h5a.open(obj.id, name.encode())
                t = type_word(aid.get_type())
                if t:
                    lines.append(f"A {quote(where)} {quote(name)} {t} {shape_word(aid.shape)} "
                                 f"{value_words(obj.attrs[name])}".rstrip())

        def visit(name, obj):
            where = "/" + name
            if isinstance(obj, h5py.Group):
                lines.append(f"G {quote(where)}")
            else:
                t = type_word(obj.id.get_type())
                if not t:
                    return
                op = "Z" if obj.compression else "D"
                lines.append(f"{op} {quote(where)} {t} {shape_word(obj.shape)} "
                             f"{value_words(obj[()])}".rstrip())
            attributes(where, obj)

        attributes("/", f)
        f.visititems(visit)
    return "\n".join(lines) + "\n"


def write_descriptions():
    """Every HDF5 seed also as a description (what the fuzz build mutates)."""
    for target in ["network_h5", "dataset", "mapped_image", "weights", "nir"]:
        folder = os.path.join(CORPUS, target)
        for name in sorted(os.listdir(folder)):
            if not name.startswith("seed_") or name.endswith(".txt"):
                continue
            try:
                text = describe(os.path.join(folder, name))
            except OSError:
                continue  # not HDF5 (a seed that is broken on purpose)
            with open(os.path.join(folder, name + ".txt"), "w") as f:
                f.write(text)


def run_cli(cli, *args):
    subprocess.run([cli, *args], check=True, stdout=subprocess.DEVNULL, cwd=HERE)


def write_cli_outputs(cli):
    with tempfile.TemporaryDirectory() as tmp:
        for net in ["tiny", "hybrid_cell"]:
            run_cli(cli, "map", f"examples/networks/{net}.yaml", "--arch", "loihi1", "--out",
                    seed_path("mapped_image", f"{net}.h5"))
        run = os.path.join(tmp, "run.json")
        run_cli(cli, "run", "examples/run/tiny.model.yaml", "--arch", "loihi1", "--report", run)
        base = os.path.join(tmp, "baseline.json")
        run_cli(cli, "baseline", "models/weights/mnist_row_modified.h5", "--samples", "2",
                "--warmup", "0", "--rapl", "off", "--report", base)
        for kind, src in [("run", run), ("baseline", base)]:
            # Paths relative to the checkout, as if run from it.
            with open(src) as f:
                text = f.read().replace(HERE + "/", "")
            with open(seed_path("compare", f"{kind}.json"), "w") as f:
                f.write(text)
            # The same report as YAML in summary_yaml's style.
            report = json.loads(text)
            with open(seed_path("compare", f"{kind}.yaml"), "w") as f:
                f.write(to_yaml(report))


def to_yaml(value, indent=0):
    """Block-style YAML in summary_yaml's style (strings double-quoted)."""
    pad = " " * indent
    if isinstance(value, (dict, list)) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 2)}")
            else:
                lines.append(f"{pad}{k}: {to_yaml(v)}")
        return "\n".join(lines) + ("\n" if indent == 0 else "")
    if isinstance(value, list):
        lines = []
        for v in value:
            if isinstance(v, (dict, list)) and v:
                inner = to_yaml(v, indent + 2).lstrip()
                lines.append(f"{pad}- {inner}")
            else:
                lines.append(f"{pad}- {to_yaml(v)}")
        return "\n".join(lines)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return json.dumps(value)


# Dictionary entries as libFuzzer reads them (between the quotes: \\ is a backslash, \x41 a byte).
YAML_TOKENS = [": ", "- ", "---", "...", "[", "]", "{", "}", ", ", "&a ", "*a", "<<: ", "!!str ",
               "!!int ", "|", ">", "'", '\\"', "#", ".inf", "-.inf", ".nan", "~", "null", "true",
               "false", "0x", "0o", "1e308", "-1", "0.5", "2147483647", "2147483648",
               "-2147483649", "4294967296", "9223372036854775807", "18446744073709551616",
               "1073741824", "\\\\u0000", "\\\\xff", "\\xff\\xfe"]
# The words of fuzz/hdf5_input.hpp's descriptions, and HDF5's signature (raw files).
HDF5_TOKENS = ["G /", "D /", "Z /", "A /", "L /", "S /", " i8 ", " u8 ", " i16 ", " u16 ", " i32 ",
               " u32 ", " i64 ", " u64 ", " f32 ", " f64 ", " s ", " s4 ", " s16 ", " - ", " ~ ",
               "x", " 0", " 1", " -1", " 2", " inf", " -inf", " nan", " 1e30", " 1e-30",
               " 2147483648", " 4294967296", " 1073741824", " 18446744073709551615",
               " -9223372036854775808", "\\x00", "\\xff", '\\"', "\\x89HDF\\x0d\\x0a\\x1a\\x0a"]


def dict_entry(word):
    """A name as a dictionary entry (backslashes and quotes escaped)."""
    return word.replace("\\", "\\\\").replace('"', '\\"')


def write_dicts():
    """fuzz/dict/yaml.dict (every key of the YAML and JSON seeds) and hdf5.dict (every object and
    attribute name of the HDF5 seeds), each with its syntax's tokens."""
    import re
    keys = set()
    for target in ["arch", "cpu_profile", "core_spec", "network_yaml", "model", "compare"]:
        folder = os.path.join(CORPUS, target)
        for name in os.listdir(folder):
            with open(os.path.join(folder, name), errors="replace") as f:
                keys.update(re.findall(r'"?([A-Za-z_][A-Za-z_0-9]*)"?: ', f.read()))
    names = set()
    for target in ["network_h5", "dataset", "mapped_image", "weights", "nir"]:
        folder = os.path.join(CORPUS, target)
        for name in os.listdir(folder):
            if not name.startswith("seed_") or name.endswith(".txt"):
                continue
            try:
                f = h5py.File(os.path.join(folder, name), "r")
            except OSError:
                continue
            with f:
                names.update(f.attrs.keys())
                def visit(path, obj):
                    names.update(path.split("/"))
                    names.update(obj.attrs.keys())
                f.visititems(visit)
    os.makedirs(os.path.join(HERE, "fuzz", "dict"), exist_ok=True)
    for file, tokens, words in [("yaml.dict", YAML_TOKENS, keys), ("hdf5.dict", HDF5_TOKENS, names)]:
        with open(os.path.join(HERE, "fuzz", "dict", file), "w") as f:
            f.write("# Written by fuzz/make_seeds.py: the syntax's tokens, then every name of the "
                    "seeds.\n")
            names = sorted(w for w in words if w and w.isprintable() and len(w) < 64)
            for entry in tokens + [dict_entry(w) for w in names]:
                f.write('"' + entry + '"\n')


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", help="the built command line (mapped images and reports)")
    p.add_argument("--shared", default=os.path.join(HERE, "..", "shared"),
                   help="the shared folder with data/nir/ (NIR seeds)")
    args = p.parse_args()
    copy_shipped(args.shared)
    write_all_kinds(seed_path("network_h5", "all_kinds.h5"))
    write_weights()
    if args.cli:
        write_cli_outputs(os.path.abspath(args.cli))
    write_descriptions()
    write_dicts()
    return 0


if __name__ == "__main__":
    sys.exit(main())
