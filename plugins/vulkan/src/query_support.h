// The capability answer: per node, whether this device runs it exactly (static float32 shapes and
// the ops the code generator knows), why not otherwise, and a cost from FLOPs and bytes against the
// device's figures.
#pragma once

#include "hetrun/plugin.h"

namespace hetrun::vulkan {

class Device;

void QuerySupport(const Device& device, const hetrun_graph_view& graph, hetrun_node_support* out);

}  // namespace hetrun::vulkan
