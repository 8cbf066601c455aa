// The error paths: calls a host could get wrong must come back as an error status, never a crash,
// a hang or a silent success: an op nobody implements, a malformed graph view, execute() with the
// wrong number, dtype or dims of inputs, an absurd allocation, reads and writes past a buffer's
// end, waiting twice on a finished event, and the release functions given NULL. The riskiest calls
// run last, so a crash loses as little as possible.
#pragma once

#include <cstdint>

#include "check_results.h"
#include "hetrun/runtime/device.h"

namespace hetrun::cli::check_plugin {

void RunErrorPathChecks(const runtime::Device& target, uint64_t timeout_ms, CheckLog& log);

}  // namespace hetrun::cli::check_plugin
