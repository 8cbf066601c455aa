#include "window_geometry.h"

#include "errors.h"

namespace hetrun::opencl {
namespace {

// attribute `name` with `n` entries, or `fallback` repeated when absent.
bool ReadList(const hetrun_node& node, const char* name, size_t n, int64_t fallback,
              std::vector<int64_t>* out) {
  *out = plugin::AttrInts(node, name, std::vector<int64_t>(n, fallback));
  return out->size() == n;
}

}  // namespace

std::string ResolveWindow(const GraphInfo& graph, uint32_t k, const std::vector<int64_t>& kernel,
                          bool transposed, WindowGeometry* g) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const size_t n = kernel.size();
  if (x.size() != n + 2 || y.size() != n + 2) return "input/output rank must be kernel rank + 2";
  g->in.assign(x.begin() + 2, x.end());
  g->out.assign(y.begin() + 2, y.end());
  g->kernel = kernel;
  if (!ReadList(node, "strides", n, 1, &g->strides) ||
      !ReadList(node, "dilations", n, 1, &g->dilations)) {
    return "strides/dilations do not have one entry per spatial dim";
  }
  std::vector<int64_t> pads = plugin::AttrInts(node, "pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n) return "pads does not have two entries per spatial dim";
  std::vector<int64_t> output_padding;
  if (!ReadList(node, "output_padding", n, 0, &output_padding)) {
    return "output_padding does not have one entry per spatial dim";
  }
  const std::string auto_pad = plugin::AttrString(node, "auto_pad", "NOTSET");
  std::vector<int64_t> output_shape = plugin::AttrInts(node, "output_shape");
  if (output_shape.size() == n + 2)
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != n) {
    return "output_shape must have one entry per spatial dim";
  }
  g->pad_begin.assign(n, 0);
  g->pad_end.assign(n, 0);
  for (size_t d = 0; d < n; ++d) {
    const int64_t s = g->strides[d], dil = g->dilations[d], span = (kernel[d] - 1) * dil + 1;
    if (s < 1 || dil < 1 || kernel[d] < 1) return "strides, dilations and kernel must be positive";
    if (transposed) {
      // As the ONNX reference: SAME_* splits the padding that brings the full output down to
      // output_shape (else input * stride), the smaller half first for SAME_UPPER; otherwise the
      // explicit pads apply and output_shape, if given, only sets the size (cut at the end).
      const int64_t full = s * (g->in[d] - 1) + output_padding[d] + span;
      const bool same =
          (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") && !plugin::FindAttr(node, "pads");
      int64_t out = 0;
      if (same) {
        const int64_t target = output_shape.empty() ? g->in[d] * s : output_shape[d];
        const int64_t total = full - target;
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor division
        g->pad_begin[d] = auto_pad == "SAME_UPPER" ? half : total - half;
        g->pad_end[d] = total - g->pad_begin[d];
        out = target;
      } else {
        if (auto_pad != "VALID") {
          g->pad_begin[d] = pads[d];
          g->pad_end[d] = pads[d + n];
        }
        out = output_shape.empty() ? full - g->pad_begin[d] - g->pad_end[d] : output_shape[d];
      }
      if (out != g->out[d]) {
        return "computed output size " + std::to_string(out) + " differs from the graph's " +
               std::to_string(g->out[d]) + " in spatial dim " + std::to_string(d);
      }
      continue;
    }
    if (auto_pad == "NOTSET") {
      g->pad_begin[d] = pads[d];
      g->pad_end[d] = pads[d + n];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (g->in[d] + s - 1) / s;
      int64_t total = (out - 1) * s + span - g->in[d];
      if (total < 0) total = 0;
      g->pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g->pad_end[d] = total - g->pad_begin[d];
    } else if (auto_pad != "VALID") {
      return "auto_pad '" + auto_pad + "' is not valid";
    }
    // Pools with ceil_mode may have one more output than floor; the graph's shape decides, and
    // the kernel clips windows to the padded input.
    const int64_t padded = g->in[d] + g->pad_begin[d] + g->pad_end[d];
    const int64_t floor_out = padded < span ? 0 : (padded - span) / s + 1;
    const bool ceil_mode = plugin::AttrInt(node, "ceil_mode", 0) != 0;
    const int64_t ceil_out = padded < span ? 0 : (padded - span + s - 1) / s + 1;
    if (g->out[d] != floor_out && !(ceil_mode && g->out[d] == ceil_out)) {
      return "output size " + std::to_string(g->out[d]) + " in spatial dim " + std::to_string(d) +
             " does not follow from the attributes (expected " + std::to_string(floor_out) + ")";
    }
  }
  return "";
}

}  // namespace hetrun::opencl
