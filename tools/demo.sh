#!/usr/bin/env bash
# The demo: install what is missing, build, fetch the datasets, then the project's headline job:
# the hybrid analog-spiking LSTM (methods.md A) on row-wise MNIST, T = 32, all 2,000 test digits,
# on the simulated Loihi 1, against the original network on this CPU:
#   1. loihisim run      the shipped hybrid model (accuracy, energy, latency per inference);
#   2. loihisim baseline the original LSTM on this CPU, batch size 1 (counts, time, energy);
#   3. loihisim compare  the two side by side, with the ratios and every assumption; then
#      loihisim report   the run as one HTML page (demo-output/hybrid.html).
#   4. loihisim run      the all-spiking LSTM (methods.md B) at T = 4 on the same digits.
#   5. loihisim run      the hybrid-spiking LMU (methods.md D) on psMNIST, loihi2 (graded spikes).
# Then, briefly, the other jobs on shipped examples (register-level cores, the hybrid LSTM on 100
# digits in the cycle-level timing mode, mapping, NIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build"
bash "$here/tools/setup.sh" "$build"
bash "$here/tools/fetch_data.sh"
out="$here/demo-output"
mkdir -p "$out"
cli="$build/tools/loihisim"
threads="$(nproc)"

echo
echo "== 1. run: the hybrid LSTM (examples/hybrid/mnist_row_t32.model.yaml) on loihi1 =="
"$cli" run "$here/examples/hybrid/mnist_row_t32.model.yaml" --arch loihi1 --threads "$threads" \
  --out "$out/hybrid.h5" --report "$out/hybrid.json"
echo
echo "== 2. baseline: the original LSTM on this CPU =="
"$cli" baseline "$here/models/weights/mnist_row_modified.h5" --samples 2000 \
  --report "$out/baseline.json"
echo
echo "== 3. compare: chip versus CPU, per inference =="
"$cli" compare "$out/hybrid.json" "$out/baseline.json" --report "$out/compare.json"
# The visual report of the hybrid run, with the CPU rows (docs/html-report.md): open it in a browser.
"$cli" report "$out/hybrid.h5" --out "$out/hybrid.html" --compare "$out/compare.json"
echo
echo "== 4. run: the all-spiking LSTM (methods.md B, T = 4; examples/spiking-lstm/) on loihi1 =="
"$cli" run "$here/examples/spiking-lstm/mnist_row_t4.model.yaml" --arch loihi1 --threads "$threads" \
  --out "$out/spiking-lstm.h5" --report "$out/spiking-lstm.json"
echo
echo "== 5. run: the hybrid-spiking LMU (methods.md D, psMNIST; examples/hybrid-lmu/) on loihi2 =="
"$cli" run "$here/examples/hybrid-lmu/psmnist_w8.model.yaml" --arch loihi2 --samples 200 \
  --every 10 --threads "$threads" --out "$out/hybrid-lmu.h5" --report "$out/hybrid-lmu.json"
echo
echo "== other jobs =="
"$cli" core-run "$here/examples/core/demo.yaml" --arch loihi1 --out "$out/core-demo.h5" \
  --report "$out/core-demo-energy.yaml" > "$out/core-demo.txt"
echo "core-run examples/core/demo.yaml: two hand-written cores at register level -> $out/core-demo.txt"
"$cli" run "$here/examples/hybrid/mnist_row_t32.model.yaml" --arch loihi1 --samples 100 \
  --network-model cycle --threads "$threads" --report "$out/hybrid-cycle.json" > "$out/hybrid-cycle.txt"
echo "run --network-model cycle: the hybrid LSTM on 100 digits, cores and mesh timed cycle by cycle" \
  "(docs/energy-model.md, \"Cycle-level timing\") -> $out/hybrid-cycle.txt"
"$cli" map "$here/examples/networks/ring.yaml" --arch loihi1 --out "$out/ring-mapped.h5" \
  > "$out/ring-map.txt"
echo "map examples/networks/ring.yaml: 24,000 neurons partitioned and placed -> $out/ring-map.txt"
echo
echo "results in $out (HDF5 arrays open with h5py; summaries in JSON/YAML)."
echo "More: docs/results.md (every T, loihi2, Fashion-MNIST, pixel-wise MNIST), docs/results-nir.md."
