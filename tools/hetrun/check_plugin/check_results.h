// The outcome of every named check the plugin conformance kit runs (pass / fail / skip with a
// reason), the lines it prints, the per-op coverage it accumulates and the JSON it writes.
#pragma once

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hetrun::cli::check_plugin {

enum class CheckStatus { kPass, kFail, kSkip };
const char* CheckStatusName(CheckStatus status);

struct CheckResult {
  std::string name;  // "abi.version", "device.info", "op.Conv#3", "error.buffer_alloc_huge"
  CheckStatus status = CheckStatus::kSkip;
  std::string reason;
  std::string detail;     // op checks: the case (shapes, attributes), printed after the reason
  std::string op;         // op checks only
  std::string dtype;      // op checks only
  bool claimed = false;   // op checks: the plugin said it supports the case
  bool declined = false;  // op checks: the plugin declined it (a skip, with its reason)
  double ms = 0;
};

// One row of the coverage table.
struct OpCoverage {
  std::set<std::string> dtypes_claimed;
  int passed = 0, failed = 0, not_claimed = 0, reference_skipped = 0;
  std::string not_claimed_reason;  // the first reason the plugin gave
};

class CheckLog {
 public:
  // `verbose`: print passing op checks too (failures and non-op checks are always printed).
  explicit CheckLog(bool verbose) : verbose_(verbose) {}

  void Add(CheckResult result);
  void Pass(const std::string& name, const std::string& reason = "") {
    Add({name, CheckStatus::kPass, reason});
  }
  void Fail(const std::string& name, const std::string& reason) {
    Add({name, CheckStatus::kFail, reason});
  }
  void Skip(const std::string& name, const std::string& reason) {
    Add({name, CheckStatus::kSkip, reason});
  }
  // Pass when `ok`, else fail; the reason is kept either way.
  void Expect(const std::string& name, bool ok, const std::string& reason) {
    Add({name, ok ? CheckStatus::kPass : CheckStatus::kFail, reason});
  }

  // Declares an op of the catalog so it gets a table row even when no case ran.
  void DeclareOp(const std::string& op) { coverage_[op]; }

  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int skipped() const { return skipped_; }
  const std::vector<CheckResult>& results() const { return results_; }

  // "op | dtypes claimed | passed/failed | not claimed (reason sample)", one row per op.
  void PrintCoverageTable(std::FILE* out) const;
  // Every check as JSON text: {"checks": [...], "coverage": {...}, "passed": N, ...} plus the
  // string members of `header` (plugin name, path, seed, ...).
  std::string ToJson(const std::map<std::string, std::string>& header) const;

 private:
  bool verbose_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
  std::vector<CheckResult> results_;
  std::map<std::string, OpCoverage> coverage_;
};

}  // namespace hetrun::cli::check_plugin
