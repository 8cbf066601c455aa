// A device's work queue: one worker thread running submitted work in order, so execute() can return
// at once (the ABI forbids blocking on device work there). SubmitAfter() is the usual way in: it
// waits for the events execute() was given, runs the work, and signals the returned Event with the
// outcome (an exception becomes its code and message).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "hetrun/plugin/errors.hpp"
#include "hetrun/plugin/event.hpp"

namespace hetrun::plugin {

class WorkQueue {
 public:
  WorkQueue() : state_(std::make_shared<State>()) {
    std::shared_ptr<State> state = state_;
    thread_ = std::thread([state] { Loop(*state); });
  }
  ~WorkQueue() { Close(); }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `work`, which should not throw (it reports through an Event; a throw is logged as a
  // plugin bug). Throws Error(UNAVAILABLE) once the queue is closed.
  void Submit(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (state_->closing) throw Error(HETRUN_STATUS_UNAVAILABLE, "the device has been closed");
      state_->work.push_back(std::move(work));
    }
    state_->has_work.notify_one();
  }

  // Queues `work` to run once every event in `waits` has signalled, and returns the event it
  // signals: OK when `work` returns, the code and message of what it throws otherwise, or, without
  // running `work`, the error of the first waited-on event that failed. The event's device time
  // (event_elapsed_us) is how long `work` ran by this thread's clock; a plugin with a device timer
  // uses Submit() and sets its own Event's time (Event::SetElapsedUs) instead.
  std::shared_ptr<Event> SubmitAfter(std::vector<std::shared_ptr<Event>> waits,
                                     std::function<void()> work) {
    return SubmitAfter(std::move(waits), [work = std::move(work)](Event&) { work(); });
  }
  // The same, for work that reports more about itself on its event before it signals: a device
  // timer's time (SetElapsedUs), each kernel's (SetNodeTimes).
  std::shared_ptr<Event> SubmitAfter(std::vector<std::shared_ptr<Event>> waits,
                                     std::function<void(Event&)> work) {
    auto done = std::make_shared<Event>();
    Submit([waits = std::move(waits), work = std::move(work), done] {
      for (const std::shared_ptr<Event>& wait : waits) {
        wait->Wait(std::nullopt);
        if (wait->code() != HETRUN_STATUS_OK) {
          done->Complete(wait->code(),
                         "not run because a waited-on event failed: " + wait->message());
          return;
        }
      }
      try {
        const auto start = std::chrono::steady_clock::now();
        work(*done);
        if (!done->elapsed_us()) {
          done->SetElapsedUs(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                  .count());
        }
        done->Complete(HETRUN_STATUS_OK);
      } catch (...) {
        std::pair<hetrun_status_code_t, std::string> error = DescribeCurrentException();
        done->Complete(error.first, std::move(error.second));
      }
    });
    return done;
  }

  // Runs everything already queued, then stops the thread; later Submit() calls throw. Idempotent.
  // Called from the queue's own thread (a work item dropped the last reference to the device that
  // owns the queue), it lets the thread drain the queue and end by itself instead of joining
  // itself: the thread keeps its own reference to the queue's state, so this object may go away
  // first.
  void Close() {
    std::lock_guard<std::mutex> close_lock(close_mutex_);
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->closing = true;
    }
    state_->has_work.notify_one();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable has_work;
    std::deque<std::function<void()>> work;
    bool closing = false;
  };

  static void Loop(State& state) {
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock<std::mutex> lock(state.mutex);
        state.has_work.wait(lock, [&state] { return state.closing || !state.work.empty(); });
        if (state.work.empty()) return;  // closing, and drained
        work = std::move(state.work.front());
        state.work.pop_front();
      }
      // Work reports its own errors; this is only a backstop so the thread never dies.
      try {
        work();
      } catch (...) {
        Log(HETRUN_LOG_ERROR, "a queued work item threw; this is a plugin bug");
      }
    }
  }

  std::mutex close_mutex_;  // serialises Close() callers around join()
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace hetrun::plugin
