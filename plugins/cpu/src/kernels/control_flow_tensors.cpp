#include "control_flow_tensors.h"

#include <algorithm>
#include <cstring>

#include "common.h"

namespace hetrun::cpu {

BufferTensor Borrow(const TensorRef& t) {
  return BufferTensor{t.dtype, t.dims, Buffer::Borrow(t.data, t.bytes())};
}

BufferTensor Scalar(hetrun_dtype_t dtype, const void* value) {
  BufferTensor t{dtype, {}, Buffer::Allocate(ElementBytes(dtype))};
  std::memcpy(t.buffer->data(), value, ElementBytes(dtype));
  return t;
}

bool ReadBool(const TensorRef& t, const std::string& what) {
  if (t.dtype != HETRUN_DTYPE_BOOL || t.numel() != 1) {
    ThrowInvalid(what + " must be a bool tensor of one element, got " + plugin::DTypeName(t.dtype) +
                 DimsToString(t.dims));
  }
  return *t.as<const uint8_t>() != 0;
}

BufferTensor SliceAlongAxis(const BufferTensor& t, size_t axis, int64_t index) {
  const size_t element = plugin::DTypeSize(t.dtype);
  const auto outer = static_cast<size_t>(ProductOf(t.dims, 0, axis));
  const auto length = static_cast<size_t>(t.dims[axis]);
  const size_t row = static_cast<size_t>(ProductOf(t.dims, axis + 1, t.dims.size())) * element;
  std::vector<int64_t> dims = t.dims;
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(axis));
  const std::byte* source = t.buffer->data() + static_cast<size_t>(index) * row;
  if (outer == 1) {
    return BufferTensor{t.dtype, std::move(dims),
                        Buffer::Borrow(const_cast<std::byte*>(source), row)};
  }
  BufferTensor slice{t.dtype, std::move(dims), Buffer::Allocate(outer * row)};
  for (size_t o = 0; o < outer && row > 0; ++o) {
    std::memcpy(slice.buffer->data() + o * row, source + o * length * row, row);
  }
  return slice;
}

BufferTensor StackAlongNewAxis(const std::vector<BufferTensor>& parts, size_t axis, bool reverse,
                               const std::string& what) {
  const BufferTensor& first = parts.front();
  for (const BufferTensor& part : parts) {
    if (part.dtype != first.dtype || part.dims != first.dims) {
      ThrowInvalid(what + ": iterations produced " + plugin::DTypeName(first.dtype) +
                   DimsToString(first.dims) + " and " + plugin::DTypeName(part.dtype) +
                   DimsToString(part.dims) + "; they must all match to be stacked");
    }
  }
  const size_t element = plugin::DTypeSize(first.dtype);
  const auto outer = static_cast<size_t>(ProductOf(first.dims, 0, axis));
  const size_t row = static_cast<size_t>(ProductOf(first.dims, axis, first.dims.size())) * element;
  const size_t count = parts.size();
  std::vector<int64_t> dims = first.dims;
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), static_cast<int64_t>(count));
  BufferTensor stacked{first.dtype, std::move(dims), Buffer::Allocate(outer * count * row)};
  for (size_t p = 0; p < count && row > 0; ++p) {
    const size_t position = reverse ? count - 1 - p : p;
    for (size_t o = 0; o < outer; ++o) {
      std::memcpy(stacked.buffer->data() + (o * count + position) * row,
                  parts[p].buffer->data() + o * row, row);
    }
  }
  return stacked;
}

BufferTensor EmptyStack(hetrun_dtype_t dtype, int32_t declared_rank,
                        const std::vector<int64_t>& declared_dims, size_t axis,
                        const std::string& what) {
  if (dtype == HETRUN_DTYPE_UNDEFINED || (declared_rank < 0 && axis != 0)) {
    ThrowUnimplemented(what + ": no iteration ran and the subgraph does not declare the " +
                       (dtype == HETRUN_DTYPE_UNDEFINED ? "dtype" : "rank") + " of its output");
  }
  std::vector<int64_t> dims;
  for (int32_t d = 0; d < declared_rank; ++d)
    dims.push_back(std::max<int64_t>(declared_dims[d], 0));
  if (axis > dims.size()) ThrowInvalid(what + ": axis out of range");
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), 0);
  return BufferTensor{dtype, std::move(dims), Buffer::Allocate(0)};
}

}  // namespace hetrun::cpu
