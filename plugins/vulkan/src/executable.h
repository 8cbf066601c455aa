// A compiled part: one compute pipeline per generated kernel, constants uploaded once, and the
// storage plan. Run() records every dispatch with barriers into one command buffer, submits it
// with a fence and waits; it allocates intermediates (and outputs the host left NULL) per run, so
// concurrent runs share nothing mutable.
#pragma once

#include <vulkan/vulkan.h>

#include <memory>
#include <vector>

#include "buffer.h"
#include "device.h"
#include "event.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "planner.h"

namespace hetrun::vulkan {

// What the code generator must respect on `device`.
Limits DeviceLimits(const Device& device);
// Storage buffers one kernel may bind: descriptor limits, and one push-constant offset each.
uint32_t MaxBindings(const Device& device);

class Executable {
 public:
  // Throws plugin::Error; problems with a node are reported as "node 'name' (Op): why".
  // `values` (compile_tuned's, checked here: INVALID_ARGUMENT) pick tunables; none is compile().
  static std::shared_ptr<Executable> Compile(std::shared_ptr<Device> device,
                                             const hetrun_graph_view& part,
                                             const hetrun_tuning_value* values = nullptr,
                                             uint32_t num_values = 0);
  ~Executable();
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;

  struct Bound {
    std::shared_ptr<Buffer> buffer;  // outputs: null when the plugin allocates it
    uint64_t offset = 0;             // bytes
  };
  struct RunArgs {
    std::vector<Bound> inputs, outputs;
  };
  // Checks execute()'s arguments against the part (counts, dtypes, dims, bounds); throws
  // plugin::Error(INVALID_ARGUMENT) naming the argument at fault. `unwrap` maps a handle to its
  // buffer (it throws for a bad handle).
  template <typename Unwrap>
  RunArgs Bind(const hetrun_tensor_arg* inputs, uint32_t num_inputs,
               const hetrun_tensor_arg* outputs, uint32_t num_outputs, Unwrap&& unwrap) const;
  // Runs the part on the calling thread and waits for the device. Returns, per output, the buffer
  // the plugin allocated (null where the host gave one), and in *elapsed_us how long the device
  // took: by timestamp queries where the queue has them, else the calling thread's clock around
  // the submission. Throws plugin::Error.
  // With `node_times` (and timestamps on the queue), each kernel's time too.
  std::vector<std::shared_ptr<Buffer>> Run(const RunArgs& args, double* elapsed_us = nullptr,
                                           std::vector<NodeTime>* node_times = nullptr) const;

  const std::shared_ptr<Device>& device() const { return device_; }
  const Plan& plan() const { return plan_; }
  // Output j's dims, for filling in plugin-allocated output entries.
  hetrun_dtype_t output_dtype(size_t j) const {
    return plan_.values[static_cast<size_t>(plan_.outputs[j])].dtype;
  }
  const std::vector<int64_t>& output_dims(size_t j) const {
    return plan_.values[static_cast<size_t>(plan_.outputs[j])].dims;
  }

 private:
  struct Pipeline {
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
  };
  explicit Executable(std::shared_ptr<Device> device) : device_(std::move(device)) {}
  void CreatePipeline(const Kernel& kernel);
  void UploadConstants();
  void CheckArg(const hetrun_tensor_arg& arg, int32_t value, const char* role,
                uint64_t buffer_bytes) const;

  std::shared_ptr<Device> device_;
  Plan plan_;
  std::vector<Pipeline> pipelines_;
  std::vector<std::shared_ptr<Buffer>> constants_;  // per value; null if not a bound constant
};

template <typename Unwrap>
Executable::RunArgs Executable::Bind(const hetrun_tensor_arg* inputs, uint32_t num_inputs,
                                     const hetrun_tensor_arg* outputs, uint32_t num_outputs,
                                     Unwrap&& unwrap) const {
  if (num_inputs != plan_.inputs.size() || num_outputs != plan_.outputs.size()) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                        "the part takes " + std::to_string(plan_.inputs.size()) + " inputs and " +
                            std::to_string(plan_.outputs.size()) + " outputs, execute got " +
                            std::to_string(num_inputs) + " and " + std::to_string(num_outputs));
  }
  if ((num_inputs && !inputs) || (num_outputs && !outputs)) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, "execute got a NULL argument array");
  }
  RunArgs args;
  for (uint32_t i = 0; i < num_inputs; ++i) {
    std::shared_ptr<Buffer> buffer = unwrap(inputs[i].buffer);
    CheckArg(inputs[i], plan_.inputs[i], "input", buffer->bytes());
    args.inputs.push_back({std::move(buffer), inputs[i].offset});
  }
  for (uint32_t j = 0; j < num_outputs; ++j) {
    if (!outputs[j].buffer) {
      args.outputs.push_back({});
      continue;
    }
    std::shared_ptr<Buffer> buffer = unwrap(outputs[j].buffer);
    CheckArg(outputs[j], plan_.outputs[j], "output", buffer->bytes());
    args.outputs.push_back({std::move(buffer), outputs[j].offset});
  }
  return args;
}

}  // namespace hetrun::vulkan
