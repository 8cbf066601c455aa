// Elementwise ops and their fusion: every node of a chain computes one register per output element,
// inputs from outside the chain are loaded with their broadcast strides, and only the values needed
// outside are stored. Transcendentals use our own accurate forms where the GLSL built-ins are too
// loose for ONNX's tolerances (Vulkan allows log() an absolute 2^-21 error near 1, for instance).
#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

enum class Arity { kUnary, kBinary, kVariadic, kClip };

const std::map<std::string, Arity>& Ops() {
  static const std::map<std::string, Arity> ops = {
      {"Relu", Arity::kUnary},        {"Sigmoid", Arity::kUnary},
      {"Tanh", Arity::kUnary},        {"Exp", Arity::kUnary},
      {"Log", Arity::kUnary},         {"Abs", Arity::kUnary},
      {"Neg", Arity::kUnary},         {"Sqrt", Arity::kUnary},
      {"Erf", Arity::kUnary},         {"LeakyRelu", Arity::kUnary},
      {"HardSigmoid", Arity::kUnary}, {"Reciprocal", Arity::kUnary},
      {"Floor", Arity::kUnary},       {"Ceil", Arity::kUnary},
      {"Elu", Arity::kUnary},         {"Selu", Arity::kUnary},
      {"Softsign", Arity::kUnary},    {"ThresholdedRelu", Arity::kUnary},
      {"Add", Arity::kBinary},        {"Sub", Arity::kBinary},
      {"Mul", Arity::kBinary},        {"Div", Arity::kBinary},
      {"Pow", Arity::kBinary},        {"PRelu", Arity::kBinary},
      {"Max", Arity::kVariadic},      {"Min", Arity::kVariadic},
      {"Sum", Arity::kVariadic},      {"Mean", Arity::kVariadic},
      {"Clip", Arity::kClip},         {"Sinh", Arity::kUnary},
      {"Cosh", Arity::kUnary},        {"Asinh", Arity::kUnary},
      {"Acosh", Arity::kUnary},       {"Atanh", Arity::kUnary},
      {"Softplus", Arity::kUnary},    {"Shrink", Arity::kUnary},
      {"Sign", Arity::kUnary},        {"Round", Arity::kUnary},
      {"HardSwish", Arity::kUnary},   {"Celu", Arity::kUnary},
  };
  return ops;
}

// Helper functions, emitted only when a kernel uses them.
constexpr const char* kHelperTanh = R"(
float hr_tanh(float x) {
  float a = abs(x);
  float r;
  if (a < 0.05) {  // series: (1-t)/(1+t) below loses digits to cancellation
    float a2 = a * a;
    r = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0))));
  } else {
    float t = exp(-2.0 * a);
    r = (1.0 - t) / (1.0 + t);
  }
  return x < 0.0 ? -r : r;
}
)";
constexpr const char* kHelperLog = R"(
float hr_log(float x) {
  if (x >= 0.5 && x <= 2.0) {  // log(x) = 2 atanh((x-1)/(x+1)): relative accuracy near 1
    float s = (x - 1.0) / (x + 1.0);
    float s2 = s * s;
    float p = 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    return 2.0 * s * p;
  }
  return log(x);
}
)";
constexpr const char* kHelperExpm1 = R"(
float hr_expm1(float x) {
  if (abs(x) < 0.01) return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0))));
  return exp(x) - 1.0;
}
)";
// erf: Taylor series below 0.5 (relative accuracy near 0), Abramowitz & Stegun 7.1.26 above
// (absolute error 1.5e-7, where |erf| > 0.52).
constexpr const char* kHelperErf = R"(
float hr_erf(float x) {
  float a = abs(x);
  float r;
  if (a < 0.5) {
    float a2 = a * a;
    float p = 1.0 / 9360.0;
    p = p * -a2 + 1.0 / 1320.0;
    p = p * -a2 + 1.0 / 216.0;
    p = p * -a2 + 1.0 / 42.0;
    p = p * -a2 + 1.0 / 10.0;
    p = p * -a2 + 1.0 / 3.0;
    p = p * -a2 + 1.0;
    r = 1.1283791670955126 * a * p;
  } else if (a < 4.0) {
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float p = 1.061405429;
    p = p * t - 1.453152027;
    p = p * t + 1.421413741;
    p = p * t - 0.284496736;
    p = p * t + 0.254829592;
    r = 1.0 - p * t * exp(-a * a);
  } else {
    r = 1.0;
  }
  return x < 0.0 ? -r : r;
}
)";
// log(1 + x) with relative accuracy for small x (the rounding of 1 + x is compensated).
constexpr const char* kHelperLog1p = R"(
float hr_log1p(float x) {
  float u = 1.0 + x;
  if (u == 1.0) return x;
  return hr_log(u) * (x / (u - 1.0));
}
)";
// pow with ONNX/numpy semantics for negative bases (integer exponents) and zero.
constexpr const char* kHelperPow = R"(
float hr_pow(float x, float y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (x == 0.0) return y > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
  float r = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (floor(y) != y) return uintBitsToFloat(0x7fc00000u);
    if (mod(y, 2.0) == 1.0) r = -r;
  }
  return r;
}
)";

std::string V(int32_t value) {
  return "v" + std::to_string(value);
}

std::vector<int64_t> Dims(const GraphInfo& graph, int32_t v) {
  return graph.value(v).dims;
}

// The GLSL expression of `node` over its input registers, adding the helpers it needs.
std::string Expression(const hetrun_node& node, std::set<const char*>* helpers) {
  const std::string op = node.op_type;
  std::vector<std::string> in;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    in.push_back(node.inputs[i] >= 0 ? V(node.inputs[i]) : "");
  }
  const std::string a = in.empty() ? "" : in[0];
  auto attr = [&](const char* name, float fallback) {
    return glsl::Float(plugin::AttrFloat(node, name, fallback));
  };
  if (op == "Relu") return "max(" + a + ", 0.0)";
  if (op == "Sigmoid") return "1.0 / (1.0 + exp(-" + a + "))";
  if (op == "Tanh") return helpers->insert(kHelperTanh), "hr_tanh(" + a + ")";
  if (op == "Exp") return "exp(" + a + ")";
  if (op == "Log") return helpers->insert(kHelperLog), "hr_log(" + a + ")";
  if (op == "Abs") return "abs(" + a + ")";
  if (op == "Neg") return "-" + a;
  if (op == "Sqrt") return "sqrt(" + a + ")";
  if (op == "Erf") return helpers->insert(kHelperErf), "hr_erf(" + a + ")";
  if (op == "LeakyRelu") return a + " >= 0.0 ? " + a + " : " + attr("alpha", 0.01f) + " * " + a;
  if (op == "HardSigmoid") {
    return "clamp(" + attr("alpha", 0.2f) + " * " + a + " + " + attr("beta", 0.5f) + ", 0.0, 1.0)";
  }
  if (op == "Reciprocal") return "1.0 / " + a;
  if (op == "Floor") return "floor(" + a + ")";
  if (op == "Ceil") return "ceil(" + a + ")";
  if (op == "Elu") {
    helpers->insert(kHelperExpm1);
    return a + " >= 0.0 ? " + a + " : " + attr("alpha", 1.0f) + " * hr_expm1(" + a + ")";
  }
  if (op == "Selu") {
    helpers->insert(kHelperExpm1);
    const std::string gamma = attr("gamma", 1.05070102214813232421875f);
    return a + " > 0.0 ? " + gamma + " * " + a + " : " + gamma + " * (" +
           attr("alpha", 1.67326319217681884765625f) + " * hr_expm1(" + a + "))";
  }
  if (op == "Softsign") return a + " / (1.0 + abs(" + a + "))";
  if (op == "Sign") return "sign(" + a + ")";
  if (op == "Round") return "roundEven(" + a + ")";  // halves to even, as ONNX
  if (op == "HardSwish") return a + " * clamp(" + a + " / 6.0 + 0.5, 0.0, 1.0)";
  if (op == "Shrink") {
    const std::string l = attr("lambd", 0.5f), b = attr("bias", 0.0f);
    return a + " < -" + l + " ? " + a + " + " + b + " : (" + a + " > " + l + " ? " + a + " - " + b +
           " : 0.0)";
  }
  // The hyperbolic functions through expm1/log1p: relative accuracy near 0.
  if (op == "Sinh" || op == "Cosh" || op == "Celu") helpers->insert(kHelperExpm1);
  if (op == "Sinh") return "0.5 * (hr_expm1(" + a + ") - hr_expm1(-" + a + "))";
  if (op == "Cosh") return "0.5 * (exp(" + a + ") + exp(-" + a + "))";
  if (op == "Celu") {
    const std::string alpha = attr("alpha", 1.0f);
    return "max(" + a + ", 0.0) + min(0.0, " + alpha + " * hr_expm1(" + a + " / " + alpha + "))";
  }
  if (op == "Asinh" || op == "Atanh" || op == "Softplus") {
    helpers->insert(kHelperLog);
    helpers->insert(kHelperLog1p);
  }
  if (op == "Asinh") {  // sign(x) log1p(|x| + x^2 / (1 + sqrt(x^2 + 1)))
    return "sign(" + a + ") * hr_log1p(abs(" + a + ") + " + a + " * " + a + " / (1.0 + sqrt(" + a +
           " * " + a + " + 1.0)))";
  }
  if (op == "Atanh") return "0.5 * (hr_log1p(" + a + ") - hr_log1p(-" + a + "))";
  if (op == "Softplus") return "max(" + a + ", 0.0) + hr_log1p(exp(-abs(" + a + ")))";
  if (op == "Acosh") {
    helpers->insert(kHelperLog);
    return "hr_log(" + a + " + sqrt(" + a + " * " + a + " - 1.0))";
  }
  if (op == "ThresholdedRelu") return a + " > " + attr("alpha", 1.0f) + " ? " + a + " : 0.0";
  if (op == "Add") return a + " + " + in[1];
  if (op == "Sub") return a + " - " + in[1];
  if (op == "Mul") return a + " * " + in[1];
  if (op == "Div") return a + " / " + in[1];
  if (op == "Pow") {  // the exponent may be an int32/int64 register
    return helpers->insert(kHelperPow), "hr_pow(" + a + ", float(" + in[1] + "))";
  }
  if (op == "PRelu") return a + " < 0.0 ? " + in[1] + " * " + a + " : " + a;
  if (op == "Max" || op == "Min") {
    std::string e = a;
    for (size_t i = 1; i < in.size(); ++i)
      e = (op == "Max" ? "max(" : "min(") + e + ", " + in[i] + ")";
    return e;
  }
  if (op == "Sum" || op == "Mean") {
    std::string e = a;
    for (size_t i = 1; i < in.size(); ++i) e += " + " + in[i];
    return op == "Sum" ? e : "(" + e + ") / " + std::to_string(in.size()) + ".0";
  }
  if (op == "Clip") {
    std::string e = a;
    if (node.opset < 11) {
      // Clip-6 defaults are -FLT_MAX / FLT_MAX (so infinities are clipped too).
      return "min(max(" + e + ", " + attr("min", -FLT_MAX) + "), " + attr("max", FLT_MAX) + ")";
    }
    if (in.size() > 1 && !in[1].empty()) e = "max(" + e + ", " + in[1] + ")";
    if (in.size() > 2 && !in[2].empty()) e = "min(" + e + ", " + in[2] + ")";
    return e;
  }
  throw plugin::Error(HETRUN_STATUS_INTERNAL, "no GLSL for elementwise op " + op);
}

}  // namespace

bool IsElementwiseOp(const std::string& op) {
  return Ops().count(op) > 0 || IsTypedOnlyOp(op);
}

std::string CheckElementwise(const GraphInfo& graph, const hetrun_node& node) {
  if (IsTypedNode(graph, node)) return CheckTypedElementwise(graph, node);
  const Arity arity = Ops().at(node.op_type);
  const uint32_t n = node.num_inputs;
  for (uint32_t i = 0; i < n; ++i) {
    if (node.inputs[i] < 0 && !(arity == Arity::kClip && i > 0)) return "an input is omitted";
  }
  if (n == 0) return "needs at least one input";
  if (arity == Arity::kUnary && n != 1) return "expects 1 input";
  if (arity == Arity::kBinary && n != 2) return "expects 2 inputs";
  if (arity == Arity::kClip && n > 3) return "expects at most 3 inputs";
  const std::vector<int64_t> out = Dims(graph, node.outputs[0]);
  if (arity == Arity::kClip) {
    for (uint32_t i = 1; i < n; ++i) {
      if (node.inputs[i] >= 0 && graph.value(node.inputs[i]).elements() != 1) {
        return "min/max must be scalars";
      }
    }
    if (node.opset < 11) {
      for (const char* name : {"min", "max"}) {
        const hetrun_attribute* a = plugin::FindAttr(node, name);
        if (a && a->type != HETRUN_ATTR_FLOAT) return std::string(name) + " is not a float";
      }
    }
    if (Dims(graph, node.inputs[0]) != out) return "output shape differs from the input's";
    return "";
  }
  std::vector<int64_t> shape = Dims(graph, node.inputs[0]);
  if (node.op_type == std::string("PRelu")) {
    std::vector<int64_t> b;
    if (!BroadcastShapes(shape, Dims(graph, node.inputs[1]), &b) || b != shape) {
      return "slope does not broadcast to the input's shape";
    }
  } else {
    for (uint32_t i = 1; i < n; ++i) {
      if (!BroadcastShapes(shape, Dims(graph, node.inputs[i]), &shape)) {
        return "input shapes do not broadcast";
      }
    }
  }
  if (shape != out) {
    return "output dims " + FormatDims(out) + " differ from the broadcast shape " +
           FormatDims(shape);
  }
  return "";
}

Kernel GenerateElementwise(const GraphInfo& graph, const std::vector<uint32_t>& nodes,
                           const std::vector<bool>& stored, const Limits& limits) {
  Kernel kernel;
  const std::vector<int64_t> shape = Dims(graph, graph.node(nodes.back()).outputs[0]);
  const uint64_t count = graph.value(graph.node(nodes.back()).outputs[0]).elements();
  std::set<int32_t> produced;
  std::vector<int32_t> loaded, inlined, outputs;
  for (uint32_t k : nodes) {
    const hetrun_node& node = graph.node(k);
    kernel.what += (kernel.what.empty() ? "" : " + ") + graph.Describe(k);
    for (uint32_t i = 0; i < node.num_inputs; ++i) {
      const int32_t v = node.inputs[i];
      if (v < 0 || produced.count(v)) continue;
      auto& list = graph.ScalarConstant(v) ? inlined : loaded;
      if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
    }
    produced.insert(node.outputs[0]);
    if (stored[node.outputs[0]]) outputs.push_back(node.outputs[0]);
  }
  if (nodes.size() > 1) kernel.what = "fused chain " + kernel.what;
  kernel.bindings = loaded;
  kernel.bindings.insert(kernel.bindings.end(), outputs.begin(), outputs.end());
  kernel.num_inputs = static_cast<uint32_t>(loaded.size());

  std::set<const char*> helpers;
  std::string body;
  // Coordinates of element i, only when some input broadcasts.
  bool need_coords = false;
  for (int32_t v : loaded) {
    if (Dims(graph, v) != shape && graph.value(v).elements() != 1) need_coords = true;
  }
  const size_t rank = shape.size();
  if (need_coords) {
    body += "  uint r = i;\n";
    for (size_t d = rank; d-- > 0;) {
      body += "  uint c" + std::to_string(d) + " = r % " + std::to_string(shape[d]) + "u;\n";
      if (d > 0) body += "  r /= " + std::to_string(shape[d]) + "u;\n";
    }
  }
  for (size_t j = 0; j < loaded.size(); ++j) {
    const int32_t v = loaded[j];
    const std::vector<int64_t> dims = Dims(graph, v);
    std::string index;
    if (dims == shape) {
      index = "i";
    } else if (graph.value(v).elements() == 1) {
      index = "0u";
    } else {
      uint64_t stride = 1;
      for (size_t d = dims.size(); d-- > 0;) {
        const size_t od = d + (rank - dims.size());
        if (dims[d] != 1) {
          index += (index.empty() ? "" : " + ") + std::string("c") + std::to_string(od) + " * " +
                   std::to_string(stride) + "u";
        }
        stride *= static_cast<uint64_t>(dims[d]);
      }
    }
    const hetrun_dtype_t t = graph.value(v).dtype;
    body += "  " + glsl::RegisterType(t) + " " + V(v) + " = " +
            glsl::Load(t, static_cast<uint32_t>(j), "pc.o" + std::to_string(j) + " + " + index) +
            ";\n";
  }
  for (int32_t v : inlined) {
    body += "  float " + V(v) + " = " + glsl::Float(*graph.ScalarConstant(v)) + ";\n";
  }
  for (uint32_t k : nodes) {
    const hetrun_node& node = graph.node(k);
    const std::string type = glsl::RegisterType(graph.value(node.outputs[0]).dtype);
    body += "  " + type + " " + V(node.outputs[0]) + " = " +
            (IsTypedNode(graph, node) && !IsFloatPow(graph, node) ? TypedExpression(graph, node)
                                                                  : Expression(node, &helpers)) +
            ";\n";
  }
  for (size_t j = 0; j < outputs.size(); ++j) {
    const auto b = static_cast<uint32_t>(loaded.size() + j);
    body += glsl::Store(graph.value(outputs[j]).dtype, b, "pc.o" + std::to_string(b) + " + i",
                        V(outputs[j]));
  }

  const uint32_t local = 128;
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  std::vector<hetrun_dtype_t> dtypes;
  for (int32_t v : kernel.bindings) {
    dtypes.push_back(graph.value(v).dtype);
    kernel.offset_units.push_back(static_cast<uint32_t>(plugin::DTypeSize(dtypes.back())));
  }
  kernel.glsl = glsl::TypedHeader(local, 1, dtypes, kernel.num_inputs);
  // In dependency order (hr_log1p calls hr_log).
  for (const char* helper :
       {kHelperTanh, kHelperLog, kHelperLog1p, kHelperExpm1, kHelperErf, kHelperPow}) {
    if (helpers.count(helper)) kernel.glsl += helper;
  }
  kernel.glsl +=
      "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
      std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) + "u) return;\n" + body +
      "}\n";
  return kernel;
}

namespace glsl {

const char* LogHelper() {
  return kHelperLog;
}

std::string Header(uint32_t local_x, uint32_t local_y, uint32_t num_inputs, uint32_t num_outputs) {
  std::string text = "#version 450\nlayout(local_size_x = " + std::to_string(local_x) +
                     ", local_size_y = " + std::to_string(local_y) + ", local_size_z = 1) in;\n";
  const uint32_t total = num_inputs + num_outputs;
  for (uint32_t j = 0; j < total; ++j) {
    const std::string b = std::to_string(j);
    text += "layout(std430, set = 0, binding = " + b + ") " + (j < num_inputs ? "readonly " : "") +
            "buffer B" + b + " { float d[]; } b" + b + ";\n";
  }
  if (total == 0) return text;
  text += "layout(push_constant) uniform Offsets {";
  for (uint32_t j = 0; j < total; ++j) text += " uint o" + std::to_string(j) + ";";
  return text + " } pc;\n";
}

std::string Float(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char text[40];
  std::snprintf(text, sizeof text, "uintBitsToFloat(0x%08xu)", bits);
  return text;
}

uint32_t SpreadGroups(uint64_t threads, uint32_t local, const Limits& limits, uint32_t groups[3]) {
  const uint64_t total = (threads + local - 1) / local;
  const uint64_t x = std::min<uint64_t>(std::max<uint64_t>(total, 1), limits.max_groups[0]);
  const uint64_t y = (total + x - 1) / x;
  if (y > limits.max_groups[1]) {
    throw plugin::Error(
        HETRUN_STATUS_UNIMPLEMENTED,
        std::to_string(threads) + " invocations exceed the device's workgroup grid");
  }
  groups[0] = static_cast<uint32_t>(x);
  groups[1] = static_cast<uint32_t>(std::max<uint64_t>(y, 1));
  groups[2] = 1;
  return static_cast<uint32_t>(x * local);
}

}  // namespace glsl
}  // namespace hetrun::vulkan
