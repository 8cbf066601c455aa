// Builds the core IR from a checked, shape-inferred onnx.GraphProto whose Constant nodes have been
// folded into initializers (see onnx_passes.h).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::core::detail {

// Subgraphs become Graphs held by GRAPH attributes; a name a subgraph reads from an enclosing graph
// becomes a value in its outer_scope. Errors carry no file name.
Result<Graph> BuildGraph(const onnx::GraphProto& proto,
                         const std::map<std::string, int64_t>& opsets);

}  // namespace hetrun::core::detail
