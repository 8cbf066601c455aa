#include "tuning/value_confirm.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "hetrun/runtime/input_generator.h"
#include "tuning/median.h"

namespace hetrun::runtime::tuning {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kWarmupRuns = 2;
constexpr std::chrono::milliseconds kSettle{2};  // as the whole-model check (plan_timer.cpp)

}  // namespace

Result<std::optional<ConfirmResult>> ConfirmTunedValues(
    const core::Graph& graph, const SessionOptions& options, const std::set<std::string>& base,
    const std::vector<TunedNodeCandidate>& candidates, const ConfirmLimits& limits,
    const std::function<bool()>& stop, const std::function<void(const std::string&)>& progress) {
  SessionOptions session_options = options;
  session_options.plan_only = false;
  session_options.warm_start = false;
  session_options.apply_plan_check = false;
  session_options.apply_tuned_values = true;
  // Sessions from the graph in memory: no compiled-plan cache entry per candidate.
  auto compile = [&](const std::set<std::string>& keys) {
    session_options.tuned_nodes = std::make_shared<const std::set<std::string>>(keys);
    return Session::Create(graph, session_options);
  };
  ConfirmResult result;
  result.kept = base;
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> incumbent, compile(result.kept));
  SeededInputGenerator generator;
  std::map<std::string, core::Tensor> inputs;
  for (const IoInfo& info : incumbent->inputs()) {
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, generator.Make(info, options.input_shapes));
    inputs.emplace(info.name, std::move(t));
  }
  // One untimed run first, then the timed one: each session wakes its own devices' workers.
  auto timed_run = [&](Session& session, std::vector<double>& ms) -> Status {
    std::this_thread::sleep_for(kSettle);
    HETRUN_RETURN_IF_ERROR(session.Run(inputs).status());
    const Clock::time_point start = Clock::now();
    HETRUN_RETURN_IF_ERROR(session.Run(inputs).status());
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    return Status::Ok();
  };
  for (int i = 0; i < kWarmupRuns; ++i) HETRUN_RETURN_IF_ERROR(incumbent->Run(inputs).status());

  const Clock::time_point began = Clock::now();
  for (size_t c = 0; c < candidates.size(); ++c) {
    const TunedNodeCandidate& candidate = candidates[c];
    if (stop()) return std::optional<ConfirmResult>();
    if (std::chrono::duration<double>(Clock::now() - began).count() >= limits.max_total_seconds) {
      for (size_t rest = c; rest < candidates.size(); ++rest) {
        result.kept.insert(candidates[rest].key);
        ++result.unconfirmed;
      }
      break;
    }
    progress("in the model: " + candidate.label + " (" + std::to_string(c + 1) + "/" +
             std::to_string(candidates.size()) + ")");
    std::set<std::string> with = result.kept;
    with.insert(candidate.key);
    HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> challenger, compile(with));
    for (int i = 0; i < kWarmupRuns; ++i) HETRUN_RETURN_IF_ERROR(challenger->Run(inputs).status());
    std::vector<double> old_ms, new_ms;
    const Clock::time_point start = Clock::now();
    for (int round = 1; round <= limits.max_rounds; ++round) {
      HETRUN_RETURN_IF_ERROR(timed_run(*incumbent, old_ms));
      HETRUN_RETURN_IF_ERROR(timed_run(*challenger, new_ms));
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (round >= limits.min_rounds && seconds >= limits.min_seconds) break;
    }
    // Each round's two runs are neighbours in time: the median of their ratios is steadier than
    // the ratio of the medians on a machine whose speed drifts.
    std::vector<double> ratios;
    for (size_t r = 0; r < old_ms.size() && r < new_ms.size(); ++r)
      ratios.push_back(new_ms[r] / old_ms[r]);
    if (Median(ratios) < 1 - limits.margin) {
      result.kept = std::move(with);
      incumbent = std::move(challenger);
    } else {
      result.dropped.push_back(candidate.label);
    }
  }
  return std::optional<ConfirmResult>(std::move(result));
}

}  // namespace hetrun::runtime::tuning
