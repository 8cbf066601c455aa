#include "kernels/spatial.h"

#include "hetrun/plugin.hpp"
#include "kernels/common.h"

namespace hetrun::cpu {

WindowAttrs ReadWindowAttrs(const hetrun_node& node) {
  WindowAttrs a;
  a.op = node.op_type;
  const std::string pad = plugin::AttrString(node, "auto_pad", "NOTSET");
  if (pad == "NOTSET" || pad.empty())
    a.auto_pad = AutoPad::kNotSet;
  else if (pad == "SAME_UPPER")
    a.auto_pad = AutoPad::kSameUpper;
  else if (pad == "SAME_LOWER")
    a.auto_pad = AutoPad::kSameLower;
  else if (pad == "VALID")
    a.auto_pad = AutoPad::kValid;
  else
    ThrowUnimplemented(a.op + ": auto_pad " + pad + " not supported");
  a.kernel = plugin::AttrInts(node, "kernel_shape");
  a.strides = plugin::AttrInts(node, "strides");
  a.dilations = plugin::AttrInts(node, "dilations");
  a.pads = plugin::AttrInts(node, "pads");
  a.ceil_mode = plugin::AttrInt(node, "ceil_mode", 0) != 0;
  for (int64_t s : a.strides)
    if (s <= 0) ThrowUnimplemented(a.op + ": strides must be positive");
  for (int64_t d : a.dilations)
    if (d <= 0) ThrowUnimplemented(a.op + ": dilations must be positive");
  for (int64_t p : a.pads)
    if (p < 0) ThrowUnimplemented(a.op + ": negative pads not supported");
  return a;
}

WindowGeometry ResolveWindow(const WindowAttrs& a, const std::vector<int64_t>& spatial_in) {
  const size_t r = spatial_in.size();
  auto check = [&](const std::vector<int64_t>& v, size_t want, const char* what) {
    if (!v.empty() && v.size() != want)
      ThrowInvalid(a.op + ": " + what + " has " + std::to_string(v.size()) + " entries, expected " +
                   std::to_string(want));
  };
  check(a.kernel, r, "kernel_shape");
  check(a.strides, r, "strides");
  check(a.dilations, r, "dilations");
  check(a.pads, 2 * r, "pads");
  if (a.kernel.size() != r) ThrowInvalid(a.op + ": kernel_shape is required");
  WindowGeometry g;
  g.in = spatial_in;
  g.kernel = a.kernel;
  g.stride = a.strides.empty() ? std::vector<int64_t>(r, 1) : a.strides;
  g.dilation = a.dilations.empty() ? std::vector<int64_t>(r, 1) : a.dilations;
  g.pad_begin.assign(r, 0);
  g.pad_end.assign(r, 0);
  g.out.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t in = spatial_in[i], s = g.stride[i];
    const int64_t dk = (g.kernel[i] - 1) * g.dilation[i] + 1;
    switch (a.auto_pad) {
      case AutoPad::kNotSet: {
        if (!a.pads.empty()) {
          g.pad_begin[i] = a.pads[i];
          g.pad_end[i] = a.pads[i + r];
        }
        const int64_t span = in + g.pad_begin[i] + g.pad_end[i] - dk;
        if (span < 0)
          ThrowInvalid(a.op + ": window " + std::to_string(dk) + " larger than padded input " +
                       std::to_string(in + g.pad_begin[i] + g.pad_end[i]));
        int64_t out = (a.ceil_mode ? (span + s - 1) / s : span / s) + 1;
        // A window may not start in the end padding (as in ONNX Runtime and PyTorch).
        if (a.ceil_mode && (out - 1) * s >= in + g.pad_begin[i]) --out;
        g.out[i] = out;
        break;
      }
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - in);
        const int64_t small = total / 2, large = total - small;
        g.pad_begin[i] = a.auto_pad == AutoPad::kSameUpper ? small : large;
        g.pad_end[i] = total - g.pad_begin[i];
        g.out[i] = out;
        break;
      }
      case AutoPad::kValid: {
        if (in < dk)
          ThrowInvalid(a.op + ": window " + std::to_string(dk) + " larger than input " +
                       std::to_string(in));
        g.out[i] = (in - dk) / s + 1;
        break;
      }
    }
  }
  return g;
}

}  // namespace hetrun::cpu
