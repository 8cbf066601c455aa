// A compiled part: one OpenCL kernel (or buffer copy) per node in topological order, its weights
// uploaded once, and the values' shapes. Running it binds every value to a buffer (the caller's
// arguments, the weights, temporaries for values inside the part), enqueues the steps on the
// device's in-order queue and waits for them on the device's work-queue thread.
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "codegen.h"
#include "device.h"
#include "graph_info.h"
#include "hetrun/plugin/framework.hpp"

namespace hetrun::opencl {

class Executable final : public plugin::Executable,
                         public std::enable_shared_from_this<Executable> {
 public:
  // Throws UNIMPLEMENTED naming the node for anything the device declines, INTERNAL with the
  // build log when a generated kernel does not build, OUT_OF_MEMORY when the weights do not fit.
  Executable(std::shared_ptr<Device> device, const hetrun_graph_view& part);

  std::shared_ptr<plugin::Event> Execute(
      const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
      std::vector<std::shared_ptr<plugin::Event>> waits) override;

 private:
  struct KernelRelease {
    void operator()(cl_kernel kernel) const { clReleaseKernel(kernel); }
  };
  struct Step {
    Kernel kernel;
    uint32_t first_node = 0;    // the part's node it computes (a fused chain's first)
    std::string profile_label;  // "" for one node; "a+b (Add+Relu)" for a fused chain
    std::unique_ptr<std::remove_pointer_t<cl_kernel>, KernelRelease> handle;  // null for a copy
  };
  // Where a value lives during one run.
  struct Slot {
    cl_mem mem = nullptr;
    uint64_t offset = 0;  // in elements
  };

  // Runs on the device's work-queue thread (one run at a time, so kernel arguments may be set).
  // With `done` (a profiling device), each kernel's times from the queue's profiling info go to
  // done.SetNodeTimes.
  void Run(const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
           plugin::Event* done = nullptr) const;
  void EnqueueCopy(int32_t value, const Slot& from, const Slot& to) const;

  std::shared_ptr<Device> device_;
  std::vector<ValueInfo> values_;  // constant data pointers stay valid while we live
  std::vector<int32_t> inputs_, outputs_;
  std::vector<Step> steps_;
  std::vector<std::shared_ptr<ClBuffer>> constants_;  // per value, uploaded weights (or null)
};

}  // namespace hetrun::opencl
