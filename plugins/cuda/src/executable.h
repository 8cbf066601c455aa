// A compiled part: the shared generator's plan (kernels in order, fused elementwise chains, views
// sharing storage), its kernels translated to CUDA C and compiled by NVRTC into one module for the
// device's architecture, and the weights uploaded once. A run binds every value to device memory,
// launches the kernels in order on the device's stream and waits for a CUDA event on the device's
// work-queue thread.
#pragma once

#include <memory>
#include <vector>

#include "cuda_source.h"
#include "device.h"
#include "hetrun/plugin/framework.hpp"
#include "planner.h"
#include "tuning.h"

namespace hetrun::cuda {

// Compiles every kernel into one module image for `arch` ("sm_90": cubin, "compute_90": PTX).
// When the module does not compile, each kernel is compiled alone so the error names the node
// whose kernel failed, with NVRTC's log.
std::vector<char> CompileModule(const std::vector<CudaKernel>& kernels, const std::string& arch);
// The NVRTC target for a device of compute capability `arch` (major * 10 + minor): a cubin when
// NVRTC knows the architecture, else PTX for the newest one it knows (the driver JIT-compiles it).
std::string NvrtcTargetFor(int arch);

class Executable final : public plugin::Executable,
                         public std::enable_shared_from_this<Executable> {
 public:
  // Throws UNIMPLEMENTED naming the node for anything the device declines, INTERNAL with NVRTC's
  // log when a kernel does not compile, OUT_OF_MEMORY when the weights do not fit.
  // `tuning`: chosen values of the kernel generator's tunables per node (empty: the defaults).
  Executable(std::shared_ptr<Device> device, const hetrun_graph_view& part,
             const vulkan::PartTuning& tuning = {});
  ~Executable() override;

  std::shared_ptr<plugin::Event> Execute(
      const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
      std::vector<std::shared_ptr<plugin::Event>> waits) override;

 private:
  // Where a value lives during one run.
  struct Slot {
    std::shared_ptr<plugin::Buffer> buffer;
    CUdeviceptr pointer = 0;  // the buffer's start
    uint64_t offset = 0;      // bytes
  };
  void Run(const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs) const;
  void UploadConstants();

  std::shared_ptr<Device> device_;
  vulkan::Plan plan_;
  std::vector<CudaKernel> kernels_;  // translated plan_.kernels
  CUmodule module_ = nullptr;
  std::vector<CUfunction> functions_;
  std::vector<std::shared_ptr<DeviceBuffer>> constants_;  // per value; null if not a constant
};

}  // namespace hetrun::cuda
