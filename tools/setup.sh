#!/usr/bin/env bash
# Installs the Debian packages loihisim needs (only those missing) and builds it.
#   tools/setup.sh [BUILD_DIR] [extra cmake args...]
# Environment: LOIHISIM_SANITIZE=1 builds with ASan + UBSan (clang; the fuzz harnesses too);
# LOIHISIM_FUZZ=1 configures the same build for tools/fuzz.sh and builds only the harnesses, so
# that one build directory serves the sanitizer suite and the fuzzing (CI builds it once).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
shift || true

packages=(build-essential cmake ninja-build pkg-config libboost-graph-dev libyaml-cpp-dev
          libhdf5-dev libfmt-dev doctest-dev libcli11-dev libmetis-dev libbenchmark-dev
          python3-numpy python3-h5py nlohmann-json3-dev zlib1g-dev libopenblas-dev
          pybind11-dev python3-dev python3-pytest libopenmpi-dev openmpi-bin)
fuzz=0 sanitize=0
[[ "${LOIHISIM_FUZZ:-0}" == 1 ]] && fuzz=1
[[ "${LOIHISIM_SANITIZE:-0}" == 1 ]] && sanitize=1
# The sanitizer and fuzz build needs Debian 12's clang 14 and its runtime libraries (libFuzzer,
# sanitizers).
((fuzz || sanitize)) && packages+=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends \
    "${missing[@]}"
fi

cmake_args=(-S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release)
build_args=()
if ((fuzz || sanitize)); then
  # The same configuration for both, so that either reuses the other's build.
  export CC=clang CXX=clang++
  # No Python module there: an ASan-instrumented extension needs the ASan runtime preloaded
  # into python (docs/python.md). No MPI either (CMakeLists.txt, LOIHISIM_MPI).
  cmake_args+=(-DLOIHISIM_FUZZ=ON -DLOIHISIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
               -DLOIHISIM_BUILD_BENCH=OFF -DLOIHISIM_PYTHON=OFF -DLOIHISIM_MPI=OFF)
  ((sanitize)) || build_args=(--target loihisim_fuzz)
fi
cmake "${cmake_args[@]}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" "${build_args[@]}"
