#include "hetrun/partitioner/cost_model.h"

#include <algorithm>

namespace hetrun::partitioner {
namespace {

// Used when a plugin reports no figure: a modest laptop-class device.
constexpr double kDefaultGflops = 20;
constexpr double kDefaultMemoryGbps = 10;
constexpr double kDefaultLinkGbps = 8;
constexpr double kKernelLaunchUs = 1;

double ElementsOf(const core::Value& value) {
  if (!value.shape.rank_known) return 1;
  double elements = 1;
  for (const core::Dim& dim : value.shape.dims) elements *= dim.known() ? dim.value : 1;
  return elements;
}

// Link time in microseconds: gigabytes per second equals kilobytes per microsecond.
double CopyUs(double bytes, double gbps) {
  return bytes / (gbps * 1e3);
}

const core::Value* InputValue(const core::Graph& graph, const core::Node& node, size_t i) {
  if (i >= node.inputs.size() || node.inputs[i] == core::kNoValue) return nullptr;
  return &graph.values[node.inputs[i]];
}

// Multiply-adds count twice. Shapes that are not known make the estimate smaller, never wrong in
// kind: the partitioner only compares estimates.
double EstimateFlops(const core::Graph& graph, const core::Node& node) {
  double out_elements = 0;
  for (core::ValueId v : node.outputs)
    if (v != core::kNoValue) out_elements += ElementsOf(graph.values[v]);
  const core::Value* a = InputValue(graph, node, 0);
  const core::Value* b = InputValue(graph, node, 1);
  if ((node.op_type == "MatMul" || node.op_type == "Gemm") && a && a->shape.rank_known &&
      !a->shape.dims.empty()) {
    // K is A's last dim (or first, for Gemm with transA).
    const core::Attribute* trans_a = node.FindAttribute("transA");
    const core::Dim& k =
        (trans_a && trans_a->i != 0) ? a->shape.dims.front() : a->shape.dims.back();
    return 2 * out_elements * (k.known() ? k.value : 1);
  }
  if ((node.op_type == "Conv" || node.op_type == "ConvTranspose") && b && b->shape.rank_known &&
      b->shape.dims.size() >= 2) {
    // Weights are [M, C/group, k...]: each output element reads C/group * prod(k) inputs.
    double per_output = 1;
    for (size_t i = 1; i < b->shape.dims.size(); ++i)
      per_output *= b->shape.dims[i].known() ? b->shape.dims[i].value : 1;
    return 2 * out_elements * per_output;
  }
  return out_elements;
}

}  // namespace

uint64_t EstimatedBytes(const core::Value& value) {
  const size_t element = std::max<size_t>(core::DTypeSize(value.dtype), 1);
  return static_cast<uint64_t>(ElementsOf(value)) * element;
}

double TransferUs(const DeviceCost* from, const DeviceCost* to, uint64_t bytes) {
  if (from == to) return 0;
  double us = kTransferOverheadUs;
  bool copied = false;
  for (const DeviceCost* side : {from, to}) {
    if (side == nullptr || side->host_memory) continue;
    us += CopyUs(static_cast<double>(bytes),
                 side->link_gbps > 0 ? side->link_gbps : kDefaultLinkGbps) +
          side->link_latency_us;
    copied = true;
  }
  // Between host-memory places the runtime still copies once.
  if (!copied) us += CopyUs(static_cast<double>(bytes), kHostCopyGbps);
  return us;
}

double EstimateNodeUs(const core::Graph& graph, core::NodeId id, const DeviceCost& device) {
  const core::Node& node = graph.nodes[id];
  double bytes = 0;
  for (core::ValueId v : node.inputs)
    if (v != core::kNoValue) bytes += static_cast<double>(EstimatedBytes(graph.values[v]));
  for (core::ValueId v : node.outputs)
    if (v != core::kNoValue) bytes += static_cast<double>(EstimatedBytes(graph.values[v]));
  const double gflops = device.peak_gflops > 0 ? device.peak_gflops : kDefaultGflops;
  const double gbps = device.memory_gbps > 0 ? device.memory_gbps : kDefaultMemoryGbps;
  return std::max(EstimateFlops(graph, node) / (gflops * 1e3), CopyUs(bytes, gbps)) +
         kKernelLaunchUs;
}

}  // namespace hetrun::partitioner
