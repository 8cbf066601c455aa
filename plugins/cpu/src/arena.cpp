#include "arena.h"

#include <algorithm>
#include <iterator>
#include <limits>

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

}  // namespace

void* Arena::Allocate(uint64_t bytes) {
  const uint64_t need = RoundUp(bytes);

  // Best fit over every free range: graphs have few live tensors, so a scan is cheap.
  Chunk* best_chunk = nullptr;
  std::map<uint64_t, uint64_t>::iterator best;
  for (Chunk& chunk : chunks_) {
    for (auto it = chunk.free_ranges.begin(); it != chunk.free_ranges.end(); ++it) {
      if (it->second >= need && (!best_chunk || it->second < best->second)) {
        best_chunk = &chunk;
        best = it;
      }
    }
  }
  if (!best_chunk) {
    const uint64_t size = chunks_.empty() ? std::max(need, RoundUp(first_chunk_bytes_))
                                          : std::max(need, kMinGrowthBytes);
    Chunk chunk;
    chunk.memory = AllocateAligned(size, "intermediate tensors");
    chunk.bytes = size;
    chunk.free_ranges.emplace(0, size);
    chunks_.push_back(std::move(chunk));
    reserved_bytes_ += size;
    best_chunk = &chunks_.back();
    best = best_chunk->free_ranges.begin();
  }

  const uint64_t offset = best->first;
  const uint64_t left = best->second - need;
  best_chunk->free_ranges.erase(best);
  if (left > 0) best_chunk->free_ranges.emplace(offset + need, left);

  void* block = best_chunk->memory.get() + offset;
  live_.emplace(block, Placement{static_cast<size_t>(best_chunk - chunks_.data()), offset, need});
  in_use_bytes_ += need;
  peak_bytes_ = std::max(peak_bytes_, in_use_bytes_);
  return block;
}

void Arena::Free(void* block) {
  auto live = live_.find(block);
  if (live == live_.end()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "arena: freeing a block it does not own");
  }
  const Placement placement = live->second;
  live_.erase(live);
  in_use_bytes_ -= placement.bytes;

  auto& ranges = chunks_[placement.chunk].free_ranges;
  uint64_t offset = placement.offset;
  uint64_t size = placement.bytes;
  auto next = ranges.lower_bound(offset);
  if (next != ranges.end() && next->first == offset + size) {  // merge with the range after
    size += next->second;
    next = ranges.erase(next);
  }
  if (next != ranges.begin()) {  // merge with the range before
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      offset = prev->first;
      size += prev->second;
      ranges.erase(prev);
    }
  }
  ranges.emplace(offset, size);
}

uint64_t Arena::BlockBytes(const void* block) const {
  auto live = live_.find(block);
  if (live == live_.end()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL,
                        "arena: asking the size of a block it does not own");
  }
  return live->second.bytes;
}

}  // namespace hetrun::cpu
