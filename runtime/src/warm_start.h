// The state of a --warm-start session (see SessionOptions::warm_start): the CPU-only session that
// serves runs now, and the thread building the full one.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "hetrun/runtime/session.h"

namespace hetrun::runtime {

struct Session::WarmStart {
  std::unique_ptr<Session> starter;  // CPU only, ready when Create() returns
  std::thread builder;
  std::mutex join_mutex;          // serialises callers of WaitForFullPlan
  std::unique_ptr<Session> full;  // set once by the builder
  Status full_status = Status::Ok();
  std::atomic<bool> ready{false};  // release: `full` / `full_status` are final
  double ready_ms = 0;

  ~WarmStart() {
    if (builder.joinable()) builder.join();  // a compile in flight cannot be cancelled
  }
};

}  // namespace hetrun::runtime
