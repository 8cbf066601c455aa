#!/usr/bin/env bash
# Builds the end-to-end yardstick: the bench models (from ../shared/yardstick) and, for every model,
# ONNX Runtime's seeded inputs and outputs as .npy (ort_bench.js --save-outputs). The expected values
# come from ONNX Runtime, not from hetrun.
# Usage: make_references.sh OUT_DIR SHARED_DIR SOURCE_DIR
set -euo pipefail
out=$1 shared=$2 src=$3
ort_modules="$src/.deps/ort/node_modules"
if [ ! -d "$ort_modules/onnxruntime-node" ]; then
  echo "make_references: ONNX Runtime peer missing at $ort_modules; run scripts/setup.sh" >&2
  exit 1
fi
mkdir -p "$out/models"
/usr/bin/python3 "$(dirname "$0")/make_bad_models.py" "$out/bad"
if [ ! -f "$out/models/transformer.onnx" ]; then
  /usr/bin/python3 "$shared/yardstick/make_bench_models.py" "$out/models" >/dev/null
fi
# name | model | extra ort_bench.js arguments
cases=(
  "ppocr_cls|$shared/models/ppocr_cls.onnx|--shape x=1x3x48x192"
  "wakeword_mlp|$shared/models/wakeword_mlp.onnx|"
  "mlp|$out/models/mlp.onnx|"
  "resnet_block|$out/models/resnet_block.onnx|"
  "transformer|$out/models/transformer.onnx|"
  "tiny_cnn|$src/models/tiny_cnn.onnx|--shape image=2x1x28x28"
)
: >"$out/cases.txt.tmp"
for c in "${cases[@]}"; do
  IFS='|' read -r name model extra <<<"$c"
  ref="$out/ref/$name"
  if [ ! -f "$ref/inputs.json" ] || [ "$model" -nt "$ref/inputs.json" ]; then
    rm -rf "$ref"
    # shellcheck disable=SC2086
    NODE_PATH="$ort_modules" node "$shared/yardstick/ort_bench.js" "$model" $extra \
      --save-outputs "$ref" --warmup 0 --iterations 1 >/dev/null
  fi
  echo "$name|$model|$ref" >>"$out/cases.txt.tmp"
done
mv "$out/cases.txt.tmp" "$out/cases.txt"
echo "make_references: $(wc -l <"$out/cases.txt") cases in $out"
