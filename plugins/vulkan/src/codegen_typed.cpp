// Elementwise ops over int32, int64 and bool tensors, and the ones between dtypes (comparisons,
// Where, Cast). They fuse with the float ops: GenerateElementwise declares each register with its
// dtype's type and asks TypedExpression for these nodes. Bool tensors are bytes: loads pick the
// byte out of its 32-bit word, stores replace it with two atomics, so neighbours written by other
// invocations are kept.
#include <set>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

const std::set<std::string>& Comparisons() {
  static const std::set<std::string> ops = {"Equal", "Less", "Greater", "LessOrEqual",
                                            "GreaterOrEqual"};
  return ops;
}

const std::set<std::string>& Logic() {
  static const std::set<std::string> ops = {"And", "Or", "Xor", "Not"};
  return ops;
}

// Float ops that also run on int32/int64 tensors, exactly.
const std::set<std::string>& IntegerOps() {
  static const std::set<std::string> ops = {"Add", "Sub", "Mul", "Div", "Neg",
                                            "Abs", "Max", "Min", "Sum", "Mod"};
  return ops;
}

bool IsInt(hetrun_dtype_t t) {
  return t == HETRUN_DTYPE_INT32 || t == HETRUN_DTYPE_INT64;
}

hetrun_dtype_t DType(const GraphInfo& graph, int32_t v) {
  return graph.value(v).dtype;
}

std::string V(int32_t v) {
  return "v" + std::to_string(v);
}

// "" when the inputs broadcast to the output's dims.
std::string CheckBroadcast(const GraphInfo& graph, const hetrun_node& node) {
  std::vector<int64_t> shape = graph.value(node.inputs[0]).dims;
  for (uint32_t i = 1; i < node.num_inputs; ++i) {
    if (!BroadcastShapes(shape, graph.value(node.inputs[i]).dims, &shape)) {
      return "input shapes do not broadcast";
    }
  }
  const std::vector<int64_t>& out = graph.value(node.outputs[0]).dims;
  if (shape != out) {
    return "output dims " + FormatDims(out) + " differ from the broadcast shape " +
           FormatDims(shape);
  }
  return "";
}

std::string Name(hetrun_dtype_t t) {
  return plugin::DTypeName(t);
}

}  // namespace

bool IsDeviceDType(hetrun_dtype_t t) {
  return t == HETRUN_DTYPE_FLOAT32 || IsInt(t) || t == HETRUN_DTYPE_BOOL;
}

bool IsTypedOnlyOp(const std::string& op) {
  return Comparisons().count(op) || Logic().count(op) || op == "Where" || op == "Cast" ||
         op == "IsInf" || op == "IsNaN" || op == "Mod";
}

bool IsTypedNode(const GraphInfo& graph, const hetrun_node& node) {
  if (IsTypedOnlyOp(node.op_type)) return true;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] >= 0 && DType(graph, node.inputs[i]) != HETRUN_DTYPE_FLOAT32) return true;
  }
  return node.num_outputs > 0 && node.outputs[0] >= 0 &&
         DType(graph, node.outputs[0]) != HETRUN_DTYPE_FLOAT32;
}

bool IsFloatPow(const GraphInfo& graph, const hetrun_node& node) {
  return std::string(node.op_type) == "Pow" && node.num_inputs == 2 && node.inputs[0] >= 0 &&
         node.inputs[1] >= 0 && node.num_outputs == 1 && node.outputs[0] >= 0 &&
         DType(graph, node.inputs[0]) == HETRUN_DTYPE_FLOAT32 &&
         DType(graph, node.outputs[0]) == HETRUN_DTYPE_FLOAT32 &&
         IsInt(DType(graph, node.inputs[1]));
}

std::string CheckTypedElementwise(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  if (IsFloatPow(graph, node)) return CheckBroadcast(graph, node);
  const uint32_t n = node.num_inputs;
  if (node.num_outputs != 1) return "expects one output";
  for (uint32_t i = 0; i < n; ++i) {
    if (node.inputs[i] < 0) return "an input is omitted";
  }
  if (n == 0) return "needs at least one input";
  const hetrun_dtype_t in = DType(graph, node.inputs[0]);
  const hetrun_dtype_t out = DType(graph, node.outputs[0]);
  auto same_inputs = [&]() {
    for (uint32_t i = 1; i < n; ++i)
      if (DType(graph, node.inputs[i]) != in) return false;
    return true;
  };
  auto arity = [&](uint32_t want) -> std::string {
    return n == want ? "" : "expects " + std::to_string(want) + " input(s)";
  };
  std::string reason;
  if (Comparisons().count(op)) {
    reason = arity(2);
    if (reason.empty() && (!same_inputs() || out != HETRUN_DTYPE_BOOL ||
                           (in == HETRUN_DTYPE_BOOL && op != "Equal"))) {
      reason = "inputs of " + Name(in) + " and output " + Name(out) + " are not supported";
    }
  } else if (Logic().count(op)) {
    reason = arity(op == "Not" ? 1 : 2);
    if (reason.empty() && (!same_inputs() || in != HETRUN_DTYPE_BOOL || out != in)) {
      reason = "only bool tensors";
    }
  } else if (op == "IsInf" || op == "IsNaN") {
    reason = arity(1);
    if (reason.empty() && (in != HETRUN_DTYPE_FLOAT32 || out != HETRUN_DTYPE_BOOL)) {
      reason = "only float32 input and bool output";
    }
  } else if (op == "Where") {
    reason = arity(3);
    if (reason.empty() && (in != HETRUN_DTYPE_BOOL || DType(graph, node.inputs[1]) != out ||
                           DType(graph, node.inputs[2]) != out)) {
      reason = "condition must be bool and both branches of the output's dtype";
    }
  } else if (op == "Cast") {
    reason = arity(1);
    if (reason.empty() && graph.value(node.inputs[0]).dims != graph.value(node.outputs[0]).dims) {
      reason = "output shape differs from the input's";
    }
    return reason;
  } else if (op == "Mod" && !IsInt(in)) {
    return "float Mod is not supported (not exact on this device)";
  } else if (IntegerOps().count(op)) {
    if (!IsInt(in) || !same_inputs() || out != in) {
      return "op " + op + " on " + Name(in) + " is not supported (float32, int32, int64 only)";
    }
    if (op == "Mod" && n != 2) return "expects 2 inputs";
  } else {
    return "op " + op + " with " + Name(in) + " -> " + Name(out) +
           " tensors is not supported (float32 only)";
  }
  return reason.empty() ? CheckBroadcast(graph, node) : reason;
}

std::string TypedExpression(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  std::vector<std::string> in;
  for (uint32_t i = 0; i < node.num_inputs; ++i) in.push_back(V(node.inputs[i]));
  const std::string& a = in[0];
  const hetrun_dtype_t to = DType(graph, node.outputs[0]);
  const std::string t = glsl::RegisterType(to);
  if (op == "Equal") return "(" + a + " == " + in[1] + ")";
  if (op == "Less") return "(" + a + " < " + in[1] + ")";
  if (op == "Greater") return "(" + a + " > " + in[1] + ")";
  if (op == "LessOrEqual") return "(" + a + " <= " + in[1] + ")";
  if (op == "GreaterOrEqual") return "(" + a + " >= " + in[1] + ")";
  if (op == "And") return "(" + a + " && " + in[1] + ")";
  if (op == "Or") return "(" + a + " || " + in[1] + ")";
  if (op == "Xor") return "(" + a + " != " + in[1] + ")";
  if (op == "Not") return "(!" + a + ")";
  if (op == "IsNaN") return "isnan(" + a + ")";
  if (op == "IsInf") {
    const bool pos = plugin::AttrInt(node, "detect_positive", 1) != 0;
    const bool neg = plugin::AttrInt(node, "detect_negative", 1) != 0;
    return "(isinf(" + a + ") && (" + a + " > 0.0 ? " + (pos ? "true" : "false") + " : " +
           (neg ? "true" : "false") + "))";
  }
  if (op == "Where") return "(" + a + " ? " + in[1] + " : " + in[2] + ")";
  if (op == "Cast") {
    const hetrun_dtype_t from = DType(graph, node.inputs[0]);
    if (from == to) return a;
    if (to == HETRUN_DTYPE_BOOL) {
      return "(" + a + " != " + glsl::RegisterType(from) + "(0))";
    }
    if (from == HETRUN_DTYPE_BOOL) return "(" + a + " ? " + t + "(1) : " + t + "(0))";
    // float -> int truncates toward zero, int -> float rounds to nearest, int64 -> int32 wraps.
    return t + "(" + a + ")";
  }
  const std::string zero = t + "(0)";
  if (op == "Neg") return "(-" + a + ")";
  if (op == "Abs") return "(" + a + " < " + zero + " ? -" + a + " : " + a + ")";
  if (op == "Add") return "(" + a + " + " + in[1] + ")";
  if (op == "Sub") return "(" + a + " - " + in[1] + ")";
  if (op == "Mul") return "(" + a + " * " + in[1] + ")";
  // A zero divisor gives 0 (ONNX leaves it undefined) instead of a trap on CPU implementations.
  const std::string b = in.size() > 1 ? in[1] : "";
  const std::string quotient = "(" + b + " == " + zero + " ? " + zero + " : " + a + " / " + b + ")";
  if (op == "Div") return quotient;
  if (op == "Mod") {
    // C's remainder (sign of the dividend); without fmod, Python's (sign of the divisor).
    const std::string r = "(" + a + " - " + b + " * " + quotient + ")";
    if (plugin::AttrInt(node, "fmod", 0) != 0) return r;
    return "(" + r + " != " + zero + " && ((" + r + " < " + zero + ") != (" + b + " < " + zero +
           ")) ? " + r + " + " + b + " : " + r + ")";
  }
  if (op == "Max" || op == "Min" || op == "Sum") {
    std::string e = a;
    for (size_t i = 1; i < in.size(); ++i) {
      if (op == "Sum") {
        e = "(" + e + " + " + in[i] + ")";
      } else {
        const std::string cmp = op == "Max" ? " > " : " < ";
        e = "(" + e + cmp + in[i] + " ? " + e + " : " + in[i] + ")";
      }
    }
    return e;
  }
  throw plugin::Error(HETRUN_STATUS_INTERNAL, "no GLSL for typed op " + op);
}

bool IsTypedMovement(const std::string& op) {
  return op == "Concat" || op == "Split" || op == "Slice" || op == "Gather" ||
         op == "GatherElements" || op == "Expand" || op == "Tile" || op == "Transpose" ||
         op == "DepthToSpace" || op == "SpaceToDepth";
}

void RetypeMovement(hetrun_dtype_t dtype, Kernel* kernel) {
  if (dtype == HETRUN_DTYPE_FLOAT32) return;
  // The data bindings are the ones still declared float (index inputs are int already); their
  // elements are copied as bits: uint for int32, uvec2 for int64.
  const std::string type = dtype == HETRUN_DTYPE_INT64 ? "uvec2" : "uint";
  std::string& text = kernel->glsl;
  kernel->offset_units.assign(kernel->bindings.size(), 4);
  for (size_t j = 0; j < kernel->bindings.size(); ++j) {
    const std::string from = "buffer B" + std::to_string(j) + " { float d[]; }";
    const size_t at = text.find(from);
    if (at == std::string::npos) continue;
    text.replace(at, from.size(), "buffer B" + std::to_string(j) + " { " + type + " d[]; }");
    kernel->offset_units[j] = static_cast<uint32_t>(plugin::DTypeSize(dtype));
  }
  for (size_t at = text.find("float v"); at != std::string::npos; at = text.find("float v", at)) {
    text.replace(at, 5, type);
  }
}

namespace glsl {

std::string RegisterType(hetrun_dtype_t t) {
  switch (t) {
    case HETRUN_DTYPE_INT32: return "int";
    case HETRUN_DTYPE_INT64: return "int64_t";
    case HETRUN_DTYPE_BOOL: return "bool";
    default: return "float";
  }
}

std::string TypedHeader(uint32_t local_x, uint32_t local_y,
                        const std::vector<hetrun_dtype_t>& dtypes, uint32_t num_inputs) {
  // Always declared: a fused chain may hold an int64 register no binding has (Cast i64 -> f32).
  // SPIR-V only gets the Int64 capability where int64 is used.
  std::string text =
      "#version 450\n#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n";
  text += "layout(local_size_x = " + std::to_string(local_x) +
          ", local_size_y = " + std::to_string(local_y) + ", local_size_z = 1) in;\n";
  for (size_t j = 0; j < dtypes.size(); ++j) {
    const std::string b = std::to_string(j);
    // Bool tensors are read and written as the 32-bit words that hold their bytes.
    const std::string type = dtypes[j] == HETRUN_DTYPE_BOOL ? "uint" : RegisterType(dtypes[j]);
    text += "layout(std430, set = 0, binding = " + b + ") " + (j < num_inputs ? "readonly " : "") +
            "buffer B" + b + " { " + type + " d[]; } b" + b + ";\n";
  }
  if (dtypes.empty()) return text;
  text += "layout(push_constant) uniform Offsets {";
  for (size_t j = 0; j < dtypes.size(); ++j) text += " uint o" + std::to_string(j) + ";";
  return text + " } pc;\n";
}

std::string Load(hetrun_dtype_t t, uint32_t b, const std::string& index) {
  const std::string d = "b" + std::to_string(b) + ".d";
  if (t != HETRUN_DTYPE_BOOL) return d + "[" + index + "]";
  return "(((" + d + "[(" + index + ") >> 2u] >> (((" + index + ") & 3u) * 8u)) & 0xffu) != 0u)";
}

std::string Store(hetrun_dtype_t t, uint32_t b, const std::string& index,
                  const std::string& value) {
  const std::string d = "b" + std::to_string(b) + ".d";
  if (t != HETRUN_DTYPE_BOOL) return "  " + d + "[" + index + "] = " + value + ";\n";
  return "  {\n    uint at = " + index + ", shift = (at & 3u) * 8u;\n    atomicAnd(" + d +
         "[at >> 2u], ~(0xffu << shift));\n    atomicOr(" + d + "[at >> 2u], (" + value +
         " ? 1u : 0u) << shift);\n  }\n";
}

}  // namespace glsl
}  // namespace hetrun::vulkan
