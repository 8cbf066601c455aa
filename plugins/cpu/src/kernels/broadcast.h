// Numpy-style multidirectional broadcasting. A BroadcastPlan collapses the output shape and each
// input's strides so kernels iterate "rows" (all collapsed dims but the last) with an inner loop
// whose input strides are 0 (broadcast) or 1 (contiguous) — the common cases vectorise.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "thread_pool.h"

namespace hetrun::cpu {

inline constexpr int kMaxBroadcastInputs = 3;

// The broadcast of `shapes` or throws INVALID_ARGUMENT "<op>: shapes [..] and [..] cannot be
// broadcast".
std::vector<int64_t> BroadcastShapes(std::string_view op,
                                     const std::vector<const std::vector<int64_t>*>& shapes);

// True if `in` broadcasts to exactly `out` (unidirectional).
bool BroadcastsTo(const std::vector<int64_t>& in, const std::vector<int64_t>& out);

struct BroadcastPlan {
  int num_inputs = 0;
  std::vector<int64_t> dims;  // collapsed output dims, rank >= 1
  std::array<std::vector<int64_t>, kMaxBroadcastInputs> strides;  // per input, 0 = broadcast
  int64_t inner() const { return dims.back(); }
  int64_t outer() const;
  int64_t inner_stride(int k) const { return strides[k].back(); }
  // Element offsets of each input at the start of outer row `row`.
  void RowOffsets(int64_t row, int64_t* offsets) const;
};

// Plans iterating `out_dims` with inputs of the given dims (each must broadcast to out_dims).
BroadcastPlan MakeBroadcastPlan(const std::vector<int64_t>& out_dims,
                                const std::vector<const std::vector<int64_t>*>& in_dims);

// Calls fn(row, offsets, out_offset) for every outer row of the plan, in parallel chunks sized so
// each holds about kElementwiseGrain elements.
template <typename F>
void ForEachBroadcastRow(const BroadcastPlan& plan, ThreadPool& pool, F&& fn) {
  const int64_t inner = plan.inner();
  const int64_t grain = inner >= 16384 ? 1 : 16384 / (inner > 0 ? inner : 1);
  pool.ParallelFor(plan.outer(), grain, [&](int64_t begin, int64_t end) {
    std::array<int64_t, kMaxBroadcastInputs> offs{};
    for (int64_t r = begin; r < end; ++r) {
      plan.RowOffsets(r, offs.data());
      fn(offs.data(), r * inner);
    }
  });
}

}  // namespace hetrun::cpu
