// What the tuning cache's text files share: tab-separated lines, numbers written at 6 significant
// digits and read back strictly, and atomic replacement so a reader never sees half a file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/status.h"

namespace hetrun::runtime::tuning {

std::vector<std::string> SplitTabs(const std::string& line);

// A finite, non-negative number (at most 1e12), or nullopt.
std::optional<double> ParseCost(const std::string& text);

// 6 significant digits.
std::string Number(double value);

// Writes `text` to a temporary file beside `file` and renames it over `file` (creating the
// directory first).
Status WriteFileAtomically(const std::filesystem::path& file, const std::string& text);

}  // namespace hetrun::runtime::tuning
