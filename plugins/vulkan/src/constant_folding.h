// Evaluates a part's small integer "shape" computations on the host at compile time: Shape and Size
// (only the static dims are needed), and Cast, Slice, Concat, Gather, arithmetic, ... over int32 /
// int64 tensors that are constants or were folded before. A folded node needs no kernel: its output
// becomes a constant, which is how Reshape and friends get a constant shape input.
#pragma once

#include <cstdint>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::vulkan {

class GraphInfo;

// At most this many elements are folded per value (the shape subgraphs are tiny).
constexpr uint64_t kMaxFoldedElements = 4096;

struct FoldedValue {
  std::vector<int64_t> dims;
  std::vector<int64_t> values;  // converted to the output dtype (int32 / int64) when stored
};

// True, with the output in `out`, when node `k` has one int32/int64 output that can be computed
// now from the graph's constants and static dims.
bool FoldNode(const GraphInfo& graph, uint32_t k, FoldedValue* out);

}  // namespace hetrun::vulkan
