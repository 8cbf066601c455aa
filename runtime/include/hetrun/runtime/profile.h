// What one run did and when: spans on per-device tracks and a transfer track, fallbacks taken, and
// a Chrome trace writer (chrome://tracing, https://ui.perfetto.dev).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/status.h"

namespace hetrun::runtime {

struct TraceSpan {
  std::string name;      // "part 2", "x -> testdev"
  std::string category;  // "part", "transfer"
  int track = 0;         // Session::track_names() index
  double start_us = 0;   // since the session was created
  double duration_us = 0;
  std::string detail;  // ops, bytes, device
};

// A part that failed on its device and was re-run on the CPU (--fallback cpu).
struct FallbackRecord {
  int part = 0;
  std::string device;
  std::string error;
};

struct RunStats {
  bool collect_trace = false;  // in: record spans (costs a little per part)
  std::vector<TraceSpan> spans;
  std::vector<FallbackRecord> fallbacks;
  uint64_t transferred_bytes = 0;  // between memories, host included
  bool warm_start_cpu = false;     // out: --warm-start ran it on the CPU-only session
};

// Writes spans as Chrome trace JSON, one thread row per track.
Status WriteChromeTrace(const std::string& path, const std::vector<std::string>& track_names,
                        const std::vector<TraceSpan>& spans);

}  // namespace hetrun::runtime
