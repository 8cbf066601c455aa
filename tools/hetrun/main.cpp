// hetrun: run ONNX models across heterogeneous devices.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"
#include "hetrun/plugin.h"

namespace {

constexpr const char* kHelp =
    R"(usage: hetrun [run] [options] MODEL     run a model (or benchmark it with --iterations)
       hetrun plan --devices LIST [options] MODEL   show how the model is split, run nothing
       hetrun tune --devices LIST --cache-dir DIR [options] MODEL
                                           measure every node's cost on every device (and each
                                           device's host link) for the partitioner
       hetrun devices [--json] [--plugin-path DIR]   list plugins and their devices
       hetrun conformance --devices LIST DIR [--json FILE] [--filter REGEX]
                                           run ONNX backend test cases (DIR/test_*/model.onnx)
       hetrun check-plugin PATH_OR_NAME [--device N] [--seed N] [--cases-per-op N]
                           [--filter REGEX] [--json FILE] [--plugin-path DIR] [-v]
                                           check a plugin: ABI, devices, ops vs the CPU plugin,
                                           guard bytes, error paths
       hetrun --help | --version

run options:
  -d, --devices LIST       devices in priority order, e.g. cpu or cpu,vulkan:1 (default: cpu)
  -i, --input NAME=FILE    input tensor from a .npy or TensorProto .pb file (repeatable);
                           inputs not given get seeded random data (uniform [0,1), ints zero)
      --shape NAME=DIMS    fix an input's dynamic dims, e.g. x=1x3x224x224 (repeatable)
  -o, --output-dir DIR     write every output as DIR/NAME.npy
  -n, --iterations N       timed runs (default 1)
      --warmup N           untimed runs first (default 10 when N > 1, else 0)
  -t, --threads N          threads per device (default: all cores)
      --report-json FILE   write a JSON report (model, devices, parts, timings, outputs)
      --plugin-path DIR    look for plugins in DIR first (repeatable)
      --timeout-ms MS      fail a part that runs longer than MS
      --warm-start         answer the first runs with a CPU-only plan while the other devices
                           compile in the background, then switch to the full plan
      --cache-dir DIR      keep compiled plans in DIR (created when missing): a later session
                           of the same model, devices, plugins and options skips import,
                           partitioning and the plugins' code generation (not with --warm-start)
      --check              re-run every part placed off the CPU on the CPU plugin with the same
                           inputs; report each output's max abs/rel error and the first diverging
                           node; exit 1 when beyond --check-rtol R (1e-3) / --check-atol A (1e-4)

planning and scheduling (run and plan):
      --partition cost|priority  cost: minimise estimated time incl. transfers (default);
                           priority: first listed device that supports each node
      --assign PATTERN=DEVICE    pin nodes whose name or op type matches the glob (repeatable)
      --plan-in FILE       replay a plan saved with --plan-json
      --device-memory DEVICE=SIZE  memory the plan may use on DEVICE, e.g. npu=64MiB
                           (repeatable; default: what the device reports)
      --explain            print why each node went where it did (and put it in --plan-json)
      --plan-json FILE     write the plan as JSON
      --plan-dot FILE      write the plan as Graphviz DOT (and FILE.svg when dot is installed)
      --profile FILE       write a Chrome trace of the last run (chrome://tracing, Perfetto), with
                           each node inside its part where the device times nodes, and print
                           the slowest nodes over the timed runs (-v: every node)
      --fallback none|cpu  when a device fails: fail (default) or re-run its part on the CPU
      --verify-finite      treat NaN/Inf out of finite inputs on a device as its failure (default
                           with --fallback cpu; --no-verify-finite turns it off)

tune options (plus the planning options above, --shape, --threads, --plugin-path):
      --cache-dir DIR      required: measurements go to DIR/tuning/, one file per device; every
                           session given the same --cache-dir uses them instead of estimates,
                           and compiles each node with the parameter values found fastest
      --budget-s N         stop measuring after N seconds (what was measured is kept)
      --retune             measure again what is already measured
      --no-search          time each node with the plugin's defaults only (no parameter search)
      --repetitions N      timed executions per node and value set; the median counts (default 5)
      --json FILE          write the tuning report as JSON
  Ctrl-C stops after the current measurement and keeps the others (exit status 130).

  -v, --verbose            more detail (plan table, plugin messages)
  -q, --quiet              print only errors

exit status: 0 on success, 1 on any error (one line on stderr naming the problem), 2 on bad usage.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (!args.empty() && args[0] == "--version") {
      std::printf("hetrun %s (plugin ABI %u.%u)\n", HETRUN_VERSION, HETRUN_ABI_MAJOR,
                  HETRUN_ABI_MINOR);
      return 0;
    }
    if (args.empty()) {
      std::fputs(kHelp, stderr);
      return 2;
    }
    if (args[0] == "devices") return hetrun::cli::DevicesCommand({args.begin() + 1, args.end()});
    if (args[0] == "conformance")
      return hetrun::cli::ConformanceCommand({args.begin() + 1, args.end()});
    if (args[0] == "check-plugin")
      return hetrun::cli::CheckPluginCommand({args.begin() + 1, args.end()});
    if (args[0] == "plan") return hetrun::cli::PlanCommand({args.begin() + 1, args.end()});
    if (args[0] == "tune") return hetrun::cli::TuneCommand({args.begin() + 1, args.end()});
    if (args[0] == "run") return hetrun::cli::RunCommand({args.begin() + 1, args.end()});
    return hetrun::cli::RunCommand(args);
  } catch (const std::exception& e) {  // a bug, but still one line and no core dump
    return hetrun::cli::Fail(std::string("internal error: ") + e.what());
  }
}
