#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan+fuzzer) in their own build dir and runs each
# for SECONDS seconds on a seed corpus of valid models. Exits non-zero on any crash, leak-free
# timeout or sanitizer report (libFuzzer's own exit status).
#
#   fuzz/run_fuzzers.sh [SECONDS=60] [BUILD_DIR=build/fuzz] [SEED_MODELS_DIR...]
# Env: JOBS (default 1), CC/CXX (default clang-15/clang++-15), FUZZ_TARGETS (default both),
# PARALLEL=1 (run the targets at the same time). On a finding it prints "FAIL: reproducer: PATH".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${2:-$root/build/fuzz}
shift $(( $# > 2 ? 2 : $# )) || true
jobs=${JOBS:-1}
targets=${FUZZ_TARGETS:-"fuzz_import fuzz_graph_view"}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${CC:-clang-15} CXX=${CXX:-clang++-15} \
    cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
start=$(date +%s)
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j"$jobs"
echo "fuzz build: $(( $(date +%s) - start )) s"

# Seed corpus: the repository's model, the generated test models and any dirs given.
seeds=$build/seeds
mkdir -p "$seeds"
cp -f "$root"/models/*.onnx "$seeds"/ 2>/dev/null || true
for dir in "$@"; do
  # Named after their path: corpus folders all hold a "model.onnx".
  find "$dir" -maxdepth 2 -name '*.onnx' -size -256k | while read -r model; do
    cp -f "$model" "$seeds/$(basename "$(dirname "$model")")_$(basename "$model")"
  done
done
echo "seeds: $(ls "$seeds" | wc -l) models"

# One target: libFuzzer's exit status, its stats, and on a finding the reproducer's path.
run_target() {
  local target=$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1/ log=$build/$1.log
  mkdir -p "$corpus" "$artifacts"
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
  echo "== $target for ${seconds}s (log: $log)"
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=262144 -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "$seeds" >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "$log" |
      sed "s/^/$target: /" || true
    return 0
  fi
  tail -n 40 "$log"
  echo "FAIL: $target found a crash, timeout or sanitizer report; log: $log"
  local reproducer
  for reproducer in "$artifacts"*; do
    [ -f "$reproducer" ] || continue
    echo "FAIL: reproducer: $reproducer (replay: $build/$target $reproducer)"
  done
  return 1
}

# PARALLEL=1 runs the targets at the same time (one core each): same time per target, less wall
# time. Their outputs are printed one target after the other.
status=0
if [ "${PARALLEL:-0}" = 1 ]; then
  pids=()
  for target in $targets; do
    run_target "$target" >"$build/$target.summary" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  for target in $targets; do cat "$build/$target.summary"; done
else
  for target in $targets; do run_target "$target" || status=1; done
fi
exit $status
