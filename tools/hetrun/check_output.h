// `hetrun --check` as the user sees it: one line per part (and per diverging output), the report's
// "check" array, and the one-line error that makes the exit status non-zero.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hetrun/runtime/part_check.h"

namespace hetrun::cli {

void PrintPartChecks(const std::vector<runtime::PartCheck>& checks,
                     const runtime::PartCheckOptions& options);
nlohmann::json PartChecksJson(const std::vector<runtime::PartCheck>& checks);
// "" when every checked part is within tolerance, else the error line naming the parts.
std::string PartCheckFailure(const std::vector<runtime::PartCheck>& checks,
                             const runtime::PartCheckOptions& options);

}  // namespace hetrun::cli
