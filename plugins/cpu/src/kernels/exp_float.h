// exp for float32 without a libm call per element: Cephes' expf (range reduction by ln 2 in two
// parts, a degree-5 polynomial, the exponent put in by integer arithmetic): within 2 ulp of the
// exact value for normal results, 0 and inf where exp rounds to them, NaN kept. ExpFloatRow
// evaluates it 16 lanes at a time through GCC/Clang vector types, so a caller compiled for AVX-512
// runs it one register wide; libm's expf cost about 1.5 ns per element, a third of a transformer's
// Softmax.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hetrun::cpu {

namespace exp_float_detail {

using Float16 = float __attribute__((vector_size(64)));
using Int16 = int32_t __attribute__((vector_size(64)));

// In place and always inlined (a 64-byte vector passed by value has a target-dependent ABI).
[[gnu::always_inline]] inline void Evaluate(Float16& v) {
  constexpr float kLow = -103.972084f;  // exp(x) rounds to 0 below (the smallest subnormal / 2)
  constexpr float kHigh = 88.7228394f;  // and to inf above (ln FLT_MAX)
  const Float16 x0 = v;
  Float16 x = x0 < kLow ? kLow : x0;
  x = x > kHigh ? kHigh : x;
  const Float16 fx = x * 1.44269504088896341f + 0.5f;
  Float16 n = __builtin_convertvector(__builtin_convertvector(fx, Int16), Float16);
  n = n > fx ? n - 1.0f : n;  // floor (the conversion truncates towards zero)
  x = x - n * 0.693359375f;   // x - n ln 2, ln 2 in two parts
  x = x - n * -2.12194440e-4f;
  const Float16 z = x * x;
  Float16 y = x * 1.9875691500e-4f + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + x + 1.0f;
  // Times 2^n, n in [-150, 128], as two normal powers of two (2^n alone may not be a normal
  // float at either end), so a subnormal result is rounded once, by the last multiplication.
  const Int16 ni = __builtin_convertvector(n, Int16);
  const Int16 n1 = ni >> 1, n2 = ni - n1;
  const Int16 bits1 = (n1 + 127) << 23, bits2 = (n2 + 127) << 23;
  Float16 scale1, scale2;
  std::memcpy(&scale1, &bits1, sizeof scale1);
  std::memcpy(&scale2, &bits2, sizeof scale2);
  y = y * scale1 * scale2;
  y = x0 < kLow ? 0.0f : y;
  y = x0 > kHigh ? __builtin_inff() : y;
  v = x0 != x0 ? x0 : y;  // NaN stays NaN
}

}  // namespace exp_float_detail

// y[i] = exp(x[i] - shift) for i in [0, n): 16 lanes at a time, the tail through std::exp.
[[gnu::always_inline]] inline void ExpFloatRow(const float* x, float shift, float* y, int64_t n) {
  using exp_float_detail::Float16;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Float16 v;
    std::memcpy(&v, x + i, sizeof v);
    v -= shift;
    exp_float_detail::Evaluate(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  for (; i < n; ++i) y[i] = std::exp(x[i] - shift);
}

}  // namespace hetrun::cpu
