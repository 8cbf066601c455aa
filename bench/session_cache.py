#!/usr/bin/python3
"""Session creation cold vs warm with --cache-dir (issue 10's compiled-plan cache).

For each device list, runs `hetrun MODEL --report-json` several times in three ways and takes
medians of the report's session_create_ms (Session::Create, model read to compiled):
  no cache   - without --cache-dir (what a session costs today)
  cold       - --cache-dir with an empty directory each run (a miss: everything, plus the writes)
  warm       - --cache-dir with the entries of an earlier run (a hit)
Each process loads its plugins (dlopen, plugin init) inside Session::Create; the cache cannot save
that, so the table also gives the ratio without it (plugin_load_ms), which is what an application
pays per session once its environment has the plugins loaded (like ONNX Runtime's Env/Session).
first_result_ms (process start of session creation to the first outputs) is issue 8's start-up
figure. Then the same in one process through the Python module (BUILD/python), with a session kept open so
the plugins stay loaded, as an application holds them: hetrun.InferenceSession(...) timed without
and with cache_dir (warm). Prints Markdown tables.

Usage: bench/session_cache.py [--build DIR] [--runs N] [--devices LIST ...] [--plugin-path DIR]
                              [MODEL]
"""
import argparse
import importlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(hetrun, model, devices, extra, report):
    subprocess.run([str(hetrun), "-q", "--devices", devices, "--report-json", str(report), *extra,
                    str(model)], check=True, capture_output=True)
    return json.loads(report.read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build" / "release"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--devices", nargs="+", default=["cpu", "vulkan,cpu"])
    parser.add_argument("--plugin-path", action="append", default=[])
    parser.add_argument("model", nargs="?",
                        default=str(ROOT / "build" / "release" / "e2e" / "models" /
                                    "resnet_block.onnx"))
    args = parser.parse_args()
    hetrun = pathlib.Path(args.build) / "bin" / "hetrun"
    os.environ.setdefault("VK_DRIVER_FILES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")
    extra = [a for p in args.plugin_path for a in ("--plugin-path", p)]

    print(f"model {args.model}, {args.runs} runs each, medians in ms (session_create_ms; "
          "plugin_load_ms in brackets)\n")
    print("| devices | no cache | cold (empty cache) | warm (cache hit) | no cache / warm "
          "| same, plugin loading left out | warm: first result ms |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hetrun_cache_bench_") as tmp:
        tmp = pathlib.Path(tmp)
        report = tmp / "report.json"
        for devices in args.devices:
            rows = {"none": [], "cold": [], "warm": []}
            warm_dir = tmp / ("warm_" + devices.replace(",", "_"))
            run(hetrun, args.model, devices, extra + ["--cache-dir", str(warm_dir)], report)
            for i in range(args.runs):
                rows["none"].append(run(hetrun, args.model, devices, extra, report))
                cold_dir = tmp / f"cold_{i}"
                rows["cold"].append(
                    run(hetrun, args.model, devices, extra + ["--cache-dir", str(cold_dir)],
                        report))
                shutil.rmtree(cold_dir)
                warm = run(hetrun, args.model, devices, extra + ["--cache-dir", str(warm_dir)],
                           report)
                assert warm["cache"]["status"] == "hit", warm["cache"]
                rows["warm"].append(warm)

            def med(kind, field="session_create_ms"):
                return statistics.median(r[field] for r in rows[kind])

            def without_plugins(kind):
                return statistics.median(r["session_create_ms"] - r["plugin_load_ms"]
                                         for r in rows[kind])

            cells = [f"{med(k):.1f} [{med(k, 'plugin_load_ms'):.1f}]"
                     for k in ("none", "cold", "warm")]
            print(f"| {devices} | {' | '.join(cells)} | {med('none') / med('warm'):.1f}x "
                  f"| {without_plugins('none') / without_plugins('warm'):.1f}x "
                  f"| {med('warm', 'first_result_ms'):.1f} |")
    in_process(args.build, args.model, args.devices, args.runs, args.plugin_path)


def in_process(build, model, devices_list, runs, plugin_paths):
    sys.path.insert(0, str(pathlib.Path(build) / "python"))
    try:
        hetrun = importlib.import_module("hetrun")
    except ImportError as e:
        print(f"\n(in-process: the Python module is not built: {e})")
        return
    print(f"\nIn one process (Python module: its environment loads each plugin once), {runs} runs "
          "each, medians in ms\n")
    print("| devices | no cache | warm (cache hit) | no cache / warm |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hetrun_cache_bench_py_") as tmp:
        for devices in devices_list:
            kw = {"devices": devices.split(","), "plugin_paths": plugin_paths}
            cache = str(pathlib.Path(tmp) / devices.replace(",", "_"))
            hetrun.InferenceSession(str(model), cache_dir=cache, **kw)

            def timed(**extra):
                start = time.perf_counter()
                hetrun.InferenceSession(str(model), **kw, **extra)
                return (time.perf_counter() - start) * 1e3

            none = statistics.median(timed() for _ in range(runs))
            warm = statistics.median(timed(cache_dir=cache) for _ in range(runs))
            print(f"| {devices} | {none:.1f} | {warm:.1f} | {none / warm:.1f}x |")


if __name__ == "__main__":
    main()
