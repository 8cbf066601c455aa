// A Session is one model made ready to run on a list of devices: imported, partitioned from the
// plugins' capability answers, each part compiled by its device's plugin. Run() is thread-safe and
// may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/tensor.h"
#include "hetrun/partitioner/plan.h"
#include "hetrun/plugin_api/plugin_registry.h"
#include "hetrun/runtime/device.h"
#include "hetrun/status.h"

namespace hetrun::runtime {

struct SessionOptions {
  std::vector<std::string> devices{"cpu"};  // in priority order: "cpu", "vulkan:1"
  std::vector<std::string> plugin_paths;    // searched before the default plugin directory
  uint32_t threads = 0;                     // per device; 0 = the plugin's default
  std::map<std::string, std::vector<int64_t>> input_shapes;  // fixes dynamic input dims
  uint64_t timeout_ms = UINT64_MAX;                          // per part execution
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
  ~Session();

  const std::vector<IoInfo>& inputs() const { return inputs_; }
  const std::vector<IoInfo>& outputs() const { return outputs_; }
  const core::Graph& graph() const { return graph_; }
  const partitioner::Plan& plan() const { return plan_; }
  const std::vector<std::unique_ptr<Device>>& devices() const { return devices_; }
  double import_ms() const { return import_ms_; }
  double compile_ms() const { return compile_ms_; }

  // Runs the model. `inputs` maps every model input name to a tensor of its dtype whose dims agree
  // with the model's known dims. Returns the outputs in model order.
  Result<std::vector<core::Tensor>> Run(const std::map<std::string, core::Tensor>& inputs) const;

 private:
  struct CompiledPart;
  Session() = default;
  Status Compile(const SessionOptions& options);
  Status CheckInput(const IoInfo& info, const core::Tensor& tensor) const;
  Status RunPart(const CompiledPart& part, std::map<core::ValueId, core::Tensor>& env) const;

  std::unique_ptr<plugin_api::PluginRegistry> registry_;  // outlives devices and executables
  core::Graph graph_;                                     // weights stay valid for executables
  std::vector<std::unique_ptr<Device>> devices_;
  partitioner::Plan plan_;
  std::vector<std::unique_ptr<CompiledPart>> parts_;  // released first
  std::vector<IoInfo> inputs_, outputs_;
  std::vector<std::vector<core::ValueId>> release_after_part_;  // host copies no longer needed
  uint64_t timeout_ms_ = UINT64_MAX;
  double import_ms_ = 0, compile_ms_ = 0;
};

}  // namespace hetrun::runtime
