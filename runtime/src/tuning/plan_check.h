// The whole-model check `hetrun tune` stores (PlanCheckResult in hetrun/runtime/tuning.h), one file
// per model structure, selected devices (their identities) and thread count, under
// CACHE_DIR/tuning/plans/. Sessions with no placement of the user's own (--assign, --plan-in,
// another strategy) read it while planning: when a device alone was measured faster than the plan,
// the other devices' answers are set aside, so every node goes to it; when the plugins' defaults
// were faster than the tuned values, no node gets tuned values.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/partitioner/partitioner.h"
#include "hetrun/runtime/device.h"
#include "hetrun/runtime/tuning.h"

namespace hetrun::runtime::tuning {

inline constexpr int kPlanCheckFormatVersion = 1;

// CACHE_DIR/tuning/plans/<hash>.tsv; the hash covers every node's NodeKey and edges, the devices'
// identities (DeviceIdentity) in order, and the thread count.
std::filesystem::path PlanCheckFile(const std::string& cache_dir, const core::Graph& graph,
                                    const std::vector<const Device*>& devices, uint32_t threads);

// The directory's identity changes whenever a check is saved: for the compiled-plan cache key.
std::string PlanChecksIdentity(const std::string& cache_dir);

// nullopt when the file does not exist; a damaged file is an error naming it.
Result<std::optional<PlanCheckResult>> LoadPlanCheck(const std::filesystem::path& file);
Status SavePlanCheck(const std::filesystem::path& file, const PlanCheckResult& check);

// Whether sessions with these options follow a stored check (the user placed nothing themselves).
bool FollowsPlanCheck(const SessionOptions& options);

// Applies the stored check for request.devices (devices[d] for each): with a device chosen alone,
// every other device's answers become unsupported; with the defaults chosen, no answer keeps its
// tuned values. Returns the line the plan shows ("" when there
// is no check); a damaged file or a choice naming no selected device is a warning.
std::string ApplyPlanCheck(const std::string& cache_dir, uint32_t threads,
                           const std::vector<std::unique_ptr<Device>>& devices,
                           const core::Graph& graph, partitioner::PartitionRequest& request,
                           std::vector<std::string>* warnings);

}  // namespace hetrun::runtime::tuning
