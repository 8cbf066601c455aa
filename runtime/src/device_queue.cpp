#include "device_queue.h"

namespace hetrun::runtime {

DeviceQueue::DeviceQueue() : worker_([this] { Work(); }) {}

DeviceQueue::~DeviceQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  worker_.join();
}

void DeviceQueue::Submit(std::function<void()> task) {
  // Notified under the lock: once the worker can take the task, the submitter no longer touches
  // this queue. Parts on another device's queue submit their successors here, and the last one
  // may finish the run, letting the session (and this queue) be destroyed at once; notifying after
  // unlocking signalled a destroyed condition variable (found by ThreadSanitizer).
  std::lock_guard lock(mutex_);
  tasks_.push_back(std::move(task));
  ready_.notify_one();
}

void DeviceQueue::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace hetrun::runtime
