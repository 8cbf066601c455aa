#!/usr/bin/env bash
# Benchmarks hetrun against ONNX Runtime's CPU provider (npm onnxruntime-node, the peer), side by side
# in the same run, at 1 and 2 threads, on the bench models and the shared real models. Prints a
# Markdown table of median latencies and the ratio hetrun / ORT (below 1 means hetrun is faster),
# then the geometric mean of the ratios per thread count.
# Usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST] [--runs R]
# --runs R repeats the whole table R times (each pair of measurements side by side) and reports the
# median of each column and the range of the ratio: on a shared VM a single run can be off by 50%.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=50 devices=cpu runs=1
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST] [--runs R]" >&2; exit 2 ;;
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

cases=(
  "mlp|$models/mlp.onnx|"
  "resnet_block|$models/resnet_block.onnx|"
  "transformer|$models/transformer.onnx|"
  "ppocr_cls|$shared/models/ppocr_cls.onnx|x=1x3x48x192"
  "wakeword_mlp|$shared/models/wakeword_mlp.onnx|"
)
results=$(mktemp)  # one line per measurement pair: name threads hetrun_ms ort_ms
trap 'rm -f "$results"' EXIT
for ((run = 1; run <= runs; run++)); do
  ((runs > 1)) && echo "bench: run $run of $runs" >&2
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
      echo "$name $threads $h $o" >>"$results"
    done
  done
done
/usr/bin/python3 - "$results" "$devices" "$runs" <<'PY'
import math, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, threads, h, o = line.split()
    rows.setdefault((name, int(threads)), []).append((float(h), float(o)))
devices, runs = sys.argv[2], int(sys.argv[3])
extra = " ratio range |" if runs > 1 else ""
print(f"| model | threads | hetrun {devices} ms | ONNX Runtime ms | hetrun / ORT |{extra}")
print("|---|---|---|---|---|" + ("---|" if runs > 1 else ""))
geo = {}
for (name, threads), v in rows.items():
    ratios = sorted(h / o for h, o in v)
    ratio = statistics.median(ratios)
    geo.setdefault(threads, []).append(ratio)
    cells = [name, str(threads), "%.3f" % statistics.median(h for h, _ in v),
             "%.3f" % statistics.median(o for _, o in v), "%.2f" % ratio]
    if runs > 1:
        cells.append("%.2f-%.2f" % (ratios[0], ratios[-1]))
    print("| " + " | ".join(cells) + " |")
print()
for threads, r in sorted(geo.items()):
    g = math.exp(sum(map(math.log, r)) / len(r))
    print(f"geometric mean of hetrun / ORT at {threads} thread(s): {g:.3f}" +
          (f" (medians over {runs} runs)" if runs > 1 else ""))
PY
