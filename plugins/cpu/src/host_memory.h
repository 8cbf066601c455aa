// Host memory for the CPU plugin: 64-byte-aligned allocations that fail with a status instead of
// aborting, and overflow-checked tensor byte sizes. Everything the plugin allocates for tensors
// (buffers, run arenas) goes through here so a silly size from a model or a host never kills the
// process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::cpu {

// Cache-line and AVX-512 friendly alignment of every tensor allocation.
inline constexpr size_t kTensorAlignment = 64;

// Physical memory of this machine in bytes (sysconf), cached after the first call.
uint64_t PhysicalMemoryBytes();

// Frees memory from AllocateAligned.
struct AlignedDeleter {
  void operator()(std::byte* p) const noexcept;
};
using AlignedBytes = std::unique_ptr<std::byte[], AlignedDeleter>;

// Allocates max(bytes, 1) bytes aligned to kTensorAlignment. Throws plugin::Error(OUT_OF_MEMORY)
// when the size exceeds physical memory or the allocation fails; `what` goes into the message.
AlignedBytes AllocateAligned(uint64_t bytes, const char* what);

// Bytes per element of `dtype`: plugin::DTypeSize, and 1 for the packed sequence / optional values
// (a rank-1 tensor of their bytes, plugin.h minor 1); 0 for dtypes without a fixed size.
size_t ElementBytes(hetrun_dtype_t dtype);

// Bytes of a tensor of `dtype` and `dims`. Throws plugin::Error(INVALID_ARGUMENT) for a negative
// dimension, a dtype without a fixed size, or a size that does not fit in 64 bits.
uint64_t TensorBytes(hetrun_dtype_t dtype, const int64_t* dims, size_t rank);
inline uint64_t TensorBytes(hetrun_dtype_t dtype, const std::vector<int64_t>& dims) {
  return TensorBytes(dtype, dims.data(), dims.size());
}

// True if [offset, offset + bytes) lies within [0, size), without overflowing.
inline bool RangeFits(uint64_t offset, uint64_t bytes, uint64_t size) {
  return offset <= size && bytes <= size - offset;
}

}  // namespace hetrun::cpu
