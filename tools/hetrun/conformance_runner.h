// Runs ONNX backend test cases (DIR/test_*/model.onnx with test_data_set_N/{input,output}_K.pb) on
// a list of devices and compares outputs the way ONNX's runner does: rtol 1e-3, atol 1e-7, NaN
// equals NaN, exact for integers and booleans. Cases run one after another in a worker process
// forked from this one, with a deadline each, so a crash or hang in one case is a `failed` line,
// never the end of the run.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hetrun::plugin_api {
class PluginRegistry;
}

namespace hetrun::cli {

struct ConformanceOptions {
  std::vector<std::string> devices{"cpu"};
  std::vector<std::string> plugin_paths;
  uint32_t threads = 1;
  double rtol = 1e-3, atol = 1e-7;
  uint64_t case_timeout_ms = 60000;
  bool isolate = true;  // run the cases in a worker process
};

enum class CaseStatus { kPassed, kFailed, kUnsupported, kSkipped };
const char* CaseStatusName(CaseStatus s);

struct CaseResult {
  std::string name;
  CaseStatus status = CaseStatus::kFailed;
  std::string reason;
  double ms = 0;
  bool worker_died = false;  // the worker crashed or ran past the deadline on this case
};

// Why a case cannot be judged at all (random sampling, training-only ops), or empty.
std::string SkipReason(const std::string& case_dir);

// Runs cases in order. Isolated, one worker process runs case after case and loads the plugins
// once (forking per case cost 24 ms a case in Release, 160 under ASan: most of a suite's time). A
// worker that crashes or hangs is killed and replaced, and so is one whose case failed, so no
// failure leaves state behind for the cases after it. A case that kills a worker after other
// cases ran in it is run again alone in a fresh one: passing alone, it still fails, named as
// damage done by an earlier case.
class ConformanceRunner {
 public:
  explicit ConformanceRunner(ConformanceOptions options);
  ~ConformanceRunner();
  ConformanceRunner(const ConformanceRunner&) = delete;
  ConformanceRunner& operator=(const ConformanceRunner&) = delete;

  CaseResult Run(const std::string& case_dir);

 private:
  CaseResult RunInWorker(const std::string& case_dir);
  bool StartWorker();
  void StopWorker(bool kill_it);

  ConformanceOptions options_;
  std::shared_ptr<plugin_api::PluginRegistry> registry_;  // in-process runs only
  pid_t worker_ = -1;
  int socket_ = -1;        // this side of the worker's socket pair
  int worker_cases_ = 0;   // cases the current worker has finished
  std::string last_case_;  // the last case the current worker finished
};

}  // namespace hetrun::cli
