// Per-node profiling (ABI minor 3): a plugin that offers event_node_times must answer, for an
// execution on a device opened with profile_nodes = 1, entries a host can trust: at least one,
// node indices inside the part, finite non-negative times in run order, within the execution's
// own time, NUL-terminated labels, and the count alone when given no room.
#pragma once

#include <cstdint>

#include "check_results.h"
#include "hetrun/plugin_api/plugin_library.h"

namespace hetrun::cli::check_plugin {

void RunProfileChecks(plugin_api::PluginLibrary& plugin, uint32_t device, uint64_t timeout_ms,
                      CheckLog& log);

}  // namespace hetrun::cli::check_plugin
