// Completion state of one piece of submitted work: signalled once, with the work's outcome. The
// event handle the host holds, the queue item that completes it and any later work waiting on it
// all share one Event (std::shared_ptr), so releasing the handle early never frees it under them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::plugin {

class Event {
 public:
  // Signals the event with the work's outcome (HETRUN_STATUS_OK for success). Only the first call
  // counts; later ones are ignored, so a failure path and a success path may both call it.
  void Complete(hetrun_status_code_t code, std::string message = std::string()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (done_) return;
      done_ = true;
      code_ = code;
      message_ = std::move(message);
    }
    signalled_.notify_all();
  }

  // Blocks until signalled; std::nullopt waits forever. Returns whether the event has signalled.
  bool Wait(std::optional<std::chrono::milliseconds> timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!timeout) {
      signalled_.wait(lock, [this] { return done_; });
      return true;
    }
    return signalled_.wait_for(lock, *timeout, [this] { return done_; });
  }

  bool done() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }
  // The outcome; meaningful once done().
  hetrun_status_code_t code() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return code_;
  }
  std::string message() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return message_;
  }

  // The device time of the work (event_elapsed_us), set before Complete(): WorkQueue::SubmitAfter
  // sets its worker's clock around the work unless the work set a better one (a device timer).
  void SetElapsedUs(double us) {
    std::lock_guard<std::mutex> lock(mutex_);
    elapsed_us_ = us;
  }
  std::optional<double> elapsed_us() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return elapsed_us_;
  }

  // Where the work's time went, kernel by kernel in the order they ran (event_node_times), set
  // before Complete() by work that timed its kernels (a device opened with profile_nodes).
  void SetNodeTimes(std::vector<NodeTime> times) {
    std::lock_guard<std::mutex> lock(mutex_);
    node_times_ = std::move(times);
  }
  std::optional<std::vector<NodeTime>> node_times() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return node_times_;
  }

  // An event that has already signalled success: for work a plugin finishes inside execute().
  static std::shared_ptr<Event> Completed() {
    auto event = std::make_shared<Event>();
    event->Complete(HETRUN_STATUS_OK);
    return event;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable signalled_;
  bool done_ = false;
  hetrun_status_code_t code_ = HETRUN_STATUS_OK;
  std::string message_;
  std::optional<double> elapsed_us_;
  std::optional<std::vector<NodeTime>> node_times_;
};

}  // namespace hetrun::plugin
