// Evaluates one node on constant inputs, for the operators constant folding knows. Only cases whose
// result is unambiguous under ONNX semantics are computed; anything else (unsupported dtype,
// out-of-range index, integer overflow or division by zero) is "not foldable", so the runtime keeps
// reporting such errors as it would without folding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hetrun/core/graph.h"

namespace hetrun::core::detail {

// The single output of graph.nodes[node], or nullopt when it cannot (or should not) be folded.
// Inputs must be constants, except for Shape and Size, which need only a fully known input shape.
// Results with more than `max_elements` elements are not folded.
std::optional<Tensor> EvaluateConstantNode(const Graph& graph, const Node& node,
                                           int64_t max_elements);

// Cast between float32, float64, int32, int64 and bool; nullopt for other dtypes and for values
// the target cannot hold (NaN or out-of-range to an integer), whose result ONNX leaves undefined.
std::optional<Tensor> EvaluateCast(const Tensor& in, DType to, int64_t max_elements);

// Add, Sub, Mul or Div of two tensors of the same dtype (float32, float64, int32, int64) with
// numpy broadcasting. Integer overflow, division by zero and integer divisions where truncation
// and flooring disagree are not folded.
std::optional<Tensor> EvaluateArithmetic(const std::string& op, const Tensor& a, const Tensor& b,
                                         int64_t max_elements);

// Slice of a constant (any opset's form; starts/ends/axes/steps must be constant).
std::optional<Tensor> EvaluateSlice(const Graph& graph, const Node& node, const Tensor& in,
                                    int64_t max_elements);

// ConstantOfShape of a constant shape, filled with the `value` attribute (float32 0 by default).
std::optional<Tensor> EvaluateConstantOfShape(const Node& node, const Tensor& shape,
                                              int64_t max_elements);

}  // namespace hetrun::core::detail
