#include "hetrun/core/dtype.h"

#include <array>

namespace hetrun::core {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};

// One row per DType; the names are numpy's so that .npy files and messages agree.
constexpr std::array<DTypeInfo, 19> kDTypes = {{
    {DType::kUndefined, "undefined", 0}, {DType::kFloat32, "float32", 4},
    {DType::kUInt8, "uint8", 1},         {DType::kInt8, "int8", 1},
    {DType::kUInt16, "uint16", 2},       {DType::kInt16, "int16", 2},
    {DType::kInt32, "int32", 4},         {DType::kInt64, "int64", 8},
    {DType::kString, "string", 0},       {DType::kBool, "bool", 1},
    {DType::kFloat16, "float16", 2},     {DType::kFloat64, "float64", 8},
    {DType::kUInt32, "uint32", 4},       {DType::kUInt64, "uint64", 8},
    {DType::kComplex64, "complex64", 8}, {DType::kComplex128, "complex128", 16},
    {DType::kBFloat16, "bfloat16", 2},   {DType::kSequence, "sequence", 1},
    {DType::kOptional, "optional", 1},
}};

const DTypeInfo* Find(DType t) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.type == t) return &info;
  }
  return nullptr;
}

}  // namespace

size_t DTypeSize(DType t) {
  const DTypeInfo* info = Find(t);
  return info ? info->size : 0;
}

std::string_view DTypeName(DType t) {
  const DTypeInfo* info = Find(t);
  return info ? info->name : "invalid";
}

std::optional<DType> DTypeFromName(std::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name && !IsContainerDType(info.type)) return info.type;
  }
  return std::nullopt;
}

std::optional<DType> AbiDTypeFromCode(int64_t code) {
  for (const DTypeInfo& info : kDTypes) {
    if (static_cast<int64_t>(info.type) == code) return info.type;
  }
  return std::nullopt;
}

std::optional<DType> DTypeFromCode(int64_t code) {
  std::optional<DType> t = AbiDTypeFromCode(code);
  if (t && IsContainerDType(*t)) return std::nullopt;
  return t;
}

}  // namespace hetrun::core
