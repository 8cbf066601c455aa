// A device buffer of the CPU plugin: plain aligned host memory. Shared ownership lets work in
// flight keep a buffer alive even if the host releases its handle early. A borrowed buffer wraps
// memory owned elsewhere: control-flow bodies read the enclosing run's tensors in place that way.
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
  // `bytes` at `data`, which must stay valid and unchanged for the Buffer's lifetime.
  static std::shared_ptr<Buffer> Borrow(void* data, uint64_t bytes) {
    return std::shared_ptr<Buffer>(new Buffer(static_cast<std::byte*>(data), bytes));
  }
  Buffer(AlignedBytes memory, uint64_t bytes)
      : memory_(std::move(memory)), data_(memory_.get()), bytes_(bytes) {}

  std::byte* data() const { return data_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Buffer(std::byte* borrowed, uint64_t bytes) : data_(borrowed), bytes_(bytes) {}

  AlignedBytes memory_;  // empty when borrowed
  std::byte* data_;
  uint64_t bytes_;  // as requested; an allocation holds at least one byte
};

}  // namespace hetrun::cpu
