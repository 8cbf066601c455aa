#include "query_support.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "errors.h"
#include "kernel.h"

namespace hetrun::cpu {
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

// Checks the kernels rely on: KernelBuildContext indexes graph.values and reads dims unchecked.
void CheckValueRef(const hetrun_graph_view& graph, int32_t index, const char* role, uint32_t slot) {
  if (index < 0) return;  // omitted optional
  if (static_cast<uint32_t>(index) >= graph.num_values) {
    ThrowInvalid(std::string(role) + " #" + std::to_string(slot) +
                 " has a value index out of range");
  }
  const hetrun_value& value = graph.values[index];
  if (value.rank > 0 && !value.dims) {
    ThrowInvalid(std::string(role) + " #" + std::to_string(slot) + " has a rank but no dims");
  }
}

void CheckNode(const hetrun_node& node, const hetrun_graph_view& graph) {
  if (!node.op_type) ThrowInvalid("the node has no op_type");
  if ((node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
      (node.num_attributes && !node.attributes)) {
    ThrowInvalid("the node has a NULL array with a non-zero count");
  }
  for (uint32_t i = 0; i < node.num_inputs; ++i) CheckValueRef(graph, node.inputs[i], "input", i);
  for (uint32_t o = 0; o < node.num_outputs; ++o) {
    CheckValueRef(graph, node.outputs[o], "output", o);
  }
}

}  // namespace

void QuerySupport(const hetrun_graph_view& graph, int threads, double peak_gflops,
                  hetrun_node_support* out) {
  if (graph.struct_size < sizeof(hetrun_graph_view)) {
    ThrowInvalid("graph view struct_size " + std::to_string(graph.struct_size) + " is too small");
  }
  if ((graph.num_values && !graph.values) || (graph.num_nodes && !graph.nodes)) {
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  }
  if (graph.num_nodes == 0) return;
  if (!out) ThrowInvalid("out_support is NULL");
  // A newer host's entries may be larger than ours: step by the size it says it uses.
  const uint32_t stride = out->struct_size;
  if (stride < sizeof(hetrun_node_support) || stride % alignof(hetrun_node_support) != 0) {
    ThrowInvalid("hetrun_node_support struct_size " + std::to_string(stride) +
                 " is too small or not a C struct's size");
  }

  auto* bytes = reinterpret_cast<std::byte*>(out);
  for (uint32_t k = 0; k < graph.num_nodes; ++k) {
    auto& answer = *reinterpret_cast<hetrun_node_support*>(bytes + size_t{k} * stride);
    const hetrun_node& node = graph.nodes[k];
    try {
      CheckNode(node, graph);
      const KernelBuildContext ctx{node, graph};
      CreateKernel(ctx);  // throws the reason when the node is not supported
      answer.supported = 1;
      answer.reason[0] = '\0';
      try {
        answer.cost_us = EstimateCostUs(ctx, threads, peak_gflops);
      } catch (...) {
        answer.cost_us = 0;  // supported, but no estimate
      }
    } catch (...) {
      answer.supported = 0;
      answer.cost_us = 0;
      CopyReason(DescribeCurrentException().second, answer.reason);
    }
  }
}

}  // namespace hetrun::cpu
