// Elementwise nodes: one work item per output element, inputs read through numpy broadcasting.
#include <cmath>
#include <map>
#include <sstream>

#include "codegen.h"
#include "errors.h"

namespace hetrun::opencl {
namespace {

// Binary ops: the expression of `a` and `b`.
const std::map<std::string, std::string>& BinaryOps() {
  static const std::map<std::string, std::string> ops = {
      {"Add", "a + b"}, {"Sub", "a - b"}, {"Mul", "a * b"}, {"Div", "a / b"}};
  return ops;
}

// Unary ops without attributes: the expression of `a`. NaN passes through Relu (`a < 0` is false).
const std::map<std::string, std::string>& UnaryOps() {
  static const std::map<std::string, std::string> ops = {{"Relu", "a < 0.0f ? 0.0f : a"},
                                                         {"Sigmoid", "1.0f / (1.0f + exp(-a))"},
                                                         {"Neg", "-a"},
                                                         {"Abs", "fabs(a)"},
                                                         {"Exp", "exp(a)"},
                                                         {"Log", "log(a)"},
                                                         {"Sqrt", "sqrt(a)"},
                                                         {"Tanh", "tanh(a)"},
                                                         {"Reciprocal", "1.0f / a"},
                                                         {"Floor", "floor(a)"},
                                                         {"Ceil", "ceil(a)"},
                                                         {"Softsign", "a / (1.0f + fabs(a))"}};
  return ops;
}

bool IsAttributeUnary(const std::string& op) {
  return op == "HardSigmoid" || op == "HardSwish" || op == "LeakyRelu" || op == "Elu";
}

// The expression of an attribute-taking unary op.
std::string AttributeUnary(const hetrun_node& node) {
  const std::string op = node.op_type;
  if (op == "HardSigmoid") {
    return "fmax(0.0f, fmin(1.0f, " + cl::Float(plugin::AttrFloat(node, "alpha", 0.2f)) +
           " * a + " + cl::Float(plugin::AttrFloat(node, "beta", 0.5f)) + "))";
  }
  if (op == "HardSwish") return "a * fmax(0.0f, fmin(1.0f, a * 0x1.555556p-3f + 0.5f))";
  if (op == "LeakyRelu") {
    return "a < 0.0f ? " + cl::Float(plugin::AttrFloat(node, "alpha", 0.01f)) + " * a : a";
  }
  return "a < 0.0f ? " + cl::Float(plugin::AttrFloat(node, "alpha", 1.0f)) +
         " * (exp(a) - 1.0f) : a";  // Elu
}

}  // namespace

bool IsElementwiseOp(const std::string& op) {
  return BinaryOps().count(op) || UnaryOps().count(op) || IsAttributeUnary(op) || op == "Clip";
}

std::string CheckElementwise(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  const std::vector<int64_t>& out = graph.value(node.outputs[0]).dims;
  if (BinaryOps().count(op)) {
    if (node.num_inputs != 2 || node.inputs[0] < 0 || node.inputs[1] < 0) {
      return "expects two inputs";
    }
    if (node.opset < 7) return "opset < 7 (legacy broadcast attribute) is not supported";
    std::vector<int64_t> shape;
    if (!BroadcastShapes(graph.value(node.inputs[0]).dims, graph.value(node.inputs[1]).dims,
                         &shape) ||
        shape != out) {
      return "input shapes do not broadcast to the output shape " + FormatDims(out);
    }
    return "";
  }
  if (node.num_inputs < 1 || node.inputs[0] < 0) return "expects an input";
  if (graph.value(node.inputs[0]).dims != out) return "output shape differs from the input's";
  if (op == "Clip") {
    if (node.opset < 6) return "opset < 6 is not supported";
    for (uint32_t slot = 1; slot < node.num_inputs && slot < 3; ++slot) {
      const int32_t v = node.inputs[slot];
      if (v >= 0 && graph.value(v).elements() != 1) return "min/max must be scalars";
    }
    if (node.num_inputs > 3) return "too many inputs";
    return "";
  }
  if (node.num_inputs != 1) return "expects one input";
  return "";
}

Kernel GenerateElementwise(const GraphInfo& graph, const std::vector<uint32_t>& nodes) {
  const hetrun_node& last = graph.node(nodes.back());
  const ValueInfo& out = graph.value(last.outputs[0]);
  Kernel kernel;
  kernel.work_items = out.elements();
  // Each node's result lives in a register t<j>; a value from outside the chain is read through
  // its own buffer argument with numpy broadcasting.
  std::vector<int32_t> produced;
  auto operand = [&](int32_t v) -> std::string {
    for (size_t j = 0; j < produced.size(); ++j) {
      if (produced[j] == v) return "t" + std::to_string(j);
    }
    size_t arg = 0;
    while (arg < kernel.args.size() && kernel.args[arg] != v) ++arg;
    if (arg == kernel.args.size()) kernel.args.push_back(v);
    return "IN" + std::to_string(arg) + "(" +
           cl::BroadcastIndex(graph.value(v).dims, out.dims, "c") + ")";
  };
  std::ostringstream body;
  body << cl::Unravel(out.dims, "i", "c");
  for (uint32_t k : nodes) {
    const hetrun_node& node = graph.node(k);
    const std::string op = node.op_type;
    kernel.what += (kernel.what.empty() ? "" : " + ") + graph.Describe(k);
    const std::string t = "t" + std::to_string(produced.size());
    body << "  float " << t << ";\n  {\n    float a = " << operand(node.inputs[0]) << ";\n";
    if (BinaryOps().count(op)) {
      body << "    const float b = " << operand(node.inputs[1]) << ";\n"
           << "    " << t << " = " << BinaryOps().at(op) << ";\n";
    } else if (op == "Clip") {
      // Bounds: attributes before opset 11, optional scalar inputs since (constants baked in).
      std::string lo = cl::Float(plugin::AttrFloat(node, "min", -INFINITY));
      std::string hi = cl::Float(plugin::AttrFloat(node, "max", INFINITY));
      for (uint32_t slot = 1; slot < node.num_inputs; ++slot) {
        const int32_t v = node.inputs[slot];
        if (v < 0) continue;
        float value = 0;
        (slot == 1 ? lo : hi) = graph.ScalarConstant(v, &value) ? cl::Float(value) : operand(v);
      }
      // numpy.clip order: max(a, lo) first, then min(., hi), so lo > hi gives hi.
      body << "    a = a < " << lo << " ? " << lo << " : a;\n"
           << "    " << t << " = a > " << hi << " ? " << hi << " : a;\n";
    } else {
      body << "    " << t << " = "
           << (UnaryOps().count(op) ? UnaryOps().at(op) : AttributeUnary(node)) << ";\n";
    }
    body << "  }\n";
    produced.push_back(node.outputs[0]);
  }
  body << "  OUT0(i, t" << produced.size() - 1 << ");\n";
  kernel.num_inputs = static_cast<uint32_t>(kernel.args.size());
  kernel.args.push_back(last.outputs[0]);
  kernel.source = cl::Source(graph, kernel.args, kernel.num_inputs, kernel.work_items, body.str());
  return kernel;
}

bool CanFuse(const GraphInfo& graph, uint32_t producer, uint32_t consumer) {
  const hetrun_node& p = graph.node(producer);
  const hetrun_node& c = graph.node(consumer);
  if (!IsElementwiseOp(p.op_type) || !IsElementwiseOp(c.op_type)) return false;
  const int32_t v = p.outputs[0];
  const ValueInfo& value = graph.value(v);
  // Only a value nobody else needs may stay in a register.
  if (value.part_output || value.dims != graph.value(c.outputs[0]).dims) return false;
  uint32_t reads = 0, reads_by_consumer = 0;
  for (uint32_t k = 0; k < graph.view().num_nodes; ++k) {
    const hetrun_node& n = graph.node(k);
    for (uint32_t i = 0; i < n.num_inputs; ++i) {
      if (n.inputs[i] != v) continue;
      ++reads;
      if (k == consumer) ++reads_by_consumer;
    }
  }
  return reads >= 1 && reads == reads_by_consumer;
}

}  // namespace hetrun::opencl
