// From a part's graph view to what the executable records: the kernels in order (elementwise chains
// fused), and the storage of every value: view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity)
// share their input's storage instead of copying it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen.h"
#include "graph_info.h"

namespace hetrun::vulkan {

struct Plan {
  std::vector<ValueInfo> values;  // the view's values (constant data pointers stay valid)
  std::vector<int32_t> root;      // per value: the value whose storage it uses (itself if none)
  std::vector<bool> produced;     // per value: written by a kernel of the plan
  std::vector<Kernel> kernels;
  std::vector<int32_t> inputs, outputs;  // execute()'s arguments, as value indices
};

// Throws plugin::Error: UNIMPLEMENTED naming the node it cannot run, INTERNAL when a generated
// module does not compile or validate (checked later, by the executable), INVALID_ARGUMENT for a
// malformed view.
// `tuning` (empty, or one entry per node) picks the code generators' tunables (tuning.h).
Plan BuildPlan(const GraphInfo& graph, const Limits& limits, uint32_t max_bindings,
               const PartTuning& tuning = {});

}  // namespace hetrun::vulkan
