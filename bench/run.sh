#!/usr/bin/env bash
# Benchmarks hetrun against ONNX Runtime's CPU provider (npm onnxruntime-node, the peer), side by side
# in the same run, at 1 and 2 threads, on the bench models and the shared real models. Prints a
# Markdown table of median latencies and the ratio hetrun / ORT (below 1 means hetrun is faster).
# Usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=50 devices=cpu
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST]" >&2; exit 2 ;;
  esac
done
shared="$root/../shared"
hetrun="$build/bin/hetrun"
ort_modules="$root/.deps/ort/node_modules"
[ -x "$hetrun" ] || { echo "bench: $hetrun not built (cmake --build --preset release)" >&2; exit 1; }
[ -d "$ort_modules/onnxruntime-node" ] || { echo "bench: run scripts/setup.sh first (ONNX Runtime peer)" >&2; exit 1; }
models="$build/bench/models"
mkdir -p "$models"
[ -f "$models/transformer.onnx" ] || /usr/bin/python3 "$shared/yardstick/make_bench_models.py" "$models" >/dev/null
median() { /usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["latency_ms"]["median"])'; }

echo "| model | threads | hetrun $devices ms | ONNX Runtime ms | hetrun / ORT |"
echo "|---|---|---|---|---|"
cases=(
  "mlp|$models/mlp.onnx|"
  "resnet_block|$models/resnet_block.onnx|"
  "transformer|$models/transformer.onnx|"
  "ppocr_cls|$shared/models/ppocr_cls.onnx|x=1x3x48x192"
  "wakeword_mlp|$shared/models/wakeword_mlp.onnx|"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name model shape <<<"$c"
  for threads in 1 2; do
    shape_args=()
    [ -n "$shape" ] && shape_args=(--shape "$shape")
    report=$(mktemp)
    "$hetrun" --devices "$devices" "$model" "${shape_args[@]}" --threads "$threads" \
      --iterations "$iterations" --warmup 10 --report-json "$report" -q
    h=$(median <"$report")
    rm -f "$report"
    o=$(NODE_PATH="$ort_modules" node "$shared/yardstick/ort_bench.js" "$model" "${shape_args[@]}" \
      --threads "$threads" --iterations "$iterations" --warmup 10 | median)
    ratio=$(/usr/bin/python3 -c "print('%.2f' % ($h / $o))")
    echo "| $name | $threads | $h | $o | $ratio |"
  done
done
