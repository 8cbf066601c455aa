// Cache-line-aligned float storage for packed GEMM operands and per-thread scratch.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace hetrun::cpu {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t floats) { Reserve(floats); }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // Grows to at least `floats` (contents are not kept) and returns the storage.
  float* Reserve(size_t floats) {
    if (floats > size_) {
      std::free(data_);
      data_ = nullptr;
      size_ = 0;
      const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      size_ = floats;
    }
    return data_;
  }
  float* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

// Per-thread scratch, one buffer per slot so nested users do not clash. The calling thread of a
// kernel owns its slots for the duration of the call; pool workers may read them meanwhile.
enum class ScratchSlot { kGemmA, kGemmTileB, kGemmSharedB, kConvPack, kConvInput, kCount };

inline float* ThreadScratch(ScratchSlot slot, size_t floats) {
  thread_local AlignedBuffer buffers[static_cast<int>(ScratchSlot::kCount)];
  return buffers[static_cast<int>(slot)].Reserve(floats);
}

}  // namespace hetrun::cpu
