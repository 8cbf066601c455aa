// `hetrun devices`: every plugin found, its version and devices with their properties; plugins that
// fail to load are listed with the reason (exit status stays 0: listing is not running).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "arguments.h"
#include "commands.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/plugin_api/plugin_registry.h"
#include "hetrun/runtime/device.h"

namespace hetrun::cli {

int DevicesCommand(const std::vector<std::string>& args) {
  Result<DevicesArguments> parsed = ParseDevicesArguments(args);
  if (!parsed.ok()) return Fail(parsed.status().message());
  const DevicesArguments& a = *parsed;
  if (a.verbose) plugin_api::SetPluginLogLevel(HETRUN_LOG_INFO);

  plugin_api::PluginRegistry registry(a.plugin_paths);
  plugin_api::PluginRegistry::LoadReport report = registry.LoadAll();
  nlohmann::json plugins = nlohmann::json::array();
  if (!a.json) {
    std::string dirs;
    for (const std::string& d : registry.search_dirs()) dirs += (dirs.empty() ? "" : ", ") + d;
    std::printf("plugin directories: %s\n", dirs.c_str());
  }
  for (plugin_api::PluginLibrary* plugin : report.loaded) {
    uint32_t count = 0;
    Status s = plugin_api::TakeStatus(plugin->table().device_count(plugin->self(), &count),
                                      "plugin '" + plugin->name() + "'");
    nlohmann::json entry = {{"plugin", plugin->name()},
                            {"version", plugin->version()},
                            {"path", plugin->path()},
                            {"devices", nlohmann::json::array()}};
    std::string why;
    if (!s.ok()) why = s.message();
    if (count == 0 && why.empty() && plugin->table().unavailable_reason != nullptr) {
      const char* r = plugin->table().unavailable_reason(plugin->self());
      if (r != nullptr) why = r;
    }
    if (!a.json)
      std::printf("%s %s (%s): %u device(s)%s%s\n", plugin->name().c_str(),
                  plugin->version().c_str(), plugin->path().c_str(), count, why.empty() ? "" : ": ",
                  why.c_str());
    for (uint32_t i = 0; i < count; ++i) {
      Result<runtime::DeviceProperties> p = runtime::QueryDeviceProperties(*plugin, i);
      runtime::DeviceName name{plugin->name(), i};
      if (!p.ok()) {
        if (!a.json)
          std::printf("  %s: error: %s\n", name.ToString().c_str(), p.status().message().c_str());
        continue;
      }
      entry["devices"].push_back({{"device", name.ToString()},
                                  {"name", p->name},
                                  {"kind", runtime::DeviceKindName(p->kind)},
                                  {"memory_bytes", p->memory_bytes},
                                  {"compute_units", p->compute_units},
                                  {"peak_gflops", p->peak_gflops},
                                  {"memory_gbps", p->memory_gbps},
                                  {"host_link_gbps", p->host_link_gbps}});
      if (!a.json)
        std::printf(
            "  %-10s %s | kind %s | %u compute units | %.1f GiB | ~%.0f GFLOP/s | ~%.0f GB/s\n",
            name.ToString().c_str(), p->name.c_str(), runtime::DeviceKindName(p->kind),
            p->compute_units, p->memory_bytes / 1073741824.0, p->peak_gflops, p->memory_gbps);
    }
    if (!why.empty()) entry["unavailable_reason"] = why;
    plugins.push_back(entry);
  }
  for (const auto& [candidate, status] : report.failed) {
    if (!a.json)
      std::printf("%s: not loaded: %s\n", candidate.name.c_str(), status.message().c_str());
    plugins.push_back(
        {{"plugin", candidate.name}, {"path", candidate.path}, {"error", status.message()}});
  }
  if (a.json)
    std::printf("%s\n", nlohmann::json{{"plugins", plugins}}.dump(2).c_str());
  else if (report.loaded.empty() && report.failed.empty())
    std::printf("no plugins found; use --plugin-path DIR\n");
  return 0;
}

}  // namespace hetrun::cli
