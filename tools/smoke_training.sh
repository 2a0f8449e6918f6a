#!/usr/bin/env bash
# The training smoke test (CTest runs it): the hand-written back-propagation against autograd, a
# few batches of tools/train_lstm.py, then the trained file through the whole pipeline: convert ->
# run on the chip -> CPU baseline, which must agree with the logits PyTorch stored in the file;
# the same for a pixel-wise model trained with the manual engine.
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
echo "training smoke test passed"
