// Resize (opset 11+), modes nearest and linear, over float32: one invocation per output element
// maps each coordinate back to the input (half_pixel, pytorch_half_pixel, align_corners,
// asymmetric) and picks the nearest element or blends the 2^rank neighbours, clamped at the edges.
// Scales fed at run time are read on the device; with sizes, the scale is output dim / input dim.
// Cubic, tf_crop_and_resize, antialias and axes are declined.
#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

bool HasInput(const hetrun_node& node, uint32_t slot) {
  return node.num_inputs > slot && node.inputs[slot] >= 0;
}

}  // namespace

std::string CheckResize(const GraphInfo& graph, const hetrun_node& node) {
  if (node.opset < 11) return "opset < 11 is not supported";
  if (node.num_inputs < 1 || node.inputs[0] < 0 || node.num_outputs != 1) {
    return "expects X and one output";
  }
  const ValueInfo& x = graph.value(node.inputs[0]);
  const ValueInfo& y = graph.value(node.outputs[0]);
  if (x.dtype != HETRUN_DTYPE_FLOAT32 || y.dtype != HETRUN_DTYPE_FLOAT32) return "only float32";
  if (x.dims.size() != y.dims.size() || x.dims.empty()) return "output rank differs";
  const std::string mode = plugin::AttrString(node, "mode", "nearest");
  if (mode != "nearest" && mode != "linear") return "mode '" + mode + "' is not supported";
  const std::string ctm = plugin::AttrString(node, "coordinate_transformation_mode", "half_pixel");
  if (ctm != "half_pixel" && ctm != "pytorch_half_pixel" && ctm != "align_corners" &&
      ctm != "asymmetric") {
    return "coordinate_transformation_mode '" + ctm + "' is not supported";
  }
  const std::string nearest = plugin::AttrString(node, "nearest_mode", "round_prefer_floor");
  if (nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" && nearest != "floor" &&
      nearest != "ceil") {
    return "nearest_mode '" + nearest + "' is not supported";
  }
  if (plugin::AttrInt(node, "antialias", 0) != 0 || plugin::FindAttr(node, "axes")) {
    return "antialias and axes are not supported";
  }
  if (plugin::AttrString(node, "keep_aspect_ratio_policy", "stretch") != "stretch") {
    return "keep_aspect_ratio_policy other than stretch is not supported";
  }
  const bool scales = HasInput(node, 2), sizes = HasInput(node, 3);
  if (scales == sizes) return "exactly one of scales and sizes must be given";
  if (scales) {
    const ValueInfo& s = graph.value(node.inputs[2]);
    if (s.dtype != HETRUN_DTYPE_FLOAT32 ||
        s.dims != std::vector<int64_t>{static_cast<int64_t>(x.dims.size())}) {
      return "scales must be float32 with one element per dim";
    }
  } else if (graph.value(node.inputs[3]).dtype != HETRUN_DTYPE_INT64) {
    return "sizes must be int64";  // never read: the static output dims are the sizes
  }
  return "";
}

Kernel GenerateResize(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const bool scales = HasInput(node, 2);
  kernel.bindings = {node.inputs[0]};
  if (scales) kernel.bindings.push_back(node.inputs[2]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const size_t rank = x.size();
  const bool linear = plugin::AttrString(node, "mode", "nearest") == "linear";
  const std::string ctm = plugin::AttrString(node, "coordinate_transformation_mode", "half_pixel");
  const std::string nearest = plugin::AttrString(node, "nearest_mode", "round_prefer_floor");
  const uint32_t out = kernel.num_inputs;
  std::string body = "  uint r = i;\n";
  // Per axis: lo/hi input indices and the weight of hi.
  for (size_t d = rank; d-- > 0;) {
    const std::string n = std::to_string(d);
    const std::string s =
        scales ? "b1.d[pc.o1 + " + U(d) + "]"
               : "(float(" + std::to_string(y[d]) + ") / float(" + std::to_string(x[d]) + "))";
    body += "  float c" + n + " = float(r % " + U(static_cast<uint64_t>(y[d])) +
            ");\n  r /= " + U(static_cast<uint64_t>(y[d])) + ";\n";
    // The resized length the reference divides by is input dim * scale, unrounded.
    // With sizes it is the output dim itself.
    const std::string length = scales ? "(float(" + std::to_string(x[d]) + ") * " + s + ")"
                                      : "float(" + std::to_string(y[d]) + ")";
    std::string t;
    if (ctm == "half_pixel") {
      t = "(c" + n + " + 0.5) / " + s + " - 0.5";
    } else if (ctm == "pytorch_half_pixel") {
      t = length + " > 1.0 ? (c" + n + " + 0.5) / " + s + " - 0.5 : 0.0";
    } else if (ctm == "align_corners") {
      t = length + " == 1.0 ? 0.0 : c" + n + " * float(" + std::to_string(x[d] - 1) + ") / (" +
          length + " - 1.0)";
    } else {
      t = "c" + n + " / " + s;
    }
    body += "  float f" + n + " = " + t + ";\n";
    const std::string last = std::to_string(x[d] - 1);
    if (linear) {
      body += "  float fl" + n + " = floor(f" + n + ");\n  float w" + n + " = f" + n + " - fl" + n +
              ";\n  uint lo" + n + " = uint(clamp(int(fl" + n + "), 0, " + last + ")), hi" + n +
              " = uint(clamp(int(fl" + n + ") + 1, 0, " + last + "));\n";
    } else {
      std::string pick;
      if (nearest == "floor") {
        pick = "floor(f" + n + ")";
      } else if (nearest == "ceil") {
        pick = "ceil(f" + n + ")";
      } else if (nearest == "round_prefer_ceil") {
        pick = "floor(f" + n + " + 0.5)";
      } else {  // round_prefer_floor: halves go down
        pick =
            "(f" + n + " - floor(f" + n + ") == 0.5 ? floor(f" + n + ") : floor(f" + n + " + 0.5))";
      }
      body += "  uint lo" + n + " = uint(clamp(int(" + pick + "), 0, " + last + "));\n";
    }
  }
  std::vector<uint64_t> stride(rank, 1);
  for (size_t d = rank - 1; d-- > 0;) stride[d] = stride[d + 1] * static_cast<uint64_t>(x[d + 1]);
  if (!linear) {
    std::string at = "pc.o0";
    for (size_t d = 0; d < rank; ++d) at += " + lo" + std::to_string(d) + " * " + U(stride[d]);
    body += "  float v = b0.d[" + at + "];\n";
  } else {
    body += "  float v = 0.0;\n  for (uint corner = 0u; corner < " + U(uint64_t{1} << rank) +
            "; ++corner) {\n    float w = 1.0;\n    uint at = pc.o0;\n";
    for (size_t d = 0; d < rank; ++d) {
      const std::string n = std::to_string(d);
      body += "    if ((corner & " + U(uint64_t{1} << d) + ") != 0u) { w *= w" + n + "; at += hi" +
              n + " * " + U(stride[d]) + "; } else { w *= 1.0 - w" + n + "; at += lo" + n + " * " +
              U(stride[d]) + "; }\n";
    }
    body += "    if (w != 0.0) v += w * b0.d[at];\n  }\n";
  }
  body += "  b" + std::to_string(out) + ".d[pc.o" + std::to_string(out) + " + i] = v;\n";
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t stride_x = glsl::SpreadGroups(count, 64, limits, kernel.groups);
  kernel.glsl = glsl::Header(64, 1, kernel.num_inputs, 1) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                U(stride_x) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
