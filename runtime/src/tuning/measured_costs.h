// Sessions use what `hetrun tune` measured: with --cache-dir DIR, each selected device's tuning
// file under DIR/tuning (if any) replaces the plugin's estimate for every node it measured, and
// the device's host link and per-part overhead, before partitioning; a node whose parameter
// search chose other values than the defaults gets them in NodeAnswer::tuning, and the scheduler
// compiles its part with them. The plan says which costs
// were measured (partitioner::CostSource).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/partitioner/partitioner.h"
#include "hetrun/runtime/device.h"

namespace hetrun::runtime::tuning {

// request.devices[d] / request.answers[d] belong to devices[d]. Returns warnings (a tuning file
// that cannot be read is ignored: estimates are used), never an error.
// Without `tuned_values`, node costs only: every node compiles with the plugins' defaults; with
// `tuned_nodes`, only the nodes whose keys it lists take their tuned values.
std::vector<std::string> ApplyMeasuredCosts(const std::string& cache_dir, uint32_t threads,
                                            const std::vector<std::unique_ptr<Device>>& devices,
                                            const core::Graph& graph,
                                            partitioner::PartitionRequest& request,
                                            bool tuned_values = true,
                                            const std::set<std::string>* tuned_nodes = nullptr);

// The identity (size, time, inode) of the device's tuning file, for the compiled-plan cache key: a
// plan made before `hetrun tune` ran is not reused after it.
std::string TuningFileIdentity(const std::string& cache_dir, uint32_t threads,
                               const Device& device);

}  // namespace hetrun::runtime::tuning
