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

cache::CacheKey BuildCacheKey(const std::string& model_path, std::string_view model_bytes,
                              const SessionOptions& options,
                              const std::vector<std::unique_ptr<Device>>& devices);

}  // namespace hetrun::runtime
