// Sliding-window ops over N x C x spatial tensors (1 to 3 spatial dims): Conv (direct, groups and
// depthwise included), MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, and LRN (a window
// over channels). One invocation
// per output element loops over its window. Conv is tunable (tuning.h): oc_per_invocation output
// channels per invocation share each input load (a register block), and local_size sets the work
// group. The output dims must equal the ones we compute from
// the attributes, so a node whose shape rule we read differently is declined instead of run wrong.
#include <algorithm>

#include "codegen.h"
#include "gen_errors.h"
#include "tuning.h"

namespace hetrun::vulkan {
namespace {

struct Window {
  size_t spatial = 0;
  std::vector<int64_t> in, out, kernel, stride, dilation, pad_begin, pad_end;
};

std::string S(int64_t value) {
  return std::to_string(value);
}

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

bool IsPool(const std::string& op) {
  return op == "MaxPool" || op == "AveragePool";
}

// Reads the window attributes of Conv / MaxPool / AveragePool; sets `why` when declined.
Window ReadWindow(const GraphInfo& graph, const hetrun_node& node, std::string* why) {
  Window w;
  const std::string op = node.op_type;
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (x.size() < 3 || x.size() > 5) return *why = "only 1-D to 3-D spatial inputs", w;
  if (y.size() != x.size()) return *why = "output rank differs from the input's", w;
  w.spatial = x.size() - 2;
  w.in.assign(x.begin() + 2, x.end());
  w.out.assign(y.begin() + 2, y.end());
  const std::vector<int64_t> ones(w.spatial, 1);
  w.kernel = plugin::AttrInts(node, "kernel_shape", {});
  if (w.kernel.empty() && op == "Conv") {
    const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
    if (wd.size() == x.size()) w.kernel.assign(wd.begin() + 2, wd.end());
  }
  w.stride = plugin::AttrInts(node, "strides", ones);
  w.dilation = plugin::AttrInts(node, "dilations", ones);
  std::vector<int64_t> pads = plugin::AttrInts(node, "pads", std::vector<int64_t>(2 * w.spatial));
  if (w.kernel.size() != w.spatial || w.stride.size() != w.spatial ||
      w.dilation.size() != w.spatial || pads.size() != 2 * w.spatial) {
    return *why = "kernel_shape/strides/dilations/pads do not match the spatial rank", w;
  }
  for (size_t d = 0; d < w.spatial; ++d) {
    if (w.kernel[d] < 1 || w.stride[d] < 1 || w.dilation[d] < 1 || pads[d] < 0 ||
        pads[d + w.spatial] < 0) {
      return *why = "non-positive kernel/stride/dilation or negative pad", w;
    }
  }
  const std::string auto_pad = plugin::AttrString(node, "auto_pad", "NOTSET");
  const bool ceil_mode = IsPool(op) && plugin::AttrInt(node, "ceil_mode", 0) != 0;
  for (size_t d = 0; d < w.spatial; ++d) {
    const int64_t eff = (w.kernel[d] - 1) * w.dilation[d] + 1;
    int64_t begin = pads[d], end = pads[d + w.spatial], out = 0;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = (w.in[d] + w.stride[d] - 1) / w.stride[d];
      const int64_t total = std::max<int64_t>(0, (out - 1) * w.stride[d] + eff - w.in[d]);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (auto_pad == "NOTSET" || auto_pad == "VALID") {
      if (auto_pad == "VALID") begin = end = 0;
      const int64_t span = w.in[d] + begin + end - eff;
      if (span < 0) return *why = "the window is larger than the padded input", w;
      out = (ceil_mode ? (span + w.stride[d] - 1) / w.stride[d] : span / w.stride[d]) + 1;
      // A last window starting inside the end padding is dropped.
      if (ceil_mode && (out - 1) * w.stride[d] >= w.in[d] + begin) --out;
    } else {
      return *why = "auto_pad " + auto_pad + " is not supported", w;
    }
    if (begin >= eff || end >= eff) return *why = "a pad is as large as the window", w;
    w.pad_begin.push_back(begin);
    w.pad_end.push_back(end);
    if (out != w.out[d]) {
      return *why = "output dims " + FormatDims(y) + " differ from the computed spatial dim " +
                    S(out) + " at axis " + S(static_cast<int64_t>(d) + 2),
             w;
    }
  }
  return w;
}

// GLSL decomposing `i` into output coordinates o0..o{s-1} (spatial), then ch and n.
std::string OutputCoords(const Window& w, int64_t channels) {
  std::string text = "  uint r = i;\n";
  for (size_t d = w.spatial; d-- > 0;) {
    text += "  int o" + S(static_cast<int64_t>(d)) + " = int(r % " + U(w.out[d]) + ");\n";
    text += "  r /= " + U(w.out[d]) + ";\n";
  }
  return text + "  uint ch = r % " + U(channels) + ";\n  uint n = r / " + U(channels) + ";\n";
}

// Opens one loop per spatial dim over the window: p<d> is the input coordinate; positions outside
// [lo, hi) are skipped (`lo`/`hi` per dim as GLSL expressions).
std::string OpenWindowLoops(const Window& w, bool skip_padding) {
  std::string text;
  for (size_t d = 0; d < w.spatial; ++d) {
    const std::string sd = S(static_cast<int64_t>(d));
    text += "  for (int k" + sd + " = 0; k" + sd + " < " + S(w.kernel[d]) + "; ++k" + sd + ") {\n";
    text += "    int p" + sd + " = o" + sd + " * " + S(w.stride[d]) + " - " + S(w.pad_begin[d]) +
            " + k" + sd + " * " + S(w.dilation[d]) + ";\n";
    if (skip_padding)
      text += "    if (p" + sd + " < 0 || p" + sd + " >= " + S(w.in[d]) + ") continue;\n";
  }
  return text;
}

// The flat spatial offset of p0..p{s-1} inside one input channel.
std::string SpatialOffset(const Window& w) {
  std::string index = "uint(p0)";
  for (size_t d = 1; d < w.spatial; ++d) {
    index = "(" + index + " * " + U(w.in[d]) + " + uint(p" + S(static_cast<int64_t>(d)) + "))";
  }
  return index;
}

uint64_t Product(const std::vector<int64_t>& dims) {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

std::string CheckConv(const GraphInfo& graph, const hetrun_node& node, Window* w) {
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[1] < 0) {
    return "expects X, W and an optional B";
  }
  std::string why;
  *w = ReadWindow(graph, node, &why);
  if (!why.empty()) return why;
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const int64_t group = plugin::AttrInt(node, "group", 1);
  if (wd.size() != x.size() || group < 1 || x[1] % group != 0 || wd[0] % group != 0 ||
      wd[1] * group != x[1] || y[1] != wd[0] || y[0] != x[0]) {
    return "W " + FormatDims(wd) + " does not fit X " + FormatDims(x) + " with group " + S(group);
  }
  for (size_t d = 0; d < w->spatial; ++d) {
    if (wd[d + 2] != w->kernel[d]) return "kernel_shape differs from W's dims";
  }
  if (node.num_inputs == 3 && node.inputs[2] >= 0 &&
      graph.value(node.inputs[2]).dims != std::vector<int64_t>{wd[0]}) {
    return "B must have M elements";
  }
  return "";
}

std::string CheckPool(const GraphInfo& graph, const hetrun_node& node, Window* w) {
  if (node.num_inputs != 1) return "expects one input";
  if (plugin::AttrInt(node, "storage_order", 0) != 0) return "storage_order 1 is not supported";
  std::string why;
  *w = ReadWindow(graph, node, &why);
  if (!why.empty()) return why;
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  if (x[0] != y[0] || x[1] != y[1]) return "output N, C differ from the input's";
  return "";
}

std::string CheckGlobalPool(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs != 1) return "expects one input";
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  std::vector<int64_t> expected(x.size(), 1);
  if (x.size() < 3) return "expects N x C x spatial";
  expected[0] = x[0];
  expected[1] = x[1];
  if (graph.value(node.outputs[0]).dims != expected) return "output dims differ from N x C x 1...";
  return "";
}

// Conv with a register block of `oc` output channels (of one group) by `px` neighbouring output
// pixels along the last spatial axis per invocation: each input load serves `oc` channels, each
// weight load `px` pixels. Work group row y is one block of channels of one image, so the weight
// loads are uniform across the work group; x runs over blocks of pixels. Every output sums its
// terms in the direct kernel's order.
Kernel GenerateConvBlocked(const GraphInfo& graph, uint32_t k, int64_t oc, int64_t px,
                           const NodeTuning& tuning) {
  const hetrun_node& node = graph.node(k);
  Window w;
  CheckConv(graph, node, &w);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const bool bias = node.num_inputs == 3 && node.inputs[2] >= 0;
  const int64_t group = plugin::AttrInt(node, "group", 1);
  const int64_t cg = wd[1], mg = wd[0] / group, channels = y[1];
  const uint64_t kernel_size = Product(w.kernel);
  const uint64_t in_spatial = Product({x.begin() + 2, x.end()});
  const uint64_t out_spatial = Product({y.begin() + 2, y.end()});
  const size_t last = w.spatial - 1;
  const int64_t width = w.out[last], width_blocks = (width + px - 1) / px;
  const uint64_t blocks = out_spatial / static_cast<uint64_t>(width) * width_blocks;

  Kernel kernel;
  kernel.what = graph.Describe(k);
  for (uint32_t i = 0; i < node.num_inputs; ++i)
    if (node.inputs[i] >= 0) kernel.bindings.push_back(node.inputs[i]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  const std::string out_b = S(kernel.num_inputs);
  const auto local = static_cast<uint32_t>(TunedValue(tuning, "local_size", 64));
  kernel.groups[0] = static_cast<uint32_t>((blocks + local - 1) / local);
  kernel.groups[1] = static_cast<uint32_t>(y[0] * (channels / oc));
  kernel.groups[2] = 1;

  const std::string sl = S(static_cast<int64_t>(last));
  std::string body = "  uint s = gl_GlobalInvocationID.x;\n  if (s >= " + U(blocks) +
                     ") return;\n  int ob = int(s % " + U(width_blocks) + ");\n  uint r = s / " +
                     U(width_blocks) + ";\n";
  for (size_t d = last; d-- > 0;) {
    body += "  int o" + S(static_cast<int64_t>(d)) + " = int(r % " + U(w.out[d]) + ");\n";
    body += "  r /= " + U(w.out[d]) + ";\n";
  }
  body += "  uint ch0 = (gl_WorkGroupID.y % " + U(channels / oc) + ") * " + U(oc) + ";\n";
  body += "  uint n = gl_WorkGroupID.y / " + U(channels / oc) + ";\n";
  body += "  uint c0 = n * " + U(x[1]) + " + (ch0 / " + U(mg) + ") * " + U(cg) + ";\n";
  for (int64_t t = 0; t < oc; ++t) {
    for (int64_t j = 0; j < px; ++j) {
      body += "  float acc" + S(t) + "_" + S(j) + " = " +
              (bias ? "b2.d[pc.o2 + ch0 + " + U(t) + "]" : std::string("0.0")) + ";\n";
    }
  }
  body += "  for (uint c = 0u; c < " + U(cg) + "; ++c) {\n";
  body += "  uint xbase = pc.o0 + (c0 + c) * " + U(in_spatial) + ";\n";
  body += "  uint wbase = pc.o1 + (ch0 * " + U(cg) + " + c) * " + U(kernel_size) + ";\n";
  // The axes before the last: one position for the whole block (padding skipped as a whole).
  for (size_t d = 0; d < last; ++d) {
    const std::string sd = S(static_cast<int64_t>(d));
    body += "  for (int k" + sd + " = 0; k" + sd + " < " + S(w.kernel[d]) + "; ++k" + sd + ") {\n";
    body += "    int p" + sd + " = o" + sd + " * " + S(w.stride[d]) + " - " + S(w.pad_begin[d]) +
            " + k" + sd + " * " + S(w.dilation[d]) + ";\n";
    body += "    if (p" + sd + " < 0 || p" + sd + " >= " + S(w.in[d]) + ") continue;\n";
  }
  std::string row = "0u";
  for (size_t d = 0; d < last; ++d) {
    row = "(" + row + " + uint(p" + S(static_cast<int64_t>(d)) + ")) * " + U(w.in[d + 1]);
  }
  std::string windex = "0u";
  for (size_t d = 0; d < last; ++d) {
    windex = "(" + windex + " + uint(k" + S(static_cast<int64_t>(d)) + ")) * " + U(w.kernel[d + 1]);
  }
  body += "  uint xrow = xbase + " + row + ";\n  uint wrow = wbase + " + windex + ";\n";
  // The last axis: each pixel of the block has its own input position and padding.
  body += "  for (int k" + sl + " = 0; k" + sl + " < " + S(w.kernel[last]) + "; ++k" + sl + ") {\n";
  for (int64_t t = 0; t < oc; ++t) {
    body += "    float w" + S(t) + " = b1.d[wrow + uint(k" + sl + ") + " +
            U(static_cast<uint64_t>(t * cg) * kernel_size) + "];\n";
  }
  for (int64_t j = 0; j < px; ++j) {
    const std::string p = "q" + S(j);
    body += "    int " + p + " = (ob * " + S(px) + " + " + S(j) + ") * " + S(w.stride[last]) +
            " - " + S(w.pad_begin[last]) + " + k" + sl + " * " + S(w.dilation[last]) + ";\n";
    body += "    if (" + p + " >= 0 && " + p + " < " + S(w.in[last]) + ") {\n";
    body += "      float xv = b0.d[xrow + uint(" + p + ")];\n";
    for (int64_t t = 0; t < oc; ++t) {
      body += "      acc" + S(t) + "_" + S(j) + " += xv * w" + S(t) + ";\n";
    }
    body += "    }\n";
  }
  for (size_t d = 0; d <= w.spatial; ++d) body += "  }\n";
  // Output pixel (r * width + ob * px + j) of channel ch0 + t.
  std::string pixel_row = "0u";
  for (size_t d = 0; d < last; ++d) {
    pixel_row =
        "(" + pixel_row + " + uint(o" + S(static_cast<int64_t>(d)) + ")) * " + U(w.out[d + 1]);
  }
  body += "  uint obase = pc.o" + out_b + " + (n * " + U(channels) + " + ch0) * " + U(out_spatial) +
          " + " + pixel_row + " + uint(ob * " + S(px) + ");\n";
  for (int64_t j = 0; j < px; ++j) {
    const bool guard = width % px != 0;
    if (guard) body += "  if (ob * " + S(px) + " + " + S(j) + " < " + S(width) + ") {\n";
    for (int64_t t = 0; t < oc; ++t) {
      body += "  b" + out_b + ".d[obase + " +
              U(static_cast<uint64_t>(t) * out_spatial + static_cast<uint64_t>(j)) + "] = acc" +
              S(t) + "_" + S(j) + ";\n";
    }
    if (guard) body += "  }\n";
  }
  kernel.glsl = glsl::Header(local, 1, kernel.num_inputs, 1) + "\nvoid main() {\n" + body + "}\n";
  return kernel;
}

}  // namespace

bool IsWindowOp(const std::string& op) {
  return op == "Conv" || IsPool(op) || op == "GlobalAveragePool" || op == "GlobalMaxPool" ||
         op == "LRN";
}

std::string CheckWindow(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  Window w;
  if (op == "Conv") return CheckConv(graph, node, &w);
  if (IsPool(op)) return CheckPool(graph, node, &w);
  if (op == "LRN") {
    const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
    if (node.num_inputs != 1 || x.size() < 3) return "expects one N x C x spatial input";
    if (plugin::AttrInt(node, "size", 0) < 1) return "size must be positive";
    return graph.value(node.outputs[0]).dims == x ? "" : "output shape differs";
  }
  return CheckGlobalPool(graph, node);
}

uint64_t ConvMacs(const GraphInfo& graph, const hetrun_node& node) {
  const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
  return graph.value(node.outputs[0]).elements() * Product({wd.begin() + 1, wd.end()});
}

std::vector<Tunable> ConvTunables(const GraphInfo& graph, const hetrun_node& node,
                                  const Limits& limits) {
  Window w;
  if (!CheckConv(graph, node, &w).empty()) return {};
  const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
  const int64_t mg = wd[0] / plugin::AttrInt(node, "group", 1);
  Tunable oc{"oc_per_invocation",
             "output channels one invocation computes, sharing its input loads",
             {},
             1};
  // Blocks of channels run as work group rows, pixels as columns (of at least 16).
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const uint64_t out_pixels = Product({y.begin() + 2, y.end()});
  const bool fits = (out_pixels + 15) / 16 <= limits.max_groups[0] &&
                    static_cast<uint64_t>(y[0] * y[1]) <= limits.max_groups[1];
  for (int64_t c : {1, 2, 4, 8, 16, 32})
    if (mg % c == 0 && (c == 1 || fits)) oc.values.push_back(c);
  Tunable pixels{"pixels_per_invocation",
                 "neighbouring output pixels (last axis) one invocation computes, sharing weights",
                 {},
                 1};
  for (int64_t p : {1, 2, 4, 8, 16})
    if (p == 1 || (fits && p < 2 * y.back())) pixels.values.push_back(p);
  Tunable local{"local_size", "invocations per work group", {64}, 64};
  for (int64_t size : {16, 32, 128, 256})
    if (size <= limits.max_local_invocations) local.values.push_back(size);
  return {oc, pixels, local};
}

Kernel GenerateWindow(const GraphInfo& graph, uint32_t k, const Limits& limits,
                      const NodeTuning& tuning) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  const std::string why = CheckWindow(graph, node);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  if (op == "Conv") {
    const int64_t oc = TunedValue(tuning, "oc_per_invocation", 1);
    const int64_t px = TunedValue(tuning, "pixels_per_invocation", 1);
    if (oc > 1 || px > 1) return GenerateConvBlocked(graph, k, oc, px, tuning);
  }
  const uint64_t count = graph.value(node.outputs[0]).elements();
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const bool bias = op == "Conv" && node.num_inputs == 3 && node.inputs[2] >= 0;
  for (uint32_t i = 0; i < node.num_inputs; ++i)
    if (node.inputs[i] >= 0) kernel.bindings.push_back(node.inputs[i]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  const std::string out_b = S(kernel.num_inputs);
  const uint64_t in_spatial = Product({x.begin() + 2, x.end()});
  std::string body;
  if (op == "LRN") {
    // Sum of squares over the channel window [c - floor((size-1)/2), c + ceil((size-1)/2)].
    const int64_t size = plugin::AttrInt(node, "size", 1);
    const std::string alpha = glsl::Float(plugin::AttrFloat(node, "alpha", 1e-4f));
    const std::string beta = glsl::Float(plugin::AttrFloat(node, "beta", 0.75f));
    const std::string offset = glsl::Float(plugin::AttrFloat(node, "bias", 1.0f));
    body = "  int c = int((i / " + U(in_spatial) + ") % " + U(x[1]) +
           ");\n  uint at = i - uint(c) * " + U(in_spatial) +
           ";\n  float acc = 0.0;\n  for (int j = max(0, c - " + S((size - 1) / 2) +
           "); j <= min(" + S(x[1] - 1) + ", c + " + S(size / 2) +
           "); ++j) { float v = b0.d[pc.o0 + at + uint(j) * " + U(in_spatial) +
           "]; acc += v * v; }\n  acc = b0.d[pc.o0 + i] / exp2(" + beta + " * log2(" + offset +
           " + " + alpha + " / " + glsl::Float(static_cast<float>(size)) + " * acc));\n";
  } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    const bool max = op == "GlobalMaxPool";
    body = "  uint base = i * " + U(in_spatial) +
           ";\n  float acc = " + (max ? "uintBitsToFloat(0xff800000u)" : "0.0") +
           ";\n  for (uint s = 0u; s < " + U(in_spatial) +
           "; ++s) {\n    float v = b0.d[pc.o0 + base + s];\n    acc = " +
           (max ? "max(acc, v)" : "acc + v") + ";\n  }\n" +
           (max ? "" : "  acc /= " + glsl::Float(static_cast<float>(in_spatial)) + ";\n");
  } else {
    Window w;
    if (op == "Conv") {
      CheckConv(graph, node, &w);
    } else {
      CheckPool(graph, node, &w);
    }
    const int64_t channels = graph.value(node.outputs[0]).dims[1];
    body = OutputCoords(w, channels);
    if (op == "Conv") {
      const std::vector<int64_t>& wd = graph.value(node.inputs[1]).dims;
      const int64_t group = plugin::AttrInt(node, "group", 1);
      const int64_t cg = wd[1], mg = wd[0] / group;
      const uint64_t kernel_size = Product(w.kernel);
      body += "  uint c0 = n * " + U(x[1]) + " + (ch / " + U(mg) + ") * " + U(cg) + ";\n";
      body += std::string("  float acc = ") + (bias ? "b2.d[pc.o2 + ch]" : "0.0") + ";\n";
      body += "  for (uint c = 0u; c < " + U(cg) + "; ++c) {\n";
      body += "  uint xbase = (c0 + c) * " + U(in_spatial) + ";\n";
      body += "  uint wbase = (ch * " + U(cg) + " + c) * " + U(kernel_size) + ";\n";
      body += OpenWindowLoops(w, true);
      std::string windex = "uint(k0)";
      for (size_t d = 1; d < w.spatial; ++d)
        windex = "(" + windex + " * " + U(w.kernel[d]) + " + uint(k" + S(int64_t(d)) + "))";
      body += "    acc += b0.d[pc.o0 + xbase + " + SpatialOffset(w) + "] * b1.d[pc.o1 + wbase + " +
              windex + "];\n";
      for (size_t d = 0; d <= w.spatial; ++d) body += "  }\n";
    } else {
      const bool max = op == "MaxPool";
      const bool include_pad = !max && plugin::AttrInt(node, "count_include_pad", 0) != 0;
      body += "  uint xbase = (n * " + U(x[1]) + " + ch) * " + U(in_spatial) + ";\n";
      body += std::string("  float acc = ") + (max ? "uintBitsToFloat(0xff800000u)" : "0.0") +
              ";\n  uint cnt = 0u;\n";
      body += OpenWindowLoops(w, false);
      if (include_pad) {  // padded positions count, positions past the end padding do not
        for (size_t d = 0; d < w.spatial; ++d) {
          const std::string p = "p" + S(static_cast<int64_t>(d));
          body += "    if (" + p + " >= " + S(w.in[d] + w.pad_end[d]) + ") continue;\n";
        }
        body += "    ++cnt;\n";
      }
      std::string inside;
      for (size_t d = 0; d < w.spatial; ++d) {
        const std::string p = "p" + S(static_cast<int64_t>(d));
        inside += (d ? " || " : "") + p + " < 0 || " + p + " >= " + S(w.in[d]);
      }
      body += "    if (" + inside + ") continue;\n";
      if (!include_pad && !max) body += "    ++cnt;\n";
      body += "    float v = b0.d[pc.o0 + xbase + " + SpatialOffset(w) + "];\n";
      body += max ? "    acc = max(acc, v);\n" : "    acc += v;\n";
      for (size_t d = 0; d < w.spatial; ++d) body += "  }\n";
      if (!max) body += "  acc /= float(cnt);\n";
    }
  }
  const auto local = static_cast<uint32_t>(TunedValue(tuning, "local_size", 64));
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  kernel.glsl = glsl::Header(local, 1, kernel.num_inputs, 1) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                U(stride) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "  b" + out_b +
                ".d[pc.o" + out_b + " + i] = acc;\n}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
