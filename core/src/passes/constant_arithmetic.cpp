// Cast and broadcasting arithmetic for constant folding, computed in the operand dtype so results
// are bit-identical to what a kernel would compute at run time.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "constant_evaluator.h"

namespace hetrun::core::detail {
namespace {

using Dims = std::vector<int64_t>;

std::optional<Tensor> Allocate(DType dtype, Dims dims, int64_t max_elements) {
  auto count = CheckedElementCount(dims, max_elements + 1);
  if (!count.ok() || *count > max_elements) return std::nullopt;
  auto t = Tensor::Create(dtype, std::move(dims));
  if (!t.ok()) return std::nullopt;
  return std::move(t).value();
}

template <typename From, typename To>
bool ConvertAll(const Tensor& in, Tensor& out) {
  const From* src = in.data_as<From>();
  To* dst = out.mutable_data_as<To>();
  for (int64_t i = 0; i < in.element_count(); ++i) {
    const From x = src[i];
    if constexpr (std::is_same_v<To, bool>) {
      dst[i] = x != From{0};
    } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
      // Truncation toward zero, defined only when the result fits.
      if (!std::isfinite(x)) return false;
      const double t = std::trunc(static_cast<double>(x));
      if (t < static_cast<double>(std::numeric_limits<To>::min()) ||
          t >= -static_cast<double>(std::numeric_limits<To>::min()))
        return false;
      dst[i] = static_cast<To>(t);
    } else if constexpr (std::is_integral_v<To> && !std::is_same_v<From, bool> &&
                         std::is_integral_v<From>) {
      if (!std::in_range<To>(x)) return false;
      dst[i] = static_cast<To>(x);
    } else {
      dst[i] = static_cast<To>(x);
    }
  }
  return true;
}

template <typename From>
bool ConvertFrom(const Tensor& in, Tensor& out) {
  switch (out.dtype()) {
    case DType::kFloat32: return ConvertAll<From, float>(in, out);
    case DType::kFloat64: return ConvertAll<From, double>(in, out);
    case DType::kInt32: return ConvertAll<From, int32_t>(in, out);
    case DType::kInt64: return ConvertAll<From, int64_t>(in, out);
    case DType::kBool: return ConvertAll<From, bool>(in, out);
    default: return false;
  }
}

template <typename T>
bool Apply(char op, T a, T b, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case '+': *out = a + b; return true;
      case '-': *out = a - b; return true;
      case '*': *out = a * b; return true;
      default: *out = a / b; return true;
    }
  } else {
    switch (op) {
      case '+': return !__builtin_add_overflow(a, b, out);
      case '-': return !__builtin_sub_overflow(a, b, out);
      case '*': return !__builtin_mul_overflow(a, b, out);
      default:
        if (b == 0 || (a == std::numeric_limits<T>::min() && b == -1)) return false;
        // ONNX does not say whether integer Div truncates or floors; fold only where both agree.
        if (a % b != 0 && (a < 0) != (b < 0)) return false;
        *out = a / b;
        return true;
    }
  }
}

// Numpy broadcasting: `strides` of an operand for each output dim, 0 where it is broadcast.
Dims BroadcastStrides(const Dims& dims, const Dims& out_dims) {
  Dims strides(out_dims.size(), 0);
  int64_t stride = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    const size_t d = dims.size() - 1 - i, o = out_dims.size() - 1 - i;
    if (dims[d] != 1) strides[o] = stride;
    stride *= dims[d];
  }
  return strides;
}

template <typename T>
bool Broadcast(char op, const Tensor& a, const Tensor& b, Tensor& out) {
  const Dims& dims = out.dims();
  const Dims sa = BroadcastStrides(a.dims(), dims), sb = BroadcastStrides(b.dims(), dims);
  Dims index(dims.size(), 0);
  int64_t ia = 0, ib = 0;
  T* dst = out.mutable_data_as<T>();
  for (int64_t n = 0; n < out.element_count(); ++n) {
    if (!Apply<T>(op, a.data_as<T>()[ia], b.data_as<T>()[ib], dst + n)) return false;
    // Odometer increment of the output index, moving both operand offsets along.
    for (size_t d = dims.size(); d-- > 0;) {
      ia += sa[d];
      ib += sb[d];
      if (++index[d] < dims[d]) break;
      ia -= sa[d] * dims[d];
      ib -= sb[d] * dims[d];
      index[d] = 0;
    }
  }
  return true;
}

}  // namespace

std::optional<Tensor> EvaluateCast(const Tensor& in, DType to, int64_t max_elements) {
  std::optional<Tensor> out = Allocate(to, in.dims(), max_elements);
  if (!out) return std::nullopt;
  bool ok = false;
  switch (in.dtype()) {
    case DType::kFloat32: ok = ConvertFrom<float>(in, *out); break;
    case DType::kFloat64: ok = ConvertFrom<double>(in, *out); break;
    case DType::kInt32: ok = ConvertFrom<int32_t>(in, *out); break;
    case DType::kInt64: ok = ConvertFrom<int64_t>(in, *out); break;
    case DType::kBool: ok = ConvertFrom<bool>(in, *out); break;
    default: break;
  }
  return ok ? std::move(out) : std::nullopt;
}

std::optional<Tensor> EvaluateArithmetic(const std::string& op, const Tensor& a, const Tensor& b,
                                         int64_t max_elements) {
  if (a.dtype() != b.dtype()) return std::nullopt;
  const Dims& da = a.dims();
  const Dims& db = b.dims();
  Dims dims(std::max(da.size(), db.size()), 1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t x = i < da.size() ? da[da.size() - 1 - i] : 1;
    const int64_t y = i < db.size() ? db[db.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1) return std::nullopt;
    dims[dims.size() - 1 - i] = x == 1 ? y : x;
  }
  std::optional<Tensor> out = Allocate(a.dtype(), dims, max_elements);
  if (!out || out->element_count() == 0) return out;
  const char symbol = op == "Add" ? '+' : op == "Sub" ? '-' : op == "Mul" ? '*' : '/';
  bool ok = false;
  switch (a.dtype()) {
    case DType::kFloat32: ok = Broadcast<float>(symbol, a, b, *out); break;
    case DType::kFloat64: ok = Broadcast<double>(symbol, a, b, *out); break;
    case DType::kInt32: ok = Broadcast<int32_t>(symbol, a, b, *out); break;
    case DType::kInt64: ok = Broadcast<int64_t>(symbol, a, b, *out); break;
    default: break;
  }
  return ok ? std::move(out) : std::nullopt;
}

}  // namespace hetrun::core::detail
