#!/usr/bin/env bash
# Measured placement (`hetrun tune`): for each bench model, tune the given devices into a fresh
# cache, then compare in the same run the median latency of every device alone with the
# multi-device plan made from the measured costs, and the multi-device plan made from estimates.
# The issue's bar: the tuned plan is no slower than the fastest single device (within 5%).
# Usage: bench/tuned_placement.sh [--build DIR] [--iterations N] [--devices vulkan,cpu]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=5 devices=vulkan,cpu
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "usage: bench/tuned_placement.sh [--build DIR] [--iterations N] [--devices LIST]" >&2; exit 2 ;;
  esac
done
shared="$root/../shared"
hetrun="$build/bin/hetrun"
[ -x "$hetrun" ] || { echo "bench: $hetrun not built (cmake --build --preset release)" >&2; exit 1; }
models="$build/bench/models"
mkdir -p "$models"
[ -f "$models/transformer.onnx" ] || /usr/bin/python3 "$shared/yardstick/make_bench_models.py" "$models" >/dev/null
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-/tmp/hetrun-pocl-cache}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

median() {  # median latency of one configuration: median ARGS...
  "$hetrun" "$@" --iterations "$iterations" --warmup 1 --report-json "$scratch/r.json" -q
  /usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["latency_ms"]["median"])' "$scratch/r.json"
}
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
header+=" $devices estimated ms (nodes) | $devices measured ms (nodes) | measured / best alone |"
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
  best=""
  for d in "${device_list[@]}"; do
    if ms=$(median --devices "$d" "${args[@]}" 2>/dev/null); then
      row+=" $ms |"
      best=$(/usr/bin/python3 -c "import sys; a=sys.argv[1]; b=float(sys.argv[2]); print(b if not a else min(float(a), b))" "$best" "$ms")
    else
      row+=" not supported |"
    fi
  done
  est=$(median --devices "$devices" "${args[@]}")
  meas=$(median --devices "$devices" --cache-dir "$cache" "${args[@]}")
  row+=" $est ($(placement --devices "$devices" "${args[@]}")) | $meas ($(placement --devices "$devices" --cache-dir "$cache" "${args[@]}")) |"
  row+=" $(/usr/bin/python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$meas" "$best") |"
  echo "$row"
done
