#include "event.h"

namespace hetrun::vulkan {

void Event::Complete(hetrun_status_code_t code, std::string message, double elapsed_us,
                     std::optional<std::vector<NodeTime>> node_times) {
  {
    std::lock_guard lock(mutex_);
    if (done_) return;
    done_ = true;
    code_ = code;
    message_ = std::move(message);
    elapsed_us_ = elapsed_us;
    node_times_ = std::move(node_times);
  }
  signalled_.notify_all();
}

bool Event::Wait(std::optional<std::chrono::milliseconds> timeout) const {
  std::unique_lock lock(mutex_);
  if (!timeout) {
    signalled_.wait(lock, [this] { return done_; });
    return true;
  }
  return signalled_.wait_for(lock, *timeout, [this] { return done_; });
}

bool Event::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

hetrun_status_code_t Event::code() const {
  std::lock_guard lock(mutex_);
  return code_;
}

std::string Event::message() const {
  std::lock_guard lock(mutex_);
  return message_;
}

double Event::elapsed_us() const {
  std::lock_guard lock(mutex_);
  return elapsed_us_;
}

std::optional<std::vector<NodeTime>> Event::node_times() const {
  std::lock_guard lock(mutex_);
  return node_times_;
}

}  // namespace hetrun::vulkan
