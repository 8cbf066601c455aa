// A compiled part: one Kernel per node (or per group of nodes fused at compile time, see fusion/)
// plus what the executor needs to run them, copied out of the graph view (which dies with the
// compile() call; only constant data pointers stay valid). Shapes
// are resolved node by node at run time, so one executable serves every input shape the view
// allows. Immutable after Compile(): concurrent runs keep all their state on their own stack.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "buffer.h"
#include "device.h"
#include "event.h"
#include "hetrun/plugin.h"
#include "kernel.h"
#include "thread_pool.h"
#include "tunables.h"

namespace hetrun::cpu {

struct NodeGroup;  // fusion/fusion_plan.h

class Executable {
 public:
  // Throws plugin::Error; problems with a node are reported as "node 'name' (Op): why".
  // `tuning`, when not empty, holds compile_tuned's values per node of the part (already checked
  // against the nodes' tunables); a fused group takes its leader's.
  static std::shared_ptr<Executable> Compile(std::shared_ptr<Device> device,
                                             const hetrun_graph_view& part,
                                             std::vector<NodeTuning> tuning = {});

  // The arguments of one execute() call, checked against the part and copied, so the run does not
  // depend on the caller's input array. Outputs keep a pointer to the caller's entry: the plugin
  // fills it in for outputs it allocates.
  struct BoundInput {
    std::shared_ptr<Buffer> buffer;
    uint64_t offset = 0;
    hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
    std::vector<int64_t> dims;
  };
  struct BoundOutput {
    hetrun_tensor_arg* arg = nullptr;
    std::shared_ptr<Buffer> buffer;  // null: the plugin allocates one once the shape is known
    uint64_t offset = 0;
    hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
    std::vector<int64_t> dims;
  };
  struct RunArgs {
    std::vector<BoundInput> inputs;
    std::vector<BoundOutput> outputs;
  };

  // Validates execute()'s arguments (counts, buffers, dtypes, ranks, known dims, buffer bounds);
  // throws plugin::Error(INVALID_ARGUMENT) naming the input or output at fault.
  RunArgs BindArguments(const hetrun_tensor_arg* inputs, uint32_t num_inputs,
                        hetrun_tensor_arg* outputs, uint32_t num_outputs) const;
  // Runs the part on the calling thread (kernels use the device's pool). Throws plugin::Error.
  // With `node_times`, appends each node's time, from `start` on (profiling).
  void Run(const RunArgs& args, std::vector<NodeTime>* node_times = nullptr,
           std::chrono::steady_clock::time_point start = {}) const;

  const std::shared_ptr<Device>& device() const { return device_; }
  // Peak bytes of intermediate tensors live at once in the most recent run that finished.
  uint64_t last_peak_arena_bytes() const { return last_peak_arena_bytes_.load(); }

 private:
  class Runner;  // executable_run.cpp

  enum class Source { kNone, kConstant, kPartInput, kNodeOutput };

  struct Value {
    std::string name;
    hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
    int32_t rank = -1;           // -1: unknown
    std::vector<int64_t> dims;   // -1 entries: known only at run time
    const void* data = nullptr;  // constants: the view's data, valid for our lifetime
    uint64_t data_bytes = 0;
    Source source = Source::kNone;
    int32_t last_use = -1;     // index of the last node reading the value; -1: none
    int32_t part_output = -1;  // first position in the part's outputs; -1: not an output
  };

  struct Node {
    std::string description;       // "node 'conv_3' (Conv)", "node 'conv_3+relu_4' (Conv+Relu)"
    uint32_t part_node = 0;        // its index in the part (a fused group's first node)
    std::string profile_label;     // "" for a single node; "conv_3+relu_4 (Conv+Relu)" fused
    std::vector<int32_t> inputs;   // value indices, -1 = omitted
    std::vector<int32_t> outputs;  // value indices, -1 = omitted
    std::unique_ptr<Kernel> kernel;
    // Per output: the input slot whose memory the output may take over (in place), or -1.
    std::vector<int32_t> in_place_input;
    // The pool the kernel runs on when the "threads" tunable chose fewer than the device's; null:
    // the device's.
    std::shared_ptr<ThreadPool> pool;
  };

  explicit Executable(std::shared_ptr<Device> device) : device_(std::move(device)) {}
  void CopyValues(const hetrun_graph_view& part);
  void BindPartInputs(const hetrun_graph_view& part);
  void CreateNodes(const hetrun_graph_view& part);
  void AddNode(const hetrun_graph_view& part, uint32_t index);
  bool AddFusedNode(const hetrun_graph_view& part, const NodeGroup& group);
  void BindNodeValues(const hetrun_node& view, int32_t k);
  void BindOuterScopeInputs(Node& node, int32_t k);
  void BindPartOutputs(const hetrun_graph_view& part);
  void PlanInPlace();
  void CheckConstant(const Value& value) const;
  KernelBuildContext BuildContext(const hetrun_graph_view& part, uint32_t index) const;
  std::shared_ptr<ThreadPool> PoolFor(uint32_t index) const;

  std::shared_ptr<Device> device_;
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<int32_t> inputs_;     // value index per execute() input
  std::vector<int32_t> outputs_;    // value index per execute() output
  std::vector<NodeTuning> tuning_;  // per part node; empty: every default
  // Filled on first need at compile time: resolving subgraphs' outer-scope reads by name.
  std::unordered_map<std::string, int32_t> value_by_name_;
  // The previous run's arena size: the next run reserves it in one piece.
  mutable std::atomic<uint64_t> arena_size_hint_{0};
  mutable std::atomic<uint64_t> last_peak_arena_bytes_{0};
};

}  // namespace hetrun::cpu
