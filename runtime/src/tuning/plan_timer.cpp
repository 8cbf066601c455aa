#include "tuning/plan_timer.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "hetrun/runtime/input_generator.h"
#include "tuning/median.h"
#include "tuning/parameter_search.h"

namespace hetrun::runtime::tuning {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kWarmupRuns = 2;
constexpr int kRoundsBeforeDropping = 3;
constexpr std::chrono::milliseconds kSettle{2};

struct Candidate {
  std::string name;  // "plan" or a device name
  std::unique_ptr<Session> session;
  std::vector<double> ms;
  bool racing = true;
};

// Whether any node of the plan compiles with values a search chose.
bool HasTunedValues(const partitioner::Plan& plan) {
  for (size_t n = 0; n < plan.node_device.size(); ++n) {
    const auto& answers = plan.answers[static_cast<size_t>(plan.node_device[n])];
    if (n < answers.size() && !answers[n].tuning.empty()) return true;
  }
  return false;
}

// The devices the plan put nodes on, in the plan's device order: "vulkan,cpu".
std::string PlanDevices(const partitioner::Plan& plan) {
  std::set<int> used(plan.node_device.begin(), plan.node_device.end());
  std::string text;
  for (int d : used) text += (text.empty() ? "" : ",") + plan.devices[static_cast<size_t>(d)];
  return text;
}

}  // namespace

Result<std::optional<PlanCheckResult>> CheckWholeModel(
    const std::string& model_path, const SessionOptions& options, const WholeModelLimits& limits,
    const std::function<bool()>& stop, const std::function<void(const std::string&)>& progress,
    std::vector<std::string>* notes) {
  SessionOptions plan_options = options;
  plan_options.plan_only = false;
  plan_options.warm_start = false;
  plan_options.apply_plan_check = false;  // time what the measured costs give, not the last check
  progress("whole model: compiling the plan");
  Result<std::unique_ptr<Session>> planned = Session::Create(model_path, plan_options);
  if (!planned.ok())
    return planned.status().WithContext("the whole-model check could not create the plan");
  PlanCheckResult check;
  check.plan_devices = PlanDevices((*planned)->plan());
  const bool tuned = HasTunedValues((*planned)->plan());
  std::vector<Candidate> candidates;
  candidates.push_back({"plan", std::move(*planned), {}, true});
  // The same placement compiled with the plugins' defaults: a search's winners are timed node by
  // node, and a node that is faster alone can still slow the model (workers left idle go to sleep).
  if (tuned) {
    progress("whole model: compiling the plan with the plugins' defaults");
    SessionOptions defaults = plan_options;
    defaults.apply_tuned_values = false;
    Result<std::unique_ptr<Session>> session = Session::Create(model_path, defaults);
    if (!session.ok())
      return session.status().WithContext("the whole-model check could not create the plan");
    candidates.push_back({"defaults", std::move(*session), {}, true});
  }
  for (const std::string& device : options.devices) {
    if (options.devices.size() == 1) break;
    if (stop()) return std::optional<PlanCheckResult>();
    // A plan on one device is that device alone: timed once, as the plan.
    if (check.plan_devices == device) continue;
    progress("whole model: compiling for " + device + " alone");
    SessionOptions alone = plan_options;
    alone.devices = {device};
    Result<std::unique_ptr<Session>> session = Session::Create(model_path, alone);
    if (!session.ok()) {
      notes->push_back(device + " alone: not timed: " + session.status().message());
      continue;
    }
    candidates.push_back({device, std::move(*session), {}, true});
  }

  if (candidates.size() == 1) {  // one device, nothing tuned: nothing to compare
    check.choice = "plan";
    return std::optional<PlanCheckResult>(std::move(check));
  }
  SeededInputGenerator generator;
  std::map<std::string, core::Tensor> inputs;
  for (const IoInfo& info : candidates[0].session->inputs()) {
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, generator.Make(info, options.input_shapes));
    inputs.emplace(info.name, std::move(t));
  }
  // One run; a failure takes another candidate out of the race (a note) and fails the check for
  // the plan itself.
  auto run = [&](Candidate& c, bool timed) -> Status {
    const Clock::time_point start = Clock::now();
    Result<std::vector<core::Tensor>> out = c.session->Run(inputs);
    if (out.ok()) {
      if (timed)
        c.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      return Status::Ok();
    }
    if (c.name == "plan") return out.status().WithContext("the whole-model check ran the plan");
    notes->push_back(
        (c.name == "defaults" ? "the plan with the plugins' defaults" : c.name + " alone") +
        ": not timed: " + out.status().message());
    c.racing = false;
    c.ms.clear();
    return Status::Ok();
  };

  progress("whole model: warming up");
  for (Candidate& c : candidates)
    for (int i = 0; i < kWarmupRuns && c.racing; ++i) HETRUN_RETURN_IF_ERROR(run(c, false));
  const Clock::time_point start = Clock::now();
  for (int round = 1;; ++round) {
    if (stop()) return std::optional<PlanCheckResult>();
    progress("whole model: run " + std::to_string(round) + " of each");
    for (Candidate& c : candidates) {
      if (!c.racing) continue;
      // Each session has devices of its own: let the last one's workers stop polling (the CPU
      // plugin's poll for 300 us) and wake this one's, so each is timed as it runs on its own.
      std::this_thread::sleep_for(kSettle);
      HETRUN_RETURN_IF_ERROR(run(c, false));
      if (c.racing) HETRUN_RETURN_IF_ERROR(run(c, true));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (round >= kRoundsBeforeDropping) {
      double best = 0;
      for (const Candidate& c : candidates)
        if (c.racing && (best == 0 || Median(c.ms) < best)) best = Median(c.ms);
      for (Candidate& c : candidates)
        if (c.racing && c.name != "plan" && Median(c.ms) > best * limits.drop_factor)
          c.racing = false;
    }
    if (round >= limits.max_rounds ||
        (round >= limits.min_rounds && seconds >= limits.min_seconds) ||
        (round >= kRoundsBeforeDropping && seconds >= limits.max_seconds))
      break;
  }

  // The incumbent is what sessions would run without tuned values (the plan with the defaults),
  // or the plan when it has none: another candidate must beat it by the margin, so noise never
  // replaces it. Of those that do, the fastest.
  const Candidate& incumbent =
      candidates.size() > 1 && candidates[1].name == "defaults" && !candidates[1].ms.empty()
          ? candidates[1]
          : candidates[0];
  const double incumbent_ms = Median(incumbent.ms);
  check.choice = incumbent.name;
  double best = incumbent_ms;
  for (const Candidate& c : candidates) {
    if (c.ms.empty()) continue;
    const double ms = Median(c.ms);
    check.times.push_back({c.name, ms, static_cast<int>(c.ms.size())});
    if (&c != &incumbent && ms < best && ms * (1 + kSearchMargin) < incumbent_ms) {
      best = ms;
      check.choice = c.name;
    }
  }
  return std::optional<PlanCheckResult>(std::move(check));
}

}  // namespace hetrun::runtime::tuning
