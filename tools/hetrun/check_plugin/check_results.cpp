#include "check_results.h"

#include <algorithm>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hetrun::cli::check_plugin {

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass: return "pass";
    case CheckStatus::kFail: return "fail";
    case CheckStatus::kSkip: return "skip";
  }
  return "?";
}

namespace {

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

void CheckLog::Add(CheckResult result) {
  result.reason = OneLine(result.reason);
  switch (result.status) {
    case CheckStatus::kPass: ++passed_; break;
    case CheckStatus::kFail: ++failed_; break;
    case CheckStatus::kSkip: ++skipped_; break;
  }
  if (!result.op.empty()) {
    OpCoverage& row = coverage_[result.op];
    if (result.claimed) row.dtypes_claimed.insert(result.dtype);
    if (result.status == CheckStatus::kPass) ++row.passed;
    if (result.status == CheckStatus::kFail) ++row.failed;
    if (result.status == CheckStatus::kSkip && !result.declined) ++row.reference_skipped;
    if (result.declined) {
      ++row.not_claimed;
      constexpr std::string_view kPrefix = "not claimed: ";
      if (row.not_claimed_reason.empty())
        row.not_claimed_reason = result.reason.starts_with(kPrefix)
                                     ? result.reason.substr(kPrefix.size())
                                     : result.reason;
    }
  }
  // Op cases are many: only their failures are printed unless asked (-v). Other checks always.
  const bool print = result.op.empty() || result.status == CheckStatus::kFail || verbose_;
  if (print) {
    const char* tag = result.status == CheckStatus::kPass   ? "PASS"
                      : result.status == CheckStatus::kFail ? "FAIL"
                                                            : "SKIP";
    std::string text = result.reason;
    if (!result.detail.empty()) text += (text.empty() ? "" : " ") + ("[" + result.detail + "]");
    std::printf("%s %s%s%s\n", tag, result.name.c_str(), text.empty() ? "" : ": ", text.c_str());
    std::fflush(stdout);
  }
  results_.push_back(std::move(result));
}

void CheckLog::PrintCoverageTable(std::FILE* out) const {
  if (coverage_.empty()) return;
  std::fprintf(out, "%-22s %-28s %6s %6s  %s\n", "op", "dtypes claimed", "passed", "failed",
               "not claimed (reason sample)");
  for (const auto& [op, row] : coverage_) {
    std::string dtypes;
    for (const std::string& d : row.dtypes_claimed) dtypes += (dtypes.empty() ? "" : ",") + d;
    if (dtypes.empty()) dtypes = "-";
    std::string declined;
    if (row.not_claimed > 0) {
      declined = std::to_string(row.not_claimed) + ": " + row.not_claimed_reason;
      if (declined.size() > 70) declined = declined.substr(0, 67) + "...";
    }
    std::fprintf(out, "%-22s %-28s %6d %6d  %s\n", op.c_str(), dtypes.c_str(), row.passed,
                 row.failed, declined.c_str());
  }
}

std::string CheckLog::ToJson(const std::map<std::string, std::string>& header) const {
  nlohmann::json checks = nlohmann::json::array();
  for (const CheckResult& r : results_) {
    nlohmann::json c = {
        {"name", r.name}, {"status", CheckStatusName(r.status)}, {"reason", r.reason}};
    if (!r.op.empty()) {
      c["op"] = r.op;
      c["case"] = r.detail;
      c["dtype"] = r.dtype;
      c["claimed"] = r.claimed;
      c["declined"] = r.declined;
      c["ms"] = r.ms;
    }
    checks.push_back(std::move(c));
  }
  nlohmann::json coverage = nlohmann::json::object();
  for (const auto& [op, row] : coverage_) {
    coverage[op] = {{"dtypes_claimed", row.dtypes_claimed},
                    {"passed", row.passed},
                    {"failed", row.failed},
                    {"not_claimed", row.not_claimed},
                    {"not_claimed_reason", row.not_claimed_reason}};
  }
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [key, value] : header) doc[key] = value;
  doc["checks"] = std::move(checks);
  doc["coverage"] = std::move(coverage);
  doc["passed"] = passed_;
  doc["failed"] = failed_;
  doc["skipped"] = skipped_;
  return doc.dump(1) + "\n";
}

}  // namespace hetrun::cli::check_plugin
