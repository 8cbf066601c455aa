// A device buffer of the CPU plugin: plain aligned host memory. Shared ownership lets work in
// flight keep a buffer alive even if the host releases its handle early.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "host_memory.h"

namespace hetrun::cpu {

class Buffer {
 public:
  // Throws plugin::Error(OUT_OF_MEMORY) when the memory cannot be had.
  static std::shared_ptr<Buffer> Allocate(uint64_t bytes) {
    return std::make_shared<Buffer>(AllocateAligned(bytes, "a device buffer"), bytes);
  }
  Buffer(AlignedBytes memory, uint64_t bytes) : memory_(std::move(memory)), bytes_(bytes) {}

  std::byte* data() const { return memory_.get(); }
  uint64_t bytes() const { return bytes_; }

 private:
  AlignedBytes memory_;
  uint64_t bytes_;  // as requested; the allocation holds at least one byte
};

}  // namespace hetrun::cpu
