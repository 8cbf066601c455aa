// Data movement: Concat (one work item per output element picks its input), Softmax, and the view
// ops, which only reinterpret the shape: they become a buffer copy.
#include <sstream>

#include "codegen.h"
#include "errors.h"

namespace hetrun::opencl {
namespace {

int64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t d = begin; d < end; ++d) p *= dims[d];
  return p;
}

}  // namespace

std::string CheckConcat(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& out = graph.value(node.outputs[0]).dims;
  const int64_t rank = static_cast<int64_t>(out.size());
  int64_t axis = plugin::AttrInt(node, "axis", rank == 1 ? 0 : INT64_MIN);
  if (axis == INT64_MIN) return "axis is required";
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return "axis out of range";
  if (node.num_inputs < 1) return "expects inputs";
  int64_t total = 0;
  for (uint32_t j = 0; j < node.num_inputs; ++j) {
    if (node.inputs[j] < 0) return "omitted inputs are not allowed";
    std::vector<int64_t> dims = graph.value(node.inputs[j]).dims;
    if (dims.size() != out.size()) return "inputs must have the output's rank";
    total += dims[static_cast<size_t>(axis)];
    dims[static_cast<size_t>(axis)] = out[static_cast<size_t>(axis)];
    if (dims != out) return "inputs differ from the output outside the axis";
  }
  if (total != out[static_cast<size_t>(axis)]) return "inputs do not add up to the output";
  return "";
}

Kernel GenerateConcat(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  if (std::string reason = CheckConcat(graph, k); !reason.empty()) ThrowUnimplemented(reason);
  const std::vector<int64_t>& out = graph.value(node.outputs[0]).dims;
  int64_t axis = plugin::AttrInt(node, "axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  const size_t ax = static_cast<size_t>(axis);
  const int64_t inner = Product(out, ax + 1, out.size()), length = out[ax];
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.work_items = graph.value(node.outputs[0]).elements();
  std::ostringstream s;
  s << "  const long outer = i / " << length * inner << "L;\n"
    << "  const long a = (i / " << inner << "L) % " << length << "L;\n"
    << "  const long in = i % " << inner << "L;\n";
  int64_t start = 0;
  for (uint32_t j = 0; j < node.num_inputs; ++j) {
    const int64_t size = graph.value(node.inputs[j]).dims[ax];
    if (size == 0) continue;  // contributes nothing (and has no buffer to bind)
    const std::string in = "IN" + std::to_string(kernel.args.size());
    kernel.args.push_back(node.inputs[j]);
    s << "  " << (start ? "else " : "") << "if (a < " << start + size << "L) OUT0(i, " << in
      << "((outer * " << size << "L + a - " << start << "L) * " << inner << "L + in));\n";
    start += size;
  }
  kernel.num_inputs = static_cast<uint32_t>(kernel.args.size());
  kernel.args.push_back(node.outputs[0]);
  kernel.source = cl::Source(graph, kernel.args, kernel.num_inputs, kernel.work_items, s.str());
  return kernel;
}

std::string CheckSoftmax(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  if (node.num_inputs != 1 || node.inputs[0] < 0) return "expects one input";
  const std::vector<int64_t>& dims = graph.value(node.inputs[0]).dims;
  const int64_t rank = static_cast<int64_t>(dims.size());
  int64_t axis = plugin::AttrInt(node, "axis", node.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return "axis out of range";
  return graph.value(node.outputs[0]).dims == dims ? "" : "output shape differs from the input's";
}

Kernel GenerateSoftmax(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& dims = graph.value(node.inputs[0]).dims;
  int64_t axis = plugin::AttrInt(node, "axis", node.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += static_cast<int64_t>(dims.size());
  const size_t ax = static_cast<size_t>(axis);
  // Opset 13: one axis. Before: the input is coerced to 2-D at `axis` (all later dims together).
  const int64_t length = node.opset >= 13 ? dims[ax] : Product(dims, ax, dims.size());
  const int64_t inner = node.opset >= 13 ? Product(dims, ax + 1, dims.size()) : 1;
  const int64_t outer = Product(dims, 0, ax);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.args = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  kernel.work_items = static_cast<uint64_t>(outer * inner);
  std::ostringstream s;
  s << "  const long base = (i / " << inner << "L) * " << length * inner << "L + i % " << inner
    << "L;\n"
    << "  float top = -INFINITY;\n"
    << "  for (long j = 0; j < " << length << "L; ++j) top = fmax(top, IN0(base + j * " << inner
    << "L));\n"
    << "  float sum = 0.0f;\n"
    << "  for (long j = 0; j < " << length << "L; ++j) sum += exp(IN0(base + j * " << inner
    << "L) - top);\n"
    << "  for (long j = 0; j < " << length << "L; ++j) OUT0(base + j * " << inner
    << "L, exp(IN0(base + j * " << inner << "L) - top) / sum);\n";
  kernel.source = cl::Source(graph, kernel.args, 1, kernel.work_items, s.str());
  return kernel;
}

bool IsViewOp(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Identity";
}

bool IsHostSlot(const GraphInfo& graph, uint32_t k, uint32_t slot) {
  const std::string op = graph.node(k).op_type;
  return slot >= 1 && (op == "Reshape" || op == "Squeeze" || op == "Unsqueeze");
}

std::string CheckView(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  if (node.num_inputs < 1 || node.inputs[0] < 0) return "expects a data input";
  if (graph.value(node.inputs[0]).elements() != graph.value(node.outputs[0]).elements()) {
    return "input and output element counts differ";
  }
  if (graph.value(node.inputs[0]).dtype != graph.value(node.outputs[0]).dtype) {
    return "input and output dtypes differ";
  }
  // The output shape is static, so shape/axes inputs are never read: they need not be constants.
  return "";
}

Kernel GenerateView(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.args = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  kernel.work_items = graph.value(node.outputs[0]).elements();
  kernel.copy = true;
  return kernel;
}

}  // namespace hetrun::opencl
