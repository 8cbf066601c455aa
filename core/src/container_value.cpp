#include "hetrun/core/container_value.h"

#include <onnx/onnx-data_pb.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "file_util.h"
#include "hetrun/core/tensor_io.h"
#include "onnx_tensor.h"

namespace hetrun::core {
namespace {

constexpr size_t kHeaderBytes = HETRUN_CONTAINER_HEADER_BYTES;
constexpr size_t kEntryBytes = HETRUN_CONTAINER_ENTRY_BYTES;
constexpr size_t kDataAlignment = 64;

// The fixed-size parts of the layout, as plugin.h describes them.
struct Header {
  uint32_t magic, kind, element_dtype, count, inner_kind, reserved[3];
};
struct Entry {
  uint32_t dtype, rank;
  uint64_t offset, bytes;
  int64_t dims[HETRUN_MAX_RANK];
};
static_assert(sizeof(Header) == kHeaderBytes && sizeof(Entry) == kEntryBytes);

size_t AlignUp(size_t n) {
  return (n + kDataAlignment - 1) / kDataAlignment * kDataAlignment;
}

Result<Tensor> Pack(DType kind, DType element_dtype, bool optional_of_sequence,
                    const std::vector<const Tensor*>& elements) {
  size_t end = AlignUp(kHeaderBytes + elements.size() * kEntryBytes);
  std::vector<Entry> entries(elements.size(), Entry{});
  for (size_t i = 0; i < elements.size(); ++i) {
    const Tensor& t = *elements[i];
    if (t.dtype() == DType::kString || t.dtype() == DType::kUndefined)
      return Unimplemented("a " + std::string(DTypeName(kind)) + " of " +
                           std::string(DTypeName(t.dtype())) + " tensors cannot be packed");
    if (t.dims().size() > HETRUN_MAX_RANK)
      return Unimplemented("a sequence element has rank " + std::to_string(t.dims().size()) +
                           ", more than " + std::to_string(HETRUN_MAX_RANK));
    Entry& e = entries[i];
    e.dtype = static_cast<uint32_t>(t.dtype());
    e.rank = static_cast<uint32_t>(t.dims().size());
    for (size_t d = 0; d < t.dims().size(); ++d) e.dims[d] = t.dims()[d];
    e.offset = end;
    e.bytes = t.byte_size();
    end = AlignUp(end + t.byte_size());
  }
  HETRUN_ASSIGN_OR_RETURN(Tensor packed,
                          Tensor::Create(kind, {static_cast<int64_t>(std::max<size_t>(end, 1))}));
  auto* bytes = static_cast<std::byte*>(packed.mutable_data());
  const Header header{HETRUN_CONTAINER_MAGIC,
                      static_cast<uint32_t>(kind),
                      static_cast<uint32_t>(element_dtype),
                      static_cast<uint32_t>(elements.size()),
                      optional_of_sequence ? HETRUN_DTYPE_SEQUENCE : 0u,
                      {0, 0, 0}};
  std::memcpy(bytes, &header, sizeof header);
  for (size_t i = 0; i < elements.size(); ++i) {
    std::memcpy(bytes + kHeaderBytes + i * kEntryBytes, &entries[i], sizeof(Entry));
    if (entries[i].bytes > 0)
      std::memcpy(bytes + entries[i].offset, elements[i]->data(), entries[i].bytes);
  }
  return packed;
}

}  // namespace

Result<Tensor> PackSequence(DType element_dtype, const std::vector<Tensor>& elements) {
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : elements) {
    if (element_dtype != DType::kUndefined && t.dtype() != element_dtype)
      return InvalidArgument("a sequence of " + std::string(DTypeName(element_dtype)) +
                             " cannot hold a " + t.Describe());
    if (IsContainerDType(t.dtype()))
      return Unimplemented("sequences of sequences or optionals are not supported");
    pointers.push_back(&t);
  }
  return Pack(DType::kSequence, element_dtype, false, pointers);
}

Result<Tensor> PackOptional(DType element_dtype, bool optional_of_sequence, const Tensor* element) {
  if (element && element->dtype() != (optional_of_sequence ? DType::kSequence : element_dtype) &&
      !(element_dtype == DType::kUndefined && !IsContainerDType(element->dtype())))
    return InvalidArgument("an optional of " +
                           std::string(optional_of_sequence ? "sequence" : "tensor") +
                           " cannot hold a " + element->Describe());
  std::vector<const Tensor*> pointers;
  if (element) pointers.push_back(element);
  return Pack(DType::kOptional, element_dtype, optional_of_sequence, pointers);
}

Result<ContainerContents> UnpackContainer(const Tensor& packed) {
  if (!IsContainerDType(packed.dtype()))
    return InvalidArgument("a " + packed.Describe() + " is not a sequence or optional value");
  const size_t size = packed.byte_size();
  const auto* bytes = static_cast<const std::byte*>(packed.data());
  Header header{};
  if (size < kHeaderBytes) return InvalidArgument("a packed value is shorter than its header");
  std::memcpy(&header, bytes, sizeof header);
  if (header.magic != HETRUN_CONTAINER_MAGIC ||
      header.kind != static_cast<uint32_t>(packed.dtype()))
    return InvalidArgument("a packed " + std::string(DTypeName(packed.dtype())) +
                           " value has a wrong magic number or kind");
  ContainerContents out;
  out.kind = packed.dtype();
  const std::optional<DType> element_dtype = DTypeFromCode(header.element_dtype);
  if (!element_dtype) return InvalidArgument("a packed value has an unknown element dtype");
  out.element_dtype = *element_dtype;
  out.optional_of_sequence = header.inner_kind == HETRUN_DTYPE_SEQUENCE;
  if ((out.kind == DType::kOptional && header.count > 1) ||
      header.count > (size - kHeaderBytes) / kEntryBytes)
    return InvalidArgument("a packed value claims " + std::to_string(header.count) +
                           " elements, more than it can hold");
  for (uint32_t i = 0; i < header.count; ++i) {
    Entry e{};
    std::memcpy(&e, bytes + kHeaderBytes + size_t{i} * kEntryBytes, sizeof e);
    const std::optional<DType> dtype = AbiDTypeFromCode(e.dtype);
    if (!dtype || *dtype == DType::kString || *dtype == DType::kUndefined ||
        *dtype == DType::kOptional || e.rank > HETRUN_MAX_RANK || e.offset > size ||
        e.bytes > size - e.offset)
      return InvalidArgument("element " + std::to_string(i) +
                             " of a packed value has a bad dtype, rank, offset or size");
    std::vector<int64_t> dims(e.dims, e.dims + e.rank);
    HETRUN_ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(*dtype, dims, bytes + e.offset, e.bytes));
    out.elements.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<std::byte>> PackStrings(const Tensor& strings) {
  if (strings.dtype() != DType::kString)
    return InvalidArgument("a " + strings.Describe() + " is not a string tensor");
  if (strings.dims().size() > HETRUN_MAX_RANK)
    return Unimplemented("a string tensor has rank " + std::to_string(strings.dims().size()) +
                         ", more than " + std::to_string(HETRUN_MAX_RANK));
  const std::vector<std::string>& values = strings.strings();
  Entry e{};
  e.dtype = HETRUN_DTYPE_STRING;
  e.rank = static_cast<uint32_t>(strings.dims().size());
  for (size_t d = 0; d < strings.dims().size(); ++d) e.dims[d] = strings.dims()[d];
  e.offset = AlignUp(kHeaderBytes + kEntryBytes);
  e.bytes = values.size() * sizeof(uint64_t);
  for (const std::string& v : values) e.bytes += v.size();
  std::vector<std::byte> packed(e.offset + e.bytes);
  const Header header{HETRUN_CONTAINER_MAGIC, HETRUN_DTYPE_STRING, HETRUN_DTYPE_STRING, 1, 0, {}};
  std::memcpy(packed.data(), &header, sizeof header);
  std::memcpy(packed.data() + kHeaderBytes, &e, sizeof e);
  std::byte* lengths = packed.data() + e.offset;
  std::byte* text = lengths + values.size() * sizeof(uint64_t);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint64_t length = values[i].size();
    std::memcpy(lengths + i * sizeof length, &length, sizeof length);
    if (length > 0) std::memcpy(text, values[i].data(), length);
    text += length;
  }
  return packed;
}

Result<Tensor> UnpackStrings(const void* data, size_t size) {
  const auto* bytes = static_cast<const std::byte*>(data);
  Header header{};
  Entry e{};
  if (size < kHeaderBytes + kEntryBytes)
    return InvalidArgument("a packed string tensor is shorter than its header");
  std::memcpy(&header, bytes, sizeof header);
  std::memcpy(&e, bytes + kHeaderBytes, sizeof e);
  if (header.magic != HETRUN_CONTAINER_MAGIC || header.kind != HETRUN_DTYPE_STRING ||
      header.count != 1 || e.dtype != HETRUN_DTYPE_STRING || e.rank > HETRUN_MAX_RANK ||
      e.offset > size || e.bytes > size - e.offset)
    return InvalidArgument("a packed string tensor has a bad header, rank, offset or size");
  std::vector<int64_t> dims(e.dims, e.dims + e.rank);
  Result<int64_t> count = CheckedElementCount(dims);
  if (!count.ok() || static_cast<uint64_t>(*count) > e.bytes / sizeof(uint64_t))
    return InvalidArgument("a packed string tensor's shape does not fit its bytes");
  const size_t n = static_cast<size_t>(*count);
  const std::byte* lengths = bytes + e.offset;
  uint64_t left = e.bytes - n * sizeof(uint64_t);
  const char* text = reinterpret_cast<const char*>(lengths + n * sizeof(uint64_t));
  HETRUN_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(DType::kString, dims));
  std::vector<std::string>& values = out.mutable_strings();
  for (size_t i = 0; i < n; ++i) {
    uint64_t length = 0;
    std::memcpy(&length, lengths + i * sizeof length, sizeof length);
    if (length > left)
      return InvalidArgument("string " + std::to_string(i) + " of a packed string tensor overruns");
    values[i].assign(text, static_cast<size_t>(length));
    text += length;
    left -= length;
  }
  if (left != 0) return InvalidArgument("a packed string tensor has bytes after its last string");
  return out;
}

namespace {

Result<Tensor> FromSequenceProto(const onnx::SequenceProto& p) {
  if (p.elem_type() != onnx::SequenceProto::TENSOR &&
      !(p.elem_type() == onnx::SequenceProto::UNDEFINED && p.tensor_values_size() == 0))
    return Unimplemented("only sequences of tensors are supported (elem_type " +
                         std::to_string(p.elem_type()) + ")");
  std::vector<Tensor> elements;
  for (const onnx::TensorProto& t : p.tensor_values()) {
    HETRUN_ASSIGN_OR_RETURN(Tensor tensor, detail::DecodeTensorProto(t));
    elements.push_back(std::move(tensor));
  }
  // An empty sequence's element dtype is not in the data: it stays undefined.
  const DType element_dtype = elements.empty() ? DType::kUndefined : elements[0].dtype();
  return PackSequence(element_dtype, elements);
}

Result<Tensor> FromOptionalProto(const onnx::OptionalProto& p) {
  if (p.has_tensor_value()) {
    HETRUN_ASSIGN_OR_RETURN(Tensor tensor, detail::DecodeTensorProto(p.tensor_value()));
    return PackOptional(tensor.dtype(), false, &tensor);
  }
  if (p.has_sequence_value()) {
    HETRUN_ASSIGN_OR_RETURN(Tensor sequence, FromSequenceProto(p.sequence_value()));
    HETRUN_ASSIGN_OR_RETURN(ContainerContents contents, UnpackContainer(sequence));
    return PackOptional(contents.element_dtype, true, &sequence);
  }
  if (p.has_map_value() || p.has_optional_value() || p.has_sparse_tensor_value())
    return Unimplemented("only optionals of tensors or sequences are supported");
  return PackOptional(DType::kUndefined, p.elem_type() == onnx::OptionalProto::SEQUENCE, nullptr);
}

template <typename Proto>
Status Parse(const std::string& bytes, const std::string& path, const char* what, Proto* proto) {
  // An empty file is a valid message: an empty sequence or an absent optional.
  try {
    if (!proto->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return InvalidArgument(path + ": not a valid " + what + " (invalid or truncated)");
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": not a valid " + what + " (" + e.what() + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<Tensor> ReadValueProto(const std::string& path, DType declared) {
  if (!IsContainerDType(declared)) return ReadTensorProto(path);
  HETRUN_ASSIGN_OR_RETURN(const std::string bytes,
                          detail::ReadFileBytes(path, INT_MAX, " (protobuf cannot parse 2 GiB)"));
  Result<Tensor> value = InvalidArgument("unreachable");
  if (declared == DType::kSequence) {
    onnx::SequenceProto proto;
    HETRUN_RETURN_IF_ERROR(Parse(bytes, path, "SequenceProto", &proto));
    value = FromSequenceProto(proto);
  } else {
    onnx::OptionalProto proto;
    HETRUN_RETURN_IF_ERROR(Parse(bytes, path, "OptionalProto", &proto));
    value = FromOptionalProto(proto);
  }
  if (!value.ok()) return value.status().WithContext(path);
  return value;
}

TensorComparison CompareValues(const Tensor& actual, const Tensor& expected, double rtol,
                               double atol) {
  if (!IsContainerDType(actual.dtype()) && !IsContainerDType(expected.dtype()))
    return CompareTensors(actual, expected, rtol, atol);
  TensorComparison result;
  if (actual.dtype() != expected.dtype()) {
    result.message = "got a " + std::string(DTypeName(actual.dtype())) + ", expected a " +
                     std::string(DTypeName(expected.dtype()));
    return result;
  }
  Result<ContainerContents> a = UnpackContainer(actual);
  Result<ContainerContents> e = UnpackContainer(expected);
  if (!a.ok() || !e.ok()) {
    result.message = (a.ok() ? e : a).status().message();
    return result;
  }
  if (a->elements.size() != e->elements.size()) {
    result.message = "got a " + std::string(DTypeName(actual.dtype())) + " of " +
                     std::to_string(a->elements.size()) + " element(s), expected " +
                     std::to_string(e->elements.size());
    return result;
  }
  result.ok = true;
  for (size_t i = 0; i < a->elements.size(); ++i) {
    TensorComparison c = CompareValues(a->elements[i], e->elements[i], rtol, atol);
    result.max_abs_error = std::max(result.max_abs_error, c.max_abs_error);
    result.max_rel_error = std::max(result.max_rel_error, c.max_rel_error);
    result.mismatches += c.mismatches;
    if (!c.ok) {
      result.ok = false;
      result.message = "element " + std::to_string(i) + ": " + c.message;
      return result;
    }
  }
  result.message = std::to_string(a->elements.size()) + " element(s) equal";
  return result;
}

}  // namespace hetrun::core
