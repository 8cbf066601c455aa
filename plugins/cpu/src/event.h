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

namespace hetrun::cpu {

using NodeTime = plugin::NodeTime;  // event_node_times' entries

class Event {
 public:
  // Signals the event with the work's outcome (code OK for success) and, for work that ran, how
  // long it took on the thread that ran it. Only the first call counts.
  void Complete(hetrun_status_code_t code, std::string message,
                std::optional<double> elapsed_us = std::nullopt,
                std::optional<std::vector<NodeTime>> node_times = std::nullopt);
  // Blocks until signalled; std::nullopt waits forever. Returns whether the event has signalled.
  bool Wait(std::optional<std::chrono::milliseconds> timeout) const;
  bool done() const;
  // The outcome; meaningful once done().
  hetrun_status_code_t code() const;
  std::string message() const;
  // The work's duration in microseconds, when it ran (event_elapsed_us); meaningful once done().
  std::optional<double> elapsed_us() const;
  // Per-node times of the run, when its device was opened with profile_nodes (event_node_times).
  std::optional<std::vector<NodeTime>> node_times() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable signalled_;
  bool done_ = false;
  hetrun_status_code_t code_ = HETRUN_STATUS_OK;
  std::string message_;
  std::optional<double> elapsed_us_;
  std::optional<std::vector<NodeTime>> node_times_;
};

}  // namespace hetrun::cpu
