#include "tuning/plan_check.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cache/content_hash.h"
#include "cache/plan_cache.h"
#include "tuning/node_key.h"
#include "tuning/tsv_file.h"
#include "tuning/tuning_store.h"

namespace hetrun::runtime::tuning {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMagic = "hetrun-plan-check";
constexpr const char* kPlan = "plan";
constexpr const char* kPlanDefaults = "defaults";

fs::path PlansDirectory(const std::string& cache_dir) {
  return fs::path(cache_dir) / "tuning" / "plans";
}

std::string Ms(double ms) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << ms << " ms";
  return out.str();
}

std::string CandidateName(const PlanCheckResult& check, const std::string& candidate) {
  if (candidate == kPlan) return "the plan (" + check.plan_devices + ")";
  if (candidate == kPlanDefaults) return "the plan with the plugins' defaults";
  return candidate + " alone";
}

}  // namespace

fs::path PlanCheckFile(const std::string& cache_dir, const core::Graph& graph,
                       const std::vector<const Device*>& devices, uint32_t threads) {
  std::ostringstream key;
  key << kMagic << ' ' << kPlanCheckFormatVersion << "\nthreads " << threads << '\n';
  for (const Device* device : devices) key << "device " << DeviceIdentity(*device, threads) << '\n';
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    key << "node " << NodeKey(graph, static_cast<core::NodeId>(n)) << " in";
    for (core::ValueId v : node.inputs) key << ' ' << v;
    key << " out";
    for (core::ValueId v : node.outputs) key << ' ' << v;
    key << '\n';
  }
  key << "outputs";
  for (core::ValueId v : graph.outputs) key << ' ' << v;
  return PlansDirectory(cache_dir) / (cache::HashHex(cache::ContentHash64(key.str())) + ".tsv");
}

std::string PlanChecksIdentity(const std::string& cache_dir) {
  return cache::FileIdentity(PlansDirectory(cache_dir));
}

Result<std::optional<PlanCheckResult>> LoadPlanCheck(const fs::path& file) {
  TsvReader in(file, "whole-model check");
  if (in.missing()) return std::optional<PlanCheckResult>();
  HETRUN_RETURN_IF_ERROR(in.open_status());
  PlanCheckResult check;
  while (in.Next()) {
    const size_t number = in.number();
    const std::vector<std::string>& f = in.fields();
    const std::string& line = in.line();
    if (number == 1) {
      if (f.size() != 2 || f[0] != kMagic) return in.Damaged("not a hetrun plan check");
      if (f[1] != std::to_string(kPlanCheckFormatVersion))
        return in.Damaged("format version " + f[1] + ", this hetrun reads " +
                          std::to_string(kPlanCheckFormatVersion));
    } else if (f[0] == "plan_devices" && f.size() == 2) {
      check.plan_devices = f[1];
    } else if (f[0] == "time" && f.size() == 4) {
      const std::optional<double> ms = ParseCost(f[2]), runs = ParseCost(f[3]);
      if (f[1].empty() || !ms || !runs) return in.Damaged("bad time line");
      check.times.push_back({f[1], *ms, static_cast<int>(*runs)});
    } else if (f[0] == "choice" && f.size() == 2 && !f[1].empty()) {
      check.choice = f[1];
    } else {
      return in.Damaged("unknown line '" + line.substr(0, 40) + "'");
    }
  }
  if (in.number() == 0) return in.Damaged("empty file");
  if (check.choice.empty()) return in.Damaged("no choice line");
  return std::optional<PlanCheckResult>(std::move(check));
}

Status SavePlanCheck(const fs::path& file, const PlanCheckResult& check) {
  std::ostringstream text;
  text << kMagic << '\t' << kPlanCheckFormatVersion << '\n';
  text << "plan_devices\t" << check.plan_devices << '\n';
  // time CANDIDATE MEDIAN_MS RUNS: CANDIDATE is "plan" or a device alone.
  for (const WholeModelTime& t : check.times)
    text << "time\t" << t.candidate << '\t' << Number(t.median_ms) << '\t' << t.runs << '\n';
  text << "choice\t" << check.choice << '\n';
  return WriteFileAtomically(file, text.str());
}

bool FollowsPlanCheck(const SessionOptions& options) {
  return options.apply_plan_check && options.apply_tuned_values && !options.cache_dir.empty() &&
         options.partition == partitioner::Strategy::kCost && options.pins.empty() &&
         options.replay.empty() && options.plan_in.empty();
}

std::string ApplyPlanCheck(const std::string& cache_dir, uint32_t threads,
                           const std::vector<std::unique_ptr<Device>>& devices,
                           const core::Graph& graph, partitioner::PartitionRequest& request,
                           std::vector<std::string>* warnings) {
  std::vector<const Device*> selected;
  for (size_t d = 0; d < request.devices.size() && d < devices.size(); ++d)
    selected.push_back(devices[d].get());
  const fs::path file = PlanCheckFile(cache_dir, graph, selected, threads);
  Result<std::optional<PlanCheckResult>> loaded = LoadPlanCheck(file);
  if (!loaded.ok()) {
    warnings->push_back(loaded.status().message() + "; planning without it");
    return "";
  }
  if (!loaded->has_value() || (*loaded)->times.empty()) return "";  // nothing was compared
  const PlanCheckResult& check = **loaded;
  const std::string note = "whole model measured (hetrun tune): " + DescribePlanCheck(check);
  if (check.choice == kPlan) return note;
  if (check.choice == kPlanDefaults) {
    for (std::vector<partitioner::NodeAnswer>& answers : request.answers)
      for (partitioner::NodeAnswer& answer : answers) answer.tuning.clear();
    return note;
  }
  size_t chosen = selected.size();
  for (size_t d = 0; d < selected.size(); ++d)
    if (selected[d]->display_name() == check.choice) chosen = d;
  if (chosen == selected.size()) {
    warnings->push_back("whole-model check '" + file.string() + "' chose '" + check.choice +
                        "', which is not selected; planning without it");
    return "";
  }
  const std::vector<partitioner::NodeAnswer>& kept = request.answers[chosen];
  for (size_t d = 0; d < selected.size(); ++d) {
    if (d == chosen) continue;
    for (size_t n = 0; n < request.answers[d].size() && n < kept.size(); ++n)
      if (kept[n].supported && request.answers[d][n].supported)
        request.answers[d][n] = {
            false, 0,
            "set aside: hetrun tune measured the whole model faster on " + check.choice + " alone"};
  }
  return note;
}

}  // namespace hetrun::runtime::tuning

namespace hetrun::runtime {

std::string DescribePlanCheck(const PlanCheckResult& check) {
  std::vector<WholeModelTime> times = check.times;
  std::stable_sort(times.begin(), times.end(),
                   [](const auto& a, const auto& b) { return a.median_ms < b.median_ms; });
  std::string text;
  for (const WholeModelTime& t : times)
    text += (text.empty() ? "" : ", ") + tuning::CandidateName(check, t.candidate) + " " +
            tuning::Ms(t.median_ms);
  return text + ": " + tuning::CandidateName(check, check.choice) + " is used";
}

}  // namespace hetrun::runtime
