#!/usr/bin/env bash
# Benchmarks hetrun against ONNX Runtime's CPU provider (npm onnxruntime-node, the peer), side by side
# in the same run, at 1 and 2 threads, on the bench models and the shared real models. Prints a
# Markdown table of median latencies, the ratio hetrun / ORT (below 1 means hetrun is faster) and,
# for the models whose FLOP count is fixed, GFLOP/s of both; then the geometric mean of the ratios
# per thread count (over the models, not the attainable-peak probe, a single 1024^3 MatMul whose
# GFLOP/s is what a GEMM reaches on this machine).
# Usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST] [--runs R] [--write FILE]
# --runs R repeats the whole table R times (each pair of measurements side by side) and reports the
# median of each column and the range of the ratio: on a shared VM a single run can be off by 50%.
# --write FILE also puts the result (with the command, date and commit) into FILE between the
# lines <!-- bench/run.sh:begin --> and <!-- bench/run.sh:end --> (docs/performance.md has them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release" iterations=50 devices=cpu runs=1 write=""
usage="usage: bench/run.sh [--build DIR] [--iterations N] [--devices LIST] [--runs R] [--write FILE]"
args="$*"
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --write) write=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
source "$root/bench/lib.sh"
bench_require_counts "$usage" "$iterations" "$runs"
if [ -n "$write" ] && ! grep -q '^<!-- bench/run.sh:begin -->$' "$write" 2>/dev/null; then
  echo "bench: $write has no line '<!-- bench/run.sh:begin -->' to write after" >&2
  exit 2
fi
ort_modules="$root/.deps/ort/node_modules"
[ -d "$ort_modules/onnxruntime-node" ] || { echo "bench: run scripts/setup.sh first (ONNX Runtime peer)" >&2; exit 1; }
bench_setup
ort_median() { /usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["latency_ms"]["median"])'; }

# name | model | shape | GFLOP per run (empty: not counted)
cases=(
  "mlp|$models/mlp.onnx||0.537"
  "resnet_block|$models/resnet_block.onnx||"
  "transformer|$models/transformer.onnx||"
  "ppocr_cls|$shared/models/ppocr_cls.onnx|x=1x3x48x192|"
  "wakeword_mlp|$shared/models/wakeword_mlp.onnx||"
  "matmul_probe (1024^3)|$models/matmul_probe.onnx||2.147"
)
results="$scratch/results"  # one line per measurement pair: name threads hetrun_ms ort_ms
for ((run = 1; run <= runs; run++)); do
  ((runs > 1)) && echo "bench: run $run of $runs" >&2
  for c in "${cases[@]}"; do
    IFS='|' read -r name model shape gflop <<<"$c"
    for threads in 1 2; do
      shape_args=()
      [ -n "$shape" ] && shape_args=(--shape "$shape")
      report="$scratch/report.json"
      "$hetrun" --devices "$devices" "$model" "${shape_args[@]}" --threads "$threads" \
        --iterations "$iterations" --warmup 10 --report-json "$report" -q
      h=$(bench_report_median "$report")
      o=$(NODE_PATH="$ort_modules" node "$shared/yardstick/ort_bench.js" "$model" "${shape_args[@]}" \
        --threads "$threads" --iterations "$iterations" --warmup 10 | ort_median)
      echo "$name|$threads|$h|$o|$gflop" >>"$results"
    done
  done
done
table=$(/usr/bin/python3 - "$results" "$devices" "$runs" <<'PY'
import math, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, threads, h, o, gflop = line.strip().split("|")
    rows.setdefault((name, int(threads)), []).append((float(h), float(o), gflop))
devices, runs = sys.argv[2], int(sys.argv[3])
extra = " ratio range |" if runs > 1 else ""
print(f"| model | threads | hetrun {devices} ms | ONNX Runtime ms | hetrun / ORT |{extra}"
      " GFLOP/s hetrun, ORT |")
print("|---|---|---|---|---|" + ("---|" if runs > 1 else "") + "---|")
geo = {}
for (name, threads), v in rows.items():
    ratios = sorted(h / o for h, o, _ in v)
    ratio = statistics.median(ratios)
    if not name.startswith("matmul_probe"):
        geo.setdefault(threads, []).append(ratio)
    h = statistics.median(x[0] for x in v)
    o = statistics.median(x[1] for x in v)
    cells = [name, str(threads), "%.3f" % h, "%.3f" % o, "%.2f" % ratio]
    if runs > 1:
        cells.append("%.2f-%.2f" % (ratios[0], ratios[-1]))
    gflop = v[0][2]
    cells.append("%.1f, %.1f" % (float(gflop) / h * 1e3, float(gflop) / o * 1e3) if gflop else "")
    print("| " + " | ".join(cells) + " |")
print()
for threads, r in sorted(geo.items()):
    g = math.exp(sum(map(math.log, r)) / len(r))
    print(f"geometric mean of hetrun / ORT at {threads} thread(s): {g:.3f}" +
          (f" (medians over {runs} runs)" if runs > 1 else ""))
PY
)
echo "$table"
if [ -n "$write" ]; then
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  header="\`bench/run.sh $args\` on $(date -u +%Y-%m-%d), commit $commit:"
  /usr/bin/python3 - "$write" "$header" "$table" <<'PY'
import sys
path, header, table = sys.argv[1:4]
text = open(path).read()
begin, end = "<!-- bench/run.sh:begin -->\n", "<!-- bench/run.sh:end -->"
start = text.index(begin) + len(begin)
stop = text.index(end, start)
open(path, "w").write(text[:start] + "\n" + header + "\n\n" + table + "\n\n" + text[stop:])
PY
  echo "bench: wrote the table into $write" >&2
fi
