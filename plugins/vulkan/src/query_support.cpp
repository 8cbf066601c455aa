#include "query_support.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "codegen.h"
#include "device.h"
#include "errors.h"
#include "executable.h"
#include "graph_info.h"

namespace hetrun::vulkan {
namespace {

// Copies `text` into `reason` NUL-terminated, cutting at a UTF-8 character boundary.
template <size_t N>
void CopyReason(const std::string& text, char (&reason)[N]) {
  size_t length = std::min(text.size(), N - 1);
  if (length < text.size()) {
    while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80) --length;
  }
  std::memcpy(reason, text.data(), length);
  reason[length] = '\0';
}

bool IsTranscendental(const std::string& op) {
  return op == "Exp" || op == "Log" || op == "Tanh" || op == "Sigmoid" || op == "Erf" ||
         op == "Pow" || op == "Elu" || op == "Selu" || op == "Softmax" || op == "LogSoftmax" ||
         op == "Sinh" || op == "Cosh" || op == "Asinh" || op == "Acosh" || op == "Atanh" ||
         op == "Softplus" || op == "Celu";
}

// Estimated microseconds for a supported node: the slower of compute and memory traffic, plus a
// dispatch's overhead; views cost almost nothing (they share storage).
double CostUs(const GraphInfo& graph, uint32_t k, const hetrun_device_info& info) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (graph.folded(k)) return 0.1;  // evaluated at compile time
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Identity" || op == "Dropout") {
    return 0.5;
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
    int64_t k_dim = a.back();
    if (op == "Gemm" && plugin::AttrInt(node, "transA", 0) != 0) k_dim = a[0];
    flops = 2.0 * out * static_cast<double>(k_dim);
  }
  if (op == "Conv") flops = 2.0 * static_cast<double>(ConvMacs(graph, node));
  const bool cpu_like = info.kind == HETRUN_DEVICE_GPU && info.host_link_latency_us >= 30;
  const double dispatch_us = cpu_like ? 20.0 : 5.0;
  return std::max(flops / (info.peak_gflops * 1e3), bytes / (info.memory_gbps * 1e3)) + dispatch_us;
}

}  // namespace

void QuerySupport(const Device& device, const hetrun_graph_view& view, hetrun_node_support* out) {
  const GraphInfo graph(view);
  if (view.num_nodes == 0) return;
  if (!out) ThrowInvalid("out_support is NULL");
  const uint32_t stride = out->struct_size;
  if (stride < sizeof(hetrun_node_support) || stride % alignof(hetrun_node_support) != 0) {
    ThrowInvalid("hetrun_node_support struct_size " + std::to_string(stride) +
                 " is too small or not a C struct's size");
  }
  const Limits limits = DeviceLimits(device);
  const uint32_t max_bindings = MaxBindings(device);
  auto* bytes = reinterpret_cast<std::byte*>(out);
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    auto& answer = *reinterpret_cast<hetrun_node_support*>(bytes + size_t{k} * stride);
    std::string reason;
    try {
      reason = CheckNodeSupported(graph, k, limits);
      if (reason.empty() && graph.node(k).num_inputs + graph.node(k).num_outputs > max_bindings) {
        reason = "more tensors than the device's storage buffer bindings";
      }
    } catch (...) {
      reason = DescribeCurrentException().second;
    }
    answer.supported = reason.empty() ? 1 : 0;
    answer.cost_us = reason.empty() ? CostUs(graph, k, device.physical().info) : 0;
    CopyReason(reason, answer.reason);
  }
}

}  // namespace hetrun::vulkan
