// Tuned values confirmed inside the model. The parameter search times each node alone, again and
// again, with its inputs and weights in cache and the other cores idle; inside the model the same
// values can lose (the node's weights evicted by the other nodes, a neighbour's output no longer
// in cache, a thread count that leaves workers to fall asleep). So before the whole-model check,
// each node's values are added to the model one at a time, best gain first, each timed side by side
// against the model without them (both compiled, alternating runs): values that do not make the
// model faster by the margin go back to the defaults. On this project's 2-core VM, resnet_block's
// 7x7 stem with the transposed GEMM and kc 64 ran 1010 us alone against the defaults' 1236, and
// made the model 0.9 ms slower (5.8 vs 4.9 ms, side by side): the whole-model check then kept no
// tuned value at all (5.48 vs 5.00 ms), the other nodes' real gains included.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime::tuning {

struct ConfirmLimits {
  int min_rounds = 3;            // timed runs of each of the two models per node
  int max_rounds = 16;           // ... at most
  double min_seconds = 0.5;      // per node: keep going to this long once min_rounds are done
  double max_total_seconds = 8;  // then the nodes not reached keep their values unconfirmed
  double margin = 0.01;  // the model must be this much faster with the values (median of the
                         // rounds' ratios)
};

struct TunedNodeCandidate {
  std::string key;    // NodeKey
  std::string label;  // "Conv 1x64x56x56", for the report
};

struct ConfirmResult {
  std::set<std::string> kept;        // keys whose values made the model faster (or not reached)
  std::vector<std::string> dropped;  // labels of the others
  size_t unconfirmed = 0;            // candidates not reached in max_total_seconds (kept)
};

// `base` holds keys whose values apply throughout (confirmed by an earlier run); `candidates` are
// tried in order. `options` as the session would have them (cache_dir set). nullopt when `stop`
// returned true first (nothing decided).
Result<std::optional<ConfirmResult>> ConfirmTunedValues(
    const core::Graph& graph, const SessionOptions& options, const std::set<std::string>& base,
    const std::vector<TunedNodeCandidate>& candidates, const ConfirmLimits& limits,
    const std::function<bool()>& stop, const std::function<void(const std::string&)>& progress);

}  // namespace hetrun::runtime::tuning
