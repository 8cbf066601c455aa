// Memory for the intermediate tensors of one run. Shapes are only known as the run goes, so blocks
// are handed out on demand: best fit among freed blocks first (neighbours coalesce), else a new
// chunk. Seeded with the previous run's footprint, a steady-state run uses a single chunk, and
// that chunk is reused from the thread's previous arena when it fits (no system allocation and no
// page faults per run).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host_memory.h"

namespace hetrun::cpu {

class Arena {
 public:
  // `first_chunk_bytes`: size of the first chunk (0: as large as the first request).
  explicit Arena(uint64_t first_chunk_bytes = 0) : first_chunk_bytes_(first_chunk_bytes) {}
  ~Arena();  // keeps the largest chunk for this thread's next arena (up to kMaxSpareBytes)
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

  // Largest chunk a thread keeps between arenas: small parts are where a system allocation per
  // run shows; a large part's compute dwarfs it, and its memory should go back.
  static constexpr uint64_t kMaxSpareBytes = uint64_t{16} << 20;

 private:
  // Plain vectors, not maps: a run holds few blocks at once, and a node allocation per block
  // showed in small models' profiles.
  struct Range {
    uint64_t offset;
    uint64_t bytes;
  };
  struct Chunk {
    AlignedBytes memory;
    uint64_t bytes = 0;
    std::vector<Range> free_ranges;  // by offset, non-adjacent (coalesced)
  };
  struct Placement {
    const void* block;
    size_t chunk;
    uint64_t offset;
    uint64_t bytes;
  };
  // Index in live_ of the block at `block`; throws plugin::Error(INTERNAL) naming `what` if none.
  size_t FindLive(const void* block, const char* what) const;

  uint64_t first_chunk_bytes_;
  std::vector<Chunk> chunks_;
  std::vector<Placement> live_;  // newest last: blocks are mostly freed soon after allocation
  uint64_t in_use_bytes_ = 0;
  uint64_t peak_bytes_ = 0;
  uint64_t reserved_bytes_ = 0;
};

}  // namespace hetrun::cpu
