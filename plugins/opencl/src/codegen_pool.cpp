// Pooling: MaxPool and AveragePool (pads, strides, dilations, ceil_mode, count_include_pad) and the
// global pools. One work item per output element walks its window.
#include <sstream>

#include "codegen.h"
#include "errors.h"
#include "window_geometry.h"

namespace hetrun::opencl {
namespace {

bool IsGlobal(const std::string& op) {
  return op == "GlobalAveragePool" || op == "GlobalMaxPool";
}

std::string Resolve(const GraphInfo& graph, uint32_t k, WindowGeometry* g) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (node.num_inputs != 1 || node.inputs[0] < 0) return "expects one input";
  if (node.num_outputs > 1 && node.outputs[1] >= 0) return "the Indices output is not supported";
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (x.size() < 3 || x.size() > 5) return "only 1-3 spatial dims are supported";
  if (y.size() != x.size() || y[0] != x[0] || y[1] != x[1]) return "output must be [N, C, ...]";
  if (IsGlobal(op)) {
    for (size_t d = 2; d < y.size(); ++d) {
      if (y[d] != 1) return "global pool output must be 1 in every spatial dim";
    }
    return "";
  }
  if (op == "MaxPool" && plugin::AttrInt(node, "storage_order", 0) != 0 && node.num_outputs > 1) {
    return "storage_order is not supported";
  }
  if (op == "AveragePool" && node.opset < 19 && plugin::FindAttr(node, "dilations")) {
    return "dilations need AveragePool-19";
  }
  const std::vector<int64_t> kernel = plugin::AttrInts(node, "kernel_shape");
  if (kernel.size() != x.size() - 2) return "kernel_shape must have one entry per spatial dim";
  return ResolveWindow(graph, k, kernel, false, g);
}

}  // namespace

bool IsPoolOp(const std::string& op) {
  return op == "MaxPool" || op == "AveragePool" || IsGlobal(op);
}

std::string CheckPool(const GraphInfo& graph, uint32_t k) {
  WindowGeometry g;
  return Resolve(graph, k, &g);
}

Kernel GeneratePool(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  WindowGeometry g;
  if (std::string reason = Resolve(graph, k, &g); !reason.empty()) ThrowUnimplemented(reason);
  const ValueInfo& x = graph.value(node.inputs[0]);
  const ValueInfo& y = graph.value(node.outputs[0]);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.args = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  kernel.work_items = y.elements();
  const bool is_max = op == "MaxPool" || op == "GlobalMaxPool";
  std::ostringstream s;
  if (IsGlobal(op)) {
    const uint64_t size = x.elements() / static_cast<uint64_t>(x.dims[0] * x.dims[1]);
    s << "  float acc = " << (is_max ? "-INFINITY" : "0.0f") << ";\n"
      << "  for (long j = 0; j < " << size << "L; ++j) {\n"
      << "    const float v = IN0(i * " << size << "L + j);\n"
      << (is_max ? "    acc = v > acc || v != v ? v : acc;\n" : "    acc += v;\n") << "  }\n"
      << "  OUT0(i, " << (is_max ? "acc" : "acc / " + std::to_string(size) + ".0f") << ");\n";
    kernel.source = cl::Source(graph, kernel.args, 1, kernel.work_items, s.str());
    return kernel;
  }
  // count_include_pad counts window positions inside the padded input (never those a ceil_mode
  // window hangs past the end padding); otherwise only positions inside the input.
  const bool include_pad = plugin::AttrInt(node, "count_include_pad", 0) != 0;
  const size_t n = g.kernel.size();
  s << cl::Unravel(y.dims, "i", "c") << "  const long nc = c0 * " << y.dims[1] << "L + c1;\n"
    << "  float acc = " << (is_max ? "-INFINITY" : "0.0f") << ";\n  long count = 0;\n";
  std::string x_index = "nc";
  for (size_t d = 0; d < n; ++d) {
    const std::string kd = "k" + std::to_string(d), pd = "p" + std::to_string(d);
    s << "  for (long " << kd << " = 0; " << kd << " < " << g.kernel[d] << "L; ++" << kd << ") {\n"
      << "  const long " << pd << " = c" << d + 2 << " * " << g.strides[d] << "L - "
      << g.pad_begin[d] << "L + " << kd << " * " << g.dilations[d] << "L;\n"
      << "  const int in" << d << " = " << pd << " >= 0 && " << pd << " < " << g.in[d] << "L;\n"
      << "  const int pad" << d << " = " << pd << " < " << g.in[d] + g.pad_end[d] << "L;\n";
    x_index = "(" + x_index + ") * " + std::to_string(g.in[d]) + "L + " + pd;
  }
  std::string inside = "in0", padded = "pad0";
  for (size_t d = 1; d < n; ++d) {
    inside += " && in" + std::to_string(d);
    padded += " && pad" + std::to_string(d);
  }
  s << "    if (" << (include_pad ? padded : inside) << ") ++count;\n"
    << "    if (" << inside << ") {\n      const float v = IN0(" << x_index << ");\n"
    << (is_max ? "      acc = v > acc || v != v ? v : acc;\n" : "      acc += v;\n") << "    }\n";
  for (size_t d = 0; d < n; ++d) s << "  }\n";
  s << "  OUT0(i, " << (is_max ? "acc" : "count > 0 ? acc / (float)count : 0.0f") << ");\n";
  kernel.source = cl::Source(graph, kernel.args, 1, kernel.work_items, s.str());
  return kernel;
}

}  // namespace hetrun::opencl
