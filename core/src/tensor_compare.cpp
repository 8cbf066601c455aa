#include "hetrun/core/tensor_compare.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

namespace hetrun::core {
namespace {

float HalfToFloat(uint16_t h, bool bfloat) {
  uint32_t bits;
  if (bfloat) {
    bits = static_cast<uint32_t>(h) << 16;
  } else {
    const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {  // zero or subnormal
      const float f = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -f : f;
    }
    bits = sign | (exp == 31 ? 0x7f800000u | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <typename T>
TensorComparison CompareFloats(const T* a, const T* e, int64_t n, double rtol, double atol) {
  int64_t bad = 0, worst = -1;
  double worst_excess = 0, max_abs = 0, max_rel = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(e[i]);
    if (std::isnan(x) && std::isnan(y)) continue;
    if (std::isinf(x) && std::isinf(y) && (x > 0) == (y > 0)) continue;
    const double diff = std::fabs(x - y);
    if (!(diff <= max_abs)) max_abs = diff;  // keeps NaN
    if (y != 0 && !(diff / std::fabs(y) <= max_rel)) max_rel = diff / std::fabs(y);
    const double excess = diff - (atol + rtol * std::fabs(y));
    if (!(excess <= 0)) {
      if (worst < 0 || !(excess <= worst_excess)) worst = i, worst_excess = excess;
      ++bad;
    }
  }
  std::ostringstream m;
  TensorComparison result;
  result.max_abs_error = max_abs;
  result.max_rel_error = max_rel;
  result.mismatches = bad;
  if (bad == 0) {
    m << "max abs error " << max_abs;
    result.ok = true;
    result.message = m.str();
    return result;
  }
  m << bad << " of " << n << " elements out of tolerance (max abs error " << max_abs
    << "), worst at " << worst << ": got " << static_cast<double>(a[worst]) << ", expected "
    << static_cast<double>(e[worst]);
  result.message = m.str();
  return result;
}

std::string DimsText(const std::vector<int64_t>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return "[" + s + "]";
}

}  // namespace

TensorComparison CompareTensors(const Tensor& actual, const Tensor& expected, double rtol,
                                double atol) {
  if (actual.dtype() != expected.dtype())
    return {false, "dtype " + std::string(DTypeName(actual.dtype())) + ", expected " +
                       std::string(DTypeName(expected.dtype()))};
  if (actual.dims() != expected.dims())
    return {false, "shape " + DimsText(actual.dims()) + ", expected " + DimsText(expected.dims())};
  const int64_t n = actual.element_count();
  switch (actual.dtype()) {
    case DType::kFloat32:
      return CompareFloats(actual.data_as<float>(), expected.data_as<float>(), n, rtol, atol);
    case DType::kFloat64:
      return CompareFloats(actual.data_as<double>(), expected.data_as<double>(), n, rtol, atol);
    case DType::kFloat16:
    case DType::kBFloat16: {
      const bool bf = actual.dtype() == DType::kBFloat16;
      std::vector<float> a(static_cast<size_t>(n)), e(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        a[i] = HalfToFloat(actual.data_as<uint16_t>()[i], bf);
        e[i] = HalfToFloat(expected.data_as<uint16_t>()[i], bf);
      }
      return CompareFloats(a.data(), e.data(), n, rtol, atol);
    }
    case DType::kString:
      if (actual.strings() == expected.strings()) return {true, "strings equal"};
      return {false, "string contents differ", 0, 0, 1};
    default:
      if (actual.byte_size() == 0 ||
          std::memcmp(actual.data(), expected.data(), actual.byte_size()) == 0)
        return {true, "exact"};
      return {false, "values differ (exact comparison for integers and booleans)", 0, 0, 1};
  }
}

}  // namespace hetrun::core
