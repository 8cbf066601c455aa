// Completion state of one piece of submitted work: signalled once, with the work's result. The
// event handle the host holds, the queue entry that completes it and any later work waiting on it
// all share one Event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {

using NodeTime = plugin::NodeTime;  // event_node_times' entries

class Event {
 public:
  // Signals the event with the work's outcome (code OK for success) and, when known, how long the
  // device took in microseconds (negative: unknown). Only the first call counts.
  void Complete(hetrun_status_code_t code, std::string message, double elapsed_us = -1,
                std::optional<std::vector<NodeTime>> node_times = std::nullopt);
  // Blocks until signalled; std::nullopt waits forever. Returns whether the event has signalled.
  bool Wait(std::optional<std::chrono::milliseconds> timeout) const;
  bool done() const;
  // The outcome; meaningful once done().
  hetrun_status_code_t code() const;
  std::string message() const;
  // The device time given to Complete; negative when unknown or not signalled yet.
  double elapsed_us() const;
  // Per-kernel times, when the device was opened with profile_nodes and has timestamps.
  std::optional<std::vector<NodeTime>> node_times() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable signalled_;
  bool done_ = false;
  hetrun_status_code_t code_ = HETRUN_STATUS_OK;
  std::string message_;
  double elapsed_us_ = -1;
  std::optional<std::vector<NodeTime>> node_times_;
};

}  // namespace hetrun::vulkan
