#!/usr/bin/env bash
# Installs the Debian packages loihisim needs (only those missing) and builds it.
#   tools/setup.sh [BUILD_DIR] [extra cmake args...]
# Environment: LOIHISIM_SANITIZE=1 builds with ASan + UBSan; LOIHISIM_FUZZ=1 is the fuzz build
# of tools/fuzz.sh (clang and libFuzzer too; only the libraries and the harnesses of fuzz/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
shift || true

packages=(build-essential cmake ninja-build pkg-config libboost-graph-dev libyaml-cpp-dev
          libhdf5-dev libfmt-dev doctest-dev libcli11-dev libmetis-dev libbenchmark-dev
          python3-numpy python3-h5py nlohmann-json3-dev zlib1g-dev libopenblas-dev)
fuzz=0
[[ "${LOIHISIM_FUZZ:-0}" == 1 ]] && fuzz=1
# The fuzz build needs Debian 12's clang 14 and its runtime libraries (libFuzzer, sanitizers).
((fuzz)) && packages+=(clang libclang-rt-14-dev)
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
if ((fuzz)); then
  export CC=clang CXX=clang++
  cmake_args+=(-DLOIHISIM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOIHISIM_BUILD_BENCH=OFF
               -DLOIHISIM_BUILD_TESTS=OFF -DLOIHISIM_BUILD_CLI=OFF)
  build_args=(--target loihisim_fuzz)
elif [[ "${LOIHISIM_SANITIZE:-0}" == 1 ]]; then
  cmake_args+=(-DLOIHISIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOIHISIM_BUILD_BENCH=OFF)
fi
cmake "${cmake_args[@]}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" "${build_args[@]}"
