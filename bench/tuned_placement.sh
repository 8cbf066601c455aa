#!/usr/bin/env bash
# Measured placement (`hetrun tune`): for each bench model, tune the given devices into a fresh
# cache, then compare in the same run the median latency of every device alone with the
# multi-device plan made from the measured costs, and the multi-device plan made from estimates.
# The issue's bar: the tuned plan is no slower than the fastest single device (within 5%).
# Each device alone is timed once (to find the fastest); then the fastest alone, the estimated plan
# and the measured plan are timed side by side --runs times, and the medians and the ratio's range
# are printed (single runs on a shared machine vary by more than the 5% being checked).
# Usage: bench/tuned_placement.sh [--build DIR] [--iterations N] [--runs R] [--devices vulkan,cpu]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=5 runs=3 devices=vulkan,cpu
usage="usage: bench/tuned_placement.sh [--build DIR] [--iterations N] [--runs R] [--devices LIST]"
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
source "$root/bench/lib.sh"
bench_require_counts "$usage" "$iterations" "$runs"
bench_setup
placement() {  # "vulkan 3 / cpu 26": nodes per device in the plan of: placement ARGS...
  "$hetrun" plan "$@" --plan-json "$scratch/p.json" -q
  /usr/bin/python3 -c 'import json,sys,collections
p=json.load(open(sys.argv[1])); c=collections.Counter()
for part in p["parts"]: c[part["device"]]+=len(part["nodes"])
print(" / ".join("%s %d" % (d, c[d]) for d in p["devices"]))' "$scratch/p.json"
}

IFS=',' read -r -a device_list <<<"$devices"
header="| model | tune s |" rule="|---|---|"
for d in "${device_list[@]}"; do header+=" $d alone ms |"; rule+="---|"; done
header+=" $devices estimated ms (nodes) | $devices measured ms (nodes) | measured / best alone (range) |"
rule+="---|---|---|"
echo "$header"
echo "$rule"
cases=(
  "mlp|$models/mlp.onnx|"
  "resnet_block|$models/resnet_block.onnx|"
  "transformer|$models/transformer.onnx|"
  "ppocr_cls (1x3x48x192)|$shared/models/ppocr_cls.onnx|x=1x3x48x192"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name model shape <<<"$c"
  args=("$model")
  [ -n "$shape" ] && args+=(--shape "$shape")
  cache="$scratch/cache_$RANDOM"
  "$hetrun" tune --devices "$devices" --cache-dir "$cache" "${args[@]}" --json "$scratch/t.json" -q
  tune_s=$(/usr/bin/python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["elapsed_s"])' "$scratch/t.json")
  row="| $name | $tune_s |"
  best="" best_device=""
  for d in "${device_list[@]}"; do
    if ms=$(bench_median --devices "$d" "${args[@]}" 2>/dev/null); then
      row+=" $ms |"
      if [ -z "$best" ] || /usr/bin/python3 -c "import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))" "$ms" "$best"; then
        best=$ms best_device=$d
      fi
    else
      row+=" not supported |"
    fi
  done
  alone_all="" est_all="" meas_all=""
  for ((r = 0; r < runs; r++)); do  # side by side, so all three see the same machine
    alone_all+=" $(bench_median --devices "$best_device" "${args[@]}")"
    est_all+=" $(bench_median --devices "$devices" "${args[@]}")"
    meas_all+=" $(bench_median --devices "$devices" --cache-dir "$cache" "${args[@]}")"
  done
  row+=$(/usr/bin/python3 - "$alone_all" "$est_all" "$meas_all" "$(placement --devices "$devices" "${args[@]}")" \
    "$(placement --devices "$devices" --cache-dir "$cache" "${args[@]}")" <<'PY'
import statistics, sys
alone, est, meas = ([float(x) for x in a.split()] for a in sys.argv[1:4])
ratios = [m / a for m, a in zip(meas, alone)]
print(" %.3f (%s) | %.3f (%s) | %.2f (%.2f-%.2f) |" % (
    statistics.median(est), sys.argv[4], statistics.median(meas), sys.argv[5],
    statistics.median(ratios), min(ratios), max(ratios)))
PY
)
  echo "$row"
done
