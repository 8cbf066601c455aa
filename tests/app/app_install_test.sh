#!/usr/bin/env bash
# hetrun as an application developer meets it, in steps that CTest runs as separate tests:
#   install     cmake --install of this build tree into a fresh prefix; check the application-side
#               files (libhetrun.so, hetrun.h/.hpp, the CMake package, hetrun.pc, plugins) and that
#               the installed libhetrun.so finds the installed plugins
#   cmake_app   build examples/app out of tree against that prefix (find_package), install it, run
#               the installed app without LD_LIBRARY_PATH (RUNPATH) and check it agrees with a
#               CPU-only run; with the Vulkan plugin, that its plan has parts on vulkan and cpu
#   pkg_config  compile and run a C program with `pkg-config --cflags --libs hetrun`
#   python      import the installed Python module from the prefix and run a session
# Usage: app_install_test.sh STEP BUILD_DIR SOURCE_DIR WORK_DIR C_COMPILER CXX_COMPILER LIBDIR
#                            HAVE_VULKAN PYTHON_DIR PYTHON
set -euo pipefail

step=$1 build=$2 source=$3 work=$4 cc=$5 cxx=$6 libdir=$7 have_vulkan=$8 pydir=$9 python=${10}
prefix=$work/prefix
model=$source/models/tiny_cnn.onnx
export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json  # lavapipe: Vulkan on the CPU
unset LD_LIBRARY_PATH
fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs a program that loads libhetrun.so; under the sanitizer build the ASan runtime must come first
# (the programs built here are not instrumented), so the build passes it to preload.
run() {
  if [ -n "${HETRUN_TEST_PRELOAD:-}" ]; then LD_PRELOAD=$HETRUN_TEST_PRELOAD "$@"; else "$@"; fi
}
on() { [[ $1 =~ ^(1|ON|YES|TRUE|Y)$ ]]; }

case $step in
install)
  rm -rf "$work" && mkdir -p "$work"
  if ! cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    # A partial developer build (e.g. the OpenCL plugins not built) cannot be installed whole.
    # Install the pieces an application needs instead, and say so; CI builds everything.
    echo "NOTE: full 'cmake --install' failed (see below); installing libhetrun, hetrun, the SDK," \
         "the Python module and the cpu (and vulkan) plugins only" >&2
    grep -m3 -A2 "CMake Error" "$work/install.log" >&2 || true
    cmake -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LOCAL_ONLY=ON -P "$build/cmake_install.cmake" >/dev/null
    dirs="plugin_api tools/hetrun plugins/cpu api python"
    on "$have_vulkan" && dirs+=" plugins/vulkan"
    for dir in $dirs; do
      cmake -DCMAKE_INSTALL_PREFIX="$prefix" -P "$build/$dir/cmake_install.cmake" >/dev/null
    done
  fi
  files="include/hetrun/hetrun.h include/hetrun/hetrun.hpp include/hetrun/plugin.h
         $libdir/libhetrun.so $libdir/libhetrun.so.1 $libdir/cmake/hetrun/hetrunConfig.cmake
         $libdir/cmake/hetrun/hetrunTargets.cmake $libdir/pkgconfig/hetrun.pc
         $libdir/pkgconfig/hetrun-plugin.pc bin/hetrun $libdir/hetrun/plugins/libhetrun_plugin_cpu.so"
  on "$have_vulkan" && files+=" $libdir/hetrun/plugins/libhetrun_plugin_vulkan.so"
  for f in $files; do
    [[ -e $prefix/$f ]] || fail "the install tree lacks $f"
  done
  grep -q "hetrun::hetrun" "$prefix/$libdir/cmake/hetrun/hetrunTargets.cmake" ||
    fail "the CMake package does not export hetrun::hetrun"
  grep -q "hetrun::plugin_api" "$prefix/$libdir/cmake/hetrun/hetrunTargets.cmake" ||
    fail "the CMake package does not export hetrun::plugin_api"
  # Internals stay out: no static hetrun libraries, no host-side headers.
  [[ -z $(find "$prefix" -name 'libhetrun_*.a') ]] || fail "static hetrun libraries were installed"
  [[ ! -e $prefix/include/hetrun/plugin_api ]] || fail "internal headers were installed"
  echo "installed into $prefix"
  ;;

cmake_app)
  [[ -f $prefix/include/hetrun/hetrun.hpp ]] || fail "no install in $prefix (the install step runs first)"
  app=$work/app-build app_prefix=$work/app-prefix
  rm -rf "$app" "$app_prefix"
  cmake -S "$source/examples/app" -B "$app" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_INSTALL_PREFIX="$app_prefix" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Wshadow -Werror" >"$work/app-configure.log" 2>&1 ||
    { cat "$work/app-configure.log"; fail "configuring examples/app against the install failed"; }
  cmake --build "$app" -j1 >"$work/app-build.log" 2>&1 ||
    { cat "$work/app-build.log"; fail "building examples/app failed"; }
  cmake --install "$app" >/dev/null || fail "installing examples/app failed"
  exe=$app_prefix/bin/app
  [[ -x $exe ]] || fail "no $exe"
  # The installed app finds libhetrun.so through its RUNPATH, which names the prefix's lib dir.
  # Captured first: `cmd | grep -q` fails under pipefail when grep exits before cmd has written
  # everything (cmd dies of SIGPIPE), which made this check flaky.
  dynamic=$(readelf -d "$exe")
  resolved=$(ldd "$exe")
  [[ $(grep -E "RUNPATH|RPATH" <<<"$dynamic") == *"$prefix/$libdir"* ]] ||
    fail "the installed app has no RUNPATH to $prefix/$libdir: $(readelf -d "$exe" | grep -E 'R(UN)?PATH')"
  grep -q "$prefix/$libdir/libhetrun.so.1" <<<"$resolved" ||
    fail "the app does not resolve the installed libhetrun.so: $(ldd "$exe" | grep hetrun)"
  (cd "$work" && run "$exe" "$model") >"$work/app.txt" 2>&1 ||
    { cat "$work/app.txt"; fail "the installed app failed"; }
  cat "$work/app.txt"
  grep -q "^ok$" "$work/app.txt" || fail "the app did not report agreement with the CPU-only run"
  grep -qE "^  part [0-9]+ on cpu" "$work/app.txt" || fail "the plan has no part on cpu"
  if on "$have_vulkan"; then
    grep -q "^note: no vulkan device" "$work/app.txt" &&
      fail "the vulkan plugin is installed but the app found no vulkan device (lavapipe: $VK_DRIVER_FILES)"
    grep -qE "^  part [0-9]+ on vulkan" "$work/app.txt" || fail "the plan has no part on vulkan"
  fi
  ;;

pkg_config)
  [[ -f $prefix/$libdir/pkgconfig/hetrun.pc ]] || fail "no install in $prefix"
  command -v pkg-config >/dev/null || { echo "pkg-config not installed: skipped"; exit 77; }
  export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
  flags=$(pkg-config --cflags --libs hetrun) || fail "pkg-config does not know hetrun"
  pc_libdir=$(realpath "$(pkg-config --variable=libdir hetrun)")
  cat >"$work/app.c" <<'C'
/* The smallest hetrun application: a session on the CPU, one run of tiny_cnn on zeros. */
#include <stdio.h>
#include "hetrun/hetrun.h"

int main(int argc, char** argv) {
  float pixels[1 * 1 * 28 * 28] = {0};
  const int64_t dims[4] = {1, 1, 28, 28};
  const char* names[1] = {"image"};
  hetrun_session_t* session = NULL;
  hetrun_tensor_t* image = NULL;
  hetrun_tensor_t* probabilities = NULL;
  hetrun_error_t* error = NULL;
  if (argc < 2) return fprintf(stderr, "usage: app MODEL\n"), 2;
  error = hetrun_session_create(NULL, argv[1], NULL, &session);
  if (!error) error = hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, dims, 4, pixels, sizeof pixels, &image);
  if (!error) {
    const hetrun_tensor_t* inputs[1] = {image};
    error = hetrun_session_run(session, names, inputs, 1, NULL, 1, &probabilities);
  }
  if (!error) {
    void* data = NULL;
    size_t bytes = 0;
    error = hetrun_tensor_data(probabilities, &data, &bytes);
    if (!error) printf("%zu probabilities, p[0] = %f\n", bytes / sizeof(float), ((const float*)data)[0]);
  }
  if (error) fprintf(stderr, "hetrun: %s\n", hetrun_error_message(error));
  hetrun_error_release(error);
  hetrun_tensor_release(probabilities);
  hetrun_tensor_release(image);
  hetrun_session_release(session);
  return error ? 1 : 0;
}
C
  # shellcheck disable=SC2086 # flags are words
  "$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror "$work/app.c" -o "$work/app_c" $flags \
    -Wl,-rpath,"$pc_libdir" || fail "the C program does not build with pkg-config's flags ($flags)"
  (cd "$work" && run "$work/app_c" "$model") >"$work/app_c.txt" 2>&1 ||
    { cat "$work/app_c.txt"; fail "the C program failed"; }
  grep -q "^10 probabilities" "$work/app_c.txt" || fail "unexpected output: $(cat "$work/app_c.txt")"
  # The installed libhetrun.so loads the installed plugins (it looks beside itself, in
  # lib/hetrun/plugins), not the build tree's: ld.so says which files it opened.
  (cd "$work" && LD_DEBUG=files run "$work/app_c" "$model") 2>&1 >/dev/null | grep "file=.*libhetrun" \
    >"$work/loaded.txt" || true
  # (Under the preloaded ASan runtime, dlopen is intercepted: ld.so names libasan as the loader.)
  [ -n "${HETRUN_TEST_PRELOAD:-}" ] ||
    grep -q "libhetrun_plugin_cpu.so .*dynamically loaded by $prefix/$libdir/libhetrun.so.1 " \
      "$work/loaded.txt" || fail "the C program did not load the installed libhetrun.so"
  grep -q "file=$prefix/$libdir/hetrun/plugins/libhetrun_plugin_cpu.so " "$work/loaded.txt" ||
    fail "the installed libhetrun.so did not load the installed cpu plugin: $(cat "$work/loaded.txt")"
  echo "pkg-config flags: $flags; $(cat "$work/app_c.txt")"
  ;;

python)
  [[ -d $prefix/$pydir ]] || { echo "the Python module is not installed (not built): skipped"; exit 77; }
  (cd "$work" && PYTHONPATH=$prefix/$pydir run "$python" - "$prefix" "$model") <<'PY' || fail "the installed Python module failed"
import sys
import numpy as np
import hetrun
prefix, model = sys.argv[1], sys.argv[2]
assert hetrun.__file__.startswith(prefix), "imported %s, not the installed module" % hetrun.__file__
assert "cpu" in hetrun.get_devices(), hetrun.get_devices()
(p,) = hetrun.InferenceSession(model).run(None, {"image": np.zeros((1, 1, 28, 28), np.float32)})
assert p.shape == (1, 10), p.shape
print("python module %s ran tiny_cnn: %s" % (hetrun.__file__, p.shape))
PY
  ;;
*) fail "unknown step '$step'" ;;
esac
