// The submission queue of one opened Vulkan device: a single thread that runs submitted work in
// order, so execute() can return at once. Work items must not throw (they report through their
// Event).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hetrun::vulkan {

class SubmissionQueue {
 public:
  SubmissionQueue();
  ~SubmissionQueue();  // Close()
  SubmissionQueue(const SubmissionQueue&) = delete;
  SubmissionQueue& operator=(const SubmissionQueue&) = delete;

  // Queues `work`. Throws plugin::Error(UNAVAILABLE) once the queue is closed.
  void Submit(std::function<void()> work);
  // Runs everything already queued, then stops the thread. Idempotent; must not be called from
  // the queue thread itself.
  void Close();

 private:
  void Loop();

  std::mutex close_mutex_;  // serialises Close() callers around join()
  std::mutex mutex_;
  std::condition_variable has_work_;
  std::deque<std::function<void()>> work_;
  bool closing_ = false;
  std::thread thread_;  // last: starts after the state above exists
};

}  // namespace hetrun::vulkan
