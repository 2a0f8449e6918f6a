#!/usr/bin/env bash
# The demo: install what is missing, build, fetch the datasets, then show the main jobs on the
# shipped examples:
#   1. a register-level run of two hand-written cores with the Loihi 1 energy and time model;
#   2. mapping a network onto the mesh;
#   3. inferences of a small network with its host coprocessor (accuracy, energy, latency).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build"
bash "$here/tools/setup.sh" "$build"
bash "$here/tools/fetch_data.sh"
out="$here/demo-output"
mkdir -p "$out"
cli="$build/tools/loihisim"

echo "== 1. core-run: two cores in hardware units, loihi1 energy and time =="
"$cli" core-run "$here/examples/core/demo.yaml" --arch loihi1 --out "$out/core-demo.h5" \
  --report "$out/core-demo-energy.yaml"
echo
echo "== 2. map: a recurrent network onto the loihi1 mesh =="
"$cli" map "$here/examples/networks/ring.yaml" --arch loihi1 --out "$out/ring-mapped.h5"
echo
echo "== 3. run: inferences of a small classifier with its host coprocessor =="
"$cli" run "$here/examples/run/tiny.model.yaml" --arch loihi1 --threads "$(nproc)" \
  --out "$out/tiny-results.h5" --report "$out/tiny-summary.yaml"
echo
echo "results in $out (HDF5 arrays open with h5py; summaries in YAML)"
