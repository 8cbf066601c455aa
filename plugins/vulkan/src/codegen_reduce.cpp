// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSumExp/SumSquare) and the normalisations
// (BatchNormalization in inference mode, LayerNormalization). One invocation per output element
// (reductions) or per normalised row (LayerNormalization) loops over what it reduces, in a fixed
// order, with two passes where a one-pass form would lose precision (mean then variance).
#include <algorithm>
#include <map>
#include <set>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

uint64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  uint64_t n = 1;
  for (size_t d = begin; d < end; ++d) n *= static_cast<uint64_t>(dims[d]);
  return n;
}

// Axes fed at run time, read from the static dims instead: with keepdims the reduced axes are the
// ones whose dim changed, up to axes of size 1, and reducing those is a copy for Sum, Mean, Max,
// Min and Prod (not for the others: ReduceSumSquare squares, for instance).
std::vector<int64_t> AxesFromDims(const GraphInfo& graph, const hetrun_node& node, bool* noop,
                                  std::string* why) {
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const std::string op = node.op_type;
  std::vector<int64_t> axes;
  if (op != "ReduceSum" && op != "ReduceMean" && op != "ReduceMax" && op != "ReduceMin" &&
      op != "ReduceProd") {
    return *why = "axes fed at run time are only supported for Sum/Mean/Max/Min/Prod", axes;
  }
  if (plugin::AttrInt(node, "keepdims", 1) == 0) {
    if (!y.empty()) return *why = "axes fed at run time need keepdims (or a scalar result)", axes;
    for (int64_t d = 0; d < static_cast<int64_t>(x.size()); ++d) axes.push_back(d);
    return axes;
  }
  if (y.size() != x.size()) return *why = "output rank differs from the input's", axes;
  for (size_t d = 0; d < x.size(); ++d) {
    if (y[d] != x[d] && y[d] != 1) return *why = "output dims are not a reduction's", axes;
    if (y[d] != x[d]) axes.push_back(static_cast<int64_t>(d));
  }
  *noop = axes.empty();
  return axes;
}

// The reduced axes (sorted, normalised), or sets `why`. An empty result with `*noop` means the
// node copies its input.
std::vector<int64_t> ReducedAxes(const GraphInfo& graph, const hetrun_node& node, bool* noop,
                                 std::string* why) {
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> axes;
  *noop = false;
  // Since opset 18 (ReduceSum: 13) the axes are an input, and an `axes` attribute means nothing.
  const bool input_form =
      node.opset >= 18 || (node.opset >= 13 && std::string(node.op_type) == "ReduceSum");
  if (node.num_inputs > 1 && node.inputs[1] >= 0) {
    const ValueInfo& a = graph.value(node.inputs[1]);
    if (!a.constant && a.dtype == HETRUN_DTYPE_INT64) return AxesFromDims(graph, node, noop, why);
    if (!a.constant || a.dtype != HETRUN_DTYPE_INT64 || a.rank > 1 ||
        a.data_bytes < a.elements() * sizeof(int64_t)) {
      return *why = "axes must be a 1-D int64 constant", axes;
    }
    const auto* data = static_cast<const int64_t*>(a.data);
    axes.assign(data, data + a.elements());
  } else if (node.num_inputs > 1) {
    return *why = "omitted axes input with more inputs", axes;
  } else if (!input_form) {
    axes = plugin::AttrInts(node, "axes", {});
  }
  if (axes.empty()) {
    if (input_form && plugin::AttrInt(node, "noop_with_empty_axes", 0) != 0) {
      // Only where "not reduced" means a copy beyond doubt.
      const std::string op = node.op_type;
      if (op != "ReduceSum" && op != "ReduceMean" && op != "ReduceMax" && op != "ReduceMin" &&
          op != "ReduceProd") {
        return *why = "noop_with_empty_axes is only supported for Sum/Mean/Max/Min/Prod", axes;
      }
      *noop = true;
      return axes;
    }
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  std::set<int64_t> seen;
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return *why = "axis out of range", axes;
    if (a < 0) a += rank;
    if (!seen.insert(a).second) return *why = "repeated axis", axes;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

std::string CheckReduce(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs < 1 || node.num_inputs > 2 || node.inputs[0] < 0) return "expects data";
  bool noop = false;
  std::string why;
  const std::vector<int64_t> axes = ReducedAxes(graph, node, &noop, &why);
  if (!why.empty()) return why;
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  std::vector<int64_t> expected;
  const bool keep = plugin::AttrInt(node, "keepdims", 1) != 0;
  for (size_t d = 0; d < x.size(); ++d) {
    const bool reduced = std::count(axes.begin(), axes.end(), static_cast<int64_t>(d)) > 0;
    if (!reduced) {
      expected.push_back(x[d]);
    } else if (keep) {
      expected.push_back(1);
    }
  }
  if (graph.value(node.outputs[0]).dims != expected) {
    return "output dims differ from the reduced shape " + FormatDims(expected);
  }
  return "";
}

std::string CheckBatchNorm(const GraphInfo& graph, const hetrun_node& node) {
  if (node.opset < 7) return "opset < 7 (is_test, consumed_inputs) is not supported";
  if (node.num_inputs != 5) return "expects X, scale, B, mean and var";
  if (plugin::AttrInt(node, "training_mode", 0) != 0) return "training_mode is not supported";
  if (plugin::AttrInt(node, "spatial", 1) != 1) return "spatial 0 is not supported";
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  if (x.size() < 2) return "X needs N and C";
  for (uint32_t i = 1; i < 5; ++i) {
    if (node.inputs[i] < 0 || graph.value(node.inputs[i]).dims != std::vector<int64_t>{x[1]}) {
      return "scale, B, mean and var must have C elements";
    }
  }
  if (graph.value(node.outputs[0]).dims != x) return "output shape differs";
  return "";
}

// LayerNormalization: the row length, or 0 with `why`.
uint64_t LayerNormRow(const GraphInfo& graph, const hetrun_node& node, std::string* why) {
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[1] < 0) {
    return *why = "expects X, Scale and an optional B", 0;
  }
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const auto rank = static_cast<int64_t>(x.size());
  int64_t axis = plugin::AttrInt(node, "axis", -1);
  if (axis < -rank || axis >= rank) return *why = "axis out of range", 0;
  if (axis < 0) axis += rank;
  const uint64_t row = Product(x, static_cast<size_t>(axis), x.size());
  for (uint32_t i = 1; i < node.num_inputs; ++i) {
    if (node.inputs[i] < 0) continue;
    const std::vector<int64_t>& p = graph.value(node.inputs[i]).dims;
    // Equal to the normalised dims (leading 1s aside), or one element.
    const bool ok = graph.value(node.inputs[i]).elements() == 1 ||
                    (graph.value(node.inputs[i]).elements() == row && p.size() <= x.size() &&
                     std::equal(p.rbegin(), p.rend(), x.rbegin()));
    if (!ok) return *why = "Scale/B must have the normalised dims", 0;
  }
  if (graph.value(node.outputs[0]).dims != x) return *why = "output shape differs", 0;
  // Mean and InvStdDev: X's dims with the normalised ones set to 1.
  std::vector<int64_t> stats = x;
  std::fill(stats.begin() + axis, stats.end(), 1);
  if (node.num_outputs > 3) return *why = "more than 3 outputs", 0;
  for (uint32_t o = 1; o < node.num_outputs; ++o) {
    if (node.outputs[o] >= 0 && graph.value(node.outputs[o]).dims != stats) {
      return *why = "Mean/InvStdDev dims differ from " + FormatDims(stats), 0;
    }
  }
  return row;
}

Kernel Start(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const std::string op = node.op_type;
  const uint32_t data_inputs = op.rfind("Reduce", 0) == 0 ? 1 : node.num_inputs;
  for (uint32_t i = 0; i < data_inputs; ++i)
    if (node.inputs[i] >= 0) kernel.bindings.push_back(node.inputs[i]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  for (uint32_t o = 0; o < node.num_outputs; ++o)
    if (node.outputs[o] >= 0) kernel.bindings.push_back(node.outputs[o]);
  return kernel;
}

std::string Finish(Kernel* kernel, uint64_t threads, const std::string& body, const Limits& limits,
                   const char* helper) {
  const uint32_t local = 64;
  const uint32_t stride = glsl::SpreadGroups(threads, local, limits, kernel->groups);
  const auto outputs = static_cast<uint32_t>(kernel->bindings.size()) - kernel->num_inputs;
  return glsl::Header(local, 1, kernel->num_inputs, outputs) + (helper ? helper : "") +
         "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
         U(stride) + ";\n  if (i >= " + U(threads) + ") return;\n" + body + "}\n";
}

}  // namespace

bool IsReduceOp(const std::string& op) {
  static const std::set<std::string> ops = {"ReduceSum",
                                            "ReduceMean",
                                            "ReduceMax",
                                            "ReduceMin",
                                            "ReduceProd",
                                            "ReduceL1",
                                            "ReduceL2",
                                            "ReduceLogSumExp",
                                            "ReduceSumSquare",
                                            "ReduceLogSum",
                                            "BatchNormalization",
                                            "LayerNormalization",
                                            "InstanceNormalization"};
  return ops.count(op) > 0;
}

std::string CheckReduceOrNorm(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  if (op == "InstanceNormalization") {
    const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
    if (node.num_inputs != 3 || node.inputs[1] < 0 || node.inputs[2] < 0 || x.size() < 3) {
      return "expects N x C x spatial input, scale and B";
    }
    for (uint32_t i = 1; i < 3; ++i) {
      if (graph.value(node.inputs[i]).dims != std::vector<int64_t>{x[1]}) {
        return "scale and B must have C elements";
      }
    }
    return graph.value(node.outputs[0]).dims == x ? "" : "output shape differs";
  }
  if (op == "BatchNormalization") return CheckBatchNorm(graph, node);
  if (op == "LayerNormalization") {
    std::string why;
    LayerNormRow(graph, node, &why);
    return why;
  }
  return CheckReduce(graph, node);
}

Kernel GenerateReduceOrNorm(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  const std::string why = CheckReduceOrNorm(graph, node);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  Kernel kernel = Start(graph, k);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::string out = "b" + std::to_string(kernel.num_inputs) + ".d[pc.o" +
                          std::to_string(kernel.num_inputs) + " + i]";
  if (op == "BatchNormalization") {
    const float eps = plugin::AttrFloat(node, "epsilon", 1e-5f);
    const std::string body = "  uint c = (i / " + U(Product(x, 2, x.size())) + ") % " + U(x[1]) +
                             ";\n  " + out +
                             " = (b0.d[pc.o0 + i] - b3.d[pc.o3 + c]) / sqrt(b4.d[pc.o4 + c] + " +
                             glsl::Float(eps) + ") * b1.d[pc.o1 + c] + b2.d[pc.o2 + c];\n";
    kernel.glsl = Finish(&kernel, graph.value(node.outputs[0]).elements(), body, limits, nullptr);
    return kernel;
  }
  if (op == "LayerNormalization" || op == "InstanceNormalization") {
    // One row per (n, c) for InstanceNormalization, its scale and B indexed by channel.
    const bool instance = op == "InstanceNormalization";
    std::string unused;
    const uint64_t row = instance ? Product(x, 2, x.size()) : LayerNormRow(graph, node, &unused);
    const float eps = plugin::AttrFloat(node, "epsilon", 1e-5f);
    const std::string n = U(row), rowf = glsl::Float(static_cast<float>(row));
    auto param = [&](uint32_t slot) {
      const std::string b = std::to_string(slot);
      if (instance) return "b" + b + ".d[pc.o" + b + " + i % " + U(x[1]) + "]";
      return "b" + b + ".d[pc.o" + b +
             (graph.value(node.inputs[slot]).elements() == 1 ? "]" : " + l]");
    };
    const bool bias = node.num_inputs == 3 && node.inputs[2] >= 0;
    const std::string y = "b" + std::to_string(kernel.num_inputs) + ".d[pc.o" +
                          std::to_string(kernel.num_inputs) + " + base + l]";
    std::string body = "  uint base = i * " + n +
                       ";\n  float mean = 0.0;\n  for (uint l = 0u; l < " + n +
                       "; ++l) mean += b0.d[pc.o0 + base + l];\n  mean /= " + rowf +
                       ";\n  float var = 0.0;\n  for (uint l = 0u; l < " + n +
                       "; ++l) { float t = b0.d[pc.o0 + base + l] - mean; var += t * t; }\n"
                       "  float inv = 1.0 / sqrt(var / " +
                       rowf + " + " + glsl::Float(eps) + ");\n  for (uint l = 0u; l < " + n +
                       "; ++l) " + y + " = (b0.d[pc.o0 + base + l] - mean) * inv * " + param(1) +
                       (bias ? " + " + param(2) : std::string()) + ";\n";
    // The optional Mean and InvStdDev outputs follow Y's binding.
    uint32_t slot = kernel.num_inputs + 1;
    for (uint32_t o = 1; o < node.num_outputs; ++o) {
      if (node.outputs[o] < 0) continue;
      const std::string b = std::to_string(slot++);
      body += "  b" + b + ".d[pc.o" + b + " + i] = " + (o == 1 ? "mean" : "inv") + ";\n";
    }
    kernel.glsl =
        Finish(&kernel, graph.value(node.inputs[0]).elements() / row, body, limits, nullptr);
    return kernel;
  }
  bool noop = false;
  std::string unused;
  const std::vector<int64_t> axes = ReducedAxes(graph, node, &noop, &unused);
  std::vector<uint64_t> stride(x.size(), 1);
  for (size_t d = x.size(); d-- > 1;) stride[d - 1] = stride[d] * static_cast<uint64_t>(x[d]);
  std::string body = "  uint r = i;\n  uint base = 0u;\n";
  uint64_t reduced = 1;
  for (size_t d = x.size(); d-- > 0;) {
    if (std::count(axes.begin(), axes.end(), static_cast<int64_t>(d))) {
      reduced *= static_cast<uint64_t>(x[d]);
      continue;
    }
    body += "  base += (r % " + U(x[d]) + ") * " + U(stride[d]) + ";\n  r /= " + U(x[d]) + ";\n";
  }
  // The offset of reduced element j: decomposed over the reduced axes.
  std::string offset = "  uint q = j;\n  uint off = base;\n";
  for (size_t a = axes.size(); a-- > 0;) {
    const auto d = static_cast<size_t>(axes[a]);
    offset += "  off += (q % " + U(x[d]) + ") * " + U(stride[d]) + ";\n  q /= " + U(x[d]) + ";\n";
  }
  const std::string loop = "  for (uint j = 0u; j < " + U(reduced) + "; ++j) {\n" + offset +
                           "  float v = b0.d[pc.o0 + off];\n";
  static const std::map<std::string, std::pair<std::string, std::string>> forms = {
      {"ReduceSum", {"0.0", "acc += v"}},
      {"ReduceMean", {"0.0", "acc += v"}},
      {"ReduceMax", {"uintBitsToFloat(0xff800000u)", "acc = max(acc, v)"}},
      {"ReduceMin", {"uintBitsToFloat(0x7f800000u)", "acc = min(acc, v)"}},
      {"ReduceProd", {"1.0", "acc *= v"}},
      {"ReduceL1", {"0.0", "acc += abs(v)"}},
      {"ReduceL2", {"0.0", "acc += v * v"}},
      {"ReduceSumSquare", {"0.0", "acc += v * v"}},
      {"ReduceLogSum", {"0.0", "acc += v"}},
      {"ReduceLogSumExp", {"0.0", "acc += exp(v - m)"}},
  };
  const auto& form = forms.at(op);
  if (op == "ReduceLogSumExp") {
    body += "  float m = uintBitsToFloat(0xff800000u);\n" + loop + "  m = max(m, v);\n  }\n";
  }
  body += "  float acc = " + form.first + ";\n" + loop + "  " + form.second + ";\n  }\n";
  if (op == "ReduceMean") body += "  acc /= " + glsl::Float(static_cast<float>(reduced)) + ";\n";
  if (op == "ReduceL2") body += "  acc = sqrt(acc);\n";
  if (op == "ReduceLogSumExp") body += "  acc = m + hr_log(acc);\n";
  if (op == "ReduceLogSum") body += "  acc = hr_log(acc);\n";
  body += "  " + out + " = acc;\n";
  kernel.glsl =
      Finish(&kernel, graph.value(node.outputs[0]).elements(), body, limits,
             op == "ReduceLogSumExp" || op == "ReduceLogSum" ? glsl::LogHelper() : nullptr);
  return kernel;
}

}  // namespace hetrun::vulkan
