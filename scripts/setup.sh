#!/usr/bin/env bash
# Installs everything hetrun needs on Debian 12, idempotently: apt packages that are missing, and the
# ONNX Runtime peer from npm (used only to produce reference outputs and benchmark ratios).
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  cmake ninja-build g++ pkg-config ca-certificates clang-format
  llvm-16-dev
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx python3-numpy
  python3-pybind11 python3-pytest
  libboost-dev libboost-filesystem-dev nlohmann-json3-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-15 libclang-common-15-dev  # the libFuzzer targets (fuzz/): libclang_rt.fuzzer comes with the latter
  libvulkan-dev mesa-vulkan-drivers glslang-dev glslang-tools spirv-tools spirv-headers
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
  graphviz
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian on some images: accept any working node + npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -q \
    --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# ONNX Runtime peer (reference outputs for tests, speed ratios for benchmarks). --ignore-scripts: its
# install script tries to download GPU binaries, which is neither needed nor possible here.
ort_dir="$here/.deps/ort"
if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "setup: installing onnxruntime-node into $ort_dir"
  mkdir -p "$ort_dir"
  (cd "$ort_dir" && npm install --silent --no-audit --no-fund --ignore-scripts \
     onnxruntime-node@1.30.0 onnx-proto@8.0.1 >/dev/null)
else
  echo "setup: onnxruntime-node present"
fi
