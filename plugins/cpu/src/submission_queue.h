// The submission queue of one opened CPU device: a single thread that runs submitted work in order,
// so execute() can return at once. Work items must not throw (they report through their Event).
// Work may also run on the submitting thread when the queue is idle (see InlineWhenIdle): that
// skips two thread hand-offs, which cost more than a small part takes, and keeps the one-at-a-time
// order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hetrun::cpu {

class SubmissionQueue {
 public:
  SubmissionQueue();
  ~SubmissionQueue();  // Close()
  SubmissionQueue(const SubmissionQueue&) = delete;
  SubmissionQueue& operator=(const SubmissionQueue&) = delete;

  // While one of these lives on a thread, Submit() from that thread runs the work at once on that
  // thread when nothing is queued or running (work submitted meanwhile waits for it, so the device
  // still runs one item at a time in submission order). The submitter decides: only work known to
  // finish quickly may block its caller.
  class InlineWhenIdle {
   public:
    InlineWhenIdle();
    ~InlineWhenIdle();
    InlineWhenIdle(const InlineWhenIdle&) = delete;
    InlineWhenIdle& operator=(const InlineWhenIdle&) = delete;
  };

  // Queues `work` (or runs it, see InlineWhenIdle). Throws plugin::Error(UNAVAILABLE) once the
  // queue is closed.
  void Submit(std::function<void()> work);
  // Called by a work item on the queue thread once it no longer uses the device, just before it
  // signals its event: the caller woken by that event then finds the queue idle and may run its
  // next item inline. No effect on other threads or when called twice.
  static void ReleaseDeviceEarly();
  // Runs everything already queued (and waits for inline work), then stops the thread. Idempotent;
  // must not be called from the queue thread itself.
  void Close();

 private:
  void Loop();
  static void RunGuarded(const std::function<void()>& work, const char* where);

  std::mutex close_mutex_;  // serialises Close() callers around join()
  std::mutex mutex_;
  std::condition_variable has_work_;
  std::deque<std::function<void()>> work_;
  bool busy_ = false;  // an item runs (on the queue thread or inline)
  bool closing_ = false;
  std::thread thread_;  // last: starts after the state above exists
};

}  // namespace hetrun::cpu
