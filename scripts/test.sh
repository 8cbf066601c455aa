#!/usr/bin/env bash
# Sets everything up, builds (Release, warnings as errors) and runs the whole test suite.
# Usage: scripts/test.sh [--preset release|dev|asan|tsan]   (default: release)
# tsan builds and runs only the runtime tests (CMakePresets.json says which).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
preset=release
while (($#)); do
  case "$1" in
    --preset) preset=$2; shift 2 ;;
    *) echo "usage: scripts/test.sh [--preset release|dev|asan|tsan]" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
