// What the tuning cache's text files share: tab-separated lines, numbers written at 6 significant
// digits and read back strictly, and atomic replacement so a reader never sees half a file.
#pragma once

#include <filesystem>
#include <fstream>
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

// Reads a file of the tuning cache line by line; its errors name the file and the line.
class TsvReader {
 public:
  TsvReader(const std::filesystem::path& file, std::string what);  // what: "tuning file", ...
  bool missing() const { return missing_; }                        // the file does not exist
  Status open_status() const;  // Unavailable when it exists but cannot be read
  // The next line, split at tabs (false at the end).
  bool Next();
  const std::vector<std::string>& fields() const { return fields_; }
  const std::string& line() const { return line_; }
  size_t number() const { return number_; }
  // "WHAT 'FILE', line N: WHY (delete it, ...)" at the current line (line 1 before any).
  Status Damaged(const std::string& why) const;

 private:
  std::filesystem::path file_;
  std::string what_;
  std::ifstream in_;
  bool missing_ = false;
  std::vector<std::string> fields_;
  std::string line_;
  size_t number_ = 0;
};

// Writes `text` to a temporary file beside `file` and renames it over `file` (creating the
// directory first).
Status WriteFileAtomically(const std::filesystem::path& file, const std::string& text);

}  // namespace hetrun::runtime::tuning
