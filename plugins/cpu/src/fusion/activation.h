// Activations a producer (GEMM, Conv) applies to its output while it is still in cache, instead
// of a separate node making another full pass over memory. Formulas match the unary kernels'.
#pragma once

#include <cstdint>

namespace hetrun::cpu {

enum class ActivationKind : uint8_t {
  kNone,
  kRelu,
  kLeakyRelu,  // a = alpha
  kClip,       // a = min, b = max
  kSigmoid,
  kHardSigmoid,  // a = alpha, b = beta
  kHardSwish,
  kTanh,
  kGelu,  // x * 0.5 * (1 + erf(x / a)), a = sqrt(2): the exported Div-Erf-Add-Mul-Mul
};

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float a = 0.0f;
  float b = 0.0f;

  bool none() const { return kind == ActivationKind::kNone; }
};

// x[i] = act(x[i]) for i in [0, n).
void ApplyActivation(const Activation& act, float* x, int64_t n);

// "Relu", "Clip", ... for logs and errors.
const char* ActivationName(ActivationKind kind);

}  // namespace hetrun::cpu
