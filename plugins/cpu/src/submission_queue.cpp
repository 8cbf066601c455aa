#include "submission_queue.h"

#include <utility>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace {
thread_local int t_inline_when_idle = 0;  // live InlineWhenIdle scopes on this thread
// On a queue thread: its queue while an item runs, until the item releases the device early.
thread_local SubmissionQueue* t_holding = nullptr;
}  // namespace

void SubmissionQueue::ReleaseDeviceEarly() {
  SubmissionQueue* queue = std::exchange(t_holding, nullptr);
  if (queue == nullptr) return;
  std::lock_guard lock(queue->mutex_);
  queue->busy_ = false;
}

SubmissionQueue::InlineWhenIdle::InlineWhenIdle() {
  ++t_inline_when_idle;
}

SubmissionQueue::InlineWhenIdle::~InlineWhenIdle() {
  --t_inline_when_idle;
}

SubmissionQueue::SubmissionQueue() : thread_([this] { Loop(); }) {}

SubmissionQueue::~SubmissionQueue() {
  Close();
}

void SubmissionQueue::RunGuarded(const std::function<void()>& work, const char* where) {
  // Work items report their own errors; this is only a backstop so no thread dies.
  try {
    work();
  } catch (...) {
    plugin::Log(HETRUN_LOG_ERROR,
                std::string("a ") + where + " work item threw; this is a plugin bug");
  }
}

void SubmissionQueue::Submit(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (closing_) throw plugin::Error(HETRUN_STATUS_UNAVAILABLE, "the device has been closed");
    if (t_inline_when_idle == 0 || busy_ || !work_.empty()) {
      work_.push_back(std::move(work));
      has_work_.notify_one();
      return;
    }
    busy_ = true;  // the queue thread waits until this item is done
  }
  RunGuarded(work, "inline");
  {
    std::lock_guard lock(mutex_);
    busy_ = false;
    if (!work_.empty() || closing_) has_work_.notify_one();
  }
}

void SubmissionQueue::Close() {
  std::lock_guard close_lock(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    has_work_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void SubmissionQueue::Loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // An item running inline on a submitter's thread holds the device: the next one waits for it.
    has_work_.wait(lock, [this] { return !busy_ && (closing_ || !work_.empty()); });
    if (work_.empty()) return;  // closing, and drained
    std::function<void()> work = std::move(work_.front());
    work_.pop_front();
    busy_ = true;
    t_holding = this;
    lock.unlock();
    RunGuarded(work, "queued");
    work = nullptr;
    lock.lock();
    // Unless the item released the device itself (then an inline item may hold it by now).
    if (std::exchange(t_holding, nullptr) != nullptr) busy_ = false;
  }
}

}  // namespace hetrun::cpu
