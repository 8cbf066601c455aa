// Tune's whole-model check: sessions for the plan the measured costs give, for the same plan with
// the plugins' defaults (when it has tuned values) and for each selected device alone, timed side
// by side (one run of each in turn, so a noisy neighbour slows all alike), medians compared. The
// plan with the defaults (else the plan) stays unless another beats it by the search's margin:
// tuned values are kept only when the whole model is faster with them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/runtime/session.h"
#include "hetrun/runtime/tuning.h"

namespace hetrun::runtime::tuning {

struct WholeModelLimits {
  int min_rounds = 7;  // timed runs of every candidate still in the race
  int max_rounds = 30;
  double min_seconds = 1.0;   // keep going to this long once min_rounds are done...
  double max_seconds = 10.0;  // ... and stop here (after at least 3 rounds)
  double drop_factor = 1.5;   // after 3 rounds, a candidate this much slower than the best stops
};

// `options` as the session would have them (cache_dir set, so the measured costs and tuned values
// apply). nullopt when `stop` returned true first. A device that cannot run the model alone is a
// note; a plan that cannot be created or run is an error.
Result<std::optional<PlanCheckResult>> CheckWholeModel(
    const std::string& model_path, const SessionOptions& options, const WholeModelLimits& limits,
    const std::function<bool()>& stop, const std::function<void(const std::string&)>& progress,
    std::vector<std::string>* notes);

}  // namespace hetrun::runtime::tuning
