// Plugin-independent graph optimisations that run after import: each rewrite is exactly
// ONNX-equivalent (up to float rounding), keeps graph inputs and outputs (names, dtypes, shapes),
// keeps Graph::Verify() true and never touches nodes of domains it does not know. Subgraph bodies
// (If/Loop/Scan) are left as they are; values they read from this graph are never removed or
// renamed.
#pragma once

#include <cstdint>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::core {

struct OptimizeOptions {
  bool eliminate_dead_code = true;
  bool fold_constants = true;
  bool eliminate_common_subexpressions = true;
  bool fold_batch_norm = true;
  bool simplify_shape_ops = true;
  // Constant folding leaves nodes whose result would hold more elements than this, so that
  // folding never multiplies the size of the model's weights.
  int64_t max_folded_elements = 4096;
};

// Runs the enabled passes until nothing changes (a few rounds at most), then verifies the graph.
Status OptimizeGraph(Graph& graph, const OptimizeOptions& options = {});

// The individual passes; each returns how many rewrites it made (0: graph unchanged).

// Removes nodes none of whose outputs reaches a graph output (reads by subgraphs count), and
// values nothing refers to any more (unused initializers included). Graph inputs stay.
Result<int> EliminateDeadCode(Graph& graph);
// Replaces the outputs of nodes whose inputs are all constants (or, for Shape and Size, whose
// input shape is fully known) by constants, for a safe set of shape and elementwise operators.
Result<int> FoldConstants(Graph& graph, int64_t max_folded_elements = 4096);
// Merges nodes with the same operator, domain, attributes and inputs; skips random operators,
// Dropout, nodes with subgraphs and non-default domains.
Result<int> EliminateCommonSubexpressions(Graph& graph);
// Folds an inference BatchNormalization into the Conv (or Gemm) that alone feeds it.
Result<int> FoldBatchNormalization(Graph& graph);
// Removes Identity, no-op Reshape/Transpose, cancelling Squeeze/Unsqueeze and Transpose pairs, and
// merges Reshape chains and Transpose chains.
Result<int> SimplifyShapeOps(Graph& graph);

}  // namespace hetrun::core
