// The checks that need no device: the plugin's entry symbol and table (ABI version, struct_size,
// name, version string, reserved fields, mandatory slots), read through a dlopen of our own so that
// each rule the registry enforces at once becomes a named check; and the device-level checks
// (device_count, device_info fields, open/close, out-of-range indices, unavailable_reason).
#pragma once

#include <cstdint>
#include <string>

#include "check_results.h"
#include "hetrun/plugin_api/plugin_library.h"

namespace hetrun::cli::check_plugin {

// Runs the table checks on the library at `path`. False when the table is unusable (the caller
// then skips everything else).
bool RunAbiChecks(const std::string& path, CheckLog& log);

struct DeviceCheckOutcome {
  uint32_t count = 0;
  bool selected_ok = false;  // `device` exists, its info is sane enough to use and it opens
  std::string why_not;       // when !selected_ok: the reason the other checks are skipped
};

DeviceCheckOutcome RunDeviceChecks(const plugin_api::PluginLibrary& plugin, uint32_t device,
                                   CheckLog& log);

}  // namespace hetrun::cli::check_plugin
