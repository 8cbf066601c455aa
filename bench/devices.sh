#!/usr/bin/env bash
# Latency of every bench model on each device alone, measured in the same run on the same machine
# (e.g. the Vulkan plugin on lavapipe next to the CPU plugin), with how much of the model each device
# took (parts, nodes), and the GEMM throughput of the attainable-peak probe (one 1024^3 MatMul).
# Usage: bench/devices.sh [--build DIR] [--iterations N] [--devices cpu,vulkan]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=10 devices=cpu,vulkan
usage="usage: bench/devices.sh [--build DIR] [--iterations N] [--devices LIST]"
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
source "$root/bench/lib.sh"
bench_require_counts "$usage" "$iterations"
bench_setup

IFS=',' read -r -a device_list <<<"$devices"
header="| model |" rule="|---|"
for d in "${device_list[@]}"; do header+=" $d ms (parts, nodes on $d) |"; rule+="---|"; done
echo "$header"
echo "$rule"
cases=(
  "mlp|$models/mlp.onnx||0.54"
  "resnet_block|$models/resnet_block.onnx||2.3"
  "transformer|$models/transformer.onnx||"
  "ppocr_cls (1x3x48x192)|$shared/models/ppocr_cls.onnx|x=1x3x48x192|"
  "matmul_probe (1024^3)|$models/matmul_probe.onnx||2.147"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name model shape gflop <<<"$c"
  row="| $name |"
  for d in "${device_list[@]}"; do
    shape_args=()
    [ -n "$shape" ] && shape_args=(--shape "$shape")
    report="$scratch/report.json"
    if "$hetrun" --devices "$d" "$model" "${shape_args[@]}" --iterations "$iterations" --warmup 2 \
      --report-json "$report" -q 2>/dev/null; then
      row+=" $(/usr/bin/python3 - "$report" "$d" "$gflop" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ms = r["latency_ms"]["median"]
nodes = sum(p["nodes"] for p in r["plan"] if p["ran_on"] == sys.argv[2])
text = "%.3f (%d, %d)" % (ms, r["parts"], nodes)
if sys.argv[3]:
    text += ", %.1f GFLOP/s" % (float(sys.argv[3]) / ms * 1e3)
print(text)
PY
) |"
    else
      row+=" not supported |"
    fi
  done
  echo "$row"
done
