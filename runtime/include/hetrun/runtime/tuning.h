// `hetrun tune`: measured costs for the partitioner and tuned code (TVM's lesson: the best kernel
// and the best placement are measured, not guessed). For every node and every selected device that
// supports it, the node alone is compiled and timed on the device, fed the values a CPU run of the
// model computed for it; where the plugin lists tunable parameters for the node (ABI minor 2), the
// values are searched by measurement and the fastest kept, and sessions compile the node with
// them. Each device's host link and per-part overhead are timed too. Measurements are kept per
// device (plugin build, device, threads) under CACHE_DIR/tuning and replace the estimates in every
// later session given the same --cache-dir. What is already measured is not measured again, so a
// second run is quick and changes nothing; an interrupted run keeps what it measured.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/runtime/session.h"
#include "hetrun/status.h"

namespace hetrun::runtime {

struct TuneProgress {
  size_t done = 0, total = 0;  // measurements this run
  double elapsed_s = 0;
  std::string current;  // "node 'conv_3' (Conv) on vulkan"
};

struct TuneOptions {
  // Devices, plugin paths, threads and input shapes as for a session; cache_dir is required.
  SessionOptions session;
  double budget_s = 0;  // stop measuring after this long (0: no limit); measurements are kept
  bool retune = false;  // measure again what is already measured
  bool search = true;   // search the plugins' tunable parameters (false: time the defaults only)
  int repetitions = 5;  // timed executions per node (the median counts)
  double max_ms_per_node = 200;  // fewer repetitions for slow nodes
  // Set (by a SIGINT handler, say) to stop after the current measurement, keeping the others.
  const std::atomic<bool>* interrupt = nullptr;
  std::function<void(const TuneProgress&)> progress;
};

struct DeviceTuneReport {
  std::string device;
  std::string file;             // the tuning file
  size_t supported = 0;         // nodes the device supports
  size_t measured = 0;          // node costs measured by this run
  size_t already_measured = 0;  // found in the tuning file (not measured again)
  size_t not_measured = 0;      // skipped or failed: the estimate stays (see notes)
  size_t searched = 0;          // nodes (distinct keys) whose parameters this run searched
  size_t tuned = 0;             // ... of which the search chose other values than the defaults
  int configurations = 0;       // value sets timed by this run's searches
  // Over the searched nodes (each distinct key once): the defaults' time and the chosen values'.
  double searched_default_us = 0, searched_tuned_us = 0;
  double part_overhead_us = 0;  // 0: not known
  double link_gbps = 0, link_latency_us = 0;
  std::vector<std::string> notes;  // why a node was not measured, one line each
};

// Tune's last step: the plan the measured costs give, timed as a whole model against each device
// alone (with more than one device) and against the same plan compiled with the plugins' defaults
// (when it has tuned values), because per-node times miss what only whole runs show (launches
// inside a part, devices sharing cores, workers falling asleep). Sessions given the same
// --cache-dir use the fastest.
struct WholeModelTime {
  std::string candidate;  // "plan"; "defaults": the plan untuned; a device's name: it alone
  double median_ms = 0;
  int runs = 0;  // candidates far slower than the best stop early
};
struct PlanCheckResult {
  std::string plan_devices;           // the devices the plan used: "vulkan,cpu"
  std::vector<WholeModelTime> times;  // the plan first
  std::string choice;                 // "plan", "defaults" or the device sessions use alone
};
// "cpu alone 3.010 ms, the plan (vulkan,cpu) 3.412 ms, vulkan alone 13.200 ms: cpu alone is used"
std::string DescribePlanCheck(const PlanCheckResult& check);

struct TuneReport {
  std::vector<DeviceTuneReport> devices;
  // Whole-model check: run when this run measured something (or no check was stored yet) and
  // there was something to compare; the file it was saved to.
  std::optional<PlanCheckResult> plan_check;
  std::string plan_check_file;
  std::vector<std::string> plan_check_notes;  // candidates that could not run, a check that failed
  // Confirmation in the model of the values this run's searches chose: how many nodes' values
  // were tried, the labels of those dropped (back to the defaults), and why it did not run.
  size_t in_model_tried = 0;
  std::vector<std::string> in_model_dropped;
  size_t in_model_unconfirmed = 0;  // not reached in the confirmation's time (values kept)
  std::vector<std::string> in_model_notes;
  double elapsed_s = 0;
  bool stopped_early = false;  // the budget ran out or the run was interrupted
  std::string stop_reason;
  size_t measured() const;
  size_t not_measured() const;
  bool changed() const { return measured() > 0 || plan_check.has_value(); }
};

// Fails when the model cannot be imported or planned, a device cannot be opened, the capture run
// on the CPU fails, or a tuning file cannot be written; a node that fails to compile or run on a
// device is a note (its estimate stays), not a failure.
Result<TuneReport> Tune(const std::string& model_path, const TuneOptions& options);

}  // namespace hetrun::runtime
