#include "onnx_tensor.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string>

namespace hetrun::core::detail {
namespace {

static_assert(std::endian::native == std::endian::little,
              "TensorProto raw_data and typed fields are decoded as little-endian host data");

using onnx::TensorProto;

// The typed field ONNX stores each dtype in when raw_data is not used (onnx.proto comments).
enum class Field { kFloat, kInt32, kInt64, kDouble, kUInt64, kString };

Field FieldFor(DType t) {
  switch (t) {
    case DType::kFloat32:
    case DType::kComplex64: return Field::kFloat;
    case DType::kInt64: return Field::kInt64;
    case DType::kFloat64:
    case DType::kComplex128: return Field::kDouble;
    case DType::kUInt32:
    case DType::kUInt64: return Field::kUInt64;
    case DType::kString: return Field::kString;
    default: return Field::kInt32;  // (u)int8/16, int32, bool, float16, bfloat16
  }
}

const char* FieldName(Field f) {
  switch (f) {
    case Field::kFloat: return "float_data";
    case Field::kInt32: return "int32_data";
    case Field::kInt64: return "int64_data";
    case Field::kDouble: return "double_data";
    case Field::kUInt64: return "uint64_data";
    case Field::kString: return "string_data";
  }
  return "?";
}

int64_t FieldSize(const TensorProto& p, Field f) {
  switch (f) {
    case Field::kFloat: return p.float_data_size();
    case Field::kInt32: return p.int32_data_size();
    case Field::kInt64: return p.int64_data_size();
    case Field::kDouble: return p.double_data_size();
    case Field::kUInt64: return p.uint64_data_size();
    case Field::kString: return p.string_data_size();
  }
  return 0;
}

std::string DimsText(const TensorProto& p) {
  std::string s = "[";
  for (int i = 0; i < p.dims_size(); ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(p.dims(i));
  }
  return s + "]";
}

// Narrows int32_data entries into T, refusing values T cannot hold (rather than truncating them).
template <typename T>
Status NarrowInt32(const TensorProto& p, Tensor* t, int64_t lo, int64_t hi, const char* type_name) {
  T* out = t->mutable_data_as<T>();
  for (int i = 0; i < p.int32_data_size(); ++i) {
    const int64_t v = p.int32_data(i);
    if (v < lo || v > hi) {
      return InvalidArgument(TensorLabel(p) + ": int32_data[" + std::to_string(i) +
                             "] = " + std::to_string(v) + " does not fit " + type_name);
    }
    out[i] = static_cast<T>(v);
  }
  return Status::Ok();
}

Status FillTyped(const TensorProto& p, DType dtype, Tensor* t) {
  // An empty repeated field's data() may be null, which memcpy must not see even for 0 bytes.
  if (dtype != DType::kString && t->byte_size() == 0) return Status::Ok();
  switch (dtype) {
    case DType::kFloat32:
    case DType::kComplex64:
      std::memcpy(t->mutable_data(), p.float_data().data(), t->byte_size());
      return Status::Ok();
    case DType::kFloat64:
    case DType::kComplex128:
      std::memcpy(t->mutable_data(), p.double_data().data(), t->byte_size());
      return Status::Ok();
    case DType::kInt64:
      std::memcpy(t->mutable_data(), p.int64_data().data(), t->byte_size());
      return Status::Ok();
    case DType::kUInt64:
      std::memcpy(t->mutable_data(), p.uint64_data().data(), t->byte_size());
      return Status::Ok();
    case DType::kUInt32: {
      uint32_t* out = t->mutable_data_as<uint32_t>();
      for (int i = 0; i < p.uint64_data_size(); ++i) {
        if (p.uint64_data(i) > std::numeric_limits<uint32_t>::max()) {
          return InvalidArgument(TensorLabel(p) + ": uint64_data[" + std::to_string(i) +
                                 "] does not fit uint32");
        }
        out[i] = static_cast<uint32_t>(p.uint64_data(i));
      }
      return Status::Ok();
    }
    case DType::kInt32:
      std::memcpy(t->mutable_data(), p.int32_data().data(), t->byte_size());
      return Status::Ok();
    case DType::kInt8: return NarrowInt32<int8_t>(p, t, INT8_MIN, INT8_MAX, "int8");
    case DType::kUInt8: return NarrowInt32<uint8_t>(p, t, 0, UINT8_MAX, "uint8");
    case DType::kInt16: return NarrowInt32<int16_t>(p, t, INT16_MIN, INT16_MAX, "int16");
    case DType::kUInt16: return NarrowInt32<uint16_t>(p, t, 0, UINT16_MAX, "uint16");
    // 16-bit floats travel as their bit patterns, one per int32 entry.
    case DType::kFloat16:
    case DType::kBFloat16: return NarrowInt32<uint16_t>(p, t, 0, UINT16_MAX, "a 16-bit pattern");
    case DType::kBool: {
      // Any nonzero value is true; stored as exactly 0 or 1, as the plugin ABI promises.
      uint8_t* out = t->mutable_data_as<uint8_t>();
      for (int i = 0; i < p.int32_data_size(); ++i) out[i] = p.int32_data(i) != 0 ? 1 : 0;
      return Status::Ok();
    }
    case DType::kString:
      for (int i = 0; i < p.string_data_size(); ++i) {
        t->mutable_strings()[static_cast<size_t>(i)] = p.string_data(i);
      }
      return Status::Ok();
    case DType::kUndefined:
    case DType::kSequence:
    case DType::kOptional: break;  // never a TensorProto's type (DTypeFromCode)
  }
  return InternalError(TensorLabel(p) + ": unhandled dtype");
}

}  // namespace

std::string TensorLabel(const TensorProto& proto) {
  return proto.name().empty() ? std::string("unnamed tensor") : "tensor '" + proto.name() + "'";
}

namespace {

struct Layout {
  DType dtype;
  int64_t count;
};

// Everything about `p` that can be checked without allocating: what Decode relies on.
Result<Layout> CheckLayout(const TensorProto& p) {
  const std::string label = TensorLabel(p);
  const std::optional<DType> maybe_dtype = DTypeFromCode(p.data_type());
  if (!maybe_dtype || *maybe_dtype == DType::kUndefined) {
    return InvalidArgument(label + ": unknown data type " + std::to_string(p.data_type()));
  }
  const DType dtype = *maybe_dtype;
  if (p.data_location() == TensorProto::EXTERNAL || p.external_data_size() > 0) {
    // A model's external data is read (and its paths checked) before decoding: this is a tensor
    // file or a model bypassing LoadExternalData.
    return Unimplemented(label + ": external data is only read for a model's tensors");
  }
  if (p.has_segment()) return Unimplemented(label + ": segmented tensors are not supported");

  const std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  const Result<int64_t> count_or = CheckedElementCount(dims);
  if (!count_or.ok()) return count_or.status().WithContext(label);
  const int64_t count = *count_or;
  const Field field = FieldFor(dtype);
  for (Field other : {Field::kFloat, Field::kInt32, Field::kInt64, Field::kDouble, Field::kUInt64,
                      Field::kString}) {
    if (other != field && FieldSize(p, other) > 0) {
      return InvalidArgument(
          label + ": " + std::string(DTypeName(dtype)) + " data found in " + FieldName(other) +
          " (expected " + (dtype == DType::kString ? "" : "raw_data or ") + FieldName(field) + ")");
    }
  }

  if (p.has_raw_data()) {
    if (dtype == DType::kString) {
      return InvalidArgument(label + ": string tensors cannot use raw_data");
    }
    if (FieldSize(p, field) > 0) {
      return InvalidArgument(label + ": both raw_data and " + std::string(FieldName(field)) +
                             " are set");
    }
    const uint64_t width = DTypeSize(dtype);
    const uint64_t have = p.raw_data().size();
    // Compared by division: count * width may overflow when the dims are hostile.
    if (have % width != 0 || have / width != static_cast<uint64_t>(count)) {
      return InvalidArgument(label + ": shape " + DimsText(p) + " of " +
                             std::string(DTypeName(dtype)) + " needs " +
                             (static_cast<uint64_t>(count) <= UINT64_MAX / width
                                  ? std::to_string(static_cast<uint64_t>(count) * width)
                                  : std::string("too many")) +
                             " bytes, raw_data has " + std::to_string(have));
    }
    return Layout{dtype, count};
  }

  // Complex values are (real, imaginary) pairs in the typed field.
  const int64_t per_element = (dtype == DType::kComplex64 || dtype == DType::kComplex128) ? 2 : 1;
  const int64_t have = FieldSize(p, field);
  if (count > 0 && have == 0) {
    return InvalidArgument(label + ": shape " + DimsText(p) + " but no data");
  }
  if (have % per_element != 0 || have / per_element != count) {
    return InvalidArgument(label + ": shape " + DimsText(p) + " needs " +
                           (count <= INT64_MAX / per_element ? std::to_string(count * per_element)
                                                             : std::string("too many")) +
                           " values, " + FieldName(field) + " has " + std::to_string(have));
  }
  return Layout{dtype, count};
}

}  // namespace

Status ValidateTensorProto(const TensorProto& p) {
  return CheckLayout(p).status();
}

Result<Tensor> DecodeTensorProto(const TensorProto& p) {
  const std::string label = TensorLabel(p);
  HETRUN_ASSIGN_OR_RETURN(const Layout layout, CheckLayout(p));
  const DType dtype = layout.dtype;
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  if (p.has_raw_data()) {
    auto t = Tensor::FromBytes(dtype, std::move(dims), p.raw_data().data(), p.raw_data().size());
    if (!t.ok()) return t.status().WithContext(label);
    return t;
  }
  auto created = Tensor::Create(dtype, std::move(dims));
  if (!created.ok()) return created.status().WithContext(label);
  Tensor t = std::move(created).value();
  HETRUN_RETURN_IF_ERROR(FillTyped(p, dtype, &t));
  return t;
}

}  // namespace hetrun::core::detail
