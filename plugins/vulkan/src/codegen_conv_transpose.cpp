// ConvTranspose (1-D to 3-D, groups, strides, dilations, pads, output_padding, output_shape,
// auto_pad): one invocation per output element gathers every input element whose scatter lands
// on it, so no two invocations write the same place. The output dims come from the graph; only
// the leading pad of each axis is needed, computed as the ONNX reference does.
#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

struct Geometry {
  size_t rank = 0;                                                 // spatial
  std::vector<int64_t> in, out, kernel, strides, dilations, pads;  // pads: leading only
  int64_t groups = 1;
};

std::vector<int64_t> Attr(const hetrun_node& node, const char* name, size_t rank, int64_t fill) {
  std::vector<int64_t> v = plugin::AttrInts(node, name, {});
  if (v.empty()) v.assign(rank, fill);
  return v;
}

// Fills `g`, or returns why not.
std::string Compute(const GraphInfo& graph, const hetrun_node& node, Geometry* g) {
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& w = graph.value(node.inputs[1]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (x.size() < 3 || x.size() > 5 || w.size() != x.size() || y.size() != x.size()) {
    return "expects 1-D to 3-D N x C x spatial tensors";
  }
  g->rank = x.size() - 2;
  g->groups = plugin::AttrInt(node, "group", 1);
  if (g->groups < 1 || x[1] % g->groups != 0 || w[0] != x[1]) return "weight/group mismatch";
  if (y[0] != x[0] || y[1] != w[1] * g->groups) return "output channels mismatch";
  g->in.assign(x.begin() + 2, x.end());
  g->out.assign(y.begin() + 2, y.end());
  g->kernel.assign(w.begin() + 2, w.end());
  const std::vector<int64_t> ks = plugin::AttrInts(node, "kernel_shape", {});
  if (!ks.empty() && ks != g->kernel) return "kernel_shape differs from the weight's";
  g->strides = Attr(node, "strides", g->rank, 1);
  g->dilations = Attr(node, "dilations", g->rank, 1);
  const std::vector<int64_t> out_pad = Attr(node, "output_padding", g->rank, 0);
  const std::vector<int64_t> pads = Attr(node, "pads", 2 * g->rank, 0);
  const std::vector<int64_t> shape = plugin::AttrInts(node, "output_shape", {});
  const std::string auto_pad = plugin::AttrString(node, "auto_pad", "NOTSET");
  if (g->strides.size() != g->rank || g->dilations.size() != g->rank || out_pad.size() != g->rank ||
      pads.size() != 2 * g->rank) {
    return "attribute lengths differ from the spatial rank";
  }
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID") {
    return "auto_pad '" + auto_pad + "' is not supported";
  }
  g->pads.assign(g->rank, 0);
  for (size_t a = 0; a < g->rank; ++a) {
    if (g->strides[a] < 1 || g->dilations[a] < 1) return "strides and dilations must be positive";
    const int64_t full =
        g->strides[a] * (g->in[a] - 1) + out_pad[a] + (g->kernel[a] - 1) * g->dilations[a] + 1;
    int64_t expected = full - pads[a] - pads[a + g->rank];
    if (!shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Pads from the wanted size: output_shape, or input * stride for SAME_*.
      const size_t first = shape.size() > g->rank ? shape.size() - g->rank : 0;
      const int64_t target = shape.empty() ? g->in[a] * g->strides[a] : shape[first + a];
      const int64_t total = full - target;
      // Floor division, as the reference's Python: total may be negative (a larger output).
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      g->pads[a] = auto_pad == "SAME_UPPER" ? half : total - half;
      expected = target;
    } else if (auto_pad == "VALID") {
      expected = full;
    } else {
      g->pads[a] = pads[a];
    }
    if (expected != g->out[a]) {
      return "output dims " + FormatDims(y) + " differ from the computed ones";
    }
  }
  return "";
}

}  // namespace

std::string CheckConvTranspose(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[0] < 0 || node.inputs[1] < 0 ||
      node.num_outputs != 1) {
    return "expects X, W, an optional B and one output";
  }
  Geometry g;
  const std::string why = Compute(graph, node, &g);
  if (!why.empty()) return why;
  if (node.num_inputs == 3 && node.inputs[2] >= 0 &&
      graph.value(node.inputs[2]).dims !=
          std::vector<int64_t>{graph.value(node.outputs[0]).dims[1]}) {
    return "bias must have one element per output channel";
  }
  return "";
}

Kernel GenerateConvTranspose(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  Geometry g;
  Compute(graph, node, &g);
  const bool bias = node.num_inputs == 3 && node.inputs[2] >= 0;
  kernel.bindings = {node.inputs[0], node.inputs[1]};
  if (bias) kernel.bindings.push_back(node.inputs[2]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const int64_t c_per_group = x[1] / g.groups, m_per_group = y[1] / g.groups;
  std::string body = "  uint r = i;\n";
  for (size_t a = g.rank; a-- > 0;) {
    body += "  int o" + std::to_string(a) + " = int(r % " + U(static_cast<uint64_t>(g.out[a])) +
            ");\n  r /= " + U(static_cast<uint64_t>(g.out[a])) + ";\n";
  }
  body += "  uint m = r % " + U(static_cast<uint64_t>(y[1])) + ", n = r / " +
          U(static_cast<uint64_t>(y[1])) + ";\n  uint group = m / " +
          U(static_cast<uint64_t>(m_per_group)) + ", mm = m % " +
          U(static_cast<uint64_t>(m_per_group)) +
          ";\n  float sum = " + (bias ? "b2.d[pc.o2 + m]" : std::string("0.0")) + ";\n";
  uint64_t in_size = 1, k_size = 1;
  for (size_t a = 0; a < g.rank; ++a) {
    in_size *= static_cast<uint64_t>(g.in[a]);
    k_size *= static_cast<uint64_t>(g.kernel[a]);
  }
  body += "  for (uint c = group * " + U(static_cast<uint64_t>(c_per_group)) +
          "; c < (group + 1u) * " + U(static_cast<uint64_t>(c_per_group)) + "; ++c) {\n";
  std::string indent = "    ",
              x_at = "(n * " + U(static_cast<uint64_t>(x[1])) + " + c) * " + U(in_size),
              w_at = "(c * " + U(static_cast<uint64_t>(m_per_group)) + " + mm) * " + U(k_size);
  uint64_t in_stride = in_size, k_stride = k_size;
  for (size_t a = 0; a < g.rank; ++a) {
    const std::string n = std::to_string(a);
    in_stride /= static_cast<uint64_t>(g.in[a]);
    k_stride /= static_cast<uint64_t>(g.kernel[a]);
    body += indent + "for (int k" + n + " = 0; k" + n + " < " + std::to_string(g.kernel[a]) +
            "; ++k" + n + ") {\n" + indent + "  int t" + n + " = o" + n + " + " +
            std::to_string(g.pads[a]) + " - k" + n + " * " + std::to_string(g.dilations[a]) +
            ";\n" + indent + "  if (t" + n + " < 0 || t" + n + " % " +
            std::to_string(g.strides[a]) + " != 0 || t" + n + " / " + std::to_string(g.strides[a]) +
            " >= " + std::to_string(g.in[a]) + ") continue;\n";
    x_at += " + uint(t" + n + " / " + std::to_string(g.strides[a]) + ") * " + U(in_stride);
    w_at += " + uint(k" + n + ") * " + U(k_stride);
    indent += "  ";
  }
  body += indent + "sum += b0.d[pc.o0 + " + x_at + "] * b1.d[pc.o1 + " + w_at + "];\n";
  for (size_t a = 0; a <= g.rank; ++a) {
    indent.resize(indent.size() - 2);
    body += indent + "}\n";
  }
  const std::string out = std::to_string(kernel.num_inputs);
  body += "  b" + out + ".d[pc.o" + out + " + i] = sum;\n";
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t stride = glsl::SpreadGroups(count, 64, limits, kernel.groups);
  kernel.glsl = glsl::Header(64, 1, kernel.num_inputs, 1) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                U(stride) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
