#include "kernels/common.h"

#include <cstring>

namespace hetrun::cpu {

void ThrowUnimplemented(const std::string& why) {
  throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
}
void ThrowInvalid(const std::string& why) {
  throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, why);
}

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

int64_t NormalizeAxis(int64_t axis, int64_t rank, std::string_view op) {
  if (axis < -rank || axis >= rank)
    ThrowInvalid(std::string(op) + ": axis " + std::to_string(axis) + " out of range for rank " +
                 std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

void RequireDType(std::string_view op, hetrun_dtype_t dtype,
                  std::initializer_list<hetrun_dtype_t> allowed, std::string_view allowed_text) {
  for (hetrun_dtype_t a : allowed)
    if (a == dtype) return;
  ThrowUnimplemented(std::string(op) + ": dtype " + plugin::DTypeName(dtype) + " not supported (" +
                     std::string(allowed_text) + ")");
}

void RequireInput(const KernelBuildContext& ctx, size_t i, std::string_view what) {
  if (!ctx.has_input(i))
    ThrowUnimplemented(std::string(OpName(ctx)) + ": required input " + std::string(what) +
                       " is missing");
}

void RequireNoOutputFrom(const KernelBuildContext& ctx, size_t index, std::string_view what) {
  for (size_t o = index; o < ctx.num_outputs(); ++o)
    if (ctx.has_output(o))
      ThrowUnimplemented(std::string(OpName(ctx)) + ": output " + std::string(what) +
                         " is not supported");
}

std::vector<int64_t> ReadInts(const void* data, hetrun_dtype_t dtype, int64_t count,
                              std::string_view op, std::string_view what) {
  std::vector<int64_t> v(static_cast<size_t>(count));
  if (dtype == HETRUN_DTYPE_INT64) {
    if (count) std::memcpy(v.data(), data, static_cast<size_t>(count) * 8);
  } else if (dtype == HETRUN_DTYPE_INT32) {
    const int32_t* p = static_cast<const int32_t*>(data);
    for (int64_t i = 0; i < count; ++i) v[i] = p[i];
  } else {
    ThrowInvalid(std::string(op) + ": " + std::string(what) + " must be int64 or int32, got " +
                 plugin::DTypeName(dtype));
  }
  return v;
}

std::vector<int64_t> ReadInts(const TensorRef& t, std::string_view op, std::string_view what) {
  return ReadInts(t.data, t.dtype, t.numel(), op, what);
}

int64_t StaticNumel(const hetrun_value& v) {
  if (v.rank < 0) return -1;
  int64_t n = 1;
  for (int32_t i = 0; i < v.rank; ++i) {
    if (v.dims[i] < 0) return -1;
    n *= v.dims[i];
  }
  return n;
}

bool ConstInts(const KernelBuildContext& ctx, size_t i, std::vector<int64_t>* out) {
  if (!ctx.has_input(i)) return false;
  const hetrun_value& v = ctx.input(i);
  if (!(v.flags & HETRUN_VALUE_CONSTANT) || !v.data) return false;
  if (v.dtype != HETRUN_DTYPE_INT64 && v.dtype != HETRUN_DTYPE_INT32) return false;
  const int64_t n = static_cast<int64_t>(v.data_bytes / plugin::DTypeSize(v.dtype));
  *out = ReadInts(v.data, v.dtype, n, OpName(ctx), "input");
  return true;
}

double ScalarAsDouble(const void* data, hetrun_dtype_t dtype) {
  switch (dtype) {
    case HETRUN_DTYPE_FLOAT32: return *static_cast<const float*>(data);
    case HETRUN_DTYPE_FLOAT64: return *static_cast<const double*>(data);
    case HETRUN_DTYPE_INT8: return *static_cast<const int8_t*>(data);
    case HETRUN_DTYPE_UINT8:
    case HETRUN_DTYPE_BOOL: return *static_cast<const uint8_t*>(data);
    case HETRUN_DTYPE_INT16: return *static_cast<const int16_t*>(data);
    case HETRUN_DTYPE_UINT16: return *static_cast<const uint16_t*>(data);
    case HETRUN_DTYPE_INT32: return *static_cast<const int32_t*>(data);
    case HETRUN_DTYPE_UINT32: return *static_cast<const uint32_t*>(data);
    case HETRUN_DTYPE_INT64: return static_cast<double>(*static_cast<const int64_t*>(data));
    case HETRUN_DTYPE_UINT64: return static_cast<double>(*static_cast<const uint64_t*>(data));
    default: ThrowInvalid(std::string("dtype ") + plugin::DTypeName(dtype) + " is not numeric");
  }
}

void CopyIfDistinct(const TensorRef& in, TensorRef& out) {
  const size_t bytes = out.bytes();
  if (out.data != in.data && bytes) std::memmove(out.data, in.data, bytes);
}

size_t MovableElementSize(const KernelBuildContext& ctx, size_t input) {
  const hetrun_dtype_t t = ctx.input(input).dtype;
  const size_t s = plugin::DTypeSize(t);
  if (t == HETRUN_DTYPE_STRING || s == 0 || s > 8)
    ThrowUnimplemented(std::string(OpName(ctx)) + ": dtype " + plugin::DTypeName(t) +
                       " not supported");
  return s;
}

}  // namespace hetrun::cpu
