// Slice and ConstantOfShape for constant folding: both show up in exported shape computations
// (Shape -> Slice -> Concat -> Reshape, ConstantOfShape of a computed shape).
#include <algorithm>
#include <cstring>

#include "constant_evaluator.h"
#include "graph_rewrite.h"

namespace hetrun::core::detail {
namespace {

using Dims = std::vector<int64_t>;

// starts, ends, axes and steps from inputs (opset >= 10) or attributes (before).
struct SliceParams {
  Dims starts, ends, axes, steps;
};

std::optional<SliceParams> ReadSliceParams(const Graph& graph, const Node& node, size_t rank) {
  SliceParams p;
  if (graph.OpsetFor("") < 10) {
    const Attribute* s = node.FindAttribute("starts");
    const Attribute* e = node.FindAttribute("ends");
    if (!s || !e) return std::nullopt;
    p.starts = s->ints;
    p.ends = e->ints;
    if (const Attribute* a = node.FindAttribute("axes")) p.axes = a->ints;
  } else {
    auto input = [&](size_t k) -> std::optional<Dims> {
      if (k >= node.inputs.size() || node.inputs[k] == kNoValue) return Dims{};
      return ConstantInts(graph, node.inputs[k]);
    };
    const auto s = input(1), e = input(2), a = input(3), st = input(4);
    if (!s || !e || !a || !st) return std::nullopt;
    p = {*s, *e, *a, *st};
  }
  if (p.axes.empty()) {
    for (size_t i = 0; i < p.starts.size(); ++i) p.axes.push_back(static_cast<int64_t>(i));
  }
  if (p.steps.empty()) p.steps.assign(p.starts.size(), 1);
  if (p.ends.size() != p.starts.size() || p.axes.size() != p.starts.size() ||
      p.steps.size() != p.starts.size()) {
    return std::nullopt;
  }
  for (int64_t& a : p.axes) {
    if (a < 0) a += static_cast<int64_t>(rank);
    if (a < 0 || a >= static_cast<int64_t>(rank)) return std::nullopt;
  }
  return p;
}

}  // namespace

std::optional<Tensor> EvaluateSlice(const Graph& graph, const Node& node, const Tensor& in,
                                    int64_t max_elements) {
  if (in.dtype() == DType::kString || DTypeSize(in.dtype()) == 0) return std::nullopt;
  const Dims& dims = in.dims();
  const std::optional<SliceParams> p = ReadSliceParams(graph, node, dims.size());
  if (!p) return std::nullopt;
  Dims start(dims.size(), 0), step(dims.size(), 1), count = dims;
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < p->axes.size(); ++i) {
    const auto axis = static_cast<size_t>(p->axes[i]);
    const int64_t d = dims[axis], s = p->steps[i];
    if (seen[axis] || s == 0) return std::nullopt;
    seen[axis] = true;
    // ONNX clamping: starts to [0, d] (to [0, d-1] when stepping back), ends to [-1, d].
    int64_t b = p->starts[i], e = p->ends[i];
    if (b < 0) b = std::max(b, -d) + d;
    if (e < 0) e = std::max(e, -d - 1) + d;
    b = s > 0 ? std::min(b, d) : std::min(b, d - 1);
    e = s > 0 ? std::clamp(e, int64_t{0}, d) : std::clamp(e, int64_t{-1}, d - 1);
    const int64_t n = s > 0 ? (e - b + s - 1) / s : (b - e - s - 1) / -s;
    start[axis] = b;
    step[axis] = s;
    count[axis] = std::max(n, int64_t{0});
  }
  auto created = CheckedElementCount(count, max_elements + 1);
  if (!created.ok() || *created > max_elements) return std::nullopt;
  auto out = Tensor::Create(in.dtype(), count);
  if (!out.ok()) return std::nullopt;
  if (out->element_count() == 0) return std::move(out).value();
  const size_t element = DTypeSize(in.dtype());
  Dims stride(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) stride[i - 1] = stride[i] * dims[i];
  Dims index(dims.size(), 0);
  const auto* src = static_cast<const std::byte*>(in.data());
  auto* dst = static_cast<std::byte*>(out->mutable_data());
  for (int64_t n = 0; n < out->element_count(); ++n) {
    int64_t offset = 0;
    for (size_t d = 0; d < dims.size(); ++d) offset += (start[d] + index[d] * step[d]) * stride[d];
    std::memcpy(dst + static_cast<size_t>(n) * element, src + static_cast<size_t>(offset) * element,
                element);
    for (size_t d = dims.size(); d-- > 0;) {
      if (++index[d] < count[d]) break;
      index[d] = 0;
    }
  }
  return std::move(out).value();
}

std::optional<Tensor> EvaluateConstantOfShape(const Node& node, const Tensor& shape,
                                              int64_t max_elements) {
  if (shape.dtype() != DType::kInt64 || shape.dims().size() != 1) return std::nullopt;
  const Dims dims(shape.data_as<int64_t>(), shape.data_as<int64_t>() + shape.element_count());
  const Attribute* value = node.FindAttribute("value");
  const Tensor* fill = value ? value->tensor.get() : nullptr;
  if (fill && (fill->element_count() != 1 || fill->dtype() == DType::kString)) return std::nullopt;
  auto count = CheckedElementCount(dims, max_elements + 1);
  if (!count.ok() || *count > max_elements) return std::nullopt;
  auto out = Tensor::Create(fill ? fill->dtype() : DType::kFloat32, dims);  // zero-filled
  if (!out.ok()) return std::nullopt;
  if (fill) {
    auto* dst = static_cast<std::byte*>(out->mutable_data());
    for (int64_t i = 0; i < *count; ++i)
      std::memcpy(dst + static_cast<size_t>(i) * fill->byte_size(), fill->data(),
                  fill->byte_size());
  }
  return std::move(out).value();
}

}  // namespace hetrun::core::detail
