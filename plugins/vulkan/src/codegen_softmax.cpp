// Softmax and LogSoftmax: one invocation per row (outer x inner position), three passes over the
// axis (max, sum of exp, write), numerically stable. Opset 13 normalises along one axis; earlier
// opsets flatten the input to 2-D at `axis` and normalise each row of the trailing dims.
#include <algorithm>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

struct SoftmaxShape {
  uint64_t outer = 1, length = 1, inner = 1;
};

SoftmaxShape Analyse(const GraphInfo& graph, const hetrun_node& node, std::string* why) {
  SoftmaxShape s;
  if (node.num_inputs != 1 || node.inputs[0] < 0) return *why = "expects one input", s;
  const std::vector<int64_t> dims = graph.value(node.inputs[0]).dims;
  if (graph.value(node.outputs[0]).dims != dims) return *why = "output shape differs", s;
  const auto rank = static_cast<int64_t>(dims.size());
  int64_t axis = plugin::AttrInt(node, "axis", node.opset >= 13 ? -1 : 1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) return *why = "axis out of range", s;
  if (axis < 0) axis += rank;
  for (int64_t d = 0; d < rank; ++d) {
    const auto n = static_cast<uint64_t>(dims[static_cast<size_t>(d)]);
    if (d < axis) {
      s.outer *= n;
    } else if (d == axis || node.opset < 13) {
      s.length *= n;
    } else {
      s.inner *= n;
    }
  }
  return s;
}

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

}  // namespace

std::string CheckSoftmax(const GraphInfo& graph, const hetrun_node& node) {
  std::string why;
  Analyse(graph, node, &why);
  return why;
}

Kernel GenerateSoftmax(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  std::string why;
  const SoftmaxShape s = Analyse(graph, node, &why);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  const bool log = std::string(node.op_type) == "LogSoftmax";
  const bool hard = std::string(node.op_type) == "Hardmax";
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  const uint32_t local = 64;
  const uint64_t rows = s.outer * s.inner;
  const uint32_t stride = glsl::SpreadGroups(rows, local, limits, kernel.groups);
  const std::string x = "b0.d[pc.o0 + base + l * " + U(s.inner) + "]";
  const std::string y = "b1.d[pc.o1 + base + l * " + U(s.inner) + "]";
  const std::string softmax =
      "  float m = uintBitsToFloat(0xff800000u);\n"
      "  for (uint l = 0u; l < " +
      U(s.length) + "; ++l) m = max(m, " + x +
      ");\n"
      "  float sum = 0.0;\n"
      "  for (uint l = 0u; l < " +
      U(s.length) + "; ++l) sum += exp(" + x + " - m);\n" +
      (log ? "  float ls = hr_log(sum);\n  for (uint l = 0u; l < " + U(s.length) + "; ++l) " + y +
                 " = (" + x + " - m) - ls;\n"
           : "  for (uint l = 0u; l < " + U(s.length) + "; ++l) " + y + " = exp(" + x +
                 " - m) / sum;\n");
  // Hardmax: 1 at the first maximum of the row, 0 elsewhere.
  const std::string hardmax =
      "  uint best = 0u;\n  float m = b0.d[pc.o0 + base];\n  for (uint l = 1u; l < " + U(s.length) +
      "; ++l) if (" + x + " > m) { m = " + x + "; best = l; }\n  for (uint l = 0u; l < " +
      U(s.length) + "; ++l) " + y + " = l == best ? 1.0 : 0.0;\n";
  kernel.glsl = glsl::Header(local, 1, 1, 1);
  if (log) kernel.glsl += glsl::LogHelper();
  kernel.glsl +=
      "\nvoid main() {\n"
      "  uint t = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
      U(stride) +
      ";\n"
      "  if (t >= " +
      U(rows) +
      ") return;\n"
      "  uint base = (t / " +
      U(s.inner) + ") * " + U(s.length * s.inner) + " + t % " + U(s.inner) + ";\n" +
      (hard ? hardmax : softmax) + "}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
