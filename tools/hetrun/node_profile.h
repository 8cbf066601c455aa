// --profile's per-node summary: the node spans of the timed runs (devices that time nodes, ABI
// minor 3), aggregated per node and per op type, as a table for people and JSON for the report.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hetrun/runtime/profile.h"

namespace hetrun::cli {

class NodeProfile {
 public:
  explicit NodeProfile(std::vector<std::string> track_names) : tracks_(std::move(track_names)) {}

  // The "node" spans of one run.
  void Add(const std::vector<runtime::TraceSpan>& spans);
  bool empty() const { return nodes_.empty(); }

  // The `top` slowest nodes by median (0: all), then the time per op type.
  std::string Table(size_t top) const;
  // Every node: name, op, device, runs, median_us, share; and per op type.
  nlohmann::json Json() const;

 private:
  struct Entry {
    std::string name, op, device;
    std::vector<double> durations_us;
    double median_us = 0;
  };
  struct OpTotal {
    std::string op;
    double median_us = 0;  // sum of its nodes' medians
    size_t nodes = 0;
  };
  // Entries sorted by median, slowest first, with their medians filled in.
  std::vector<Entry> Sorted() const;
  static std::vector<OpTotal> ByOp(const std::vector<Entry>& entries);

  std::vector<std::string> tracks_;
  std::map<std::pair<int, std::string>, Entry> nodes_;  // by track and name
  size_t runs_ = 0;
};

}  // namespace hetrun::cli
