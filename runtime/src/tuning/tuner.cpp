// hetrun tune (see hetrun/runtime/tuning.h): plan the model to learn which devices support which
// nodes, skip what the tuning files already hold, capture every node's inputs with one CPU run,
// then time what is left, device by device, saving as it goes.
#include <algorithm>
#include <chrono>
#include <set>

#include "container_support.h"
#include "hetrun/runtime/input_generator.h"
#include "hetrun/runtime/tuning.h"
#include "tuning/device_timer.h"
#include "tuning/node_key.h"
#include "tuning/parameter_search.h"
#include "tuning/plan_check.h"
#include "tuning/plan_timer.h"
#include "tuning/tuning_store.h"
#include "tuning/value_confirm.h"

namespace hetrun::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using Values = std::map<std::string, core::Tensor>;

// Saving more often than this would cost more than the measurements it protects.
constexpr double kSaveEverySeconds = 1.0;

struct DeviceWork {
  const Device* device = nullptr;
  DeviceTuneReport report;
  tuning::DeviceTuning tuning;
  std::filesystem::path file;
  bool need_overhead = false, need_link = false;
  std::vector<core::NodeId> nodes;       // to measure, one per distinct key
  std::vector<core::NodeId> duplicates;  // same key as one of `nodes`: covered by its measurement
  bool dirty = false;
  Clock::time_point saved = Clock::now();
};

// Every value the nodes compute, from one run of the model on the CPU plugin with all of them
// made outputs, plus the (seeded) inputs that produced them.
Result<Values> CaptureValues(const core::Graph& graph, const TuneOptions& options) {
  core::Graph capture = graph;
  std::set<core::ValueId> exposed(capture.outputs.begin(), capture.outputs.end());
  for (const core::Node& node : graph.nodes)
    for (core::ValueId v : node.outputs)
      if (v != core::kNoValue && exposed.insert(v).second) capture.outputs.push_back(v);
  SessionOptions cpu;
  cpu.devices = {"cpu"};
  cpu.plugin_paths = options.session.plugin_paths;
  cpu.registry = options.session.registry;
  cpu.threads = options.session.threads;
  Result<std::unique_ptr<Session>> session = Session::Create(std::move(capture), cpu);
  if (!session.ok())
    return session.status().WithContext(
        "tune computes every node's inputs with the CPU plugin first");
  SeededInputGenerator generator;
  Values values;
  for (const IoInfo& info : (*session)->inputs()) {
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, generator.Make(info, options.session.input_shapes));
    values.emplace(info.name, std::move(t));
  }
  Result<std::vector<core::Tensor>> outputs = (*session)->Run(values);
  if (!outputs.ok())
    return outputs.status().WithContext("tune: the CPU run that computes every node's inputs");
  for (size_t i = 0; i < outputs->size(); ++i)
    values.insert_or_assign((*session)->outputs()[i].name, std::move((*outputs)[i]));
  return values;
}

// Decides what device `d` still needs measured.
Result<DeviceWork> PlanDeviceWork(const Session& session, size_t d, const TuneOptions& options,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& packed) {
  const core::Graph& graph = session.graph();
  DeviceWork work;
  work.device = session.devices()[d].get();
  work.report.device = work.device->display_name();
  const std::string identity = tuning::DeviceIdentity(*work.device, options.session.threads);
  work.file = tuning::TuningFile(options.session.cache_dir, identity);
  work.report.file = work.file.string();
  Result<std::optional<tuning::DeviceTuning>> loaded = tuning::LoadTuning(work.file, identity);
  if (!loaded.ok() && !options.retune) return loaded.status();
  if (loaded.ok() && loaded->has_value() && !options.retune) {
    work.tuning = std::move(**loaded);
  } else {
    work.tuning.identity = identity;
  }
  work.need_overhead = !work.tuning.part_overhead_us;
  work.need_link = !work.tuning.link;
  std::set<std::string> scheduled;
  const std::vector<partitioner::NodeAnswer>& answers = session.plan().answers[d];
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (n >= answers.size() || !answers[n].supported) continue;
    ++work.report.supported;
    const core::Node& node = graph.nodes[n];
    const std::string label = "node '" + node.name + "' (" + node.op_type + ")";
    if (!packed[n].empty()) {
      ++work.report.not_measured;
      work.report.notes.push_back(
          label + ": not measured: it touches the string/sequence/optional value '" + packed[n] +
          "'");
    } else if (!tuning::HasStaticShapes(graph, static_cast<core::NodeId>(n))) {
      ++work.report.not_measured;
      work.report.notes.push_back(label +
                                  ": not measured: its shapes are not all known (fix the model's "
                                  "dynamic dims with --shape)");
    } else if (auto it = work.tuning.nodes.find(keys[n]);
               it != work.tuning.nodes.end() && (it->second.searched || !options.search)) {
      ++work.report.already_measured;
    } else if (!scheduled.insert(keys[n]).second) {
      work.duplicates.push_back(static_cast<core::NodeId>(n));
    } else {
      work.nodes.push_back(static_cast<core::NodeId>(n));
    }
  }
  return work;
}

// Times node `n` on `device`, searching its tunable parameters unless options.search is off.
Result<tuning::SearchResult> MeasureNode(const Device& device, const core::Graph& graph,
                                         core::NodeId n, const Values& values,
                                         const tuning::TimerLimits& limits,
                                         const TuneOptions& options,
                                         const std::function<bool()>& stop,
                                         const std::function<void(int, int)>& on_configuration,
                                         std::vector<std::string>* notes) {
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<tuning::NodeTimer> timer,
                          tuning::NodeTimer::Create(device, graph, n, values));
  std::vector<TunableParameter> tunables;
  if (options.search) {
    HETRUN_ASSIGN_OR_RETURN(tunables, device.ListTunables(timer->view(), 0));
  }
  const std::string label = "node '" + graph.nodes[n].name + "' (" + graph.nodes[n].op_type + ")";
  std::vector<std::string> failures;
  Result<tuning::SearchResult> result =
      tuning::SearchNode(*timer, tunables, limits, stop, on_configuration, &failures);
  for (const std::string& failure : failures)
    notes->push_back(label + ": a candidate failed (skipped): " + failure);
  return result;
}

Status Save(DeviceWork& work) {
  if (!work.dirty) return Status::Ok();
  HETRUN_RETURN_IF_ERROR(tuning::SaveTuning(work.file, work.tuning));
  work.dirty = false;
  work.saved = Clock::now();
  return Status::Ok();
}

// Each node's tuned values found by this run, confirmed inside the model (value_confirm.h), best
// gain first; values confirmed by an earlier run stay. Values that do not make the model faster go
// back to the defaults in the tuning files (the node stays measured, so no later run searches it
// again).
Status ConfirmInModel(const core::Graph& graph, const TuneOptions& options,
                      const std::vector<std::string>& keys, std::vector<DeviceWork>& work,
                      const std::function<bool()>& stop,
                      const std::function<void(const std::string&)>& progress, TuneReport& report) {
  std::set<std::string> searched_now, base, seen;
  for (const DeviceWork& w : work)
    for (core::NodeId n : w.nodes) searched_now.insert(keys[static_cast<size_t>(n)]);
  std::vector<std::pair<double, tuning::TunedNodeCandidate>> ranked;
  for (const DeviceWork& w : work)
    for (const auto& [key, cost] : w.tuning.nodes) {
      if (cost.tuning.empty() || cost.tuned_us >= cost.default_us) continue;
      if (!searched_now.count(key)) {
        base.insert(key);
      } else if (seen.insert(key).second) {
        ranked.push_back({cost.default_us - cost.tuned_us, {key, cost.label}});
      }
    }
  if (ranked.empty()) return Status::Ok();
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<tuning::TunedNodeCandidate> candidates;
  for (auto& r : ranked) candidates.push_back(std::move(r.second));
  Result<std::optional<tuning::ConfirmResult>> confirmed = tuning::ConfirmTunedValues(
      graph, options.session, base, candidates, tuning::ConfirmLimits(), stop, progress);
  if (!confirmed.ok()) {
    report.in_model_notes.push_back("tuned values not confirmed in the model (kept as searched): " +
                                    confirmed.status().message());
    return Status::Ok();
  }
  if (!confirmed->has_value()) return Status::Ok();  // stopped: the search's values stay
  report.in_model_tried = candidates.size();
  report.in_model_dropped = (*confirmed)->dropped;
  report.in_model_unconfirmed = (*confirmed)->unconfirmed;
  for (const tuning::TunedNodeCandidate& c : candidates) {
    if ((*confirmed)->kept.count(c.key)) continue;
    for (DeviceWork& w : work) {
      auto it = w.tuning.nodes.find(c.key);
      if (it == w.tuning.nodes.end() || it->second.tuning.empty()) continue;
      tuning::NodeCost& cost = it->second;
      if (cost.tuned_us > 0) cost.cost_us *= cost.default_us / cost.tuned_us;  // the defaults' time
      cost.tuning.clear();
      cost.tuned_us = cost.default_us;
      w.dirty = true;
    }
  }
  for (DeviceWork& w : work) HETRUN_RETURN_IF_ERROR(Save(w));
  return Status::Ok();
}

}  // namespace

size_t TuneReport::not_measured() const {
  size_t total = 0;
  for (const DeviceTuneReport& d : devices) total += d.not_measured;
  return total;
}

size_t TuneReport::measured() const {
  size_t total = 0;
  for (const DeviceTuneReport& d : devices) total += d.measured;
  return total;
}

Result<TuneReport> Tune(const std::string& model_path, const TuneOptions& options) {
  const Clock::time_point start = Clock::now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  if (options.session.cache_dir.empty())
    return InvalidArgument(
        "tune needs --cache-dir DIR: the measurements are kept there, and sessions given the "
        "same --cache-dir use them");
  if (options.session.devices.empty())
    return InvalidArgument("no devices given (e.g. --devices cpu)");

  SessionOptions plan_options = options.session;
  plan_options.plan_only = true;
  plan_options.warm_start = false;
  plan_options.apply_plan_check = false;  // every device's answers, to measure them all
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                          Session::Create(model_path, plan_options));
  const core::Graph& graph = session->graph();
  std::vector<std::string> keys;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    keys.push_back(tuning::NodeKey(graph, static_cast<core::NodeId>(n)));
  const std::vector<std::string> packed = PackedValuesTouched(graph);

  std::vector<DeviceWork> work;
  size_t total = 0;
  for (size_t d = 0; d < session->plan().devices.size(); ++d) {
    HETRUN_ASSIGN_OR_RETURN(DeviceWork w, PlanDeviceWork(*session, d, options, keys, packed));
    total += w.nodes.size() + (w.need_overhead ? 1 : 0) + (w.need_link ? 1 : 0);
    work.push_back(std::move(w));
  }
  // The whole-model check, again whenever anything is measured anew (or never checked yet): the
  // plan against each device alone and against the plugins' defaults.
  std::vector<const Device*> selected;
  for (size_t d = 0; d < session->plan().devices.size(); ++d)
    selected.push_back(session->devices()[d].get());
  const std::filesystem::path check_file =
      tuning::PlanCheckFile(options.session.cache_dir, graph, selected, options.session.threads);
  std::error_code exists_error;
  const bool check_plan =
      tuning::FollowsPlanCheck(options.session) &&
      (options.retune || total > 0 || !std::filesystem::exists(check_file, exists_error));
  total += check_plan ? 1 : 0;
  // Values searched by this run are confirmed inside the model first (value_confirm.h).
  size_t to_search = 0;
  for (const DeviceWork& w : work) to_search += w.nodes.size();
  const bool confirm_values = check_plan && options.search && to_search > 0;
  total += confirm_values ? 1 : 0;

  TuneReport report;
  Values values;
  bool captured = false;
  size_t done = 0;
  auto should_stop = [&]() -> bool {
    if (options.interrupt && options.interrupt->load()) {
      report.stop_reason = "interrupted";
    } else if (options.budget_s > 0 && elapsed_s() >= options.budget_s) {
      report.stop_reason = "the time budget (" + std::to_string(options.budget_s) + " s) ran out";
    } else {
      return false;
    }
    report.stopped_early = true;
    return true;
  };
  auto progress = [&](const std::string& current) {
    if (options.progress) options.progress({done, total, elapsed_s(), current});
  };
  tuning::TimerLimits limits;
  limits.repetitions = std::max(options.repetitions, 1);
  limits.max_ms = options.max_ms_per_node;
  limits.timeout_ms = options.session.timeout_ms == UINT64_MAX ? 60000 : options.session.timeout_ms;

  for (DeviceWork& w : work) {
    if (report.stopped_early) break;
    const Device& device = *w.device;
    // A probe that fails leaves the device's own figures in place, like a node that fails; a
    // device that is lost or hangs ends the run (what was measured is kept).
    auto probe_failed = [&](const Status& status, const std::string& what) {
      w.report.notes.push_back(what + " not measured: " + status.message());
      if (status.code() != StatusCode::kTimeout && status.code() != StatusCode::kDeviceLost)
        return false;
      report.stopped_early = true;
      report.stop_reason = "device '" + device.display_name() + "' failed: " + status.message();
      return true;
    };
    if (w.need_overhead && !should_stop()) {
      progress("part overhead on " + device.display_name());
      Result<double> us = tuning::TimePartOverhead(device, limits);
      ++done;
      if (us.ok() && *us > 0) {
        w.tuning.part_overhead_us = *us;
        w.dirty = true;
      } else if (!us.ok() && probe_failed(us.status(), "part overhead:")) {
        continue;
      }
    }
    if (w.need_link && !should_stop()) {
      progress("host link of " + device.display_name());
      Result<tuning::LinkTiming> link = tuning::TimeLink(device);
      ++done;
      if (link.ok()) {
        w.tuning.link = *link;
        w.dirty = true;
      } else if (probe_failed(link.status(), "host link:")) {
        continue;
      }
    }
    const double overhead_us = w.tuning.part_overhead_us.value_or(0);
    for (core::NodeId n : w.nodes) {
      if (should_stop()) break;
      const core::Node& node = graph.nodes[n];
      const std::string label = "node '" + node.name + "' (" + node.op_type + ")";
      progress(label + " on " + device.display_name());
      if (!captured) {
        HETRUN_ASSIGN_OR_RETURN(values, CaptureValues(graph, options));
        captured = true;
      }
      Result<tuning::SearchResult> searched = MeasureNode(
          device, graph, n, values, limits, options, should_stop,
          [&](int configuration, int configurations) {
            progress(label + " on " + device.display_name() + ": " + std::to_string(configuration) +
                     "/" + std::to_string(configurations));
          },
          &w.report.notes);
      ++done;
      if (!searched.ok()) {
        ++w.report.not_measured;
        w.report.notes.push_back(label + ": not measured: " + searched.status().message());
        if (searched.status().code() == StatusCode::kTimeout ||
            searched.status().code() == StatusCode::kDeviceLost) {
          report.stopped_early = true;
          report.stop_reason =
              "device '" + device.display_name() + "' failed: " + searched.status().message();
          break;
        }
        continue;
      }
      w.report.configurations += searched->configurations;
      // Stopped mid-search: the defaults' time is kept as the node's cost, unsearched, so the next
      // run searches it again.
      const bool complete = searched->complete;
      const tuning::Timing& timing = searched->timing;
      if (complete && searched->tuning) {
        ++w.report.searched;
        w.report.tuned += searched->tuned_us < searched->default_us ? 1 : 0;
        w.report.searched_default_us += searched->default_us;
        w.report.searched_tuned_us += searched->tuned_us;
      }
      // The part overhead is charged once per part by the partitioner, not per node.
      w.tuning.nodes[keys[n]] = {std::max(timing.median_us - overhead_us, 0.01),
                                 timing.runs,
                                 tuning::NodeLabel(graph, n),
                                 options.search && complete,
                                 complete ? searched->tuning.value_or(NodeTuning()) : NodeTuning(),
                                 complete && searched->tuning ? searched->default_us : 0,
                                 complete && searched->tuning ? searched->tuned_us : 0};
      ++w.report.measured;
      w.dirty = true;
      if (!complete) break;
      if (std::chrono::duration<double>(Clock::now() - w.saved).count() >= kSaveEverySeconds)
        HETRUN_RETURN_IF_ERROR(Save(w));
    }
    HETRUN_RETURN_IF_ERROR(Save(w));
  }
  for (DeviceWork& w : work) HETRUN_RETURN_IF_ERROR(Save(w));
  if (confirm_values && !report.stopped_early) {
    HETRUN_RETURN_IF_ERROR(
        ConfirmInModel(graph, options, keys, work, should_stop, progress, report));
    ++done;
  }
  if (check_plan && !report.stopped_early) {
    Result<std::optional<PlanCheckResult>> checked =
        tuning::CheckWholeModel(model_path, options.session, tuning::WholeModelLimits(),
                                should_stop, progress, &report.plan_check_notes);
    ++done;
    if (!checked.ok()) {
      report.plan_check_notes.push_back("whole model not timed: " + checked.status().message());
    } else if (checked->has_value()) {
      HETRUN_RETURN_IF_ERROR(tuning::SavePlanCheck(check_file, **checked));
      if (!(*checked)->times.empty()) {  // else one device with nothing tuned: nothing compared
        report.plan_check = std::move(*checked);
        report.plan_check_file = check_file.string();
      }
    }
  }
  for (DeviceWork& w : work) {
    for (core::NodeId n : w.duplicates)
      ++(w.tuning.nodes.count(keys[n]) ? w.report.measured : w.report.not_measured);
    // Nodes planned but never reached (stopped early) keep their estimates.
    const size_t accounted = w.report.measured + w.report.already_measured + w.report.not_measured;
    if (accounted < w.report.supported) w.report.not_measured += w.report.supported - accounted;
    w.report.part_overhead_us = w.tuning.part_overhead_us.value_or(0);
    if (w.tuning.link) {
      w.report.link_gbps = w.tuning.link->gbps;
      w.report.link_latency_us = w.tuning.link->latency_us;
    }
    report.devices.push_back(std::move(w.report));
  }
  report.elapsed_s = elapsed_s();
  return report;
}

}  // namespace hetrun::runtime
