// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: one invocation per (n, d1..dk) position
// computes its loss (SoftmaxCrossEntropyLoss first takes the log-softmax over C, and may write it
// as its second output). With reduction sum or mean, invocation 0 then walks every position in
// order, so the total does not depend on the scheduling.
#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

struct LossShape {
  uint64_t n = 1, c = 1, d = 1;  // x is [n, c, d...] flattened to [n, c, d]
};

LossShape Shape(const std::vector<int64_t>& x) {
  LossShape s;
  s.n = static_cast<uint64_t>(x[0]);
  s.c = static_cast<uint64_t>(x[1]);
  for (size_t i = 2; i < x.size(); ++i) s.d *= static_cast<uint64_t>(x[i]);
  return s;
}

}  // namespace

bool IsLossOp(const std::string& op) {
  return op == "NegativeLogLikelihoodLoss" || op == "SoftmaxCrossEntropyLoss";
}

std::string CheckLoss(const GraphInfo& graph, const hetrun_node& node) {
  const bool softmax = std::string(node.op_type) == "SoftmaxCrossEntropyLoss";
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[0] < 0 || node.inputs[1] < 0) {
    return "expects input, target and an optional weight";
  }
  if (node.num_outputs > (softmax ? 2u : 1u)) return "too many outputs";
  const ValueInfo& x = graph.value(node.inputs[0]);
  const ValueInfo& target = graph.value(node.inputs[1]);
  for (uint32_t o = 0; o < node.num_outputs; ++o) {
    if (node.outputs[o] >= 0 && graph.value(node.outputs[o]).dtype != HETRUN_DTYPE_FLOAT32) {
      return "only float32 outputs";
    }
  }
  if (x.dtype != HETRUN_DTYPE_FLOAT32) return "only float32 input";
  if (target.dtype != HETRUN_DTYPE_INT64 && target.dtype != HETRUN_DTYPE_INT32) {
    return "target must be int32 or int64";
  }
  if (x.dims.size() < 2) return "input must have rank 2 or more";
  std::vector<int64_t> positions = x.dims;
  positions.erase(positions.begin() + 1);
  if (target.dims != positions) return "target dims differ from the input's without C";
  const bool weighted = node.num_inputs > 2 && node.inputs[2] >= 0;
  if (weighted) {
    const ValueInfo& w = graph.value(node.inputs[2]);
    if (w.dtype != HETRUN_DTYPE_FLOAT32 || w.dims != std::vector<int64_t>{x.dims[1]}) {
      return "weight must be float32 of dims [C]";
    }
  }
  const std::string reduction = plugin::AttrString(node, "reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    return "reduction '" + reduction + "' is not supported";
  }
  const std::vector<int64_t> loss = reduction == "none" ? positions : std::vector<int64_t>{};
  if (graph.value(node.outputs[0]).dims != loss) return "output dims differ from the computed";
  if (node.num_outputs > 1 && node.outputs[1] >= 0 && graph.value(node.outputs[1]).dims != x.dims) {
    return "log_prob dims differ from the input's";
  }
  return "";
}

Kernel GenerateLoss(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const bool softmax = std::string(node.op_type) == "SoftmaxCrossEntropyLoss";
  const bool weighted = node.num_inputs > 2 && node.inputs[2] >= 0;
  const bool log_prob = softmax && node.num_outputs > 1 && node.outputs[1] >= 0;
  kernel.bindings = {node.inputs[0], node.inputs[1]};
  if (weighted) kernel.bindings.push_back(node.inputs[2]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  if (log_prob) kernel.bindings.push_back(node.outputs[1]);
  std::vector<hetrun_dtype_t> dtypes;
  for (int32_t v : kernel.bindings) {
    dtypes.push_back(graph.value(v).dtype);
    kernel.offset_units.push_back(static_cast<uint32_t>(plugin::DTypeSize(dtypes.back())));
  }
  const LossShape s = Shape(graph.value(node.inputs[0]).dims);
  const std::string reduction = plugin::AttrString(node, "reduction", "mean");
  const hetrun_attribute* ii = plugin::FindAttr(node, "ignore_index");
  const std::string out = "b" + std::to_string(kernel.num_inputs);
  const std::string ignored = ii ? "t == " + std::to_string(ii->i) : std::string("false");
  // x[n, c, d] at element c of position p = n * D + d.
  std::string text = glsl::TypedHeader(64, 1, dtypes, kernel.num_inputs) + glsl::LogHelper();
  text += "uint at(uint p, uint c) { return pc.o0 + (p / " + U(s.d) + ") * " + U(s.c * s.d) +
          " + c * " + U(s.d) + " + p % " + U(s.d) + "; }\n";
  // The log-softmax normaliser of position p (0 for NegativeLogLikelihoodLoss).
  text += "float shift(uint p) {\n";
  if (softmax) {
    text += "  float m = b0.d[at(p, 0u)];\n  for (uint c = 1u; c < " + U(s.c) +
            "; ++c) m = max(m, b0.d[at(p, c)]);\n  float sum = 0.0;\n  for (uint c = 0u; c < " +
            U(s.c) + "; ++c) sum += exp(b0.d[at(p, c)] - m);\n  return m + hr_log(sum);\n";
  } else {
    text += "  return 0.0;\n";
  }
  // The loss of position p and its weight (0 when the target is ignored).
  text += "}\nfloat loss(uint p, out float w) {\n  int t = int(b1.d[pc.o1 + p]);\n  if (" +
          ignored + ") { w = 0.0; return 0.0; }\n  uint c = uint(clamp(t, 0, " +
          std::to_string(s.c - 1) + "));\n  w = " + (weighted ? "b2.d[pc.o2 + c]" : "1.0") +
          ";\n  return -w * (b0.d[at(p, c)] - shift(p));\n}\n";
  const uint64_t positions = s.n * s.d;
  const uint32_t stride = glsl::SpreadGroups(positions, 64, limits, kernel.groups);
  text += "void main() {\n  uint p = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
          U(stride) + ";\n  if (p >= " + U(positions) + ") return;\n  float w;\n";
  if (log_prob) {
    const std::string lp = "b" + std::to_string(kernel.num_inputs + 1);
    text += "  float z = shift(p);\n  for (uint c = 0u; c < " + U(s.c) + "; ++c) " + lp +
            ".d[pc.o" + std::to_string(kernel.num_inputs + 1) +
            " - pc.o0 + at(p, c)] = b0.d[at(p, c)] - z;\n";
  }
  const std::string o = "pc.o" + std::to_string(kernel.num_inputs);
  if (reduction == "none") {
    text += "  " + out + ".d[" + o + " + p] = loss(p, w);\n}\n";
  } else {
    text +=
        "  if (p != 0u) return;\n  float total = 0.0, weights = 0.0;\n  for (uint q = 0u; q < " +
        U(positions) + "; ++q) {\n    total += loss(q, w);\n    weights += w;\n  }\n  " + out +
        ".d[" + o + "] = " + (reduction == "mean" ? "total / weights" : "total") + ";\n}\n";
  }
  kernel.glsl = text;
  return kernel;
}

}  // namespace hetrun::vulkan
