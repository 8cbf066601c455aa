// Reading whole files with the checks every loader needs (missing file, directory, size cap).
#pragma once

#include <cstdint>
#include <string>

#include "hetrun/status.h"

namespace hetrun::core::detail {

// The file's bytes. Errors start with "PATH: ": NotFound for a missing file, InvalidArgument for a
// directory, a short read, or a file over `max_bytes` (checked before allocating; `too_big_hint`
// is appended to that message).
Result<std::string> ReadFileBytes(const std::string& path, uint64_t max_bytes,
                                  const std::string& too_big_hint = "");

}  // namespace hetrun::core::detail
