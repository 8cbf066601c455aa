#include "constant_folding.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "graph_info.h"
#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {
namespace {

bool IsInt(hetrun_dtype_t t) {
  return t == HETRUN_DTYPE_INT64 || t == HETRUN_DTYPE_INT32;
}

// The contents of an int32/int64 constant (or folded value) with static dims.
bool Read(const GraphInfo& graph, int32_t v, FoldedValue* out) {
  if (v < 0) return false;
  const ValueInfo& value = graph.value(v);
  if (!value.constant || !IsInt(value.dtype) || !value.static_shape()) return false;
  const uint64_t n = value.elements();
  const size_t size = plugin::DTypeSize(value.dtype);
  if (n > kMaxFoldedElements || value.data_bytes < n * size) return false;
  out->dims = value.dims;
  out->values.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (value.dtype == HETRUN_DTYPE_INT64) {
      std::memcpy(&out->values[i], static_cast<const char*>(value.data) + i * 8, 8);
    } else {
      int32_t x;
      std::memcpy(&x, static_cast<const char*>(value.data) + i * 4, 4);
      out->values[i] = x;
    }
  }
  return true;
}

bool ReadAll(const GraphInfo& graph, const hetrun_node& node, std::vector<FoldedValue>* in) {
  in->resize(node.num_inputs);
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] < 0) continue;  // an omitted optional input
    if (!Read(graph, node.inputs[i], &(*in)[i])) return false;
  }
  return true;
}

// Normalises a possibly negative `index` into [0, size] (clamped).
int64_t Clamp(int64_t index, int64_t size) {
  if (index < 0) index += size;
  return std::clamp<int64_t>(index, 0, size);
}

bool Shape(const GraphInfo& graph, const hetrun_node& node, FoldedValue* out) {
  const ValueInfo& in = graph.value(node.inputs[0]);
  if (!in.static_shape()) return false;
  const int64_t rank = static_cast<int64_t>(in.dims.size());
  if (std::string(node.op_type) == "Size") {
    out->dims = {};
    out->values = {static_cast<int64_t>(in.elements())};
    return true;
  }
  const int64_t start = Clamp(plugin::AttrInt(node, "start", 0), rank);
  const int64_t end = Clamp(plugin::AttrInt(node, "end", rank), rank);
  out->values.assign(in.dims.begin() + start, in.dims.begin() + std::max(start, end));
  out->dims = {static_cast<int64_t>(out->values.size())};
  return true;
}

// 1-D Slice (starts/ends/axes/steps as inputs, or as attributes before opset 10).
bool Slice(const hetrun_node& node, const std::vector<FoldedValue>& in, FoldedValue* out) {
  if (in[0].dims.size() != 1) return false;
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    starts = plugin::AttrInts(node, "starts", {});
    ends = plugin::AttrInts(node, "ends", {});
    axes = plugin::AttrInts(node, "axes", {0});
  } else {
    if (in.size() < 3) return false;
    starts = in[1].values;
    ends = in[2].values;
    axes = in.size() > 3 && !in[3].values.empty() ? in[3].values : std::vector<int64_t>{0};
    if (in.size() > 4 && !in[4].values.empty()) steps = in[4].values;
  }
  if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1) return false;
  if (axes[0] != 0 && axes[0] != -1) return false;
  const int64_t step = steps.empty() ? 1 : steps[0];
  if (step == 0) return false;
  const int64_t size = in[0].dims[0];
  // ONNX's clamping: [0, size] for positive steps, [-1, size - 1] for negative ones.
  auto clamp = [&](int64_t x) {
    if (x < 0) x += size;
    return step > 0 ? std::clamp<int64_t>(x, 0, size) : std::clamp<int64_t>(x, -1, size - 1);
  };
  const int64_t begin = clamp(starts[0]), end = clamp(ends[0]);
  for (int64_t i = begin; step > 0 ? i < end : i > end; i += step)
    out->values.push_back(in[0].values[i]);
  out->dims = {static_cast<int64_t>(out->values.size())};
  return true;
}

// Elementwise over equal dims, or with one side a single element.
template <typename F>
bool Binary(const std::vector<FoldedValue>& in, F f, FoldedValue* out) {
  if (in.size() != 2) return false;
  const FoldedValue& a = in[0];
  const FoldedValue& b = in[1];
  const bool a_one = a.values.size() == 1, b_one = b.values.size() == 1;
  if (a.dims != b.dims && !(b_one && b.dims.size() <= a.dims.size()) &&
      !(a_one && a.dims.size() <= b.dims.size())) {
    return false;
  }
  out->dims = a.dims.size() >= b.dims.size() && !(a_one && !b_one) ? a.dims : b.dims;
  const size_t n = std::max(a.values.size(), b.values.size());
  for (size_t i = 0; i < n; ++i) {
    int64_t r;
    if (!f(a.values[a_one ? 0 : i], b.values[b_one ? 0 : i], &r)) return false;
    out->values.push_back(r);
  }
  return true;
}

bool Compute(const GraphInfo& graph, const hetrun_node& node, FoldedValue* out) {
  const std::string op = node.op_type;
  if (op == "Shape" || op == "Size") return node.num_inputs == 1 && Shape(graph, node, out);
  std::vector<FoldedValue> in;
  if (node.num_inputs == 0 || node.inputs[0] < 0 || !ReadAll(graph, node, &in)) return false;
  const ValueInfo& result = graph.value(node.outputs[0]);
  if (op == "Identity" || op == "Cast" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Flatten") {
    // The values are unchanged (Cast between int32 and int64 wraps when the output is stored);
    // the dims come from the graph.
    if (op != "Identity" && op != "Cast" && !result.static_shape()) return false;
    out->dims = op == "Identity" || op == "Cast" ? in[0].dims : result.dims;
    out->values = in[0].values;
    return true;
  }
  if (op == "Concat") {
    for (const FoldedValue& piece : in) {
      if (piece.dims.size() != 1) return false;
      out->values.insert(out->values.end(), piece.values.begin(), piece.values.end());
    }
    out->dims = {static_cast<int64_t>(out->values.size())};
    return true;
  }
  if (op == "Slice") return Slice(node, in, out);
  if (op == "Gather") {
    if (in[0].dims.size() != 1 || in.size() != 2 || plugin::AttrInt(node, "axis", 0) != 0) {
      return false;
    }
    const int64_t size = in[0].dims[0];
    for (int64_t index : in[1].values) {
      if (index < -size || index >= size) return false;
      out->values.push_back(in[0].values[index < 0 ? index + size : index]);
    }
    out->dims = in[1].dims;
    return true;
  }
  if (op == "Neg" || op == "Abs") {
    out->dims = in[0].dims;
    for (int64_t x : in[0].values) out->values.push_back(op == "Neg" ? -x : std::abs(x));
    return true;
  }
  if (op == "Add")
    return Binary(
        in, [](int64_t a, int64_t b, int64_t* r) { return *r = a + b, true; }, out);
  if (op == "Sub")
    return Binary(
        in, [](int64_t a, int64_t b, int64_t* r) { return *r = a - b, true; }, out);
  if (op == "Mul")
    return Binary(
        in, [](int64_t a, int64_t b, int64_t* r) { return *r = a * b, true; }, out);
  if (op == "Div") {  // integer division truncates toward zero
    return Binary(
        in, [](int64_t a, int64_t b, int64_t* r) { return b != 0 && (*r = a / b, true); }, out);
  }
  if (op == "Max" || op == "Min") {
    const bool max = op == "Max";
    return Binary(
        in,
        [max](int64_t a, int64_t b, int64_t* r) {
          return *r = max ? std::max(a, b) : std::min(a, b), true;
        },
        out);
  }
  if (op == "ConstantOfShape") {
    const hetrun_attribute* value = plugin::FindAttr(node, "value");
    FoldedValue fill{{}, {0}};
    if (value && (value->type != HETRUN_ATTR_TENSOR || !value->tensor)) return false;
    if (value) {
      hetrun_value t = *value->tensor;
      if (!(t.flags & HETRUN_VALUE_CONSTANT) || !t.data || !IsInt(t.dtype)) return false;
      int64_t x = 0;
      if (t.dtype == HETRUN_DTYPE_INT64) {
        std::memcpy(&x, t.data, 8);
      } else {
        int32_t y;
        std::memcpy(&y, t.data, 4);
        x = y;
      }
      fill.values = {x};
    }
    uint64_t n = 1;
    for (int64_t d : in[0].values) {
      if (d < 0) return false;
      n *= static_cast<uint64_t>(d);
      if (n > kMaxFoldedElements) return false;
    }
    out->dims = in[0].values;
    out->values.assign(n, fill.values[0]);
    return true;
  }
  return false;
}

}  // namespace

bool FoldNode(const GraphInfo& graph, uint32_t k, FoldedValue* out) {
  const hetrun_node& node = graph.node(k);
  if (node.domain && *node.domain && std::strcmp(node.domain, "ai.onnx") != 0) return false;
  if (node.num_outputs != 1 || node.outputs[0] < 0) return false;
  const ValueInfo& result = graph.value(node.outputs[0]);
  if (!IsInt(result.dtype)) return false;
  *out = FoldedValue{};
  if (!Compute(graph, node, out)) return false;
  uint64_t n = 1;
  for (int64_t d : out->dims) n *= static_cast<uint64_t>(d);
  if (n != out->values.size() || n == 0 || n > kMaxFoldedElements) return false;
  // The graph's dims, where it has them, must agree with ours.
  if (result.rank >= 0 && result.static_shape() && result.dims != out->dims) return false;
  return true;
}

}  // namespace hetrun::vulkan
