// Helpers shared by the quantization kernels (QuantizeLinear and friends, the integer MatMul and
// Conv ops): round half to even with saturation, and per-tensor or per-axis scale/zero-point
// parameters widened to float and int32.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/common.h"

namespace hetrun::cpu {

// Rounds half to even (std::nearbyint under the default FE_TONEAREST mode) and saturates to T.
template <typename T>
T SaturateRound(float v) {
  const float r = std::nearbyint(v);
  const float lo = static_cast<float>(std::numeric_limits<T>::min());
  const float hi = static_cast<float>(std::numeric_limits<T>::max());
  return static_cast<T>(std::clamp(r, lo, hi));
}

// One parameter (scale or zero point) of a quantization op: a single value, or one per index of
// the quantization axis. Element e of a tensor split as [outer, n, inner] uses At((e / inner) % n).
struct QuantParam {
  std::vector<float> values;
  float At(int64_t channel) const {
    return values.size() == 1 ? values[0] : values[static_cast<size_t>(channel)];
  }
};

// Reads a float32 scale or an (u)int8/int32 zero point; `missing` (nullptr) means zero.
QuantParam ReadQuantParam(const TensorRef* t, std::string_view op, std::string_view what);

// Checks a parameter is a scalar/1-element tensor or a 1-D tensor of `channels` values.
void CheckQuantParamShape(const TensorRef* t, int64_t channels, std::string_view op,
                          std::string_view what);

class KernelTable;
// MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv (quant_linalg.cpp); registered by
// RegisterQuantizeKernels.
void RegisterQuantizedLinalgKernels(KernelTable& table);

}  // namespace hetrun::cpu
