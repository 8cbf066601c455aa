// Compile-time dispatch on a run-time dtype: Dispatch<Types...>(dtype, f) calls
// f.template operator()<T>() for the C++ type T of `dtype`, if T is among Types. Bool is stored as
// one byte, so kernels see it as `Bool` (a distinct 1-byte type), not `bool`.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "hetrun/plugin.h"
#include "kernels/common.h"

namespace hetrun::cpu {

// ONNX bool: one byte holding 0 or 1. A distinct type so templates can tell it from uint8.
struct Bool {
  uint8_t v;
};
// IEEE half and bfloat16, stored as bits; only Cast understands them.
struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_FLOAT32;
};
template <>
struct DTypeOf<double> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_FLOAT64;
};
template <>
struct DTypeOf<int8_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_INT8;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_UINT8;
};
template <>
struct DTypeOf<int16_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_INT16;
};
template <>
struct DTypeOf<uint16_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_UINT16;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_INT32;
};
template <>
struct DTypeOf<uint32_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_UINT32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_INT64;
};
template <>
struct DTypeOf<uint64_t> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_UINT64;
};
template <>
struct DTypeOf<Bool> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_BOOL;
};
template <>
struct DTypeOf<Half> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_FLOAT16;
};
template <>
struct DTypeOf<BFloat16> {
  static constexpr hetrun_dtype_t value = HETRUN_DTYPE_BFLOAT16;
};

template <typename... Types, typename F>
void Dispatch(hetrun_dtype_t dtype, std::string_view op, F&& f) {
  bool done = false;
  ((!done && DTypeOf<Types>::value == dtype ? (f.template operator()<Types>(), done = true)
                                            : false),
   ...);
  if (!done)
    ThrowUnimplemented(std::string(op) + ": dtype " + plugin::DTypeName(dtype) + " not supported");
}

template <typename... Types>
constexpr bool DTypeIn(hetrun_dtype_t dtype) {
  return ((DTypeOf<Types>::value == dtype) || ...);
}

// Unsigned integer of a given byte size, for dtype-agnostic data movement.
template <size_t N>
struct UIntOfSize;
template <>
struct UIntOfSize<1> {
  using type = uint8_t;
};
template <>
struct UIntOfSize<2> {
  using type = uint16_t;
};
template <>
struct UIntOfSize<4> {
  using type = uint32_t;
};
template <>
struct UIntOfSize<8> {
  using type = uint64_t;
};

// Calls f.template operator()<U>() with U an unsigned type of `elem_size` bytes (1, 2, 4, 8).
template <typename F>
void DispatchBySize(size_t elem_size, std::string_view op, F&& f) {
  switch (elem_size) {
    case 1: f.template operator()<uint8_t>(); break;
    case 2: f.template operator()<uint16_t>(); break;
    case 4: f.template operator()<uint32_t>(); break;
    case 8: f.template operator()<uint64_t>(); break;
    default:
      ThrowUnimplemented(std::string(op) + ": element size " + std::to_string(elem_size) +
                         " not supported");
  }
}

}  // namespace hetrun::cpu
