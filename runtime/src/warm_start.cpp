// --warm-start: a CPU-only session answers the first requests while the full plan opens its
// devices, partitions and compiles on a background thread; runs switch over once it is ready.
#include "warm_start.h"

#include <chrono>

namespace hetrun::runtime {

Result<std::unique_ptr<Session>> Session::CreateWarmStart(core::Graph graph,
                                                          const SessionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SessionOptions cpu_options = options;
  cpu_options.devices = {"cpu"};
  cpu_options.warm_start = false;
  cpu_options.pins.clear();  // they place nodes on the other devices
  cpu_options.plan_in.clear();
  cpu_options.replay.clear();
  cpu_options.device_memory.clear();
  if (auto it = options.device_memory.find("cpu"); it != options.device_memory.end())
    cpu_options.device_memory.insert(*it);
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> starter, Create(graph, cpu_options));

  std::unique_ptr<Session> session(new Session());
  session->inputs_ = starter->inputs_;
  session->outputs_ = starter->outputs_;
  session->warm_ = std::make_unique<WarmStart>();
  WarmStart& warm = *session->warm_;
  warm.starter = std::move(starter);
  SessionOptions full_options = options;
  full_options.warm_start = false;
  warm.builder = std::thread([&warm, full_options, start, graph = std::move(graph)]() mutable {
    Result<std::unique_ptr<Session>> full = Create(std::move(graph), full_options);
    if (full.ok())
      warm.full = std::move(full).value();
    else
      warm.full_status = full.status();
    warm.ready_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    warm.ready.store(true, std::memory_order_release);  // publishes full, full_status, ready_ms
  });
  return session;
}

const Session& Session::Active() const {
  if (!warm_) return *this;
  if (warm_->ready.load(std::memory_order_acquire) && warm_->full) return *warm_->full;
  return *warm_->starter;
}

bool Session::warm_start_pending() const {
  return warm_ && !warm_->ready.load(std::memory_order_acquire);
}

Status Session::WaitForFullPlan() const {
  if (!warm_) return Status::Ok();
  if (warm_->builder.joinable()) {
    std::lock_guard<std::mutex> lock(warm_->join_mutex);
    if (warm_->builder.joinable()) warm_->builder.join();
  }
  return warm_->full_status;
}

double Session::full_plan_ready_ms() const {
  if (!warm_ || !warm_->ready.load(std::memory_order_acquire)) return 0;
  return warm_->ready_ms;
}

}  // namespace hetrun::runtime
