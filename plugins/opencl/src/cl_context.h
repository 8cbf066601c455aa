// One opened OpenCL device: its context, the in-order command queue every transfer and kernel goes
// through (so no explicit dependencies between kernels are needed), the memory accounting that
// enforces a capability profile's cap, and the program cache. Shared (std::shared_ptr) by the
// device, its buffers and executables, so it outlives whichever goes last.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "errors.h"
#include "hetrun/plugin/framework.hpp"

namespace hetrun::opencl {

class ClContext {
 public:
  // `memory_cap` bytes at most live at once (0: only the device's own limit).
  // `profiling`: the queue records each command's start and end (CL_QUEUE_PROFILING_ENABLE), for
  // per-node times.
  ClContext(cl_platform_id platform, cl_device_id device, uint64_t memory_cap,
            bool profiling = false);
  ~ClContext();
  ClContext(const ClContext&) = delete;
  ClContext& operator=(const ClContext&) = delete;

  cl_context context() const { return context_; }
  cl_command_queue queue() const { return queue_; }
  cl_device_id device() const { return device_; }

  // A new kernel `run` from `source`, building the program once per distinct source. A build
  // failure throws INTERNAL with the compiler's log and `what` (the node) in the message.
  cl_kernel CreateKernel(const std::string& source, const std::string& what);

  // Counts `bytes` against the cap: OUT_OF_MEMORY when they do not fit. Undone by Unreserve.
  void Reserve(uint64_t bytes);
  void Unreserve(uint64_t bytes) { used_ -= bytes; }

 private:
  cl_device_id device_;
  cl_context context_ = nullptr;
  cl_command_queue queue_ = nullptr;
  uint64_t cap_;
  std::atomic<uint64_t> used_{0};
  std::mutex programs_mutex_;
  std::map<std::string, cl_program> programs_;  // keyed by the whole source
};

// Device memory: one cl_mem, counted against the context's cap while it lives.
class ClBuffer final : public plugin::Buffer {
 public:
  // Throws OUT_OF_MEMORY past the cap or when the driver refuses.
  ClBuffer(std::shared_ptr<ClContext> context, uint64_t bytes);
  ~ClBuffer() override;
  ClBuffer(const ClBuffer&) = delete;
  ClBuffer& operator=(const ClBuffer&) = delete;

  uint64_t size() const override { return bytes_; }
  cl_mem mem() const { return mem_; }

 private:
  std::shared_ptr<ClContext> context_;
  uint64_t bytes_;
  cl_mem mem_ = nullptr;
};

}  // namespace hetrun::opencl
