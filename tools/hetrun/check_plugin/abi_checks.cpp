#include "abi_checks.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <regex>

#include "hetrun/plugin_api/host_services.h"

namespace hetrun::cli::check_plugin {
namespace {

struct Slot {
  const char* name;
  size_t offset;
  bool mandatory;
};

#define HETRUN_SLOT(field, mandatory) \
  { #field, offsetof(hetrun_plugin_v1, field), mandatory }
const Slot kSlots[] = {
    HETRUN_SLOT(init, true),          HETRUN_SLOT(shutdown, true),
    HETRUN_SLOT(device_count, true),  HETRUN_SLOT(unavailable_reason, false),
    HETRUN_SLOT(device_info, true),   HETRUN_SLOT(device_open, true),
    HETRUN_SLOT(device_close, true),  HETRUN_SLOT(query_support, true),
    HETRUN_SLOT(compile, true),       HETRUN_SLOT(executable_release, true),
    HETRUN_SLOT(buffer_alloc, true),  HETRUN_SLOT(buffer_release, true),
    HETRUN_SLOT(buffer_write, true),  HETRUN_SLOT(buffer_read, true),
    HETRUN_SLOT(buffer_map, false),   HETRUN_SLOT(execute, true),
    HETRUN_SLOT(event_wait, true),    HETRUN_SLOT(event_query, true),
    HETRUN_SLOT(event_release, true),
};
#undef HETRUN_SLOT

const void* SlotValue(const hetrun_plugin_v1& t, const Slot& s) {
  const void* value = nullptr;
  std::memcpy(&value, reinterpret_cast<const char*>(&t) + s.offset, sizeof(value));
  return value;
}

bool Finite(double v) {
  return std::isfinite(v) && v >= 0;
}

}  // namespace

bool RunAbiChecks(const std::string& path, CheckLog& log) {
  // Our own handle, never closed: the PluginLibrary loaded later shares it (same path).
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* e = dlerror();
    log.Fail("abi.load", path + ": " + (e ? e : "dlopen failed"));
    return false;
  }
  auto query = reinterpret_cast<hetrun_plugin_query_fn>(dlsym(library, HETRUN_PLUGIN_ENTRY_SYMBOL));
  if (query == nullptr) {
    log.Fail("abi.entry_symbol", "no exported symbol " HETRUN_PLUGIN_ENTRY_SYMBOL);
    return false;
  }
  log.Pass("abi.entry_symbol", HETRUN_PLUGIN_ENTRY_SYMBOL " exported");
  const hetrun_plugin_v1* t = query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
  if (t == nullptr) {
    log.Fail("abi.version", "the plugin declined ABI " + std::to_string(HETRUN_ABI_MAJOR) + "." +
                                std::to_string(HETRUN_ABI_MINOR) + " (query returned NULL)");
    return false;
  }
  const std::string version = std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor);
  if (t->abi_major != HETRUN_ABI_MAJOR) {
    log.Fail("abi.version", "built for ABI " + version + ", this host is ABI " +
                                std::to_string(HETRUN_ABI_MAJOR) + ".x");
    return false;
  }
  log.Pass("abi.version", "ABI " + version);

  const size_t minimum = offsetof(hetrun_plugin_v1, event_release) + sizeof(void*);
  if (t->struct_size < minimum) {
    log.Fail("abi.struct_size", "table struct_size " + std::to_string(t->struct_size) +
                                    " is smaller than ABI 1.0's " + std::to_string(minimum));
    return false;
  }
  log.Pass("abi.struct_size", std::to_string(t->struct_size) + " bytes (host's: " +
                                  std::to_string(sizeof(hetrun_plugin_v1)) + ")");

  bool usable = true;
  const std::string name = t->name ? t->name : "";
  if (!std::regex_match(name, std::regex("[a-z0-9_]{1,32}"))) {
    log.Fail("abi.name", t->name ? "name '" + name + "' is not [a-z0-9_]{1,32}" : "name is NULL");
    usable = false;
  } else {
    // The registry finds plugins by file name and refuses a mismatch: say so here already.
    const std::string file = std::filesystem::path(path).filename().string();
    const std::string expected = "libhetrun_plugin_" + name + ".so";
    if (file.starts_with("libhetrun_plugin_") && file != expected)
      log.Fail("abi.name", "the plugin calls itself '" + name + "' but its file is " + file +
                               ": the registry would refuse it (expected " + expected + ")");
    else
      log.Pass("abi.name", "'" + name + "'");
  }

  const std::string v = t->version ? t->version : "";
  log.Expect("abi.version_string",
             std::regex_match(v, std::regex(R"(\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]+)?)")),
             t->version ? "'" + v + "'" + (v.empty() ? " is empty" : "") : "version is NULL");
  // flags may hold only the capability bits ABI 1.1 defines.
  log.Expect("abi.reserved_fields",
             (t->flags & ~HETRUN_PLUGIN_PACKED_VALUES) == 0 && t->reserved0 == 0,
             "flags " + std::to_string(t->flags) + ", reserved0 " + std::to_string(t->reserved0) +
                 " (flags may only set HETRUN_PLUGIN_PACKED_VALUES; reserved0 must be 0)");

  std::string missing, optional;
  for (const Slot& s : kSlots) {
    const bool present = s.offset + sizeof(void*) <= t->struct_size && SlotValue(*t, s) != nullptr;
    if (s.mandatory && !present) missing += (missing.empty() ? "" : ", ") + std::string(s.name);
    if (!s.mandatory)
      optional +=
          (optional.empty() ? "" : ", ") + std::string(s.name) + (present ? " set" : " NULL");
  }
  if (!missing.empty()) {
    log.Fail("abi.mandatory_slots", "NULL: " + missing);
    usable = false;
  } else {
    log.Pass("abi.mandatory_slots", "all set; optional: " + optional);
  }
  return usable;
}

DeviceCheckOutcome RunDeviceChecks(const plugin_api::PluginLibrary& plugin, uint32_t device,
                                   CheckLog& log) {
  const hetrun_plugin_v1& t = plugin.table();
  DeviceCheckOutcome out;
  uint32_t count = 0;
  Status s = plugin_api::TakeStatus(t.device_count(plugin.self(), &count), "device_count");
  if (!s.ok()) {
    log.Fail("device.count", s.message());
    out.why_not = "device_count failed";
    return out;
  }
  out.count = count;
  log.Pass("device.count", std::to_string(count) + " device(s)");
  if (count == 0) {
    const char* reason = t.unavailable_reason ? t.unavailable_reason(plugin.self()) : nullptr;
    if (reason != nullptr && *reason != '\0') {
      log.Pass("device.unavailable_reason", reason);
      out.why_not = std::string("no devices: ") + reason;
    } else {
      log.Skip("device.unavailable_reason", "0 devices and no reason given (the slot is optional)");
      out.why_not = "no devices";
    }
    return out;
  }

  const uint32_t shown = std::min<uint32_t>(count, 16);
  for (uint32_t i = 0; i < shown; ++i) {
    const std::string check = "device.info[" + std::to_string(i) + "]";
    hetrun_device_info info{};
    info.struct_size = sizeof(info);
    Status st = plugin_api::TakeStatus(t.device_info(plugin.self(), i, &info), "device_info");
    if (!st.ok()) {
      log.Fail(check, st.message());
      continue;
    }
    std::string problems;
    auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
    if (info.name == nullptr || *info.name == '\0') problem("name is empty");
    if (info.kind < HETRUN_DEVICE_CPU || info.kind > HETRUN_DEVICE_OTHER)
      problem("kind " + std::to_string(info.kind) + " is not a HETRUN_DEVICE_* value");
    if (info.memory_bytes == 0) problem("memory_bytes is 0");
    if (!Finite(info.peak_gflops) || !Finite(info.memory_gbps) || !Finite(info.host_link_gbps) ||
        !Finite(info.host_link_latency_us))
      problem(
          "a speed (peak_gflops, memory_gbps, host_link_gbps, host_link_latency_us) is "
          "negative or not finite");
    if ((info.flags & HETRUN_DEVICE_HOST_MEMORY) && t.buffer_map == nullptr)
      problem("HETRUN_DEVICE_HOST_MEMORY is set but buffer_map is NULL");
    char summary[256];
    std::snprintf(
        summary, sizeof(summary), "'%s', kind %u, %.1f GiB, %u compute units, ~%.0f GFLOP/s",
        info.name ? info.name : "", info.kind, static_cast<double>(info.memory_bytes) / (1 << 30),
        info.compute_units, info.peak_gflops);
    log.Expect(check, problems.empty(), problems.empty() ? summary : problems);
    if (i == device && !problems.empty())
      out.why_not = "device " + std::to_string(i) + " info: " + problems;
  }

  {  // An index past the end is an error, not a crash or a made-up device.
    hetrun_device_info info{};
    info.struct_size = sizeof(info);
    Status st = plugin_api::TakeStatus(t.device_info(plugin.self(), count, &info), "device_info");
    log.Expect("device.info_out_of_range", !st.ok(),
               st.ok() ? "device_info(" + std::to_string(count) + ") succeeded with " +
                             std::to_string(count) + " device(s)"
                       : "error: " + st.message());
    hetrun_device_t dev = nullptr;
    st = plugin_api::TakeStatus(t.device_open(plugin.self(), count, nullptr, &dev), "device_open");
    if (st.ok() && dev != nullptr) t.device_close(dev);
    log.Expect("device.open_out_of_range", !st.ok(),
               st.ok() ? "device_open(" + std::to_string(count) + ") succeeded"
                       : "error: " + st.message());
  }

  if (device >= count) {
    log.Fail("device.open_close", "--device " + std::to_string(device) + " but the plugin has " +
                                      std::to_string(count) + " device(s)");
    out.why_not = "no device " + std::to_string(device);
    return out;
  }
  hetrun_device_t dev = nullptr;
  Status st = plugin_api::TakeStatus(t.device_open(plugin.self(), device, nullptr, &dev),
                                     "device_open (default options)");
  if (st.ok() && dev == nullptr) st = InternalError("device_open succeeded but gave no device");
  if (st.ok()) t.device_close(dev);
  log.Expect("device.open_close", st.ok(),
             st.ok() ? "device " + std::to_string(device) + " opened with NULL options and closed"
                     : st.message());
  if (!st.ok()) out.why_not = "device " + std::to_string(device) + " does not open";
  out.selected_ok = out.why_not.empty();
  return out;
}

}  // namespace hetrun::cli::check_plugin
