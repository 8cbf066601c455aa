// The pass pipeline: each round simplifies, folds, merges and sweeps; a rewrite often enables
// another (a folded Shape chain turns a Reshape pair into a mergeable one), so rounds repeat until
// nothing changes, with a cap in case two passes ever undo each other.
#include "hetrun/core/passes.h"

namespace hetrun::core {
namespace {

constexpr int kMaxRounds = 4;

}  // namespace

Status OptimizeGraph(Graph& graph, const OptimizeOptions& options) {
  for (int round = 0; round < kMaxRounds; ++round) {
    int rewrites = 0;
    auto run = [&rewrites](Result<int> result) -> Status {
      if (!result.ok()) return result.status();
      rewrites += *result;
      return Status::Ok();
    };
    if (options.simplify_shape_ops) HETRUN_RETURN_IF_ERROR(run(SimplifyShapeOps(graph)));
    if (options.fold_constants)
      HETRUN_RETURN_IF_ERROR(run(FoldConstants(graph, options.max_folded_elements)));
    if (options.eliminate_common_subexpressions)
      HETRUN_RETURN_IF_ERROR(run(EliminateCommonSubexpressions(graph)));
    if (options.fold_batch_norm) HETRUN_RETURN_IF_ERROR(run(FoldBatchNormalization(graph)));
    if (options.eliminate_dead_code) HETRUN_RETURN_IF_ERROR(run(EliminateDeadCode(graph)));
    if (rewrites == 0) break;
  }
  const Status verified = graph.Verify();
  if (!verified.ok()) {
    return InternalError("graph optimisation broke an invariant (please report it): " +
                         verified.message());
  }
  return Status::Ok();
}

}  // namespace hetrun::core
