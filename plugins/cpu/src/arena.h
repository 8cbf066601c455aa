// Memory for the intermediate tensors of one run. Shapes are only known as the run goes, so blocks
// are handed out on demand: best fit among freed blocks first (neighbours coalesce), else a new
// chunk. Seeded with the previous run's footprint, a steady-state run uses a single chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "host_memory.h"

namespace hetrun::cpu {

class Arena {
 public:
  // `first_chunk_bytes`: size of the first chunk (0: as large as the first request).
  explicit Arena(uint64_t first_chunk_bytes = 0) : first_chunk_bytes_(first_chunk_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // A kTensorAlignment-aligned block of at least `bytes` (at least one alignment unit, so every
  // block has its own address). Throws plugin::Error(OUT_OF_MEMORY).
  void* Allocate(uint64_t bytes);
  // Returns a block from Allocate to the free list.
  void Free(void* block);
  // Usable size of a live block (bytes rounded up to the alignment).
  uint64_t BlockBytes(const void* block) const;

  uint64_t in_use_bytes() const { return in_use_bytes_; }
  // Highest in_use_bytes() so far: what a perfect planner would need for this run.
  uint64_t peak_bytes() const { return peak_bytes_; }
  // Sum of the chunk sizes: what this run actually took from the system.
  uint64_t reserved_bytes() const { return reserved_bytes_; }

 private:
  struct Chunk {
    AlignedBytes memory;
    uint64_t bytes = 0;
    std::map<uint64_t, uint64_t> free_ranges;  // offset -> size, non-adjacent (coalesced)
  };
  struct Placement {
    size_t chunk;
    uint64_t offset;
    uint64_t bytes;
  };

  uint64_t first_chunk_bytes_;
  std::vector<Chunk> chunks_;
  std::unordered_map<const void*, Placement> live_;
  uint64_t in_use_bytes_ = 0;
  uint64_t peak_bytes_ = 0;
  uint64_t reserved_bytes_ = 0;
};

}  // namespace hetrun::cpu
