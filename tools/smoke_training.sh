#!/usr/bin/env bash
# The training smoke test (CTest runs it): the hand-written back-propagation against autograd, a
# few batches of tools/train_lstm.py, then the trained file through the whole pipeline: convert ->
# run on the chip -> CPU baseline, which must agree with the logits PyTorch stored in the file;
# the same for a pixel-wise model trained with the manual engine; and the spiking LSTM (its
# self-test, then train -> fine-tune -> convert -> run, against its integer reference).
#   tools/smoke_training.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="${1:?usage: smoke_training.sh BUILD_DIR}/tools/loihisim"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 "$here/tools/train_lstm.py" --check-gradients
/usr/bin/python3 "$here/tools/train_lstm.py" --dataset mnist --layout row --cell modified \
  --epochs 1 --max-batches 2 --train-limit 256 --seed 1 --out "$out/w.h5"
"$cli" convert "$out/w.h5" --method hybrid-lstm --steps 8 --arch loihi1 --out "$out/m.model.yaml"
"$cli" run "$out/m.model.yaml" --arch loihi1 --samples 4 --quiet | tee "$out/run.txt"
grep -q "4 inferences, T = 8" "$out/run.txt"
"$cli" baseline "$out/w.h5" --samples 4 --warmup 0 --rapl off | tee "$out/base.txt"
# Both implementations reproduce the logits PyTorch stored for the first 8 test digits.
[ "$(grep -c "vs PyTorch's stored logits: 8/8 same class" "$out/base.txt")" = 2 ]

# AxLSTM knob-aware fine-tuning (train_lstm.py --dts-tau, docs/baseline.md): two batches from the
# committed DTS-trained file with DTS in the forward pass; the C++ baseline at the same tau must
# skip the symbols PyTorch's forward pass skips on the first 64 test digits (about a quarter; to
# 2 of 1,728: the C++ compares a float sum with tau H, PyTorch a mean with tau).
/usr/bin/python3 "$here/tools/train_lstm.py" --dataset mnist --layout row --cell modified \
  --init-from "$here/models/weights/mnist_row_modified_dts.h5" --dts-tau 0.5 --dts-blank-weight 20 --epochs 1 --max-batches 2 \
  --train-limit 256 --seed 1 --out "$out/d.h5"
"$cli" baseline "$out/d.h5" --samples 64 --warmup 0 --rapl off --json --dts-tau 0.5 > "$out/d.json"
/usr/bin/python3 - "$here/tools" "$out/d.h5" "$out/d.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import h5py, torch, datasets, train_lstm
with h5py.File(sys.argv[2]) as f:
    assert f.attrs["dts_tau"] == 0.5 and "dts_symbols_skipped" in f.attrs
model = train_lstm.LSTMClassifier(28, 128, 10, "modified")
train_lstm.init_from(model, sys.argv[2])
x = datasets.as_sequences(datasets.load("mnist", None)[2], "row")[:64]
with torch.no_grad():
    model(torch.from_numpy(x), dts_tau=0.5)
py = int(sum(float((1 - k).sum()) for k in model.dts_computed))
cpp = json.load(open(sys.argv[3]))["axlstm"]["symbols_skipped"]
print("DTS at tau 0.5 on 64 digits: PyTorch skips %d symbols, the C++ baseline %d" % (py, cpp))
assert cpp > 200 and abs(py - cpp) <= 2
PY

# The sequence-to-sequence encoder-decoder (train_lstm.py --task sort-digits): a few batches of
# a 2-layer model; the file holds both stacks in nn.LSTM's layout and the greedy reference.
/usr/bin/python3 "$here/tools/train_lstm.py" --task sort-digits --hidden 16 --layers 2 --epochs 1 \
  --max-batches 3 --seed 1 --out "$out/s2s.h5"
/usr/bin/python3 - "$out/s2s.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1]) as f:
    assert f.attrs["model"] == "seq2seq" and f.attrs["layers"] == 2
    for part, n_in in (("encoder", 10), ("decoder", 11)):
        assert f[part + "/weight_ih_l0"].shape == (64, n_in)
        assert f[part + "/weight_ih_l1"].shape == (64, 16) and f[part + "/weight_hh_l1"].shape == (64, 16)
    assert f["fc/weight"].shape == (11, 16) and f["reference/greedy_classes"].shape == (8, 13)
print("seq2seq file layout as documented")
PY

# Pixel-wise, inputs scaled into [-1, 1]: the C++ loaders must scale exactly as Python did (the
# stored logits check it) and the converter must add the negative input port.
/usr/bin/python3 "$here/tools/train_lstm.py" --dataset mnist --layout pixel --cell modified \
  --engine manual --input-scaling signed --epochs 1 --max-batches 1 --batch 16 --train-limit 16 \
  --seed 1 --out "$out/p.h5"
if "$cli" convert "$out/p.h5" --method hybrid-lstm --steps 4 --signed-input no \
  --out "$out/bad.model.yaml" 2>"$out/err.txt"; then exit 1; fi
grep -q "would drop every negative value" "$out/err.txt"
"$cli" convert "$out/p.h5" --method hybrid-lstm --steps 4 --arch loihi2 --out "$out/p.model.yaml"
grep -q "scaling: signed" "$out/p.model.yaml"
grep -q "x_neg" "$out/p.network.yaml"
"$cli" run "$out/p.model.yaml" --arch loihi2 --samples 2 --quiet | tee "$out/prun.txt"
grep -q "2 inferences, T = 4" "$out/prun.txt"
"$cli" baseline "$out/p.h5" --samples 2 --warmup 0 --rapl off | tee "$out/pbase.txt"
[ "$(grep -c "vs PyTorch's stored logits: 8/8 same class" "$out/pbase.txt")" = 2 ]

# The spiking LSTM (methods.md B): its self-test, a source ANN and a fine-tuned SNN of a few
# batches, converted and run on the chip, which must reproduce the file's integer reference on
# its 8 reference digits (test digits 0, 250, ..., 1750): spikes per population and logits.
/usr/bin/python3 "$here/tools/train_lstm.py" --check-spiking
/usr/bin/python3 "$here/tools/train_lstm.py" --dataset mnist --layout row --cell spiking \
  --epochs 1 --max-batches 2 --train-limit 256 --seed 1 --out "$out/src.h5"
/usr/bin/python3 "$here/tools/train_lstm.py" --spiking-from "$out/src.h5" --steps 2 --epochs 1 \
  --qat-epochs 1 --max-batches 2 --train-limit 256 --calibration 64 --seed 1 --out "$out/s.h5"
"$cli" convert "$out/s.h5" --method spiking-lstm --arch loihi1 --out "$out/s.model.yaml"
"$cli" run "$out/s.model.yaml" --every 250 --samples 8 --quiet --out "$out/s_run.h5"
/usr/bin/python3 - "$out/s.h5" "$out/s_run.h5" <<'PY'
import json, sys
import h5py, numpy as np
with h5py.File(sys.argv[1]) as f, h5py.File(sys.argv[2]) as r:
    ref = f["snn/reference"]
    names = [p["name"] for p in json.loads(r.attrs["summary_json"])["populations"]]
    got = r["samples/population_spikes"][...]
    order = ["S_A", "S_F", "S_Bbar", "S_Obar", "N", "W", "C", "H"]
    assert (got[:, [names.index(n) for n in order]] == ref["population_spikes"][...]).all()
    assert np.allclose(r["samples/output"][...], ref["logits"][...], rtol=1e-5, atol=1e-5)
    assert (r["samples/prediction"][...] == ref["prediction"][...]).all()
print("spiking LSTM on the chip = the training script's integer reference (8 digits)")
PY
echo "training smoke test passed"
