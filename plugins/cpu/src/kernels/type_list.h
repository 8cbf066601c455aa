// Type lists naming which C++ element types a kernel template is instantiated for.
#pragma once

#include <cstdint>

#include "kernels/dispatch.h"

namespace hetrun::cpu {

template <typename... T>
struct TypeList {};

using FloatTypes = TypeList<float, double>;
using SignedTypes = TypeList<float, double, int8_t, int16_t, int32_t, int64_t>;
using NumericTypes = TypeList<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                              int64_t, uint64_t>;

template <typename... Types, typename F>
void DispatchList(TypeList<Types...>, hetrun_dtype_t dtype, std::string_view op, F&& f) {
  Dispatch<Types...>(dtype, op, static_cast<F&&>(f));
}
template <typename... Types>
constexpr bool InList(TypeList<Types...>, hetrun_dtype_t dtype) {
  return DTypeIn<Types...>(dtype);
}

}  // namespace hetrun::cpu
