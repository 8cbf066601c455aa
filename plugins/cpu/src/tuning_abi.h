// The checks and conversions behind the tuning entry points (list_tunables, compile_tuned):
// graph-view nodes to the kernels' tunables (tunables.h) and back to hetrun_tunable, and the
// host's chosen values, checked, to the per-node NodeTuning that Executable::Compile takes.
#pragma once

#include <cstdint>
#include <vector>

#include "hetrun/plugin.h"
#include "tunables.h"

namespace hetrun::cpu {

// list_tunables for node `node` of `graph` on a device of `threads` threads: writes up to
// `capacity` entries (out[0].struct_size apart) and the full count. Throws plugin::Error.
void ListNodeTunables(const hetrun_graph_view& graph, uint32_t node, int threads,
                      hetrun_tunable* out, uint32_t capacity, uint32_t* out_count);

// compile_tuned's values as one NodeTuning per node of `part` (empty when there are none). Throws
// plugin::Error(INVALID_ARGUMENT) naming the value at fault: a node outside the part, a name the
// node's tunables lack, a value not among the candidates, a tunable named twice.
std::vector<NodeTuning> CheckTuningValues(const hetrun_graph_view& part,
                                          const hetrun_tuning_value* values, uint32_t num_values,
                                          int threads);

}  // namespace hetrun::cpu
