// A Session is one model made ready to run on a list of devices: imported, partitioned from the
// plugins' capability answers and the cost model, each part compiled by its device's plugin.
// Run() executes the plan with one queue per device: parts start when their inputs are ready, so
// independent parts on different devices overlap; values move between devices through transfers
// the scheduler inserts. Run() is thread-safe and may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/tensor.h"
#include "hetrun/partitioner/partitioner.h"
#include "hetrun/plugin_api/plugin_registry.h"
#include "hetrun/runtime/device.h"
#include "hetrun/runtime/profile.h"
#include "hetrun/status.h"

namespace hetrun::runtime {

// What happens when a part's device fails while running it.
enum class FallbackPolicy {
  kNone,  // the run fails, naming the device and the part
  kCpu,   // the part is re-run on the CPU plugin from its retained inputs; RunStats says so
};
Result<FallbackPolicy> ParseFallbackPolicy(const std::string& text);

struct SessionOptions {
  std::vector<std::string> devices{"cpu"};  // in priority order: "cpu", "vulkan:1"
  std::vector<std::string> plugin_paths;    // searched before the default plugin directory
  // Plugins already loaded for other sessions (an application's environment, like ONNX Runtime's
  // Env): the session takes its plugins from here and `plugin_paths` is not used. Null: the
  // session loads its own, unloaded when it ends.
  std::shared_ptr<plugin_api::PluginRegistry> registry;
  uint32_t threads = 0;                                      // per device; 0 = the plugin's default
  std::map<std::string, std::vector<int64_t>> input_shapes;  // fixes dynamic input dims
  uint64_t timeout_ms = UINT64_MAX;                          // per part execution
  partitioner::Strategy partition = partitioner::Strategy::kCost;
  std::vector<partitioner::Pin> pins;  // --assign
  std::string plan_in;                 // a saved plan (JSON) to replay instead of partitioning
  // A plan to replay given directly: device name per node name (as ReadPlanJson returns).
  std::vector<std::pair<std::string, std::string>> replay;
  // --device-memory: capacity the plan must fit in, by device name ("npu", "vulkan:1"); replaces
  // what the plugin reports.
  std::map<std::string, uint64_t> device_memory;
  FallbackPolicy fallback = FallbackPolicy::kNone;
  // A part off the CPU whose float32 outputs hold NaN or Inf while its inputs are all finite fails
  // as a device error (and falls back like one). Costs reading every such part's inputs and
  // outputs back; on by default with --fallback cpu, off otherwise.
  std::optional<bool> verify_finite;
  bool plan_only = false;  // partition but compile nothing: plan() is valid, Run() is not
  // Start now, accelerate later (OpenVINO AUTO's idea): Create() returns once a CPU-only session
  // is ready; the full plan on `devices` opens, partitions and compiles in the background, and runs
  // switch to it when it is ready. Without effect when `devices` is just the CPU.
  bool warm_start = false;
  // --cache-dir: a directory for compiled plans (the optimised graph and the devices' answers,
  // keyed by the model bytes, devices, plugin builds and these options) and for the plugins' own
  // compiled code. "" = no cache. The plan cache is used by Create(model_path, ...) without
  // warm_start; the plugins' caches by every session.
  std::string cache_dir;
  // With --cache-dir: follow `hetrun tune`'s whole-model check (a device measured faster alone
  // than the plan takes every node; the plugins' defaults measured faster than the tuned values
  // replace them). Off only for tune's own timing.
  bool apply_plan_check = true;
  // With --cache-dir: compile nodes with the values `hetrun tune`'s search chose (false: the
  // plugins' defaults, measured costs still used). For tune's whole-model check.
  bool apply_tuned_values = true;
  // With apply_tuned_values: only the nodes whose tuning keys are listed take their tuned values
  // (null: every node). For tune's confirmation of each node's values inside the model.
  std::shared_ptr<const std::set<std::string>> tuned_nodes;
  // --profile: devices time each node of a part (plugins with ABI minor 3's event_node_times), and
  // runs that collect a trace get a span per node inside each part's span.
  bool profile_nodes = false;
};

// What --cache-dir did for a session.
struct CacheInfo {
  std::string status = "off";  // "off", "hit", "miss" (entry written) or "rebuilt" (see warning)
  std::string key;             // 16 hex digits naming the entry
  std::string entry;           // the entry file
  std::string warning;  // an entry that was ignored (damaged, foreign) or could not be written
};

struct IoInfo {
  std::string name;
  core::DType dtype;
  core::Shape shape;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(const std::string& model_path,
                                                 const SessionOptions& options);
  // From a graph already in memory (tests, embedders); it must have passed Verify().
  static Result<std::unique_ptr<Session>> Create(core::Graph graph, const SessionOptions& options);
  ~Session();

  const std::vector<IoInfo>& inputs() const { return inputs_; }
  const std::vector<IoInfo>& outputs() const { return outputs_; }
  // With --warm-start these describe the session runs use now: the CPU-only one until the full
  // plan is ready (WaitForFullPlan() makes them final).
  const core::Graph& graph() const { return Active().graph_; }
  const partitioner::Plan& plan() const { return Active().plan_; }
  const std::vector<std::unique_ptr<Device>>& devices() const { return Active().devices_; }
  double import_ms() const { return import_ms_; }
  double partition_ms() const { return Active().partition_ms_; }
  double compile_ms() const { return Active().compile_ms_; }
  // Loading the plugins and opening the devices (of which loading the plugins: dlopen and their
  // init), and all of Create() (model read to compiled).
  double open_ms() const { return open_ms_; }
  double plugin_load_ms() const { return plugin_load_ms_; }
  double create_ms() const { return create_ms_; }
  const CacheInfo& cache_info() const { return cache_info_; }

  // --warm-start: whether runs still use the CPU-only session.
  bool warm_start_pending() const;
  // Blocks until the background session is ready. Returns its error when it failed (runs then
  // stay on the CPU-only session). OK at once without --warm-start.
  Status WaitForFullPlan() const;
  // Milliseconds from the start of Create() until the full plan was ready (0 without warm start).
  double full_plan_ready_ms() const;
  // Trace tracks: one per device (the fallback CPU last when it is not selected), then transfers.
  std::vector<std::string> track_names() const;
  // Peak bytes the scheduler held on each device (session devices order), over the session's life.
  std::vector<uint64_t> peak_bytes() const;

  // Runs the model. `inputs` maps every model input name to a tensor of its dtype whose dims agree
  // with the model's known dims. Returns the outputs in model order. `stats` may be null.
  Result<std::vector<core::Tensor>> Run(const std::map<std::string, core::Tensor>& inputs,
                                        RunStats* stats = nullptr) const;

 private:
  struct CompiledPart;
  class Scheduler;
  struct WarmStart;
  static Result<std::unique_ptr<Session>> CreateWarmStart(core::Graph graph,
                                                          const SessionOptions& options);
  // The session runs go to: this one, or under warm start the CPU-only or the full one.
  const Session& Active() const;
  Session();
  // --cache-dir (session_cache.cpp): open the devices first, since the key names their plugins.
  static Result<std::unique_ptr<Session>> CreateCached(const std::string& model_path,
                                                       const SessionOptions& options);
  void Init(core::Graph graph, const SessionOptions& options);
  Status Prepare(const SessionOptions& options);
  Status OpenDevices(const SessionOptions& options);
  // Partitions from `known_answers` (a cache entry's) when given, else asks every device; then
  // compiles unless plan_only.
  Status PlanAndCompile(const SessionOptions& options,
                        const partitioner::CapabilityTable* known_answers);
  Status PlanParts(const SessionOptions& options,
                   const partitioner::CapabilityTable* known_answers);
  Status CompileParts();
  Status CheckInput(const IoInfo& info, const core::Tensor& tensor) const;

  std::shared_ptr<plugin_api::PluginRegistry> registry_;  // outlives devices and executables
  core::Graph graph_;                                     // weights stay valid for executables
  std::vector<std::unique_ptr<Device>> devices_;          // the selected ones, then the fallback
  size_t selected_devices_ = 0;
  int fallback_device_ = -1;  // index into devices_ of the CPU used by --fallback cpu
  partitioner::Plan plan_;
  std::vector<IoInfo> inputs_, outputs_;
  uint64_t timeout_ms_ = UINT64_MAX;
  bool verify_finite_ = false;
  bool profile_nodes_ = false;
  bool plan_only_ = false;
  double import_ms_ = 0, partition_ms_ = 0, compile_ms_ = 0, open_ms_ = 0, create_ms_ = 0,
         plugin_load_ms_ = 0;
  CacheInfo cache_info_;
  std::unique_ptr<Scheduler> scheduler_;  // destroyed first: joins the device queues
  std::unique_ptr<WarmStart> warm_;       // set only for --warm-start
};

}  // namespace hetrun::runtime
