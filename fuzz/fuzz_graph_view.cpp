// libFuzzer target: bytes -> import -> core::GraphView::Build, then a walk over every value, node,
// attribute and nested subgraph view, touching every pointer the plugin ABI hands to plugins (so
// ASan sees a bad index, length or dangling pointer).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hetrun/core/graph_view.h"
#include "hetrun/core/onnx_import.h"

namespace {

volatile uint64_t g_sink;  // keeps the reads below from being optimised away

void Touch(const void* data, uint64_t bytes) {
  if (!data || bytes == 0) return;
  const auto* p = static_cast<const unsigned char*>(data);
  g_sink = g_sink + p[0] + p[bytes - 1];
}

void Walk(const hetrun_graph_view* view, int depth);

void WalkValue(const hetrun_value& value) {
  g_sink = g_sink + std::strlen(value.name);
  if (value.rank > 0) Touch(value.dims, static_cast<uint64_t>(value.rank) * sizeof(int64_t));
  Touch(value.data, value.data_bytes);
}

void WalkAttribute(const hetrun_attribute& a, int depth) {
  g_sink = g_sink + std::strlen(a.name);
  switch (a.type) {
    case HETRUN_ATTR_STRING: Touch(a.s, a.s_size); break;
    case HETRUN_ATTR_FLOATS: Touch(a.floats, uint64_t{a.count} * sizeof(float)); break;
    case HETRUN_ATTR_INTS: Touch(a.ints, uint64_t{a.count} * sizeof(int64_t)); break;
    case HETRUN_ATTR_STRINGS:
      for (uint32_t i = 0; i < a.count; ++i) g_sink = g_sink + std::strlen(a.strings[i]);
      break;
    case HETRUN_ATTR_TENSOR:
      if (a.tensor) WalkValue(*a.tensor);
      break;
    case HETRUN_ATTR_GRAPH: Walk(a.graph, depth + 1); break;
    default: break;
  }
}

void Walk(const hetrun_graph_view* view, int depth) {
  if (!view || depth > 64) return;
  for (uint32_t i = 0; i < view->num_values; ++i) WalkValue(view->values[i]);
  auto check_index = [&](int32_t index) {
    if (index < -1 || index >= static_cast<int64_t>(view->num_values)) __builtin_trap();
    if (index >= 0) g_sink = g_sink + view->values[index].flags;
  };
  for (uint32_t n = 0; n < view->num_nodes; ++n) {
    const hetrun_node& node = view->nodes[n];
    g_sink = g_sink + std::strlen(node.name) + std::strlen(node.op_type) + std::strlen(node.domain);
    for (uint32_t i = 0; i < node.num_inputs; ++i) check_index(node.inputs[i]);
    for (uint32_t i = 0; i < node.num_outputs; ++i) check_index(node.outputs[i]);
    for (uint32_t i = 0; i < node.num_attributes; ++i) WalkAttribute(node.attributes[i], depth);
  }
  for (uint32_t i = 0; i < view->num_inputs; ++i) check_index(view->inputs[i]);
  for (uint32_t i = 0; i < view->num_outputs; ++i) check_index(view->outputs[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hetrun::core::ImportOptions options;
  options.optimize = (size % 2) == 0;
  options.max_external_bytes = 1 << 20;
  auto graph = hetrun::core::ImportOnnxBytes(data, size, options, "fuzz.onnx");
  if (!graph.ok()) return 0;
  auto view = hetrun::core::GraphView::Build(*graph);
  if (view) Walk(view->view(), 0);
  return 0;
}
