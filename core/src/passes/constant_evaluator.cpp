#include "constant_evaluator.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "graph_rewrite.h"

namespace hetrun::core::detail {
namespace {

using Dims = std::vector<int64_t>;

const Tensor* ConstantInput(const Graph& graph, const Node& node, size_t k) {
  if (k >= node.inputs.size() || node.inputs[k] == kNoValue) return nullptr;
  return ValueOf(graph, node.inputs[k]).constant.get();
}

// Fixed-size, non-string dtypes whose bytes can be moved around as they are.
bool Movable(const Tensor& t) {
  return t.dtype() != DType::kString && DTypeSize(t.dtype()) > 0;
}

int64_t Product(const Dims& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= dims[i];
  return n;
}

// A tensor of `dims` and `dtype` when its size is within the limit.
std::optional<Tensor> Allocate(DType dtype, Dims dims, int64_t max_elements) {
  auto count = CheckedElementCount(dims, max_elements + 1);
  if (!count.ok() || *count > max_elements) return std::nullopt;
  auto t = Tensor::Create(dtype, std::move(dims));
  if (!t.ok()) return std::nullopt;
  return std::move(t).value();
}

// Same bytes, new dims (Reshape, Squeeze, Unsqueeze, Identity).
std::optional<Tensor> WithDims(const Tensor& in, Dims dims, int64_t max_elements) {
  if (!Movable(in)) return std::nullopt;
  std::optional<Tensor> out = Allocate(in.dtype(), std::move(dims), max_elements);
  if (!out || out->element_count() != in.element_count()) return std::nullopt;
  if (in.byte_size() > 0) std::memcpy(out->mutable_data(), in.data(), in.byte_size());
  return out;
}

// Axes from the `axes` input (opset >= 13) or attribute; empty when neither is given.
std::optional<Dims> AxesOf(const Graph& graph, const Node& node) {
  if (node.inputs.size() > 1 && node.inputs[1] != kNoValue)
    return ConstantInts(graph, node.inputs[1]);
  if (const Attribute* a = node.FindAttribute("axes")) return a->ints;
  return Dims{};
}

bool NormalizeAxis(int64_t& axis, int64_t rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank;
}

std::optional<Tensor> EvaluateShape(const Graph& graph, const Node& node, int64_t max_elements) {
  const Shape& shape = ValueOf(graph, node.inputs[0]).shape;
  if (!shape.fully_known()) return std::nullopt;
  const Dims sizes = shape.sizes();
  const auto rank = static_cast<int64_t>(sizes.size());
  auto clamp = [rank](int64_t v) {
    return std::min(std::max(v < 0 ? v + rank : v, int64_t{0}), rank);
  };
  const int64_t start = clamp(IntAttribute(node, "start", 0));
  const int64_t end = std::max(start, clamp(IntAttribute(node, "end", rank)));
  std::optional<Tensor> out = Allocate(DType::kInt64, {end - start}, max_elements);
  if (out) std::copy(sizes.begin() + start, sizes.begin() + end, out->mutable_data_as<int64_t>());
  return out;
}

std::optional<Tensor> EvaluateGather(const Tensor& data, const Tensor& indices, const Node& node,
                                     int64_t max_elements) {
  const std::optional<Dims> idx = [&]() -> std::optional<Dims> {
    const auto n = static_cast<size_t>(indices.element_count());
    if (indices.dtype() == DType::kInt64)
      return Dims(indices.data_as<int64_t>(), indices.data_as<int64_t>() + n);
    if (indices.dtype() == DType::kInt32)
      return Dims(indices.data_as<int32_t>(), indices.data_as<int32_t>() + n);
    return std::nullopt;
  }();
  const Dims& dims = data.dims();
  int64_t axis = IntAttribute(node, "axis", 0);
  if (!idx || !Movable(data) || !NormalizeAxis(axis, static_cast<int64_t>(dims.size())))
    return std::nullopt;
  const auto ax = static_cast<size_t>(axis);
  Dims out_dims(dims.begin(), dims.begin() + axis);
  out_dims.insert(out_dims.end(), indices.dims().begin(), indices.dims().end());
  out_dims.insert(out_dims.end(), dims.begin() + axis + 1, dims.end());
  std::optional<Tensor> out = Allocate(data.dtype(), out_dims, max_elements);
  if (!out) return std::nullopt;
  const int64_t outer = Product(dims, 0, ax);
  const size_t row_bytes =
      static_cast<size_t>(Product(dims, ax + 1, dims.size())) * DTypeSize(data.dtype());
  const auto* src = static_cast<const std::byte*>(data.data());
  auto* dst = static_cast<std::byte*>(out->mutable_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j : *idx) {
      if (j < 0) j += dims[ax];
      if (j < 0 || j >= dims[ax]) return std::nullopt;  // the runtime reports it
      std::memcpy(dst, src + static_cast<size_t>(o * dims[ax] + j) * row_bytes, row_bytes);
      dst += row_bytes;
    }
  }
  return out;
}

std::optional<Tensor> EvaluateUnsqueeze(const Graph& graph, const Node& node, const Tensor& in,
                                        int64_t max_elements) {
  const std::optional<Dims> axes = AxesOf(graph, node);
  if (!axes || axes->empty()) return std::nullopt;
  const auto rank = static_cast<int64_t>(in.dims().size() + axes->size());
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t a : *axes) {
    if (!NormalizeAxis(a, rank) || inserted[static_cast<size_t>(a)]) return std::nullopt;
    inserted[static_cast<size_t>(a)] = true;
  }
  Dims dims;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(inserted[static_cast<size_t>(i)] ? 1 : in.dims()[next++]);
  return WithDims(in, dims, max_elements);
}

std::optional<Tensor> EvaluateSqueeze(const Graph& graph, const Node& node, const Tensor& in,
                                      int64_t max_elements) {
  const std::optional<Dims> axes = AxesOf(graph, node);
  if (!axes) return std::nullopt;
  const auto rank = static_cast<int64_t>(in.dims().size());
  std::vector<bool> removed(in.dims().size(), false);
  for (int64_t a : *axes) {
    if (!NormalizeAxis(a, rank) || in.dims()[static_cast<size_t>(a)] != 1) return std::nullopt;
    removed[static_cast<size_t>(a)] = true;
  }
  Dims dims;
  for (size_t i = 0; i < in.dims().size(); ++i) {
    if (axes->empty() ? in.dims()[i] != 1 : !removed[i]) dims.push_back(in.dims()[i]);
  }
  return WithDims(in, dims, max_elements);
}

std::optional<Tensor> EvaluateReshape(const Graph& graph, const Node& node, const Tensor& in,
                                      int64_t max_elements) {
  std::optional<Dims> dims = ConstantInts(graph, node.inputs[1]);
  if (!dims) return std::nullopt;
  const bool allow_zero = IntAttribute(node, "allowzero", 0) != 0;
  int64_t known = 1;
  size_t inferred = dims->size();
  for (size_t i = 0; i < dims->size(); ++i) {
    int64_t& d = (*dims)[i];
    if (d == 0 && !allow_zero) {
      if (i >= in.dims().size()) return std::nullopt;
      d = in.dims()[i];
    }
    if (d == -1 && inferred == dims->size()) {
      inferred = i;
      continue;
    }
    if (d < 0) return std::nullopt;
    known *= d;
  }
  if (inferred < dims->size()) {
    if (known == 0 || in.element_count() % known != 0) return std::nullopt;
    (*dims)[inferred] = in.element_count() / known;
  }
  return WithDims(in, *dims, max_elements);
}

std::optional<Tensor> EvaluateConcat(const Graph& graph, const Node& node, int64_t max_elements) {
  std::vector<const Tensor*> parts;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const Tensor* t = ConstantInput(graph, node, k);
    if (t == nullptr || !Movable(*t) || t->dtype() != ConstantInput(graph, node, 0)->dtype())
      return std::nullopt;
    parts.push_back(t);
  }
  if (parts.empty()) return std::nullopt;
  Dims dims = parts[0]->dims();
  int64_t axis = IntAttribute(node, "axis", 0);
  if (!NormalizeAxis(axis, static_cast<int64_t>(dims.size()))) return std::nullopt;
  const auto ax = static_cast<size_t>(axis);
  dims[ax] = 0;
  for (const Tensor* t : parts) {
    if (t->dims().size() != dims.size()) return std::nullopt;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (i != ax && t->dims()[i] != dims[i]) return std::nullopt;
    }
    dims[ax] += t->dims()[ax];
  }
  std::optional<Tensor> out = Allocate(parts[0]->dtype(), dims, max_elements);
  if (!out) return std::nullopt;
  const size_t element = DTypeSize(out->dtype());
  const int64_t outer = Product(dims, 0, ax);
  auto* dst = static_cast<std::byte*>(out->mutable_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : parts) {
      const size_t chunk = static_cast<size_t>(Product(t->dims(), ax, dims.size())) * element;
      std::memcpy(dst, static_cast<const std::byte*>(t->data()) + static_cast<size_t>(o) * chunk,
                  chunk);
      dst += chunk;
    }
  }
  return out;
}

}  // namespace

std::optional<Tensor> EvaluateConstantNode(const Graph& graph, const Node& node,
                                           int64_t max_elements) {
  if (!node.domain.empty() || node.inputs.empty() || node.inputs[0] == kNoValue)
    return std::nullopt;
  const std::string& op = node.op_type;
  if (op == "Shape") return EvaluateShape(graph, node, max_elements);
  if (op == "Size") {
    const Shape& shape = ValueOf(graph, node.inputs[0]).shape;
    if (!shape.fully_known()) return std::nullopt;
    std::optional<Tensor> out = Allocate(DType::kInt64, {}, max_elements);
    if (out) *out->mutable_data_as<int64_t>() = Product(shape.sizes(), 0, shape.dims.size());
    return out;
  }
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    if (node.inputs[k] != kNoValue && ConstantInput(graph, node, k) == nullptr) return std::nullopt;
  }
  const Tensor& in = *ConstantInput(graph, node, 0);
  if (op == "Identity") return WithDims(in, in.dims(), max_elements);
  if (op == "Unsqueeze") return EvaluateUnsqueeze(graph, node, in, max_elements);
  if (op == "Squeeze") return EvaluateSqueeze(graph, node, in, max_elements);
  if (op == "Concat") return EvaluateConcat(graph, node, max_elements);
  if (op == "Reshape" && node.inputs.size() == 2)
    return EvaluateReshape(graph, node, in, max_elements);
  if (op == "Gather" && node.inputs.size() == 2)
    return EvaluateGather(in, *ConstantInput(graph, node, 1), node, max_elements);
  if (op == "Slice") return EvaluateSlice(graph, node, in, max_elements);
  if (op == "ConstantOfShape") return EvaluateConstantOfShape(node, in, max_elements);
  if (op == "Cast") {
    const std::optional<DType> to = DTypeFromCode(IntAttribute(node, "to", 0));
    return to ? EvaluateCast(in, *to, max_elements) : std::nullopt;
  }
  if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && node.inputs.size() == 2 &&
      node.FindAttribute("broadcast") == nullptr) {  // opset < 7 broadcasting: not handled
    return EvaluateArithmetic(op, in, *ConstantInput(graph, node, 1), max_elements);
  }
  return std::nullopt;
}

}  // namespace hetrun::core::detail
