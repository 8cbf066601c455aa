// Passes over the parsed onnx.ModelProto that run around libonnx's checker and shape inference.
// None adds the file name to its errors; the importer does.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hetrun/status.h"

namespace hetrun::core::detail {

// Deepest nesting of subgraphs (If inside Loop inside ...) the importer accepts; deeper models are
// refused before any recursive pass runs (reliability checklist 1.5 #3).
inline constexpr int kMaxSubgraphDepth = 32;

// Folds the "ai.onnx" alias into "" (opset imports and node domains), refuses duplicate opset
// imports, caps subgraph depth, and gives every node a name unique in its graph ("<OpType>_<index>"
// for unnamed ones) so that every later message can name the node. Also refuses, naming the value,
// main-graph inputs/outputs without a type or shape, duplicate graph outputs and metadata keys.
Status NormalizeModel(onnx::ModelProto* model);

// Validates every tensor (initializers, tensor attributes, in subgraphs too; see
// ValidateTensorProto), refuses sparse initializers and model-local functions, and checks that
// every imported opset is one this libonnx knows and every node's operator exists at its opset,
// naming the node.
Status CheckModelSupport(const onnx::ModelProto& model);

// Topologically sorts the nodes of the graph and of every subgraph (libonnx's checker refuses
// unsorted graphs, which ONNX Runtime accepts). Fails naming a node on a cycle, a value produced
// twice, or an input nothing defines (outer-scope names count as defined inside subgraphs).
Status SortModelGraphs(onnx::ModelProto* model);

// Fixes graph input dims before shape inference. Fails if a name is not a (non-constant) input,
// listing the inputs, or if the rank or a fixed dim disagrees with the model.
Status ApplyInputShapes(onnx::GraphProto* graph,
                        const std::map<std::string, std::vector<int64_t>>& input_shapes);

// Replaces Constant nodes by initializers of the same name, in the graph and in subgraphs, so the
// builder sees a single kind of constant.
Status FoldConstantNodes(onnx::GraphProto* graph);

// Returns `text` on one line: libonnx messages carry "\n\n==> Context: ..." tails.
std::string OneLine(const std::string& text);

}  // namespace hetrun::core::detail
