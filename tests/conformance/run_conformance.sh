#!/usr/bin/env bash
# Generates the ONNX backend node tests from Debian's python3-onnx (../shared/yardstick) and runs
# `hetrun conformance` on them. Fails if fewer than MIN_PASSED cases pass (a regression floor, raised
# as coverage grows) or if any case crashed or hung.
# With MAX_DEVICE_FAILURES it also fails when more cases than that fail on the device (a wrong or
# failed run: neither declined as unsupported nor failing on the host before any device is involved,
# i.e. test data or a model the host cannot read).
# Usage: run_conformance.sh HETRUN OUT_DIR SHARED_DIR DEVICES MIN_PASSED [MAX_DEVICE_FAILURES]
set -euo pipefail
hetrun=$1 out=$2 shared=$3 devices=$4 min_passed=$5 max_device_failures=${6:-}
# Generated once per build tree; the lock keeps two runs (cpu, vulkan) from generating at once.
mkdir -p "$out"
(
  flock 9
  if [ ! -d "$out/node/test_abs" ]; then
    /usr/bin/python3 "$shared/yardstick/gen_onnx_node_tests.py" "$out" >/dev/null 2>&1
  fi
) 9>"$out/.generate.lock"
log="$out/conformance-$devices.txt"
set +e
"$hetrun" conformance --devices "$devices" "$out/node" --json "$out/conformance-$devices.json" >"$log" 2>&1
set -e
tail -n 2 "$log"
summary=$(tail -n 1 "$log")
passed=$(sed -n 's/^\([0-9]*\) passed, .*/\1/p' <<<"$summary")
if [ -z "$passed" ]; then
  echo "run_conformance: no summary line; output was:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
if grep -E ": (crashed|timed out)" "$log"; then
  echo "run_conformance: cases crashed or hung (above)" >&2
  exit 1
fi
if [ "$passed" -lt "$min_passed" ]; then
  echo "run_conformance: $passed passed, below the floor of $min_passed" >&2
  exit 1
fi
if [ -n "$max_device_failures" ]; then
  device_failures=$(grep -E '^FAILED ' "$log" | grep -v -E '^FAILED [^:]*: (cannot read |/[^ ]*\.onnx: )' || true)
  count=$(grep -c . <<<"$device_failures" || true)
  if [ "$count" -gt "$max_device_failures" ]; then
    echo "$device_failures" >&2
    echo "run_conformance: $count cases failed on the device, at most $max_device_failures allowed" >&2
    exit 1
  fi
fi
echo "run_conformance: $passed passed (floor $min_passed)"
