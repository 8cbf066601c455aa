#include "host_memory.h"

#include <unistd.h>

#include <new>
#include <string>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {

uint64_t PhysicalMemoryBytes() {
  static const uint64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return uint64_t{1} << 34;  // unknown: assume 16 GiB
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  }();
  return bytes;
}

void AlignedDeleter::operator()(std::byte* p) const noexcept {
  ::operator delete[](p, std::align_val_t{kTensorAlignment});
}

AlignedBytes AllocateAligned(uint64_t bytes, const char* what) {
  // Refuse sizes beyond physical memory up front: with overcommit the allocation could "succeed"
  // and fail later at first touch, and sanitizer runtimes abort on absurd sizes instead of
  // returning null.
  const uint64_t limit = PhysicalMemoryBytes();
  if (bytes > limit) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY,
                        "cannot allocate " + std::to_string(bytes) + " bytes for " + what +
                            ": the host has " + std::to_string(limit) + " bytes of memory");
  }
  const size_t size = bytes == 0 ? 1 : static_cast<size_t>(bytes);
  auto* p = static_cast<std::byte*>(
      ::operator new[](size, std::align_val_t{kTensorAlignment}, std::nothrow));
  if (!p) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY,
                        "cannot allocate " + std::to_string(bytes) + " bytes for " + what);
  }
  return AlignedBytes(p);
}

size_t ElementBytes(hetrun_dtype_t dtype) {
  // Packed values (plugin.h, minor 1) are bytes: sequences, optionals and string tensors.
  if (dtype == HETRUN_DTYPE_SEQUENCE || dtype == HETRUN_DTYPE_OPTIONAL ||
      dtype == HETRUN_DTYPE_STRING)
    return 1;
  return plugin::DTypeSize(dtype);
}

uint64_t TensorBytes(hetrun_dtype_t dtype, const int64_t* dims, size_t rank) {
  const uint64_t element_bytes = ElementBytes(dtype);
  if (element_bytes == 0) {
    throw plugin::Error(
        HETRUN_STATUS_INVALID_ARGUMENT,
        std::string("dtype ") + plugin::DTypeName(dtype) + " has no fixed element size");
  }
  uint64_t bytes = element_bytes;
  bool overflow = false;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0) {
      throw plugin::Error(
          HETRUN_STATUS_INVALID_ARGUMENT,
          "dimension " + std::to_string(i) + " is negative (" + std::to_string(dims[i]) + ")");
    }
    // Keep scanning after an overflow: a later zero dimension makes the tensor empty.
    if (dims[i] == 0) return 0;
    overflow = overflow || __builtin_mul_overflow(bytes, static_cast<uint64_t>(dims[i]), &bytes);
  }
  if (overflow) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, "tensor size overflows 64 bits");
  }
  return bytes;
}

}  // namespace hetrun::cpu
