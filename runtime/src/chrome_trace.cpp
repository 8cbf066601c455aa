#include <fstream>
#include <nlohmann/json.hpp>

#include "hetrun/runtime/profile.h"

namespace hetrun::runtime {

Status WriteChromeTrace(const std::string& path, const std::vector<std::string>& track_names,
                        const std::vector<TraceSpan>& spans) {
  using nlohmann::json;
  json events = json::array();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "hetrun"}}}});
  for (size_t t = 0; t < track_names.size(); ++t) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", t},
                      {"args", {{"name", track_names[t]}}}});
    events.push_back({{"name", "thread_sort_index"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", t},
                      {"args", {{"sort_index", t}}}});
  }
  for (const TraceSpan& span : spans)
    events.push_back({{"name", span.name},
                      {"cat", span.category},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", span.track},
                      {"ts", span.start_us},
                      {"dur", span.duration_us},
                      {"args", {{"detail", span.detail}}}});
  std::ofstream out(path);
  if (!out) return InvalidArgument("--profile: cannot write '" + path + "'");
  out << json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << "\n";
  if (!out) return InvalidArgument("--profile: writing '" + path + "' failed");
  return Status::Ok();
}

}  // namespace hetrun::runtime
