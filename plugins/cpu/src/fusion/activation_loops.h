// The activation loops, one per kind (the switch stays outside, so each vectorises), always
// inlined: ApplyActivation compiles them once per vector width, and the GEMM's and Winograd's
// epilogues, themselves compiled for baseline and AVX-512, inline them per 32-float row instead of
// paying a call per row. Formulas match the unary kernels'.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "fusion/activation.h"
#include "kernels/erf_float.h"

namespace hetrun::cpu {

[[gnu::always_inline]] inline void ApplyActivationInline(const Activation& act, float* x,
                                                         int64_t n) {
  const float a = act.a, b = act.b;
  switch (act.kind) {
    case ActivationKind::kNone: return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] < 0.0f ? 0.0f : x[i];
      return;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.0f ? x[i] : a * x[i];
      return;
    case ActivationKind::kClip:  // as the Clip kernel (and ONNX Runtime): max with min first
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] < a ? a : x[i];
        x[i] = v > b ? b : v;
      }
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = std::max(0.0f, std::min(1.0f, a * x[i] + b));
      return;
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i)
        x[i] = x[i] * std::max(0.0f, std::min(1.0f, x[i] * static_cast<float>(1.0 / 6.0) + 0.5f));
      return;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case ActivationKind::kGelu: {  // the ops' own arithmetic, Erf as the Erf kernel computes it
      // Erf row-wise, four lanes at a time: a per-element ErfFloat does not vectorise (4.4 vs
      // 1.15 ns per element); same results bit for bit.
      constexpr int64_t kChunk = 256;
      float t[kChunk];
      for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
        const int64_t m = std::min(kChunk, n - i0);
        for (int64_t i = 0; i < m; ++i) t[i] = x[i0 + i] / a;
        ErfFloatRow(t, t, m);
        for (int64_t i = 0; i < m; ++i) x[i0 + i] = x[i0 + i] * 0.5f * (1.0f + t[i]);
      }
      return;
    }
  }
}

}  // namespace hetrun::cpu
