// ONNX model -> core IR, through Debian's libonnx: parse, checker::check_model, shape inference
// (with caller-fixed input shapes), initializers and Constant nodes as constants, topological sort.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::core {

struct ImportOptions {
  // Fixes input dims before shape inference, e.g. {"x", {1, 3, 48, 192}}.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Refuse files larger than this (bytes). Protobuf cannot parse over 2 GiB anyway.
  uint64_t max_file_bytes = uint64_t{2} << 30;
  // Runs OptimizeGraph (hetrun/core/passes.h) on the imported graph. The environment variable
  // HETRUN_NO_GRAPH_OPT=1 turns it off for every import, to compare or to rule the passes out.
  bool optimize = true;
  // Where external tensor data (data_location EXTERNAL) is looked up: ImportOnnxFile uses the
  // model's directory when this is empty; for ImportOnnxBytes, external data needs it set. Paths
  // never leave this directory (see src/external_data.h for the rules).
  std::string external_data_dir;
  // Cap on the external data of one model, all tensors together (bytes).
  uint64_t max_external_bytes = uint64_t{64} << 30;
  // Resource caps checked right after parsing, before external data is read (docs/reliability.md,
  // "Caps"); the defaults pass every real model. Nodes, subgraphs and function bodies included:
  uint64_t max_nodes = uint64_t{1} << 22;
  // Subgraph nesting (an If in a Loop is depth 2); 32 is also the importer's ceiling.
  int max_subgraph_depth = 32;
  // Constant tensor data (initializers, Constant values, tensor attributes, external data by its
  // dims), all tensors together, in bytes: max_external_bytes plus the 2 GiB a file can embed.
  uint64_t max_initializer_bytes = uint64_t{66} << 30;
  // One attribute string or one element of a string tensor, in bytes.
  uint64_t max_string_bytes = uint64_t{64} << 20;
};

// Every error names the file and the problem: "model.onnx: not an ONNX model (...)",
// "model.onnx: node 'n3' (NoSuchOp): no operator NoSuchOp in domain '' at opset 13".
Result<Graph> ImportOnnxFile(const std::string& path, const ImportOptions& options = {});
Result<Graph> ImportOnnxBytes(const void* data, size_t size, const ImportOptions& options = {},
                              const std::string& display_name = "<memory>");

}  // namespace hetrun::core
