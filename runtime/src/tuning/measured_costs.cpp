#include "tuning/measured_costs.h"

#include <algorithm>

#include "cache/plan_cache.h"
#include "tuning/node_key.h"
#include "tuning/tuning_store.h"

namespace hetrun::runtime::tuning {

std::vector<std::string> ApplyMeasuredCosts(const std::string& cache_dir, uint32_t threads,
                                            const std::vector<std::unique_ptr<Device>>& devices,
                                            const core::Graph& graph,
                                            partitioner::PartitionRequest& request,
                                            bool tuned_values,
                                            const std::set<std::string>* tuned_nodes) {
  std::vector<std::string> warnings;
  if (cache_dir.empty()) return warnings;
  std::vector<std::string> keys;  // computed once, for the first device with measurements
  for (size_t d = 0; d < request.devices.size() && d < devices.size(); ++d) {
    const std::string identity = DeviceIdentity(*devices[d], threads);
    Result<std::optional<DeviceTuning>> loaded =
        LoadTuning(TuningFile(cache_dir, identity), identity);
    if (!loaded.ok()) {
      warnings.push_back(loaded.status().message() + "; using estimates for '" +
                         devices[d]->display_name() + "'");
      continue;
    }
    if (!loaded->has_value()) continue;
    const DeviceTuning& tuning = **loaded;
    partitioner::DeviceCost& cost = request.devices[d];
    if (tuning.part_overhead_us && *tuning.part_overhead_us > 0) {
      cost.part_overhead_us = *tuning.part_overhead_us;
      cost.measured = true;
    }
    if (tuning.link) {
      cost.link_gbps = tuning.link->gbps;
      cost.link_latency_us = tuning.link->latency_us;
      cost.measured = true;
    }
    if (tuning.nodes.empty()) continue;
    if (keys.empty())
      for (size_t n = 0; n < graph.nodes.size(); ++n)
        keys.push_back(NodeKey(graph, static_cast<core::NodeId>(n)));
    std::vector<partitioner::NodeAnswer>& answers = request.answers[d];
    for (size_t n = 0; n < answers.size() && n < keys.size(); ++n) {
      if (!answers[n].supported) continue;
      auto it = tuning.nodes.find(keys[n]);
      if (it == tuning.nodes.end()) continue;
      // A node that costs nothing measurable still costs something: 0 means "no estimate" here.
      answers[n].cost_us = std::max(it->second.cost_us, 0.01);
      answers[n].source = partitioner::CostSource::kMeasured;
      // Only values that differ from the defaults: a node left at its defaults compiles as
      // before, through compile().
      if (tuned_values && !it->second.tuning.empty() &&
          it->second.tuned_us < it->second.default_us &&
          (!tuned_nodes || tuned_nodes->count(keys[n])))
        answers[n].tuning = FormatNodeTuning(it->second.tuning);
    }
  }
  return warnings;
}

std::string TuningFileIdentity(const std::string& cache_dir, uint32_t threads,
                               const Device& device) {
  return cache::FileIdentity(TuningFile(cache_dir, DeviceIdentity(device, threads)));
}

}  // namespace hetrun::runtime::tuning
