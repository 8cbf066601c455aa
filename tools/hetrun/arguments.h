// Command-line parsing for the hetrun tool: a small, strict parser (unknown options and missing
// values are errors that name the option) shared by every subcommand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/status.h"

namespace hetrun::cli {

struct RunArguments {
  std::string model;
  std::vector<std::string> devices{"cpu"};
  std::map<std::string, std::string> input_files;      // --input NAME=FILE
  std::map<std::string, std::vector<int64_t>> shapes;  // --shape NAME=1x3x224x224
  std::string output_dir;
  int iterations = 1;
  int warmup = -1;  // -1: 10 when benchmarking (iterations > 1), else 0
  uint32_t threads = 0;
  std::string report_json;
  std::vector<std::string> plugin_paths;
  uint64_t timeout_ms = UINT64_MAX;
  bool verbose = false;
  bool quiet = false;
  // Planning and scheduling.
  std::string partition = "cost";        // --partition cost|priority
  std::vector<std::string> assignments;  // --assign PATTERN=DEVICE (repeatable, first wins)
  std::string plan_in, plan_json, plan_dot;
  std::string profile;                            // Chrome trace file
  std::string fallback = "none";                  // --fallback none|cpu
  bool explain = false;                           // --explain: why each node went where it did
  std::map<std::string, uint64_t> device_memory;  // --device-memory DEVICE=SIZE (bytes)
  // --check: every part off the CPU re-run on the CPU plugin and compared.
  bool check = false;
  bool warm_start = false;
  std::string cache_dir;              // --cache-dir: compiled plans and the plugins' compiled code
  std::optional<bool> verify_finite;  // --verify-finite / --no-verify-finite  // --warm-start:
                                      // CPU-only plan first, the full plan when compiled
  double check_rtol = 1e-3, check_atol = 1e-4;
};

struct DevicesArguments {
  std::vector<std::string> plugin_paths;
  bool json = false;
  bool verbose = false;
};

// `hetrun tune`: the run options that shape a session, plus the tuning options.
struct TuneArguments {
  RunArguments run;
  double budget_s = 0;  // 0: no limit
  bool retune = false;
  bool search = true;  // --no-search: time the defaults only
  int repetitions = 5;
  std::string json;  // --json FILE: the report
};

Result<RunArguments> ParseRunArguments(const std::vector<std::string>& args);
Result<TuneArguments> ParseTuneArguments(const std::vector<std::string>& args);
// `hetrun plan` takes the run options that shape a plan (the others are accepted and ignored).
Result<RunArguments> ParsePlanArguments(const std::vector<std::string>& args);
Result<DevicesArguments> ParseDevicesArguments(const std::vector<std::string>& args);

// "64MiB", "1.5G", "4096" -> bytes: binary units (K, M, G, T with optional "iB" or "B").
Result<uint64_t> ParseBytes(const std::string& option, const std::string& text);

// "1x3x224x224" -> {1,3,224,224}; dims must be non-negative integers.
Result<std::vector<int64_t>> ParseDims(const std::string& text);

}  // namespace hetrun::cli
