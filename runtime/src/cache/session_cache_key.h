// The plan cache key of a session: model bytes and external data, the host and plugin builds,
// the opened devices and the options that shape the plan (defined in session_cache.cpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/plan_cache.h"
#include "hetrun/runtime/device.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime {

// "plugin cpu 0.1.0 abi 1.1 file <size:mtime:inode>": the build of the device's plugin, for keys
// of what depends on it (compiled plans, tuning files).
std::string PluginBuildIdentity(const Device& device);

cache::CacheKey BuildCacheKey(const std::string& model_path, std::string_view model_bytes,
                              const SessionOptions& options,
                              const std::vector<std::unique_ptr<Device>>& devices);

}  // namespace hetrun::runtime
