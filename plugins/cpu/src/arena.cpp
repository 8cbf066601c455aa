#include "arena.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace {

// Smallest chunk added after the first: avoids one system allocation per small tensor.
constexpr uint64_t kMinGrowthBytes = uint64_t{1} << 20;

uint64_t RoundUp(uint64_t bytes) {
  constexpr uint64_t kMask = kTensorAlignment - 1;
  if (bytes > std::numeric_limits<uint64_t>::max() - kMask) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY, "intermediate tensor size overflows");
  }
  return std::max<uint64_t>((bytes + kMask) & ~kMask, kTensorAlignment);
}

// The chunk memory the thread's last arena left behind, for the next one.
struct SpareChunk {
  AlignedBytes memory;
  uint64_t bytes = 0;
};
thread_local SpareChunk t_spare;

// A chunk of `bytes`: the spare when it fits without wasting more than half of it, else new.
AlignedBytes TakeChunk(uint64_t bytes) {
  if (t_spare.memory && t_spare.bytes >= bytes && t_spare.bytes / 2 <= bytes) {
    t_spare.bytes = 0;
    return std::move(t_spare.memory);
  }
  return AllocateAligned(bytes, "intermediate tensors");
}

}  // namespace

Arena::~Arena() {
  Chunk* largest = nullptr;
  for (Chunk& chunk : chunks_)
    if (!largest || chunk.bytes > largest->bytes) largest = &chunk;
  if (!largest || largest->bytes > kMaxSpareBytes) return;
  // The chunk size is what the memory was allocated with: TakeChunk may hand it out as that much.
  t_spare.memory = std::move(largest->memory);
  t_spare.bytes = largest->bytes;
}

void* Arena::Allocate(uint64_t bytes) {
  const uint64_t need = RoundUp(bytes);

  // Best fit over every free range: graphs have few live tensors, so a scan is cheap.
  size_t best_chunk = chunks_.size(), best = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const std::vector<Range>& ranges = chunks_[c].free_ranges;
    for (size_t r = 0; r < ranges.size(); ++r) {
      if (ranges[r].bytes >= need &&
          (best_chunk == chunks_.size() ||
           ranges[r].bytes < chunks_[best_chunk].free_ranges[best].bytes)) {
        best_chunk = c;
        best = r;
      }
    }
  }
  if (best_chunk == chunks_.size()) {
    const uint64_t size = chunks_.empty() ? std::max(need, RoundUp(first_chunk_bytes_))
                                          : std::max(need, kMinGrowthBytes);
    Chunk chunk;
    chunk.memory = TakeChunk(size);
    chunk.bytes = size;
    chunk.free_ranges.push_back({0, size});
    chunks_.push_back(std::move(chunk));
    reserved_bytes_ += size;
    best = 0;
  }

  std::vector<Range>& ranges = chunks_[best_chunk].free_ranges;
  const uint64_t offset = ranges[best].offset;
  if (ranges[best].bytes == need) {
    ranges.erase(ranges.begin() + static_cast<ptrdiff_t>(best));
  } else {
    ranges[best].offset += need;  // still below the next range: the order holds
    ranges[best].bytes -= need;
  }

  void* block = chunks_[best_chunk].memory.get() + offset;
  live_.push_back({block, best_chunk, offset, need});
  in_use_bytes_ += need;
  peak_bytes_ = std::max(peak_bytes_, in_use_bytes_);
  return block;
}

size_t Arena::FindLive(const void* block, const char* what) const {
  for (size_t i = live_.size(); i > 0; --i)
    if (live_[i - 1].block == block) return i - 1;
  throw plugin::Error(HETRUN_STATUS_INTERNAL, std::string("arena: ") + what);
}

void Arena::Free(void* block) {
  const size_t live = FindLive(block, "freeing a block it does not own");
  const Placement placement = live_[live];
  live_.erase(live_.begin() + static_cast<ptrdiff_t>(live));
  in_use_bytes_ -= placement.bytes;

  std::vector<Range>& ranges = chunks_[placement.chunk].free_ranges;
  Range freed{placement.offset, placement.bytes};
  auto next = std::lower_bound(ranges.begin(), ranges.end(), freed.offset,
                               [](const Range& r, uint64_t offset) { return r.offset < offset; });
  const bool joins_next = next != ranges.end() && next->offset == freed.offset + freed.bytes;
  const bool joins_prev =
      next != ranges.begin() && std::prev(next)->offset + std::prev(next)->bytes == freed.offset;
  if (joins_prev && joins_next) {
    std::prev(next)->bytes += freed.bytes + next->bytes;
    ranges.erase(next);
  } else if (joins_prev) {
    std::prev(next)->bytes += freed.bytes;
  } else if (joins_next) {
    next->offset = freed.offset;
    next->bytes += freed.bytes;
  } else {
    ranges.insert(next, freed);
  }
}

uint64_t Arena::BlockBytes(const void* block) const {
  return live_[FindLive(block, "asking the size of a block it does not own")].bytes;
}

}  // namespace hetrun::cpu
