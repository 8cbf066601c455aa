// Element-wise comparison of a computed tensor with an expected one, the way ONNX's backend test
// runner does: |actual - expected| <= atol + rtol * |expected|, NaN equals NaN, infinities must
// match, float16/bfloat16 compared as floats, exact for integers, booleans and strings. Used by
// `hetrun conformance` and by the tests that check outputs against ONNX Runtime.
#pragma once

#include <string>

#include "hetrun/core/tensor.h"

namespace hetrun::core {

struct TensorComparison {
  bool ok = false;
  // What differs: dtype, shape, or how many elements are out of tolerance with the worst one;
  // on success the largest absolute error.
  std::string message;
  // The worst errors over all elements (floats; 0 for exact types), and how many elements are out
  // of tolerance (or differ, for exact types). Relative error is |a - e| / |e| where e != 0.
  double max_abs_error = 0;
  double max_rel_error = 0;
  int64_t mismatches = 0;
};

TensorComparison CompareTensors(const Tensor& actual, const Tensor& expected, double rtol,
                                double atol);

}  // namespace hetrun::core
