// The op checks: every case of the catalog is run on the reference (CPU) plugin, which decides the
// output shapes and values; the plugin under test is asked query_support on the same single-node
// graph (with those shapes), and every case it claims is compiled and run with guard bytes around
// its buffers and compared with the reference. Declined cases are skips that must carry a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>

#include "check_results.h"
#include "hetrun/runtime/device.h"

namespace hetrun::cli::check_plugin {

struct OpCheckOptions {
  uint32_t seed = 1;
  int cases_per_op = 4;              // per op and dtype
  std::optional<std::regex> filter;  // op names (regex_search)
  uint64_t timeout_ms = 60000;
};

void RunOpChecks(const runtime::Device& target, const runtime::Device& reference,
                 const OpCheckOptions& options, CheckLog& log);

}  // namespace hetrun::cli::check_plugin
