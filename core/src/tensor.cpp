#include "hetrun/core/tensor.h"

#include <cstdint>
#include <cstring>
#include <new>
#include <string>

namespace hetrun::core {
namespace {

// Cache-line and AVX-512 alignment, so kernels may use aligned loads on constant data.
constexpr size_t kAlignment = 64;
// Keeps every size computation below (rounding up to kAlignment) free of overflow.
constexpr int64_t kMaxBytes = PTRDIFF_MAX - static_cast<int64_t>(kAlignment);

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

Status OutOfMemory(const std::string& what) {
  return Status(StatusCode::kOutOfMemory, "out of memory allocating " + what);
}

// Zero-filled, 64-byte aligned storage of at least one cache line (so data() is never null for a
// numeric tensor, even an empty one). Null if the allocation fails.
std::shared_ptr<std::byte> AllocateAligned(size_t bytes) {
  const size_t rounded =
      bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = ::operator new (rounded, std::align_val_t{kAlignment}, std::nothrow);
  if (p == nullptr) return nullptr;
  std::memset(p, 0, rounded);
  try {
    return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) {
      ::operator delete (q, std::align_val_t{kAlignment});
    });
  } catch (const std::bad_alloc&) {  // the control block; shared_ptr has already called the deleter
    return nullptr;
  }
}

}  // namespace

Result<int64_t> CheckedElementCount(const std::vector<int64_t>& dims, int64_t limit) {
  bool has_zero = false;
  for (int64_t d : dims) {
    if (d < 0)
      return InvalidArgument("negative dimension " + std::to_string(d) + " in shape [" +
                             DimsToString(dims) + "]");
    has_zero |= d == 0;
  }
  // A zero anywhere makes the product 0, even if the other dims alone would overflow.
  if (has_zero) return int64_t{0};
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d > limit / count) {
      return InvalidArgument("shape [" + DimsToString(dims) + "] has more than " +
                             std::to_string(limit) + " elements");
    }
    count *= d;
  }
  return count;
}

Result<Tensor> Tensor::Create(DType dtype, std::vector<int64_t> dims) {
  if (dtype == DType::kUndefined || DTypeName(dtype) == "invalid") {
    return InvalidArgument("cannot create a tensor of dtype " +
                           std::to_string(static_cast<uint32_t>(dtype)));
  }
  Tensor t;
  t.dtype_ = dtype;
  if (dtype == DType::kString) {
    HETRUN_ASSIGN_OR_RETURN(
        t.element_count_,
        CheckedElementCount(dims, static_cast<int64_t>(PTRDIFF_MAX / sizeof(std::string))));
    try {
      t.strings_.resize(static_cast<size_t>(t.element_count_));
    } catch (const std::bad_alloc&) {
      return OutOfMemory("string[" + DimsToString(dims) + "]");
    }
    t.dims_ = std::move(dims);
    return t;
  }
  const int64_t width = static_cast<int64_t>(DTypeSize(dtype));
  HETRUN_ASSIGN_OR_RETURN(t.element_count_, CheckedElementCount(dims, kMaxBytes / width));
  t.byte_size_ = static_cast<size_t>(t.element_count_ * width);
  t.storage_ = AllocateAligned(t.byte_size_);
  if (!t.storage_) {
    return OutOfMemory(std::string(DTypeName(dtype)) + "[" + DimsToString(dims) + "] (" +
                       std::to_string(t.byte_size_) + " bytes)");
  }
  t.dims_ = std::move(dims);
  return t;
}

Result<Tensor> Tensor::FromBytes(DType dtype, std::vector<int64_t> dims, const void* data,
                                 size_t bytes) {
  if (dtype == DType::kString) {
    return InvalidArgument("string tensors cannot be made from raw bytes");
  }
  HETRUN_ASSIGN_OR_RETURN(Tensor t, Create(dtype, std::move(dims)));
  if (bytes != t.byte_size()) {
    return InvalidArgument(t.Describe() + " needs " + std::to_string(t.byte_size()) +
                           " bytes, got " + std::to_string(bytes));
  }
  if (bytes > 0) std::memcpy(t.mutable_data(), data, bytes);
  return t;
}

Result<Tensor> Tensor::View(DType dtype, std::vector<int64_t> dims,
                            std::shared_ptr<const void> owner, const void* data, size_t bytes) {
  if (dtype == DType::kUndefined || dtype == DType::kString || DTypeName(dtype) == "invalid")
    return InvalidArgument("cannot view raw bytes as a tensor of dtype " +
                           std::string(DTypeName(dtype)));
  Tensor t;
  t.dtype_ = dtype;
  const int64_t width = static_cast<int64_t>(DTypeSize(dtype));
  HETRUN_ASSIGN_OR_RETURN(t.element_count_, CheckedElementCount(dims, kMaxBytes / width));
  t.byte_size_ = static_cast<size_t>(t.element_count_ * width);
  t.dims_ = std::move(dims);
  if (bytes != t.byte_size_) {
    return InvalidArgument(t.Describe() + " needs " + std::to_string(t.byte_size_) +
                           " bytes, got " + std::to_string(bytes));
  }
  // The aliasing constructor shares `owner`'s lifetime; the const_cast is safe because View
  // tensors are only read (see the header).
  t.storage_ = std::shared_ptr<std::byte>(std::const_pointer_cast<void>(std::move(owner)),
                                          static_cast<std::byte*>(const_cast<void*>(data)));
  return t;
}

std::string Tensor::Describe() const {
  return std::string(DTypeName(dtype_)) + "[" + DimsToString(dims_) + "]";
}

}  // namespace hetrun::core
