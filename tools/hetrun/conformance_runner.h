// Runs ONNX backend test cases (DIR/test_*/model.onnx with test_data_set_N/{input,output}_K.pb) on
// a list of devices and compares outputs the way ONNX's runner does: rtol 1e-3, atol 1e-7, NaN
// equals NaN, exact for integers and booleans. Each case runs in a forked child with a deadline, so
// a crash or hang in one case is a `failed` line, never the end of the run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hetrun::cli {

struct ConformanceOptions {
  std::vector<std::string> devices{"cpu"};
  std::vector<std::string> plugin_paths;
  uint32_t threads = 1;
  double rtol = 1e-3, atol = 1e-7;
  uint64_t case_timeout_ms = 60000;
  bool isolate = true;  // fork per case
};

enum class CaseStatus { kPassed, kFailed, kUnsupported, kSkipped };
const char* CaseStatusName(CaseStatus s);

struct CaseResult {
  std::string name;
  CaseStatus status = CaseStatus::kFailed;
  std::string reason;
  double ms = 0;
};

// Why a case cannot be judged at all (random sampling, training-only ops), or empty.
std::string SkipReason(const std::string& case_dir);

CaseResult RunConformanceCase(const std::string& case_dir, const ConformanceOptions& options);

}  // namespace hetrun::cli
