// float <-> IEEE half conversions for the tests (round to nearest even, like vstore_half_rte).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hetrun::test {

inline uint16_t FloatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);  // NaN, Inf
  if (abs >= 0x477ff000) return sign | 0x7c00;                                // overflow
  if (abs < 0x38800000) {  // subnormal half (or zero): round abs/2^-24 to an integer
    const float scaled = std::nearbyint(std::fabs(value) * 16777216.0f);
    return sign | static_cast<uint16_t>(scaled);
  }
  const uint32_t mantissa = abs & 0x7fffff;
  uint32_t half = ((abs >> 23) - 112) << 10 | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return sign | static_cast<uint16_t>(half);
}

inline float HalfToFloat(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    value = mantissa ? NAN : INFINITY;
  } else {
    value = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return (bits & 0x8000) ? -value : value;
}

// `value` rounded to the nearest half.
inline float RoundToHalf(float value) {
  return HalfToFloat(FloatToHalf(value));
}

}  // namespace hetrun::test
