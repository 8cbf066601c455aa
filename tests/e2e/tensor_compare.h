// Element-wise comparison of two tensors the way ONNX's backend test runner does
// (|actual - expected| <= atol + rtol * |expected|, NaN equals NaN, exact for integers).
#pragma once

#include <string>

#include "hetrun/core/tensor.h"

namespace hetrun::test {

struct CompareResult {
  bool ok = false;
  std::string message;  // what differs: dtype, shape, or the worst element and its error
};

CompareResult CompareTensors(const core::Tensor& actual, const core::Tensor& expected, double rtol,
                             double atol);

}  // namespace hetrun::test
