#include "packed_values.h"

#include <algorithm>
#include <cstring>

#include "common.h"

namespace hetrun::cpu {
namespace {

constexpr size_t kHeaderBytes = HETRUN_CONTAINER_HEADER_BYTES;
constexpr size_t kEntryBytes = HETRUN_CONTAINER_ENTRY_BYTES;
constexpr size_t kDataAlignment = 64;

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

}  // namespace

PackedView ReadPacked(const TensorRef& t, hetrun_dtype_t kind, const std::string& what) {
  const char* kind_name = kind == HETRUN_DTYPE_SEQUENCE ? "sequence" : "optional";
  if (t.dtype != kind) {
    ThrowInvalid(what + " must be a " + kind_name + ", got " + plugin::DTypeName(t.dtype) +
                 DimsToString(t.dims));
  }
  const size_t size = t.bytes();
  const auto* bytes = static_cast<const std::byte*>(t.data);
  Header header{};
  if (t.dims.size() != 1 || size < kHeaderBytes) ThrowInvalid(what + ": truncated packed value");
  std::memcpy(&header, bytes, sizeof header);
  if (header.magic != HETRUN_CONTAINER_MAGIC || header.kind != kind ||
      (kind == HETRUN_DTYPE_OPTIONAL && header.count > 1) ||
      header.count > (size - kHeaderBytes) / kEntryBytes) {
    ThrowInvalid(what + ": not a valid packed " + kind_name);
  }
  PackedView view;
  view.kind = kind;
  view.element_dtype = header.element_dtype;
  view.optional_of_sequence = header.inner_kind == HETRUN_DTYPE_SEQUENCE;
  for (uint32_t i = 0; i < header.count; ++i) {
    Entry e{};
    std::memcpy(&e, bytes + kHeaderBytes + size_t{i} * kEntryBytes, sizeof e);
    TensorRef element{e.dtype,
                      std::vector<int64_t>(e.dims, e.dims + std::min(e.rank, HETRUN_MAX_RANK)),
                      const_cast<std::byte*>(bytes + std::min<uint64_t>(e.offset, size))};
    bool ok = e.rank <= HETRUN_MAX_RANK && e.offset % kDataAlignment == 0 &&
              ElementBytes(e.dtype) > 0 && e.dtype != HETRUN_DTYPE_OPTIONAL &&
              RangeFits(e.offset, e.bytes, size);
    for (int64_t d : element.dims) ok = ok && d >= 0;
    if (ok) ok = TensorBytes(e.dtype, element.dims) == e.bytes;
    if (!ok) ThrowInvalid(what + ": element " + std::to_string(i) + " of the packed value is bad");
    view.elements.push_back(std::move(element));
  }
  return view;
}

BufferTensor Pack(hetrun_dtype_t kind, hetrun_dtype_t element_dtype, bool optional_of_sequence,
                  const std::vector<const TensorRef*>& elements) {
  size_t end = AlignUp(kHeaderBytes + elements.size() * kEntryBytes);
  std::vector<Entry> entries(elements.size(), Entry{});
  for (size_t i = 0; i < elements.size(); ++i) {
    const TensorRef& t = *elements[i];
    if (t.dims.size() > HETRUN_MAX_RANK)
      ThrowUnimplemented("a sequence element's rank is too high");
    Entry& e = entries[i];
    e.dtype = t.dtype;
    e.rank = static_cast<uint32_t>(t.dims.size());
    for (size_t d = 0; d < t.dims.size(); ++d) e.dims[d] = t.dims[d];
    e.offset = end;
    e.bytes = TensorBytes(t.dtype, t.dims);
    end = AlignUp(end + e.bytes);
  }
  BufferTensor packed{kind, {static_cast<int64_t>(end)}, Buffer::Allocate(end)};
  std::byte* bytes = packed.buffer->data();
  std::memset(bytes, 0, end);
  const Header header{HETRUN_CONTAINER_MAGIC,
                      kind,
                      element_dtype,
                      static_cast<uint32_t>(elements.size()),
                      optional_of_sequence ? HETRUN_DTYPE_SEQUENCE : 0u,
                      {0, 0, 0}};
  std::memcpy(bytes, &header, sizeof header);
  for (size_t i = 0; i < elements.size(); ++i) {
    std::memcpy(bytes + kHeaderBytes + i * kEntryBytes, &entries[i], sizeof(Entry));
    if (entries[i].bytes > 0)
      std::memcpy(bytes + entries[i].offset, elements[i]->data, entries[i].bytes);
  }
  return packed;
}

BufferTensor PackOptional(const TensorRef* value) {
  if (!value) return Pack(HETRUN_DTYPE_OPTIONAL, HETRUN_DTYPE_UNDEFINED, false, {});
  if (value->dtype == HETRUN_DTYPE_OPTIONAL) ThrowUnimplemented("optionals of optionals");
  if (value->dtype == HETRUN_DTYPE_SEQUENCE) {
    const PackedView inner = ReadPacked(*value, HETRUN_DTYPE_SEQUENCE, "the optional's sequence");
    return Pack(HETRUN_DTYPE_OPTIONAL, inner.element_dtype, true, {value});
  }
  return Pack(HETRUN_DTYPE_OPTIONAL, value->dtype, false, {value});
}

StringTensor ReadStrings(const TensorRef& t, const std::string& what) {
  if (t.dtype != HETRUN_DTYPE_STRING)
    ThrowInvalid(what + " must be a string tensor, got " + plugin::DTypeName(t.dtype));
  const size_t size = t.bytes();
  const auto* bytes = static_cast<const std::byte*>(t.data);
  Header header{};
  Entry e{};
  if (t.dims.size() != 1 || size < kHeaderBytes + kEntryBytes)
    ThrowInvalid(what + ": truncated packed string tensor");
  std::memcpy(&header, bytes, sizeof header);
  std::memcpy(&e, bytes + kHeaderBytes, sizeof e);
  if (header.magic != HETRUN_CONTAINER_MAGIC || header.kind != HETRUN_DTYPE_STRING ||
      header.count != 1 || e.dtype != HETRUN_DTYPE_STRING || e.rank > HETRUN_MAX_RANK ||
      !RangeFits(e.offset, e.bytes, size))
    ThrowInvalid(what + ": not a valid packed string tensor");
  StringTensor out;
  out.dims.assign(e.dims, e.dims + e.rank);
  uint64_t n = 1;
  for (int64_t d : out.dims) {
    if (d < 0 || (d > 0 && n > e.bytes / sizeof(uint64_t) / static_cast<uint64_t>(d)))
      ThrowInvalid(what + ": the packed string tensor's dims do not fit its bytes");
    n *= static_cast<uint64_t>(d);
  }
  if (n > e.bytes / sizeof(uint64_t))
    ThrowInvalid(what + ": the packed string tensor's dims do not fit its bytes");
  const std::byte* lengths = bytes + e.offset;
  const char* text = reinterpret_cast<const char*>(lengths + n * sizeof(uint64_t));
  uint64_t left = e.bytes - n * sizeof(uint64_t);
  out.values.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t length = 0;
    std::memcpy(&length, lengths + i * sizeof length, sizeof length);
    if (length > left) ThrowInvalid(what + ": string " + std::to_string(i) + " overruns");
    out.values[i].assign(text, length);
    text += length;
    left -= length;
  }
  if (left != 0) ThrowInvalid(what + ": bytes after the last string");
  return out;
}

BufferTensor PackStrings(const StringTensor& strings) {
  if (strings.dims.size() > HETRUN_MAX_RANK)
    ThrowUnimplemented("a string tensor's rank is too high");
  Entry e{};
  e.dtype = HETRUN_DTYPE_STRING;
  e.rank = static_cast<uint32_t>(strings.dims.size());
  for (size_t d = 0; d < strings.dims.size(); ++d) e.dims[d] = strings.dims[d];
  e.offset = AlignUp(kHeaderBytes + kEntryBytes);
  e.bytes = strings.values.size() * sizeof(uint64_t);
  for (const std::string& v : strings.values) e.bytes += v.size();
  const size_t total = e.offset + e.bytes;
  BufferTensor packed{HETRUN_DTYPE_STRING, {static_cast<int64_t>(total)}, Buffer::Allocate(total)};
  std::byte* bytes = packed.buffer->data();
  std::memset(bytes, 0, e.offset);
  const Header header{HETRUN_CONTAINER_MAGIC, HETRUN_DTYPE_STRING, HETRUN_DTYPE_STRING, 1, 0, {}};
  std::memcpy(bytes, &header, sizeof header);
  std::memcpy(bytes + kHeaderBytes, &e, sizeof e);
  std::byte* lengths = bytes + e.offset;
  std::byte* text = lengths + strings.values.size() * sizeof(uint64_t);
  for (size_t i = 0; i < strings.values.size(); ++i) {
    const uint64_t length = strings.values[i].size();
    std::memcpy(lengths + i * sizeof length, &length, sizeof length);
    if (length > 0) std::memcpy(text, strings.values[i].data(), length);
    text += length;
  }
  return packed;
}

BufferTensor CopyToBuffer(const TensorRef& t) {
  const uint64_t bytes = TensorBytes(t.dtype, t.dims);
  BufferTensor copy{t.dtype, t.dims, Buffer::Allocate(bytes)};
  if (bytes > 0) std::memcpy(copy.buffer->data(), t.data, bytes);
  return copy;
}

std::vector<OutputSpec> ComputedKernel::InferOutputs(const std::vector<const TensorRef*>&) {
  throw plugin::Error(HETRUN_STATUS_INTERNAL, "this kernel computes its output shapes");
}

void ComputedKernel::Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>&,
                         ThreadPool&) {
  throw plugin::Error(HETRUN_STATUS_INTERNAL, "this kernel runs through Compute");
}

int64_t ReadPosition(const TensorRef& t, int64_t length, bool insert, const std::string& op) {
  if (t.numel() != 1) ThrowInvalid(op + ": position must hold one element");
  const int64_t position = ReadInts(t, op, "position")[0];
  const int64_t last = insert ? length : length - 1;
  if (position < -length || position > last) {
    ThrowInvalid(op + ": position " + std::to_string(position) + " is out of range [" +
                 std::to_string(-length) + ", " + std::to_string(last) + "] for a sequence of " +
                 std::to_string(length));
  }
  return position < 0 ? position + length : position;
}

}  // namespace hetrun::cpu
