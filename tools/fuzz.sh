#!/usr/bin/env bash
# Fuzzes the loaders with libFuzzer under ASan + UBSan (docs/reliability.md): installs what is
# missing (clang 14 and its runtime libraries too), builds the harnesses of fuzz/ into
# build-fuzz/, and runs each target for the given time, seeded with a copy of its committed
# corpus fuzz/corpus/<target>/ (the committed corpus is never written).
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
# Environment: LOIHISIM_FUZZ_SEED fixes libFuzzer's random seed (CI: the same mutations on
# every run, so a clean run here predicts CI's); LOIHISIM_FUZZ_BUILD (default build-fuzz/);
# LOIHISIM_FUZZ_WORK (default build-fuzz/work/): per target its grown corpus, its log and any
# crash, timeout, leak or out-of-memory input. Exits non-zero when any target found one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${LOIHISIM_FUZZ_BUILD:-$here/build-fuzz}")"
work="${LOIHISIM_FUZZ_WORK:-$build/work}"
seconds="${1:-60}"
shift || true
all=(arch cpu_profile core_spec network_yaml network_h5 model dataset mapped_image weights nir
     compare)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -f "$here/fuzz/fuzz_$t.cpp" ]] || { echo "fuzz: unknown target '$t' (${all[*]})" >&2; exit 2; }
done

LOIHISIM_FUZZ=1 bash "$here/tools/setup.sh" "$build"

# The dictionary of each target's file syntax.
dict_of() {
  case "$1" in
    network_h5 | dataset | mapped_image | weights | nir) echo "$here/fuzz/dict/hdf5.dict" ;;
    *) echo "$here/fuzz/dict/yaml.dict" ;;
  esac
}

# libhdf5's own leaks on corrupt files are not ours (fuzz/lsan.supp says why). A single
# allocation above 1 GB fails (returns null) instead of being reported: corrupt HDF5 files make
# libhdf5 ask for absurd sizes, which it handles as errors; our code would throw std::bad_alloc,
# which the harnesses report as a bug (fuzz/fuzz_support.hpp). A 16 MB quarantine halves the
# time per input. The same options are in fuzz/CMakeLists.txt (docs/reliability.md).
export LSAN_OPTIONS="suppressions=$here/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=1024:quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

failed=()
printf '%-13s %10s %7s %7s %8s  %s\n' target executions cov ft corpus result
for t in "${targets[@]}"; do
  dir="$work/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -r "$here/fuzz/corpus/$t/." "$dir/corpus/"
  status=0
  (cd "$dir" && "$build/fuzz/fuzz_$t" "$dir/corpus" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -dict="$(dict_of "$t")" -artifact_prefix="$dir/artifacts/" \
     -print_final_stats=1 ${LOIHISIM_FUZZ_SEED:+-seed=$LOIHISIM_FUZZ_SEED} >"$dir/log" 2>&1) ||
    status=$?
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")"
  found="$(find "$dir/artifacts" -type f | wc -l)"
  result=clean
  if ((status != 0 || found != 0)); then
    result="FAILED (exit $status, $found artifact(s) in $dir/artifacts; log $dir/log)"
    failed+=("$t")
  fi
  printf '%-13s %10s %7s %7s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$result"
done
if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} found crashes, timeouts, leaks or out-of-memory inputs" >&2
  for t in "${failed[@]}"; do
    echo "--- $t: $work/$t/log (end)" >&2
    tail -n 40 "$work/$t/log" >&2
  done
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), ${seconds} s each: no crash, timeout, leak or out-of-memory"
