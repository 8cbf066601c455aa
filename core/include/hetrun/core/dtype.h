// Element types of the IR. Values equal ONNX TensorProto.DataType and the plugin ABI's
// HETRUN_DTYPE_*, so conversions at either boundary are a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "hetrun/plugin.h"

namespace hetrun::core {

enum class DType : uint32_t {
  kUndefined = HETRUN_DTYPE_UNDEFINED,
  kFloat32 = HETRUN_DTYPE_FLOAT32,
  kUInt8 = HETRUN_DTYPE_UINT8,
  kInt8 = HETRUN_DTYPE_INT8,
  kUInt16 = HETRUN_DTYPE_UINT16,
  kInt16 = HETRUN_DTYPE_INT16,
  kInt32 = HETRUN_DTYPE_INT32,
  kInt64 = HETRUN_DTYPE_INT64,
  kString = HETRUN_DTYPE_STRING,
  kBool = HETRUN_DTYPE_BOOL,
  kFloat16 = HETRUN_DTYPE_FLOAT16,
  kFloat64 = HETRUN_DTYPE_FLOAT64,
  kUInt32 = HETRUN_DTYPE_UINT32,
  kUInt64 = HETRUN_DTYPE_UINT64,
  kComplex64 = HETRUN_DTYPE_COMPLEX64,
  kComplex128 = HETRUN_DTYPE_COMPLEX128,
  kBFloat16 = HETRUN_DTYPE_BFLOAT16,
  // Not tensors: ONNX sequence and optional values, held as packed bytes (the ABI's layout, see
  // hetrun/plugin.h and container_value.h). One "element" is one byte.
  kSequence = HETRUN_DTYPE_SEQUENCE,
  kOptional = HETRUN_DTYPE_OPTIONAL,
};

// True for kSequence and kOptional.
inline bool IsContainerDType(DType t) {
  return t == DType::kSequence || t == DType::kOptional;
}

// Bytes per element; 0 for kString (variable size) and kUndefined; 1 for the packed containers.
size_t DTypeSize(DType t);
// "float32", "int64", ... (numpy's names).
std::string_view DTypeName(DType t);
// Inverse of DTypeName; nullopt for an unknown name.
std::optional<DType> DTypeFromName(std::string_view name);
// The tensor DType whose value (ONNX TensorProto.DataType / HETRUN_DTYPE_*) is `code` (kUndefined
// for 0); nullopt for values that name no tensor DType, so untrusted enums from files are never
// cast blindly (the container kinds are never a TensorProto's type).
std::optional<DType> DTypeFromCode(int64_t code);
// Like DTypeFromCode, but also the container kinds: for dtypes a plugin reports.
std::optional<DType> AbiDTypeFromCode(int64_t code);

}  // namespace hetrun::core
