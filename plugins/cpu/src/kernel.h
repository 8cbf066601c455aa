// The CPU plugin's kernel interface. One Kernel object is created per node when a part is compiled
// (and, to answer query_support, created and discarded). Creation is where a kernel checks that it
// can run the node exactly as ONNX specifies: otherwise it throws plugin::Error(UNIMPLEMENTED,
// why). Shapes are resolved at run time from the actual inputs, so dynamic dims just work.
// Control-flow kernels (If, Loop, Scan) run subgraphs: they read enclosing-graph values by name and
// learn their output shapes only by running, which the optional hooks at the end cover.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "hetrun/plugin.h"
#include "tensor.h"
#include "thread_pool.h"
#include "tunables.h"

namespace hetrun::cpu {

// What a kernel factory may look at: the node and the graph it belongs to. Only valid during
// creation, except constant data pointers (hetrun_value::data), which stay valid for the
// executable's lifetime (plugin ABI rule), so kernels may keep pointers to weights.
struct KernelBuildContext {
  const hetrun_node& node;
  const hetrun_graph_view& graph;
  // The device the executable runs on, for kernels that compile subgraphs into executables of
  // their own; null when the kernel is only created to check support.
  std::shared_ptr<Device> device = nullptr;
  // Values compile_tuned chose for this node (tunables.h); null or empty: the defaults.
  const NodeTuning* tuning = nullptr;

  // The chosen value of tunable `name`, or `fallback` (the default) when none was chosen.
  int64_t Tuned(std::string_view name, int64_t fallback) const {
    return tuning ? tuning->Get(name, fallback) : fallback;
  }
  size_t num_inputs() const { return node.num_inputs; }
  size_t num_outputs() const { return node.num_outputs; }
  // Present means "given and not an omitted optional input".
  bool has_input(size_t i) const { return i < node.num_inputs && node.inputs[i] >= 0; }
  const hetrun_value& input(size_t i) const { return graph.values[node.inputs[i]]; }
  bool has_output(size_t i) const { return i < node.num_outputs && node.outputs[i] >= 0; }
  const hetrun_value& output(size_t i) const { return graph.values[node.outputs[i]]; }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Output dtypes and dims for these inputs (omitted optional inputs are nullptr). Throws
  // plugin::Error(INVALID_ARGUMENT, ...) for inputs that do not fit (e.g. incompatible shapes).
  virtual std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& inputs) = 0;
  // Computes outputs (already allocated to InferOutputs' specs; omitted outputs are nullptr).
  // Must be safe to call concurrently from several threads on the same Kernel object.
  virtual void Run(const std::vector<const TensorRef*>& inputs,
                   const std::vector<TensorRef*>& outputs, ThreadPool& pool) = 0;
  // True if output `o` may share memory with input `i` (e.g. Reshape, Identity): the executor may
  // then skip a copy. Default: no aliasing.
  virtual bool AliasesInput(size_t /*o*/, size_t /*i*/) const { return false; }

  // Names of enclosing-graph values the node's subgraphs read. The executor resolves them in the
  // graph the node belongs to and passes them after the node's own inputs (kept alive until then).
  virtual std::vector<std::string> OuterScopeInputs() const { return {}; }
  // True for kernels whose output shapes are known only by computing them: the executor then calls
  // Compute instead of InferOutputs and Run, and copies the results into place.
  virtual bool ComputesOutputShapes() const { return false; }
  // Computes every output (omitted ones may be left empty). Same threading rule as Run.
  virtual std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& /*inputs*/,
                                            ThreadPool& /*pool*/) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "Compute called on a kernel without it");
  }
};

// Creates the kernel for `ctx.node`, or throws plugin::Error(UNIMPLEMENTED, reason) naming the op,
// dtype or attribute it cannot handle. Defined in kernel_registry.cpp.
std::unique_ptr<Kernel> CreateKernel(const KernelBuildContext& ctx);

// The node's tunables on a device of `threads` threads (list_tunables): Conv, Gemm and MatMul list
// their own; every other op lists `threads` when its work per thread is small. Throws
// plugin::Error(UNIMPLEMENTED) when the node is not supported.
std::vector<Tunable> ListTunables(const KernelBuildContext& ctx, int threads);

// Rough cost in microseconds of running the node on `threads` threads (for query_support).
double EstimateCostUs(const KernelBuildContext& ctx, int threads, double peak_gflops);

}  // namespace hetrun::cpu
