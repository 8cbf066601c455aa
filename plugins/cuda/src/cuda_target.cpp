#include "cuda_target.h"

#include <algorithm>
#include <vector>

#include "codegen.h"
#include "hetrun/plugin.hpp"

namespace hetrun::cuda {
namespace {

// Generated kernels index with 32-bit uints (bool tensors by byte): stay well inside that.
constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 31;

bool IsTranscendental(const std::string& op) {
  return op == "Exp" || op == "Log" || op == "Tanh" || op == "Sigmoid" || op == "Erf" ||
         op == "Pow" || op == "Elu" || op == "Selu" || op == "Softmax" || op == "LogSoftmax" ||
         op == "Sinh" || op == "Cosh" || op == "Asinh" || op == "Acosh" || op == "Atanh" ||
         op == "Softplus" || op == "Celu";
}

}  // namespace

CudaTarget OfflineTarget() {
  CudaTarget target;
  target.arch = 90;
  target.limits.max_buffer_bytes = kMaxTensorBytes;
  target.limits.max_groups[0] = 2147483647u;
  target.limits.max_groups[1] = 65535;
  target.limits.max_groups[2] = 65535;
  target.limits.int64 = true;
  return target;
}

CudaTarget DeviceTarget(int major, int minor, uint64_t memory_bytes, const uint32_t max_grid[3]) {
  CudaTarget target = OfflineTarget();
  target.arch = major * 10 + minor;
  target.limits.max_buffer_bytes = std::min(kMaxTensorBytes, memory_bytes);
  for (int d = 0; d < 3; ++d) {
    if (max_grid[d] > 0) target.limits.max_groups[d] = max_grid[d];  // 0: attribute unknown
  }
  return target;
}

std::string CheckNode(const vulkan::GraphInfo& graph, uint32_t k, const CudaTarget& target) {
  std::string reason = vulkan::CheckNodeSupported(graph, k, target.limits);
  const hetrun_node& node = graph.node(k);
  if (reason.empty() && node.num_inputs + node.num_outputs > target.max_bindings)
    reason = "more than " + std::to_string(target.max_bindings) + " tensors in one kernel";
  return reason;
}

double CostUs(const vulkan::GraphInfo& graph, uint32_t k, const hetrun_device_info& info) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (graph.folded(k)) return 0.1;  // evaluated at compile time
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Identity" || op == "Dropout") {
    return 0.5;  // views share their input's storage
  }
  double bytes = 0;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] >= 0)
      bytes += 4.0 * static_cast<double>(graph.value(node.inputs[i]).elements());
  }
  const double out = static_cast<double>(graph.value(node.outputs[0]).elements());
  bytes += 4.0 * out;
  double flops = out * (IsTranscendental(op) ? 20.0 : 1.0);
  if (op == "MatMul" || op == "Gemm") {
    const std::vector<int64_t>& a = graph.value(node.inputs[0]).dims;
    int64_t k_dim = a.empty() ? 1 : a.back();
    if (op == "Gemm" && plugin::AttrInt(node, "transA", 0) != 0) k_dim = a[0];
    flops = 2.0 * out * static_cast<double>(k_dim);
  }
  if (op == "Conv") flops = 2.0 * static_cast<double>(vulkan::ConvMacs(graph, node));
  const double peak_gflops = info.peak_gflops > 0 ? info.peak_gflops : 1000.0;
  const double memory_gbps = info.memory_gbps > 0 ? info.memory_gbps : 500.0;
  constexpr double kLaunchUs = 4.0;  // one kernel launch on a stream
  return std::max(flops / (peak_gflops * 1e3), bytes / (memory_gbps * 1e3)) + kLaunchUs;
}

}  // namespace hetrun::cuda
