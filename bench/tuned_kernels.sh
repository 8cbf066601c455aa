#!/usr/bin/env bash
# Tuned code (`hetrun tune`'s parameter search): for each device and model, tune the device alone
# into a fresh cache, then time the model on that device untuned (a cache directory without tuning
# files) and tuned (the tuned cache), side by side, --runs times; prints medians and the ratio's
# range. The issue's bars: tuned CPU at least 10% faster, tuned Vulkan at least 20% faster, on
# resnet_block and transformer.
# Usage: bench/tuned_kernels.sh [--build DIR] [--iterations N] [--runs R] [--devices LIST]
#                               [--models "NAME ..."] [--budget-s N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=10 runs=3 devices=cpu,vulkan
model_names="resnet_block transformer" budget=0
usage="usage: bench/tuned_kernels.sh [--build DIR] [--iterations N] [--runs R] [--devices LIST] [--models \"NAME ...\"] [--budget-s N]"
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --models) model_names=$2; shift 2 ;;
    --budget-s) budget=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
source "$root/bench/lib.sh"
bench_require_counts "$usage" "$iterations" "$runs"
bench_setup

echo "| model | device | tune s | nodes tuned / searched (configurations) | untuned ms | tuned ms | untuned / tuned (range) |"
echo "|---|---|---|---|---|---|---|"
IFS=',' read -r -a device_list <<<"$devices"
for name in $model_names; do
  model="$models/$name.onnx"
  [ -f "$model" ] || { echo "bench: no model $model" >&2; exit 1; }
  for d in "${device_list[@]}"; do
    tuned="$scratch/tuned_${name}_$d" untuned="$scratch/untuned_${name}_$d"
    "$hetrun" tune --devices "$d" --cache-dir "$tuned" --budget-s "$budget" "$model" \
      --json "$scratch/t.json" -q
    summary=$(/usr/bin/python3 -c 'import json,sys
t=json.load(open(sys.argv[1])); d=t["devices"][0]
print("%.1f|%d / %d (%d)" % (t["elapsed_s"], d["tuned"], d["searched"], d["configurations"]))' "$scratch/t.json")
    u_all="" t_all=""
    for ((r = 0; r < runs; r++)); do  # side by side, so both see the same machine
      u_all+=" $(bench_median --devices "$d" --cache-dir "$untuned" "$model")"
      t_all+=" $(bench_median --devices "$d" --cache-dir "$tuned" "$model")"
    done
    /usr/bin/python3 - "$name" "$d" "$summary" "$u_all" "$t_all" <<'PY'
import statistics, sys
name, device, summary, u, t = sys.argv[1:6]
u = [float(x) for x in u.split()]; t = [float(x) for x in t.split()]
tune_s, counts = summary.split("|")
ratios = [a / b for a, b in zip(u, t)]
print("| %s | %s | %s | %s | %.3f | %.3f | %.2f (%.2f-%.2f) |" % (
    name, device, tune_s, counts, statistics.median(u), statistics.median(t),
    statistics.median(ratios), min(ratios), max(ratios)))
PY
  done
done
