// Helpers shared by the CPU kernels: error reporting, axis handling, reading integer tensors and
// attributes. Everything here is small and header-only or in common.cpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "hetrun/plugin.hpp"
#include "kernel.h"

namespace hetrun::cpu {

// Elements per ParallelFor chunk for cheap elementwise work: below this, threading costs more than
// it saves.
inline constexpr int64_t kElementwiseGrain = 16384;

[[noreturn]] void ThrowUnimplemented(const std::string& why);
[[noreturn]] void ThrowInvalid(const std::string& why);

std::string DimsToString(const std::vector<int64_t>& dims);

inline int64_t NumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}
inline int64_t ProductOf(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= dims[i];
  return n;
}

// Maps axis in [-rank, rank) to [0, rank); throws INVALID_ARGUMENT naming `op` otherwise.
int64_t NormalizeAxis(int64_t axis, int64_t rank, std::string_view op);

// The node's op type, for messages.
inline std::string_view OpName(const KernelBuildContext& ctx) {
  return ctx.node.op_type;
}

// Bytes per element of input `input` for ops that only move data (any fixed-size dtype up to 8
// bytes); throws UNIMPLEMENTED naming the op for strings and wider types.
size_t MovableElementSize(const KernelBuildContext& ctx, size_t input = 0);

// Throws UNIMPLEMENTED "<op>: dtype <t> not supported (<allowed_text>)" unless `dtype` is allowed.
void RequireDType(std::string_view op, hetrun_dtype_t dtype,
                  std::initializer_list<hetrun_dtype_t> allowed, std::string_view allowed_text);

// Throws UNIMPLEMENTED "<op>: required input <what> is missing" unless input `i` is present.
void RequireInput(const KernelBuildContext& ctx, size_t i, std::string_view what);

// Throws UNIMPLEMENTED if the node requests output `index` or beyond (optional outputs we lack).
void RequireNoOutputFrom(const KernelBuildContext& ctx, size_t index, std::string_view what);

// Reads an int32/int64 tensor into int64s; throws INVALID_ARGUMENT for other dtypes.
std::vector<int64_t> ReadInts(const TensorRef& t, std::string_view op, std::string_view what);
std::vector<int64_t> ReadInts(const void* data, hetrun_dtype_t dtype, int64_t count,
                              std::string_view op, std::string_view what);

// If input `i` is a constant int32/int64 initializer, stores its values and returns true.
bool ConstInts(const KernelBuildContext& ctx, size_t i, std::vector<int64_t>* out);

// Element count of a constant value (from its dims), or -1 when its shape is not fully known.
int64_t StaticNumel(const hetrun_value& v);

// Reads element 0 of a numeric tensor as double (for scalar inputs such as Clip's min).
double ScalarAsDouble(const void* data, hetrun_dtype_t dtype);

// Copies `bytes` unless the executor already aliased output and input.
void CopyIfDistinct(const TensorRef& in, TensorRef& out);

}  // namespace hetrun::cpu
