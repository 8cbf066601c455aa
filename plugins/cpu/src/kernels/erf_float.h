// erf for float32 as a rational function of x (the approximation Eigen and XLA use): within 5e-7
// of the exact value (a few ulp), and much cheaper than libm's erff. ErfFloatRow evaluates it many
// lanes at a time through GCC/Clang vector types: written per element, GCC (without
// -fno-trapping-math) sinks the arithmetic after the clamp into a branch and does not vectorise.
#pragma once

#include <cstdint>
#include <cstring>

namespace hetrun::cpu {

namespace erf_float_detail {

// The same operations for a float or a vector of floats, so every lane rounds as ErfFloat does.
// In place and always inlined: a 64-byte vector passed or returned by value has an ABI that
// depends on the caller's target, which GCC warns about (-Wpsabi).
template <typename V>
[[gnu::always_inline]] inline void Evaluate(V& x) {
  // |erf(x)| rounds to 1 in float beyond 4. NaN passes through the clamp (both comparisons are
  // false).
  x = x > 4.0f ? 4.0f : x;
  x = x < -4.0f ? -4.0f : x;
  const V x2 = x * x;
  // Odd numerator and even denominator, in Horner form.
  V p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  p = x * p;
  V q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  x = p / q;
}

using Float4 = float __attribute__((vector_size(16)));
using Float16 = float __attribute__((vector_size(64)));

}  // namespace erf_float_detail

inline float ErfFloat(float x) {
  erf_float_detail::Evaluate(x);
  return x;
}

// y[i] = ErfFloat(x[i]) for i in [0, n); y may be x. Sixteen lanes at a time (one AVX-512
// register in a caller compiled for it, two or four narrower ones otherwise), then four, then one:
// every lane rounds alike, so the result does not depend on the width. Always inlined, so a
// caller's target_clones copy evaluates it at its own width.
[[gnu::always_inline]] inline void ErfFloatRow(const float* x, float* y, int64_t n) {
  using erf_float_detail::Float16;
  using erf_float_detail::Float4;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Float16 v;
    std::memcpy(&v, x + i, sizeof v);
    erf_float_detail::Evaluate(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  for (; i + 4 <= n; i += 4) {
    Float4 v;
    std::memcpy(&v, x + i, sizeof v);
    erf_float_detail::Evaluate(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  for (; i < n; ++i) y[i] = ErfFloat(x[i]);
}

}  // namespace hetrun::cpu
