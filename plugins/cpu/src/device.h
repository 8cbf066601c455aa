// The CPU plugin's single device: what it reports (device_info) and what an opened device owns, the
// intra-op thread pool and the submission queue that runs execute() work in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "hetrun/plugin.h"
#include "submission_queue.h"
#include "thread_pool.h"

namespace hetrun::cpu {

// Facts about this machine, probed once at init.
struct HostCpuInfo {
  std::string name;  // "AMD EPYC 9R14 (2 threads)"
  uint32_t threads = 1;
  uint64_t memory_bytes = 0;
  bool avx512f = false;
  double peak_gflops = 0;
};

HostCpuInfo ProbeHostCpu();

// Fills `info` from `cpu`, writing only the fields the caller's struct_size covers. `cpu.name` must
// outlive the use of info->name.
void FillDeviceInfo(const HostCpuInfo& cpu, hetrun_device_info* info);

// An opened device. Close() (or destruction) finishes the queued work and joins its threads.
class Device {
 public:
  // `threads`: intra-op threads including the queue thread; 0 = one per hardware thread.
  // `gflops_per_thread`: the float32 peak of one thread, for cost estimates.
  Device(uint32_t threads, double gflops_per_thread);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  ThreadPool& pool() { return pool_; }
  // Float32 peak of the threads this device runs on (what cost estimates should assume).
  double peak_gflops() const { return gflops_per_thread_ * pool_.threads(); }
  // Queues work for the submission thread; throws plugin::Error(UNAVAILABLE) after Close().
  void Submit(std::function<void()> work) { queue_.Submit(std::move(work)); }
  // Finishes the queued work, then stops the queue thread. When the host has given up on some work
  // (an event wait timed out), that work may never end (a Loop with a 2^62 trip count): running
  // work is then cancelled at its next node or Loop iteration instead of waited for.
  void Close() {
    if (timed_out_wait_.load()) pool_.Cancel();
    queue_.Close();
  }
  // device_options.profile_nodes: runs time each node (event_node_times).
  void set_profile_nodes(bool on) { profile_nodes_ = on; }
  bool profile_nodes() const { return profile_nodes_; }
  // event_wait ran past its timeout on this device.
  void NoteTimedOutWait() { timed_out_wait_.store(true); }

 private:
  double gflops_per_thread_;
  std::atomic<bool> timed_out_wait_{false};
  bool profile_nodes_ = false;  // set once, at open
  ThreadPool pool_;             // declared first: queued work uses it until the queue is closed
  SubmissionQueue queue_;
};

}  // namespace hetrun::cpu
