#include "tuning/parameter_search.h"

#include <algorithm>

namespace hetrun::runtime::tuning {
namespace {

bool EndsSearch(const Status& status) {
  return status.code() == StatusCode::kTimeout || status.code() == StatusCode::kDeviceLost;
}

}  // namespace

Result<SearchResult> SearchNode(const NodeTimer& timer,
                                const std::vector<TunableParameter>& tunables,
                                const TimerLimits& limits, const std::function<bool()>& stop,
                                const std::function<void(int, int)>& on_configuration,
                                std::vector<std::string>* notes) {
  SearchResult result;
  NodeTuning defaults;
  int total = 1;  // the defaults, then every other candidate of every tunable (first pass)
  for (const TunableParameter& t : tunables) {
    defaults.emplace_back(t.name, t.default_value);
    total += static_cast<int>(t.values.size()) - 1;
  }
  auto time = [&](const NodeTuning& values) -> Result<Timing> {
    Result<Timing> timing = timer.Time(values, limits);
    ++result.configurations;
    if (on_configuration) on_configuration(result.configurations, total);
    return timing;
  };
  // The defaults go through compile(), as an untuned session compiles them.
  HETRUN_ASSIGN_OR_RETURN(const Timing base, time({}));
  result.timing = base;
  result.default_us = result.tuned_us = base.search_us();
  if (tunables.empty()) return result;
  result.tuning = defaults;

  NodeTuning best = defaults;
  Timing best_timing = base;
  // Two passes at most: a parameter's best value can depend on another's (tile sizes).
  for (int pass = 0; pass < 2; ++pass) {
    bool improved = false;
    for (size_t p = 0; p < tunables.size(); ++p) {
      for (int64_t value : tunables[p].values) {
        if (value == best[p].second) continue;
        if (stop && stop()) {
          result.complete = false;
          return result;
        }
        NodeTuning candidate = best;
        candidate[p].second = value;
        Result<Timing> timing = time(candidate);
        if (!timing.ok()) {
          if (EndsSearch(timing.status())) return timing.status();
          if (notes) notes->push_back(timing.status().message());
          continue;
        }
        if (timing->search_us() < best_timing.search_us() * (1 - kSearchMargin)) {
          best = std::move(candidate);
          best_timing = *timing;
          improved = true;
        }
      }
    }
    if (!improved || tunables.size() == 1) break;
    total += result.configurations;  // a second pass: roughly as many again
  }
  if (best == defaults) return result;

  // Confirm side by side: the defaults again, then the winner again; each keeps its faster figure.
  if (stop && stop()) {
    result.complete = false;
    return result;
  }
  total += 2;
  HETRUN_ASSIGN_OR_RETURN(const Timing base_again, time({}));
  HETRUN_ASSIGN_OR_RETURN(const Timing best_again, time(best));
  const double default_us = std::min(base.search_us(), base_again.search_us());
  const double tuned_us = std::min(best_timing.search_us(), best_again.search_us());
  result.default_us = default_us;
  if (tuned_us >= default_us * (1 - kSearchMargin)) {
    result.tuned_us = default_us;
    return result;  // not clearly faster: the defaults stay
  }
  result.tuning = std::move(best);
  result.tuned_us = tuned_us;
  result.timing = best_timing.search_us() <= best_again.search_us() ? best_timing : best_again;
  return result;
}

}  // namespace hetrun::runtime::tuning
