// query_support for the CPU plugin: a node is supported exactly when its kernel can be created.
#pragma once

#include "hetrun/plugin.h"

namespace hetrun::cpu {

// Fills one answer per node of `graph` into `out` (entries `stride` bytes apart, the host's
// struct_size). `threads` and `peak_gflops` describe the opened device, for the cost estimates.
// Never fails because of a node; throws plugin::Error only for a malformed view.
void QuerySupport(const hetrun_graph_view& graph, int threads, double peak_gflops,
                  hetrun_node_support* out);

}  // namespace hetrun::cpu
