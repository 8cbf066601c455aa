// One worker thread per device: parts for a device run one after another in submission order,
// while different devices run at the same time.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hetrun::runtime {

class DeviceQueue {
 public:
  DeviceQueue();
  ~DeviceQueue();  // runs what is queued, then joins
  DeviceQueue(const DeviceQueue&) = delete;
  DeviceQueue& operator=(const DeviceQueue&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace hetrun::runtime
