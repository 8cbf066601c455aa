// A dense, row-major tensor held in host memory: the IR's constants (initializers, Constant nodes)
// and the runtime's inputs and outputs. Numeric data lives in 64-byte aligned, shared, immutable-
// after-construction storage so graphs and views can share weights without copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/core/dtype.h"
#include "hetrun/status.h"

namespace hetrun::core {

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage for `dims` (numeric dtypes) or empty strings (kString).
  // Fails on negative dims or a byte size that overflows.
  static Result<Tensor> Create(DType dtype, std::vector<int64_t> dims);
  // Copies `bytes` bytes from `data`; `bytes` must equal the element count times the dtype size.
  static Result<Tensor> FromBytes(DType dtype, std::vector<int64_t> dims, const void* data,
                                  size_t bytes);
  // A tensor over `bytes` bytes at `data`, which `owner` keeps alive (a memory-mapped cache entry):
  // nothing is copied. The memory must stay unchanged while any copy of the tensor lives; hold the
  // result as a const Tensor. Numeric dtypes only; `bytes` must match dims x dtype size.
  static Result<Tensor> View(DType dtype, std::vector<int64_t> dims,
                             std::shared_ptr<const void> owner, const void* data, size_t bytes);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t element_count() const { return element_count_; }
  size_t byte_size() const { return byte_size_; }

  const void* data() const { return storage_.get(); }
  void* mutable_data() { return storage_.get(); }
  template <typename T>
  const T* data_as() const {
    return static_cast<const T*>(data());
  }
  template <typename T>
  T* mutable_data_as() {
    return static_cast<T*>(mutable_data());
  }

  // Only for kString tensors.
  const std::vector<std::string>& strings() const { return strings_; }
  std::vector<std::string>& mutable_strings() { return strings_; }

  // "float32[1x3x224x224]"
  std::string Describe() const;

 private:
  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t element_count_ = 0;
  size_t byte_size_ = 0;
  std::shared_ptr<std::byte> storage_;
  std::vector<std::string> strings_;
};

// Element count of `dims`, or an error on a negative dim or overflow past `limit`.
Result<int64_t> CheckedElementCount(const std::vector<int64_t>& dims, int64_t limit = INT64_MAX);

}  // namespace hetrun::core
