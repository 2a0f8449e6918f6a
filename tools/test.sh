#!/usr/bin/env bash
# The test command: install what is missing, build, run the whole test suite with CTest.
#   tools/test.sh            (Release build in build/)
#   LOIHISIM_SANITIZE=1 tools/test.sh   (ASan + UBSan build in build-sanitize/)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build"
[[ "${LOIHISIM_SANITIZE:-0}" == 1 ]] && build="$here/build-sanitize"
bash "$here/tools/setup.sh" "$build"
# The training smoke test needs Debian's PyTorch; this also fetches the datasets.
bash "$here/tools/setup_training.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
