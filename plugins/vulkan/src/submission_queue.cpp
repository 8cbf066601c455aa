#include "submission_queue.h"

#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {

SubmissionQueue::SubmissionQueue() : thread_([this] { Loop(); }) {}

SubmissionQueue::~SubmissionQueue() {
  Close();
}

void SubmissionQueue::Submit(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (closing_) throw plugin::Error(HETRUN_STATUS_UNAVAILABLE, "the device has been closed");
    work_.push_back(std::move(work));
  }
  has_work_.notify_one();
}

void SubmissionQueue::Close() {
  std::lock_guard close_lock(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  has_work_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SubmissionQueue::Loop() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(mutex_);
      has_work_.wait(lock, [this] { return closing_ || !work_.empty(); });
      if (work_.empty()) return;  // closing, and drained
      work = std::move(work_.front());
      work_.pop_front();
    }
    // Work items report their own errors; this is only a backstop so the thread never dies.
    try {
      work();
    } catch (...) {
      plugin::Log(HETRUN_LOG_ERROR, "a queued work item threw; this is a plugin bug");
    }
  }
}

}  // namespace hetrun::vulkan
