// Conv and ConvTranspose: one work item per output element, summing over the input channels of its
// group and the kernel window. ConvTranspose is written as a gather (each output element finds the
// inputs that scatter into it), so no atomics are needed.
#include <sstream>

#include "codegen.h"
#include "errors.h"
#include "window_geometry.h"

namespace hetrun::opencl {
namespace {

bool Transposed(const hetrun_node& node) {
  return std::string(node.op_type) == "ConvTranspose";
}

std::string Resolve(const GraphInfo& graph, uint32_t k, WindowGeometry* g) {
  const hetrun_node& node = graph.node(k);
  if (node.num_inputs < 2 || node.inputs[0] < 0 || node.inputs[1] < 0 || node.num_inputs > 3) {
    return "expects X, W and an optional B";
  }
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& w = graph.value(node.inputs[1]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (x.size() < 3 || x.size() > 5) return "only 1-3 spatial dims are supported";
  if (w.size() != x.size()) return "W must have the rank of X";
  const std::vector<int64_t> kernel(w.begin() + 2, w.end());
  const std::vector<int64_t> kernel_shape = plugin::AttrInts(node, "kernel_shape", kernel);
  if (kernel_shape != kernel) return "kernel_shape " + FormatDims(kernel_shape) + " differs from W";
  const int64_t group = plugin::AttrInt(node, "group", 1);
  if (group < 1 || x[1] % group != 0) return "group must divide the input channels";
  const bool transposed = Transposed(node);
  // Conv: W is [M, C/group, k...]; ConvTranspose: W is [C, M/group, k...].
  const int64_t m = transposed ? w[1] * group : w[0];
  if ((transposed ? w[0] != x[1] : w[1] * group != x[1]) || (!transposed && m % group != 0)) {
    return "W's channels do not match X and group";
  }
  if (y[0] != x[0] || y[1] != m) return "output must be [N, M, ...]";
  const int32_t b = graph.Input(k, 2);
  if (b >= 0 && graph.value(b).dims != std::vector<int64_t>{m}) return "B must be [M]";
  return ResolveWindow(graph, k, kernel, transposed, g);
}

}  // namespace

std::string CheckConv(const GraphInfo& graph, uint32_t k) {
  WindowGeometry g;
  return Resolve(graph, k, &g);
}

uint64_t ConvMacs(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& w = graph.value(node.inputs[1]).dims;
  uint64_t per_output = 1;
  for (size_t d = 1; d < w.size(); ++d) per_output *= static_cast<uint64_t>(w[d]);
  const uint64_t outputs =
      graph.value(Transposed(node) ? node.inputs[0] : node.outputs[0]).elements();
  return outputs * per_output;
}

Kernel GenerateConv(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  WindowGeometry g;
  if (std::string reason = Resolve(graph, k, &g); !reason.empty()) ThrowUnimplemented(reason);
  const bool transposed = Transposed(node);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const int64_t group = plugin::AttrInt(node, "group", 1);
  const int64_t c = x[1], m = y[1], cg = c / group, mg = m / group;
  const size_t n = g.kernel.size();
  const int32_t bias = graph.Input(k, 2);

  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.args = {node.inputs[0], node.inputs[1]};
  if (bias >= 0) kernel.args.push_back(bias);
  kernel.num_inputs = static_cast<uint32_t>(kernel.args.size());
  kernel.args.push_back(node.outputs[0]);
  kernel.work_items = graph.value(node.outputs[0]).elements();

  // Coordinates: c0 = batch, c1 = output channel, c2.. = output position.
  std::ostringstream s;
  s << cl::Unravel(y, "i", "c") << "  const long g = c1 / " << mg << "L;\n"
    << "  float acc = " << (bias >= 0 ? "IN2(c1)" : "0.0f") << ";\n"
    << "  for (long ic = 0; ic < " << cg << "L; ++ic) {\n"
    << "    const long xc = c0 * " << c << "L + g * " << cg
    << "L + ic;\n"
    // Conv W: [M, C/g, k..] row c1*cg+ic; ConvTranspose W: [C, M/g, k..] row (g*cg+ic)*mg + c1%mg.
    << "    const long wc = "
    << (transposed ? "(g * " + std::to_string(cg) + "L + ic) * " + std::to_string(mg) +
                         "L + c1 % " + std::to_string(mg) + "L"
                   : "c1 * " + std::to_string(cg) + "L + ic")
    << ";\n";
  std::string x_index = "xc", w_index = "wc";
  for (size_t d = 0; d < n; ++d) {
    const std::string kd = "k" + std::to_string(d), pd = "p" + std::to_string(d);
    const std::string od = "c" + std::to_string(d + 2);
    s << "    for (long " << kd << " = 0; " << kd << " < " << g.kernel[d] << "L; ++" << kd
      << ") {\n";
    if (transposed) {
      // Output o receives input p where p * stride - pad + k * dilation == o.
      s << "    const long t" << d << " = " << od << " + " << g.pad_begin[d] << "L - " << kd
        << " * " << g.dilations[d] << "L;\n"
        << "    if (t" << d << " < 0 || t" << d << " % " << g.strides[d] << "L != 0) continue;\n"
        << "    const long " << pd << " = t" << d << " / " << g.strides[d] << "L;\n"
        << "    if (" << pd << " >= " << g.in[d] << "L) continue;\n";
    } else {
      s << "    const long " << pd << " = " << od << " * " << g.strides[d] << "L - "
        << g.pad_begin[d] << "L + " << kd << " * " << g.dilations[d] << "L;\n"
        << "    if (" << pd << " < 0 || " << pd << " >= " << g.in[d] << "L) continue;\n";
    }
    x_index = "(" + x_index + ") * " + std::to_string(g.in[d]) + "L + " + pd;
    w_index = "(" + w_index + ") * " + std::to_string(g.kernel[d]) + "L + " + kd;
  }
  s << "      acc += IN0(" << x_index << ") * IN1(" << w_index << ");\n";
  for (size_t d = 0; d < n; ++d) s << "    }\n";
  s << "  }\n  OUT0(i, acc);\n";
  kernel.source = cl::Source(graph, kernel.args, kernel.num_inputs, kernel.work_items, s.str());
  return kernel;
}

}  // namespace hetrun::opencl
