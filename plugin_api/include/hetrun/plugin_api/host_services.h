// The host side of the ABI's status and logging services: the table handed to every plugin's
// init(), and the conversion of a plugin's hetrun_status_t into a hetrun::Status.
#pragma once

#include <string>

#include "hetrun/plugin.h"
#include "hetrun/status.h"

struct hetrun_status_s {
  hetrun_status_code_t code;
  std::string message;
};

namespace hetrun::plugin_api {

// The services table (process-wide, immutable).
const hetrun_host_services* HostServices();

// Takes ownership of `status` (frees it) and returns it as a Status whose message is prefixed with
// `context` (e.g. "plugin 'cpu': compile"). NULL → OK.
Status TakeStatus(hetrun_status_t status, const std::string& context);

// Messages from plugins at or above this level go to stderr (default: warning). `-v` lowers it.
void SetPluginLogLevel(hetrun_log_level_t level);

}  // namespace hetrun::plugin_api
