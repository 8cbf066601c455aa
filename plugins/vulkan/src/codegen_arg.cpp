// ArgMax / ArgMin over float32: one invocation per output element walks the reduced axis and keeps
// the first extreme (or the last, with select_last_index), as ONNX's int64 index.
#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

struct ArgGeometry {
  uint64_t outer = 1, n = 1, inner = 1;
};

// The reduced axis, normalised; -1 when out of range.
int64_t Axis(const GraphInfo& graph, const hetrun_node& node) {
  const auto rank = static_cast<int64_t>(graph.value(node.inputs[0]).dims.size());
  int64_t axis = plugin::AttrInt(node, "axis", 0);
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank ? axis : -1;
}

ArgGeometry Geometry(const std::vector<int64_t>& dims, int64_t axis) {
  ArgGeometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d) {
    const auto size = static_cast<uint64_t>(dims[d]);
    if (d < axis) g.outer *= size;
    if (d == axis) g.n = size;
    if (d > axis) g.inner *= size;
  }
  return g;
}

}  // namespace

bool IsArgOp(const std::string& op) {
  return op == "ArgMax" || op == "ArgMin";
}

std::string CheckArg(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs != 1 || node.inputs[0] < 0 || node.num_outputs != 1) {
    return "expects one input and one output";
  }
  const ValueInfo& in = graph.value(node.inputs[0]);
  const ValueInfo& out = graph.value(node.outputs[0]);
  if (in.dtype != HETRUN_DTYPE_FLOAT32 || out.dtype != HETRUN_DTYPE_INT64) {
    return "only float32 data with int64 indices";
  }
  const int64_t axis = Axis(graph, node);
  if (axis < 0) return "axis out of range";
  std::vector<int64_t> dims = in.dims;
  if (plugin::AttrInt(node, "keepdims", 1) != 0) {
    dims[static_cast<size_t>(axis)] = 1;
  } else {
    dims.erase(dims.begin() + axis);
  }
  if (dims != out.dims) {
    return "output dims " + FormatDims(out.dims) + " differ from the computed " + FormatDims(dims);
  }
  return "";
}

Kernel GenerateArg(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  kernel.offset_units = {4, 8};
  const ArgGeometry g = Geometry(graph.value(node.inputs[0]).dims, Axis(graph, node));
  const uint64_t count = g.outer * g.inner;
  const bool last = plugin::AttrInt(node, "select_last_index", 0) != 0;
  const bool max = std::string(node.op_type) == "ArgMax";
  const std::string better = std::string(max ? " >" : " <") + (last ? "= " : " ");
  const uint32_t local = 64;
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  kernel.glsl = glsl::TypedHeader(local, 1, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_INT64}, 1) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) +
                "u) return;\n  uint base = pc.o0 + (i / " + std::to_string(g.inner) + "u) * " +
                std::to_string(g.n * g.inner) + "u + i % " + std::to_string(g.inner) +
                "u;\n  float best = b0.d[base];\n  uint at = 0u;\n  for (uint j = 1u; j < " +
                std::to_string(g.n) + "u; ++j) {\n    float x = b0.d[base + j * " +
                std::to_string(g.inner) + "u];\n    if (x" + better +
                "best) { best = x; at = j; }\n  }\n  b1.d[pc.o1 + i] = int64_t(at);\n}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
