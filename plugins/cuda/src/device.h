// An opened CUDA device as the plugin framework sees it: its primary context, one stream that every
// copy and kernel of the device goes through in order, device-memory buffers and pinned host
// staging for buffer_write/buffer_read. execute()'s work runs on the framework's WorkQueue thread,
// which launches on the stream and waits on a CUDA event there: the ABI's event signals when that
// CUDA event has completed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "cuda_driver.h"
#include "hetrun/plugin/framework.hpp"

namespace hetrun::cuda {

// The context and stream, shared by the device, its buffers and executables (the last one to go
// releases them).
class Context {
 public:
  Context(const DriverApi& api, const GpuInfo& gpu);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes the context current on the calling thread (every thread that calls the driver).
  void MakeCurrent() const;
  // Blocks until everything queued on the stream so far has finished (an event, not the stream).
  void Finish() const;
  void Check(CUresult result, const char* what) const { CuCheck(api_, result, what); }

  const DriverApi& api() const { return api_; }
  const GpuInfo& gpu() const { return gpu_; }
  CUstream stream() const { return stream_; }

 private:
  const DriverApi& api_;
  const GpuInfo& gpu_;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
};

// Device memory (cuMemAlloc), freed when the last holder lets go.
class DeviceBuffer final : public plugin::Buffer {
 public:
  DeviceBuffer(std::shared_ptr<Context> context, uint64_t bytes);
  ~DeviceBuffer() override;
  uint64_t size() const override { return bytes_; }
  CUdeviceptr pointer() const { return pointer_; }

 private:
  std::shared_ptr<Context> context_;
  uint64_t bytes_;
  CUdeviceptr pointer_ = 0;
};

class Device final : public plugin::Device, public std::enable_shared_from_this<Device> {
 public:
  Device(const DriverApi& api, const GpuInfo& gpu);
  ~Device() override;

  void QuerySupport(const hetrun_graph_view& graph, plugin::SupportAnswers& answers) override;
  std::shared_ptr<plugin::Executable> Compile(const hetrun_graph_view& part) override;
  // The shared kernel generator's tunables (work-group sizes, register blocks: hetrun/vulkan's
  // tuning.h), which suit a GPU differently from the defaults on some shapes: `hetrun tune`
  // measures them.
  std::vector<plugin::Tunable> Tunables(const hetrun_graph_view& graph, uint32_t node) override;
  std::shared_ptr<plugin::Executable> CompileTuned(
      const hetrun_graph_view& part, const std::vector<plugin::TuningChoice>& choices) override;
  std::shared_ptr<plugin::Buffer> Allocate(uint64_t bytes) override;
  void Write(plugin::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override;
  void Read(plugin::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override;
  void Close() override { queue_.Close(); }

  const std::shared_ptr<Context>& context() const { return context_; }
  const GpuInfo& gpu() const { return gpu_; }
  plugin::WorkQueue& queue() { return queue_; }

 private:
  // Copies through the pinned staging buffer, one chunk at a time, under staging_mutex_.
  void Stage(bool to_device, CUdeviceptr device, void* host, uint64_t bytes);

  const GpuInfo& gpu_;
  std::shared_ptr<Context> context_;
  std::mutex staging_mutex_;
  void* staging_ = nullptr;  // cuMemAllocHost, kStagingBytes
  plugin::WorkQueue queue_;
};

}  // namespace hetrun::cuda
