// The search over a node's code-generator parameters on one device (ABI minor 2's tunables):
// coordinate descent from the plugin's defaults, one parameter at a time over all its candidates,
// keeping a change only when it is faster by a clear margin, then the winner and the defaults
// timed again side by side, so a lucky sample on a noisy machine does not replace the defaults.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "hetrun/runtime/device.h"
#include "hetrun/status.h"
#include "tuning/device_timer.h"

namespace hetrun::runtime::tuning {

// A change must be this much faster (fraction of the time) to be kept.
inline constexpr double kSearchMargin = 0.03;

struct SearchResult {
  Timing timing;                        // of the chosen values (the node's cost comes from it)
  std::optional<NodeTuning> tuning;     // every tunable's chosen value; nullopt: no tunables
  double default_us = 0, tuned_us = 0;  // Timing::search_us of the defaults and of the choice
  int configurations = 0;               // value sets timed
  bool complete = true;  // false: `stop` said stop before the search ended (nothing to keep)
};

// `stop` is asked before each configuration; `on_configuration(done, total)` after each, for
// progress. A configuration that fails to compile or run is skipped (its error goes to `notes`),
// except a timeout or a lost device, which ends the search with that error.
Result<SearchResult> SearchNode(const NodeTimer& timer,
                                const std::vector<TunableParameter>& tunables,
                                const TimerLimits& limits, const std::function<bool()>& stop,
                                const std::function<void(int, int)>& on_configuration,
                                std::vector<std::string>* notes);

}  // namespace hetrun::runtime::tuning
