#!/usr/bin/env bash
# The training smoke test (CTest runs it): a few batches of tools/train_lstm.py, then the trained
# file through the whole pipeline: convert -> run on the chip -> CPU baseline, which must agree
# with the logits PyTorch stored in the file.
#   tools/smoke_training.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="${1:?usage: smoke_training.sh BUILD_DIR}/tools/loihisim"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 "$here/tools/train_lstm.py" --dataset mnist --layout row --cell modified \
  --epochs 1 --max-batches 2 --train-limit 256 --seed 1 --out "$out/w.h5"
"$cli" convert "$out/w.h5" --method hybrid-lstm --steps 8 --arch loihi1 --out "$out/m.model.yaml"
"$cli" run "$out/m.model.yaml" --arch loihi1 --samples 4 --quiet | tee "$out/run.txt"
grep -q "4 inferences, T = 8" "$out/run.txt"
"$cli" baseline "$out/w.h5" --samples 4 --warmup 0 --rapl off | tee "$out/base.txt"
# Both implementations reproduce the logits PyTorch stored for the first 8 test digits.
[ "$(grep -c "vs PyTorch's stored logits: 8/8 same class" "$out/base.txt")" = 2 ]
echo "training smoke test passed"
