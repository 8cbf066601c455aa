// The index-driven data movement whose index values may be fed at run time: Pad (pads) and Slice
// (starts/axes/steps). The output dims are static, so the kernels read only the index values they
// need, on the device, and clamp every coordinate, so no index value can read outside the input.
#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

std::string Main(const Kernel& kernel, uint64_t count, uint32_t stride, const std::string& body) {
  return "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
         U(stride) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "  b" +
         std::to_string(kernel.num_inputs) + ".d[pc.o" + std::to_string(kernel.num_inputs) +
         " + i] = v;\n}\n";
}

// `int vB(uint j)` for every int32/int64 input binding B > 0 (declared as int buffers): an int64
// outside the int range saturates (ends of INT64_MAX and the like), which is exact here: every
// dim is below 2^31.
std::string IndexReaders(const GraphInfo& graph, const Kernel& kernel, std::string* header) {
  std::string readers;
  for (uint32_t b = 1; b < kernel.num_inputs; ++b) {
    const hetrun_dtype_t dtype = graph.value(kernel.bindings[b]).dtype;
    if (dtype != HETRUN_DTYPE_INT64 && dtype != HETRUN_DTYPE_INT32) continue;
    const std::string n = std::to_string(b), from = "buffer B" + n + " { float d[]; }";
    header->replace(header->find(from), from.size(), "buffer B" + n + " { int d[]; }");
    readers += "int v" + n + "(uint j) {\n";
    if (dtype == HETRUN_DTYPE_INT64) {
      readers += "  int lo = b" + n + ".d[pc.o" + n + " + 2u * j], hi = b" + n + ".d[pc.o" + n +
                 " + 2u * j + 1u];\n  return hi == (lo >> 31) ? lo : (hi < 0 ? -2147483647 - 1 : "
                 "2147483647);\n}\n";
    } else {
      readers += "  return b" + n + ".d[pc.o" + n + " + j];\n}\n";
    }
  }
  return readers;
}

}  // namespace

// Pad (opset >= 11: pads as an input, constant or fed; constant, edge and reflect modes). The
// output dims are static; the begin pads are read on the device.
std::string CheckPad(const GraphInfo& graph, const hetrun_node& node) {
  if (node.opset < 11) return "opset < 11 (pads as an attribute) is not supported";
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[1] < 0) {
    return "expects data, pads and an optional constant_value (axes not supported)";
  }
  const std::string mode = plugin::AttrString(node, "mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect") return "mode " + mode;
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  if (graph.value(node.inputs[1]).dims != std::vector<int64_t>{2 * static_cast<int64_t>(x.size())})
    return "pads must have 2 x rank elements";
  if (node.num_inputs == 3 && node.inputs[2] >= 0 && graph.value(node.inputs[2]).elements() != 1)
    return "constant_value must be a scalar";
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (y.size() != x.size()) return "output rank differs";
  for (size_t d = 0; d < x.size(); ++d) {
    // Reflect needs pads below the dim (as ONNX requires); edge needs a non-empty dim.
    if (mode == "reflect" && y[d] != x[d] && (x[d] < 2 || y[d] > 3 * x[d] - 2)) {
      return "reflect pads too large";
    }
  }
  return "";
}

Kernel GeneratePad(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const std::string mode = plugin::AttrString(node, "mode", "constant");
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.inputs[1]};
  const bool value = node.num_inputs == 3 && node.inputs[2] >= 0;
  if (value) kernel.bindings.push_back(node.inputs[2]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  std::string header = glsl::Header(128, 1, kernel.num_inputs, 1);
  const std::string readers = IndexReaders(graph, kernel, &header);
  std::vector<uint64_t> in_stride(x.size(), 1);
  for (size_t d = x.size(); d-- > 1;) in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(x[d]);
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t stride = glsl::SpreadGroups(count, 128, limits, kernel.groups);
  std::string body = "  uint r = i;\n  uint src = 0u;\n  bool outside = false;\n";
  for (size_t d = y.size(); d-- > 0;) {
    const std::string n = std::to_string(x[d]);
    body += "  {\n    int p = int(r % " + U(y[d]) + ") - v1(" + U(d) + ");\n    r /= " + U(y[d]) +
            ";\n";
    if (mode == "constant") {
      body += "    outside = outside || p < 0 || p >= " + n + ";\n";
    } else if (mode == "reflect") {
      body += "    if (p < 0) p = -p;\n    if (p >= " + n + ") p = 2 * " + n + " - 2 - p;\n";
    }
    body += "    src += uint(clamp(p, 0, " + n + " - 1)) * " + U(in_stride[d]) + ";\n  }\n";
  }
  body += std::string("  float v = outside ? ") + (value ? "b2.d[pc.o2]" : "0.0") +
          " : b0.d[pc.o0 + src];\n";
  kernel.glsl = header + readers + Main(kernel, count, stride, body);
  return kernel;
}

// Slice with starts/axes/steps fed at run time (opset >= 10): the output dims are static, so the
// kernel reads only starts, axes and steps, and applies ONNX's clamping per axis on the device.
bool RuntimeSlice(const GraphInfo& graph, const hetrun_node& node) {
  if (std::string(node.op_type) != "Slice" || node.opset < 10) return false;
  for (uint32_t slot = 1; slot < node.num_inputs && slot < 5; ++slot) {
    if (node.inputs[slot] >= 0 && !graph.value(node.inputs[slot]).constant) return true;
  }
  return false;
}

std::string CheckRuntimeSlice(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs < 3 || node.num_inputs > 5 || node.inputs[1] < 0 || node.inputs[2] < 0) {
    return "expects data, starts, ends and optional axes, steps";
  }
  const std::vector<int64_t>& k = graph.value(node.inputs[1]).dims;
  for (uint32_t slot = 1; slot < node.num_inputs; ++slot) {
    if (node.inputs[slot] >= 0 && graph.value(node.inputs[slot]).dims != k) {
      return "starts/ends/axes/steps must be 1-D of one length";
    }
  }
  if (k.size() != 1) return "starts/ends/axes/steps must be 1-D of one length";
  if (graph.value(node.outputs[0]).dims.size() != graph.value(node.inputs[0]).dims.size()) {
    return "output rank differs";
  }
  return "";
}

Kernel GenerateRuntimeSlice(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.inputs[1]};
  const bool has_axes = node.num_inputs > 3 && node.inputs[3] >= 0;
  const bool has_steps = node.num_inputs > 4 && node.inputs[4] >= 0;
  if (has_axes) kernel.bindings.push_back(node.inputs[3]);
  if (has_steps) kernel.bindings.push_back(node.inputs[4]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  std::string header = glsl::Header(128, 1, kernel.num_inputs, 1);
  std::string readers = IndexReaders(graph, kernel, &header);
  const std::string axes_b = "2", steps_b = has_axes ? "3" : "2";
  std::vector<uint64_t> in_stride(x.size(), 1);
  for (size_t d = x.size(); d-- > 1;) in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(x[d]);
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t stride = glsl::SpreadGroups(count, 128, limits, kernel.groups);
  const std::string rank = std::to_string(x.size());
  const std::string K = U(static_cast<uint64_t>(graph.value(node.inputs[1]).elements()));
  std::string body = "  uint r = i;\n  uint src = 0u;\n";
  for (size_t d = y.size(); d-- > 0;) {
    const std::string dim = std::to_string(x[d]);
    body += "  {\n    int c = int(r % " + U(y[d]) + ");\n    r /= " + U(y[d]) +
            ";\n    int start = 0, step = 1;\n    for (uint j = 0u; j < " + K + "; ++j) {\n" +
            "      int a = " + (has_axes ? "v" + axes_b + "(j)" : "int(j)") +
            ";\n      if (a < 0) a += " + rank + ";\n      if (a != " + std::to_string(d) +
            ") continue;\n      step = " + (has_steps ? "v" + steps_b + "(j)" : "1") +
            ";\n      int s = v1(j);\n      if (s < 0) s += " + dim +
            ";\n      start = step > 0 ? clamp(s, 0, " + dim + ") : clamp(s, 0, " + dim +
            " - 1);\n    }\n    src += uint(clamp(start + c * step, 0, " + dim + " - 1)) * " +
            U(in_stride[d]) + ";\n  }\n";
  }
  kernel.glsl =
      header + readers + Main(kernel, count, stride, body + "  float v = b0.d[pc.o0 + src];\n");
  return kernel;
}

}  // namespace hetrun::vulkan
