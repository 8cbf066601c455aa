#include "tensor_compare.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace hetrun::test {
namespace {

template <typename T>
CompareResult CompareFloat(const T* a, const T* e, int64_t n, double rtol, double atol) {
  int64_t bad = 0, worst = -1;
  double worst_excess = 0, max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = a[i], y = e[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    const double diff = std::fabs(x - y);
    if (!(diff <= max_abs)) max_abs = diff;  // NaN-safe max
    const double excess = diff - (atol + rtol * std::fabs(y));
    if (!(excess <= 0)) {
      ++bad;
      if (worst < 0 || excess > worst_excess || std::isnan(excess))
        worst = i, worst_excess = excess;
    }
  }
  std::ostringstream m;
  m << "max abs error " << max_abs;
  if (bad > 0)
    m << "; " << bad << " of " << n << " elements out of tolerance, worst at " << worst << ": got "
      << static_cast<double>(a[worst]) << ", expected " << static_cast<double>(e[worst]);
  return {bad == 0, m.str()};
}

std::string Dims(const std::vector<int64_t>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return "[" + s + "]";
}

}  // namespace

CompareResult CompareTensors(const core::Tensor& actual, const core::Tensor& expected, double rtol,
                             double atol) {
  if (actual.dtype() != expected.dtype())
    return {false, "dtype " + std::string(core::DTypeName(actual.dtype())) + " vs expected " +
                       std::string(core::DTypeName(expected.dtype()))};
  if (actual.dims() != expected.dims())
    return {false, "shape " + Dims(actual.dims()) + " vs expected " + Dims(expected.dims())};
  const int64_t n = actual.element_count();
  switch (actual.dtype()) {
    case core::DType::kFloat32:
      return CompareFloat(actual.data_as<float>(), expected.data_as<float>(), n, rtol, atol);
    case core::DType::kFloat64:
      return CompareFloat(actual.data_as<double>(), expected.data_as<double>(), n, rtol, atol);
    case core::DType::kString: return {actual.strings() == expected.strings(), "string contents"};
    default:
      if (std::memcmp(actual.data(), expected.data(), actual.byte_size()) == 0)
        return {true, "exact"};
      return {false, "integer/bool contents differ"};
  }
}

}  // namespace hetrun::test
