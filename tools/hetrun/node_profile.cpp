#include "node_profile.h"

#include <algorithm>
#include <cstdio>

namespace hetrun::cli {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double Total(const std::vector<double>& medians) {
  double sum = 0;
  for (double m : medians) sum += m;
  return sum;
}

}  // namespace

void NodeProfile::Add(const std::vector<runtime::TraceSpan>& spans) {
  bool any = false;
  for (const runtime::TraceSpan& s : spans) {
    if (s.category != "node") continue;
    any = true;
    Entry& e = nodes_[{s.track, s.name}];
    if (e.name.empty()) {
      e.name = s.name;
      e.op = s.detail;
      e.device =
          s.track >= 0 && static_cast<size_t>(s.track) < tracks_.size() ? tracks_[s.track] : "?";
    }
    e.durations_us.push_back(s.duration_us);
  }
  if (any) ++runs_;
}

std::vector<NodeProfile::Entry> NodeProfile::Sorted() const {
  std::vector<Entry> out;
  out.reserve(nodes_.size());
  for (const auto& [key, e] : nodes_) {
    out.push_back(e);
    out.back().median_us = Median(e.durations_us);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.median_us > b.median_us; });
  return out;
}

std::vector<NodeProfile::OpTotal> NodeProfile::ByOp(const std::vector<Entry>& entries) {
  std::vector<OpTotal> ops;
  for (const Entry& e : entries) {
    auto it = std::find_if(ops.begin(), ops.end(), [&](const OpTotal& o) { return o.op == e.op; });
    if (it == ops.end()) it = ops.insert(ops.end(), OpTotal{e.op, 0, 0});
    it->median_us += e.median_us;
    ++it->nodes;
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const OpTotal& a, const OpTotal& b) { return a.median_us > b.median_us; });
  return ops;
}

std::string NodeProfile::Table(size_t top) const {
  const std::vector<Entry> entries = Sorted();
  std::vector<double> medians;
  for (const Entry& e : entries) medians.push_back(e.median_us);
  const double total = Total(medians);
  const size_t shown = top == 0 ? entries.size() : std::min(top, entries.size());
  char line[512];
  std::string out;
  std::snprintf(line, sizeof line,
                "profile %zu node(s) timed by their devices, median of %zu run(s): %.1f us in "
                "all; the %zu slowest:\n",
                entries.size(), runs_, total, shown);
  out += line;
  out += "     median us   share  device      op                    node\n";
  for (size_t i = 0; i < shown; ++i) {
    const Entry& e = entries[i];
    std::snprintf(line, sizeof line, "    %10.1f  %5.1f%%  %-10s  %-20s  %s\n", e.median_us,
                  total > 0 ? 100.0 * e.median_us / total : 0.0, e.device.c_str(), e.op.c_str(),
                  e.name.c_str());
    out += line;
  }
  out += "by op  ";
  bool first = true;
  for (const OpTotal& o : ByOp(entries)) {
    std::snprintf(line, sizeof line, "%s%s %.1f%% (%zu)", first ? "" : ", ", o.op.c_str(),
                  total > 0 ? 100.0 * o.median_us / total : 0.0, o.nodes);
    out += line;
    first = false;
  }
  return out + "\n";
}

nlohmann::json NodeProfile::Json() const {
  const std::vector<Entry> entries = Sorted();
  std::vector<double> medians;
  for (const Entry& e : entries) medians.push_back(e.median_us);
  const double total = Total(medians);
  nlohmann::json nodes = nlohmann::json::array();
  for (const Entry& e : entries)
    nodes.push_back({{"node", e.name},
                     {"op", e.op},
                     {"device", e.device},
                     {"runs", e.durations_us.size()},
                     {"median_us", e.median_us},
                     {"share", total > 0 ? e.median_us / total : 0.0}});
  nlohmann::json ops = nlohmann::json::array();
  for (const OpTotal& o : ByOp(entries))
    ops.push_back({{"op", o.op},
                   {"nodes", o.nodes},
                   {"median_us", o.median_us},
                   {"share", total > 0 ? o.median_us / total : 0.0}});
  return {{"runs", runs_}, {"total_us", total}, {"nodes", nodes}, {"ops", ops}};
}

}  // namespace hetrun::cli
