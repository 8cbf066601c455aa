# Shared by the bench scripts (sourced after they set `root`, `build` and, for bench_median,
# `iterations`): argument checks, the models, the drivers' environment, a scratch directory, and
# the median latency of one configuration.

# bench_require_counts USAGE N...: exits 2 unless every N is a positive count.
bench_require_counts() {
  local usage=$1 n
  shift
  for n in "$@"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench: '$n' is not a positive count; $usage" >&2; exit 2; }
  done
}

# bench_setup: sets `shared`, `hetrun`, `models` (the bench models and the 1024^3 MatMul probe,
# generated once per build) and `scratch` (removed at exit); points Vulkan at lavapipe and PoCL at
# a kernel cache unless the caller's environment says otherwise.
bench_setup() {
  shared="$root/../shared"
  hetrun="$build/bin/hetrun"
  [ -x "$hetrun" ] || { echo "bench: $hetrun not built (cmake --build --preset release)" >&2; exit 1; }
  models="$build/bench/models"
  mkdir -p "$models"
  [ -f "$models/transformer.onnx" ] ||
    /usr/bin/python3 "$shared/yardstick/make_bench_models.py" "$models" >/dev/null
  [ -f "$models/matmul_probe.onnx" ] || /usr/bin/python3 "$root/bench/make_probe.py" "$models" >/dev/null
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
  export POCL_CACHE_DIR=${POCL_CACHE_DIR:-/tmp/hetrun-pocl-cache}
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
}

# bench_report_median FILE: the median latency (ms) in a --report-json file.
bench_report_median() {
  /usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["latency_ms"]["median"])' "$1"
}

# bench_median ARGS...: median latency (ms) of `hetrun ARGS...` over $iterations runs (1 warm-up).
bench_median() {
  "$hetrun" "$@" --iterations "$iterations" --warmup 1 --report-json "$scratch/r.json" -q
  bench_report_median "$scratch/r.json"
}
