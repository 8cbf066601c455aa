// `hetrun conformance --devices LIST DIR [--json FILE] [--filter REGEX]`: the ONNX backend node
// tests under DIR, one line per failure, ending with the plain line "N passed, N failed, N
// skipped".
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "conformance_runner.h"
#include "hetrun/status.h"
#include "progress_bar.h"

namespace hetrun::cli {
namespace fs = std::filesystem;

namespace {

struct ConformanceArguments {
  ConformanceOptions options;
  std::string dir, json, filter;
};

Result<ConformanceArguments> Parse(const std::vector<std::string>& args) {
  ConformanceArguments a;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = args[i], value;
    const bool has_inline = opt.starts_with("--") && opt.find('=') != std::string::npos;
    if (has_inline) {
      value = opt.substr(opt.find('=') + 1);
      opt.resize(opt.find('='));
    }
    auto next = [&]() -> Result<std::string> {
      if (has_inline) return value;
      if (i + 1 >= args.size()) return InvalidArgument("option " + opt + " needs a value");
      return args[++i];
    };
    if (opt == "--devices" || opt == "-d") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      a.options.devices.clear();
      for (size_t s = 0, e; s <= v.size(); s = e + 1) {
        e = v.find(',', s);
        if (e == std::string::npos) e = v.size();
        if (e > s) a.options.devices.push_back(v.substr(s, e - s));
      }
    } else if (opt == "--json") {
      HETRUN_ASSIGN_OR_RETURN(a.json, next());
    } else if (opt == "--filter") {
      HETRUN_ASSIGN_OR_RETURN(a.filter, next());
    } else if (opt == "--plugin-path") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      a.options.plugin_paths.push_back(v);
    } else if (opt == "--timeout-ms") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      a.options.case_timeout_ms = std::strtoull(v.c_str(), nullptr, 10);
      if (a.options.case_timeout_ms == 0)
        return InvalidArgument("--timeout-ms: expected a positive number");
    } else if (opt == "--no-isolation") {
      a.options.isolate = false;
    } else if (opt.starts_with("-")) {
      return InvalidArgument("unknown option '" + opt + "' for 'hetrun conformance'");
    } else if (a.dir.empty()) {
      a.dir = opt;
    } else {
      return InvalidArgument("more than one directory given");
    }
  }
  if (a.dir.empty())
    return InvalidArgument(
        "usage: hetrun conformance --devices LIST DIR [--json FILE] [--filter REGEX]");
  return a;
}

}  // namespace

int ConformanceCommand(const std::vector<std::string>& args) {
  Result<ConformanceArguments> parsed = Parse(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hetrun: error: %s\n", parsed.status().message().c_str());
    return 2;
  }
  const ConformanceArguments& a = *parsed;
  std::regex filter;
  try {
    filter = std::regex(a.filter.empty() ? ".*" : a.filter);
  } catch (const std::regex_error& e) {
    return Fail("--filter '" + a.filter + "': " + e.what());
  }
  std::error_code ec;
  if (!fs::is_directory(a.dir, ec)) return Fail(a.dir + ": not a directory");
  std::vector<fs::path> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(a.dir, ec)) {
    const std::string name = e.path().filename().string();
    if (fs::exists(e.path() / "model.onnx") && std::regex_search(name, filter))
      cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) return Fail(a.dir + ": no test cases (test_*/model.onnx) match");

  nlohmann::json report = nlohmann::json::array();
  int passed = 0, failed = 0, unsupported = 0, skipped = 0;
  {
    ProgressBar progress("conformance", static_cast<int>(cases.size()));
    ConformanceRunner runner(a.options);
    for (size_t i = 0; i < cases.size(); ++i) {
      CaseResult r = runner.Run(cases[i].string());
      switch (r.status) {
        case CaseStatus::kPassed: ++passed; break;
        case CaseStatus::kSkipped: ++skipped; break;
        case CaseStatus::kUnsupported: ++unsupported; [[fallthrough]];
        case CaseStatus::kFailed: {
          ++failed;
          std::string reason = r.reason;
          std::replace(reason.begin(), reason.end(), '\n', ' ');
          std::printf("%s %s: %s\n",
                      r.status == CaseStatus::kUnsupported ? "UNSUPPORTED" : "FAILED",
                      r.name.c_str(), reason.c_str());
          std::fflush(stdout);
          break;
        }
      }
      report.push_back({{"name", r.name},
                        {"status", CaseStatusName(r.status)},
                        {"reason", r.reason},
                        {"ms", r.ms}});
      progress.Update(static_cast<int>(i + 1), r.ms);
    }
  }
  if (!a.json.empty()) {
    std::ofstream out(a.json);
    out << nlohmann::json{{"devices", a.options.devices}, {"dir", a.dir}, {"cases", report}}.dump(1)
        << "\n";
    if (!out) return Fail("--json " + a.json + ": cannot write the file");
  }
  std::printf("(%d of the failed cases are unsupported: no selected device accepts a node)\n",
              unsupported);
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}

}  // namespace hetrun::cli
