// Kernels writing a pattern: Trilu keeps the upper (j - i >= k) or lower (j - i <= k) triangle of
// the last two dims and zeroes the rest (k, an int64 scalar, may be fed: it is read on the
// device); EyeLike writes ones on diagonal k; ConstantOfShape fills its static output dims with
// its value (the shape input is never read).
#include <cstring>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

// One invocation per element of `out`; `body` computes register `v` from the element index i.
Kernel Fill(const GraphInfo& graph, uint32_t k, int32_t out, const std::string& body,
            const Limits& limits) {
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {out};
  kernel.num_inputs = 0;
  const hetrun_dtype_t t = graph.value(out).dtype;
  kernel.offset_units = {static_cast<uint32_t>(plugin::DTypeSize(t))};
  const uint64_t count = graph.value(out).elements();
  const uint32_t stride = glsl::SpreadGroups(count, 128, limits, kernel.groups);
  kernel.glsl = glsl::TypedHeader(128, 1, {t}, 0) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) +
                "u) return;\n" + body + glsl::Store(t, 0, "pc.o0 + i", "v") + "}\n";
  return kernel;
}

// The value attribute of ConstantOfShape as a GLSL literal of the output dtype; "" if unusable.
std::string FillValue(const hetrun_node& node, hetrun_dtype_t out) {
  const hetrun_attribute* a = plugin::FindAttr(node, "value");
  if (!a) return out == HETRUN_DTYPE_FLOAT32 ? "0.0" : "";
  if (a->type != HETRUN_ATTR_TENSOR || !a->tensor || !a->tensor->data) return "";
  const hetrun_value& t = *a->tensor;
  if (t.dtype != out) return "";
  if (out == HETRUN_DTYPE_FLOAT32) {
    float f;
    std::memcpy(&f, t.data, 4);
    return glsl::Float(f);
  }
  if (out == HETRUN_DTYPE_INT32) {
    int32_t x;
    std::memcpy(&x, t.data, 4);
    return "int(" + std::to_string(x) + ")";
  }
  if (out == HETRUN_DTYPE_INT64) {
    int64_t x;
    std::memcpy(&x, t.data, 8);
    return "int64_t(" + std::to_string(x) + "l)";
  }
  return *static_cast<const uint8_t*>(t.data) ? "true" : "false";
}

}  // namespace

bool IsFillOp(const std::string& op) {
  return op == "Trilu" || op == "EyeLike" || op == "ConstantOfShape" || op == "Range" ||
         op == "OneHot";
}

namespace {

// Range: start + i * delta (limit is not read: the static output dims are its result).
// OneHot: `on` where the (wrapped) index equals the position along `axis`, else `off`; depth is not
// read either (the output dim along `axis` is).
std::string CheckRangeOneHot(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  if (node.num_inputs != 3 || node.num_outputs != 1) return "expects 3 inputs and one output";
  for (uint32_t i = 0; i < 3; ++i) {
    if (node.inputs[i] < 0) return "an input is omitted";
  }
  const ValueInfo& out = graph.value(node.outputs[0]);
  if (op == "Range") {
    for (uint32_t i = 0; i < 3; ++i) {
      const ValueInfo& v = graph.value(node.inputs[i]);
      if (v.dtype != out.dtype || v.elements() != 1)
        return "inputs must be scalars of the output's dtype";
    }
    if (out.dims.size() != 1 || out.dtype == HETRUN_DTYPE_BOOL) return "output must be 1-D numbers";
    return "";
  }
  const ValueInfo& indices = graph.value(node.inputs[0]);
  const ValueInfo& values = graph.value(node.inputs[2]);
  if (indices.dtype == HETRUN_DTYPE_BOOL) return "bool indices are not supported";
  if (values.dtype != out.dtype || values.elements() != 2)
    return "values must be [off, on] of the output's dtype";
  const auto rank = static_cast<int64_t>(indices.dims.size()) + 1;
  int64_t axis = plugin::AttrInt(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || static_cast<int64_t>(out.dims.size()) != rank)
    return "axis out of range";
  std::vector<int64_t> dims = out.dims;
  dims.erase(dims.begin() + axis);
  if (dims != indices.dims) return "output dims differ from the indices' with the depth axis";
  return "";
}

Kernel GenerateRangeOneHot(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const bool range = std::string(node.op_type) == "Range";
  kernel.bindings = {node.inputs[0], node.inputs[2], node.outputs[0]};
  kernel.num_inputs = 2;
  std::vector<hetrun_dtype_t> dtypes;
  for (int32_t v : kernel.bindings) {
    dtypes.push_back(graph.value(v).dtype);
    kernel.offset_units.push_back(static_cast<uint32_t>(plugin::DTypeSize(dtypes.back())));
  }
  const ValueInfo& out = graph.value(node.outputs[0]);
  const std::string t = glsl::RegisterType(out.dtype);
  std::string body;
  if (range) {
    body = "  " + t + " v = " + glsl::Load(out.dtype, 0, "pc.o0") + " + " + t + "(i) * " +
           glsl::Load(out.dtype, 1, "pc.o1") + ";\n";
  } else {
    const auto rank = static_cast<int64_t>(out.dims.size());
    int64_t axis = plugin::AttrInt(node, "axis", -1);
    if (axis < 0) axis += rank;
    uint64_t inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= static_cast<uint64_t>(out.dims[d]);
    const std::string depth = std::to_string(out.dims[axis]);
    body = "  uint inner = i % " + std::to_string(inner) + "u, j = (i / " + std::to_string(inner) +
           "u) % " + depth + "u, outer = i / (" + std::to_string(inner) + "u * " + depth +
           "u);\n  int64_t index = int64_t(" +
           glsl::Load(dtypes[0], 0, "pc.o0 + outer * " + std::to_string(inner) + "u + inner") +
           ");\n  if (index < 0) index += " + depth + ";\n  " + t +
           " v = " + glsl::Load(out.dtype, 1, "pc.o1 + (index == int64_t(j) ? 1u : 0u)") + ";\n";
  }
  const uint64_t count = out.elements();
  const uint32_t stride = glsl::SpreadGroups(count, 128, limits, kernel.groups);
  const std::string header = glsl::TypedHeader(128, 1, dtypes, 2);
  kernel.glsl = header +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) +
                "u) return;\n" + body + glsl::Store(out.dtype, 2, "pc.o2 + i", "v") + "}\n";
  return kernel;
}

}  // namespace

std::string CheckFill(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  if (op == "Trilu") return CheckTrilu(graph, node);
  if (op == "Range" || op == "OneHot") return CheckRangeOneHot(graph, node);
  if (node.num_inputs != 1 || node.inputs[0] < 0 || node.num_outputs != 1) {
    return "expects one input and one output";
  }
  const ValueInfo& out = graph.value(node.outputs[0]);
  if (op == "EyeLike") {
    if (graph.value(node.inputs[0]).dims.size() != 2 ||
        out.dims != graph.value(node.inputs[0]).dims) {
      return "input and output must be 2-D of the same dims";
    }
    return "";
  }
  const ValueInfo& shape = graph.value(node.inputs[0]);
  if (shape.dtype != HETRUN_DTYPE_INT64 || shape.dims.size() != 1 ||
      shape.dims[0] != static_cast<int64_t>(out.dims.size())) {
    return "shape must be int64 with one element per output dim";
  }
  if (FillValue(node, out.dtype).empty()) return "value must be a tensor of the output's dtype";
  return "";
}

Kernel GenerateFill(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (op == "Trilu") return GenerateTrilu(graph, k, limits);
  if (op == "Range" || op == "OneHot") return GenerateRangeOneHot(graph, k, limits);
  const int32_t out = node.outputs[0];
  const hetrun_dtype_t t = graph.value(out).dtype;
  const std::string type = glsl::RegisterType(t);
  if (op == "ConstantOfShape") {
    return Fill(graph, k, out, "  " + type + " v = " + FillValue(node, t) + ";\n", limits);
  }
  const int64_t cols = graph.value(out).dims[1];
  const std::string body = "  int r = int(i / " + std::to_string(cols) + "u), c = int(i % " +
                           std::to_string(cols) + "u);\n  " + type +
                           " v = c - r == " + std::to_string(plugin::AttrInt(node, "k", 0)) +
                           " ? " + type + "(1) : " + type + "(0);\n";
  return Fill(graph, k, out, body, limits);
}

std::string CheckTrilu(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs < 1 || node.num_inputs > 2 || node.inputs[0] < 0 || node.num_outputs != 1) {
    return "expects an input, an optional k and one output";
  }
  const ValueInfo& x = graph.value(node.inputs[0]);
  if (x.dims.size() < 2) return "input must have rank 2 or more";
  if (graph.value(node.outputs[0]).dims != x.dims ||
      graph.value(node.outputs[0]).dtype != x.dtype) {
    return "output differs from the input in dims or dtype";
  }
  if (node.num_inputs == 2 && node.inputs[1] >= 0) {
    const ValueInfo& k = graph.value(node.inputs[1]);
    if (k.dtype != HETRUN_DTYPE_INT64 || k.elements() != 1) return "k must be an int64 scalar";
  }
  return "";
}

Kernel GenerateTrilu(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  const bool has_k = node.num_inputs == 2 && node.inputs[1] >= 0;
  kernel.bindings = {node.inputs[0]};
  if (has_k) kernel.bindings.push_back(node.inputs[1]);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  std::vector<hetrun_dtype_t> dtypes;
  for (int32_t v : kernel.bindings) {
    dtypes.push_back(graph.value(v).dtype);
    kernel.offset_units.push_back(static_cast<uint32_t>(plugin::DTypeSize(dtypes.back())));
  }
  const ValueInfo& x = graph.value(node.inputs[0]);
  const hetrun_dtype_t t = x.dtype;
  const int64_t rows = x.dims[x.dims.size() - 2], cols = x.dims.back();
  const uint64_t count = x.elements();
  const uint32_t out = kernel.num_inputs;
  const bool upper = plugin::AttrInt(node, "upper", 1) != 0;
  const uint32_t stride = glsl::SpreadGroups(count, 128, limits, kernel.groups);
  std::string body = "  int64_t j = int64_t(i % " + std::to_string(cols) + "u), r = int64_t((i / " +
                     std::to_string(cols) + "u) % " + std::to_string(rows) +
                     "u);\n  int64_t k = " + (has_k ? "b1.d[pc.o1]" : std::string("int64_t(0)")) +
                     ";\n  bool keep = j - r " + (upper ? ">=" : "<=") + " k;\n  " +
                     glsl::RegisterType(t) + " v = " + glsl::Load(t, 0, "pc.o0 + i") + ";\n" +
                     glsl::Store(t, out, "pc.o" + std::to_string(out) + " + i",
                                 "(keep ? v : " + glsl::RegisterType(t) + "(0))");
  const std::string header = glsl::TypedHeader(128, 1, dtypes, kernel.num_inputs);
  kernel.glsl = header +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + "
                "gl_GlobalInvocationID.y * " +
                std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) +
                "u) return;\n" + body + "}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
