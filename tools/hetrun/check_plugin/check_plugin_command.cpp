// `hetrun check-plugin PATH_OR_NAME`: the plugin conformance kit. Loads a plugin (a .so path, or a
// name found like every plugin, with --plugin-path), checks its ABI table, its devices, every op of
// the catalog it claims against the CPU plugin (guard bytes around every buffer) and its error
// paths, prints a coverage table and ends with "N passed, N failed, N skipped". Everything runs in
// this process: a plugin that crashes ends the run (the crash reporter names the check).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>

#include "../commands.h"
#include "abi_checks.h"
#include "check_results.h"
#include "crash_reporter.h"
#include "error_path_checks.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/plugin_api/plugin_registry.h"
#include "hetrun/runtime/device.h"
#include "op_checks.h"
#include "profile_checks.h"

namespace hetrun::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: hetrun check-plugin PATH_OR_NAME [--device N] [--seed N] [--cases-per-op N] "
    "[--filter REGEX] [--json FILE] [--plugin-path DIR] [--timeout-ms MS] [-v]";

struct CheckPluginArguments {
  std::string plugin;  // a path to a .so, or a plugin name
  uint32_t device = 0;
  uint32_t seed = 1;
  int cases_per_op = 4;
  std::string filter, json;
  std::vector<std::string> plugin_paths;
  uint64_t timeout_ms = 60000;
  bool verbose = false;
};

Result<uint64_t> ParseCount(const std::string& opt, const std::string& v, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || *end != '\0' || errno != 0 || n > max)
    return InvalidArgument(opt + ": expected a whole number up to " + std::to_string(max) +
                           ", got '" + v + "'");
  return static_cast<uint64_t>(n);
}

Result<CheckPluginArguments> Parse(const std::vector<std::string>& args) {
  CheckPluginArguments a;
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
    if (opt == "--device") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      HETRUN_ASSIGN_OR_RETURN(uint64_t n, ParseCount(opt, v, 1023));
      a.device = static_cast<uint32_t>(n);
    } else if (opt == "--seed") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      HETRUN_ASSIGN_OR_RETURN(uint64_t n, ParseCount(opt, v, UINT32_MAX));
      a.seed = static_cast<uint32_t>(n);
    } else if (opt == "--cases-per-op") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      HETRUN_ASSIGN_OR_RETURN(uint64_t n, ParseCount(opt, v, 10000));
      a.cases_per_op = static_cast<int>(n);
    } else if (opt == "--timeout-ms") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      HETRUN_ASSIGN_OR_RETURN(a.timeout_ms, ParseCount(opt, v, UINT64_MAX));
      if (a.timeout_ms == 0) return InvalidArgument("--timeout-ms: expected a positive number");
    } else if (opt == "--filter") {
      HETRUN_ASSIGN_OR_RETURN(a.filter, next());
    } else if (opt == "--json") {
      HETRUN_ASSIGN_OR_RETURN(a.json, next());
    } else if (opt == "--plugin-path") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, next());
      a.plugin_paths.push_back(v);
    } else if (opt == "-v" || opt == "--verbose") {
      a.verbose = true;
    } else if (opt.starts_with("-")) {
      return InvalidArgument("unknown option '" + opt + "' for 'hetrun check-plugin'");
    } else if (a.plugin.empty()) {
      a.plugin = opt;
    } else {
      return InvalidArgument("more than one plugin given ('" + a.plugin + "', '" + opt + "')");
    }
  }
  if (a.plugin.empty()) return InvalidArgument(kUsage);
  return a;
}

// A path (anything with a '/' or ending in .so) is used as is; a name is found like every plugin.
Result<std::string> ResolvePlugin(const CheckPluginArguments& a) {
  if (a.plugin.find('/') != std::string::npos || a.plugin.ends_with(".so")) {
    std::error_code ec;
    if (!fs::is_regular_file(a.plugin, ec)) return NotFound(a.plugin + ": no such file");
    return fs::absolute(a.plugin, ec).lexically_normal().string();
  }
  plugin_api::PluginRegistry registry(a.plugin_paths);
  std::string available;
  for (const plugin_api::PluginCandidate& c : registry.Discover()) {
    if (c.name == a.plugin) return c.path;
    available += (available.empty() ? "" : ", ") + c.name;
  }
  std::string dirs;
  for (const std::string& d : registry.search_dirs()) dirs += (dirs.empty() ? "" : ", ") + d;
  return NotFound("no plugin '" + a.plugin + "' (searched " + dirs + "; available: " +
                  (available.empty() ? "none" : available) + "); use --plugin-path DIR");
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

}  // namespace

int CheckPluginCommand(const std::vector<std::string>& args) {
  Result<CheckPluginArguments> parsed = Parse(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hetrun: error: %s\n", parsed.status().message().c_str());
    return 2;
  }
  const CheckPluginArguments& a = *parsed;
  check_plugin::OpCheckOptions op_options;
  op_options.seed = a.seed;
  op_options.cases_per_op = a.cases_per_op;
  op_options.timeout_ms = a.timeout_ms;
  if (!a.filter.empty()) {
    try {
      op_options.filter = std::regex(a.filter);
    } catch (const std::regex_error& e) {
      return Fail("--filter '" + a.filter + "': " + e.what());
    }
  }
  Result<std::string> path = ResolvePlugin(a);
  if (!path.ok()) return Fail(path.status().message());
  if (a.verbose) plugin_api::SetPluginLogLevel(HETRUN_LOG_INFO);
  check_plugin::InstallCrashReporter();
  const auto start = std::chrono::steady_clock::now();

  check_plugin::CheckLog log(a.verbose);
  std::map<std::string, std::string> header = {{"path", *path},
                                               {"seed", std::to_string(a.seed)},
                                               {"cases_per_op", std::to_string(a.cases_per_op)}};
  std::printf("plugin  %s\n", path->c_str());
  std::fflush(stdout);

  // The plugin under test, then the reference: the CPU plugin (the same library when it is the one
  // under test). Declared in this order so the devices close before their libraries unload.
  std::unique_ptr<plugin_api::PluginLibrary> library;
  std::unique_ptr<plugin_api::PluginRegistry> registry;
  plugin_api::PluginLibrary* reference_library = nullptr;
  std::unique_ptr<runtime::Device> target, reference;
  std::string skip_reason;

  check_plugin::SetCurrentCheck("the ABI checks");
  if (!check_plugin::RunAbiChecks(*path, log)) {
    skip_reason = "the plugin's table is unusable (see the abi checks)";
  } else {
    check_plugin::SetCurrentCheck("abi.init");
    Result<std::unique_ptr<plugin_api::PluginLibrary>> loaded =
        plugin_api::PluginLibrary::Load(*path);
    if (!loaded.ok()) {
      log.Fail("abi.init", loaded.status().message());
      skip_reason = "the plugin did not initialise";
    } else {
      library = std::move(*loaded);
      log.Pass("abi.init", "init succeeded");
      header["plugin"] = library->name();
      header["version"] = library->version();
    }
  }
  if (library) {
    check_plugin::SetCurrentCheck("the device checks");
    check_plugin::DeviceCheckOutcome devices =
        check_plugin::RunDeviceChecks(*library, a.device, log);
    if (!devices.selected_ok) skip_reason = devices.why_not;
  }
  if (skip_reason.empty()) {
    const std::string name = library->name() + ":" + std::to_string(a.device);
    Result<std::unique_ptr<runtime::Device>> opened =
        runtime::Device::Open(*library, a.device, name, 0);
    if (!opened.ok()) {
      skip_reason = opened.status().message();
    } else {
      target = std::move(*opened);
      header["device"] = name;
      std::printf("device  %s (%s)\n", name.c_str(), target->properties().name.c_str());
    }
  }

  std::string reference_problem;
  if (skip_reason.empty()) {
    registry = std::make_unique<plugin_api::PluginRegistry>(a.plugin_paths);
    std::string cpu_path;
    for (const plugin_api::PluginCandidate& c : registry->Discover())
      if (c.name == "cpu") cpu_path = c.path;
    if (!cpu_path.empty() && SameFile(cpu_path, *path)) {
      reference_library = library.get();
    } else {
      Result<plugin_api::PluginLibrary*> cpu = registry->Load("cpu");
      if (cpu.ok())
        reference_library = *cpu;
      else
        reference_problem = cpu.status().message();
    }
    if (reference_library) {
      Result<std::unique_ptr<runtime::Device>> opened =
          runtime::Device::Open(*reference_library, 0, "cpu (reference)", 0);
      if (opened.ok())
        reference = std::move(*opened);
      else
        reference_problem = opened.status().message();
    }
    if (reference) {
      std::printf("reference  cpu (%s)\n", reference_library->path().c_str());
      header["reference"] = reference_library->path();
    }
    std::printf("seed %u, %d case(s) per op and dtype%s\n", a.seed, a.cases_per_op,
                a.filter.empty() ? "" : (", ops matching /" + a.filter + "/").c_str());
    std::fflush(stdout);
  }

  if (!skip_reason.empty()) {
    log.Skip("ops", skip_reason);
    log.Skip("profile.node_times", skip_reason);
    log.Skip("error_paths", skip_reason);
  } else {
    if (reference)
      check_plugin::RunOpChecks(*target, *reference, op_options, log);
    else
      log.Skip("ops", "no reference CPU plugin: " + reference_problem);
    check_plugin::RunProfileChecks(*library, a.device, a.timeout_ms, log);
    check_plugin::RunErrorPathChecks(*target, a.timeout_ms, log);
  }
  check_plugin::SetCurrentCheck("the summary");

  std::printf("\n");
  log.PrintCoverageTable(stdout);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("checked in %.1f s\n", seconds);
  if (!a.json.empty()) {
    std::ofstream out(a.json);
    out << log.ToJson(header);
    if (!out) return Fail("--json " + a.json + ": cannot write the file");
  }
  std::printf("%d passed, %d failed, %d skipped\n", log.passed(), log.failed(), log.skipped());
  return log.failed() == 0 ? 0 : 1;
}

}  // namespace hetrun::cli
