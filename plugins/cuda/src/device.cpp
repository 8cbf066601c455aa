#include "device.h"

#include <algorithm>
#include <cstring>

#include "cuda_target.h"
#include "executable.h"
#include "graph_info.h"
#include "tuning.h"

namespace hetrun::cuda {
namespace {

constexpr uint64_t kStagingBytes = uint64_t{8} << 20;

DeviceBuffer& AsDeviceBuffer(plugin::Buffer& buffer) {
  auto* device = dynamic_cast<DeviceBuffer*>(&buffer);
  if (!device) plugin::ThrowInvalid("the buffer is not a CUDA device buffer");
  return *device;
}

}  // namespace

Context::Context(const DriverApi& api, const GpuInfo& gpu) : api_(api), gpu_(gpu) {
  Check(api_.cuDevicePrimaryCtxRetain(&context_, gpu_.handle), "cuDevicePrimaryCtxRetain");
  MakeCurrent();
  const CUresult created = api_.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING);
  if (created != CUDA_SUCCESS) {
    api_.cuDevicePrimaryCtxRelease(gpu_.handle);
    Check(created, "cuStreamCreate");
  }
}

Context::~Context() {
  if (api_.cuCtxSetCurrent(context_) == CUDA_SUCCESS) {
    api_.cuStreamSynchronize(stream_);
    api_.cuStreamDestroy(stream_);
  }
  api_.cuDevicePrimaryCtxRelease(gpu_.handle);
}

void Context::MakeCurrent() const {
  Check(api_.cuCtxSetCurrent(context_), "cuCtxSetCurrent");
}

void Context::Finish() const {
  CUevent event = nullptr;
  Check(api_.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  const CUresult recorded = api_.cuEventRecord(event, stream_);
  const CUresult done = recorded == CUDA_SUCCESS ? api_.cuEventSynchronize(event) : recorded;
  api_.cuEventDestroy(event);
  Check(done, "waiting for the CUDA stream");
}

DeviceBuffer::DeviceBuffer(std::shared_ptr<Context> context, uint64_t bytes)
    : context_(std::move(context)), bytes_(bytes) {
  context_->MakeCurrent();
  // cuMemAlloc refuses 0 bytes; an empty tensor still gets a distinct address.
  const CUresult result = context_->api().cuMemAlloc(&pointer_, std::max<uint64_t>(bytes, 4));
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY,
                        "cuMemAlloc of " + std::to_string(bytes) + " bytes: out of device memory");
  }
  context_->Check(result, "cuMemAlloc");
}

DeviceBuffer::~DeviceBuffer() {
  try {
    context_->MakeCurrent();
    context_->api().cuMemFree(pointer_);
  } catch (...) {  // a destructor reports nothing; the memory goes with the context anyway
  }
}

Device::Device(const DriverApi& api, const GpuInfo& gpu)
    : gpu_(gpu), context_(std::make_shared<Context>(api, gpu)) {
  context_->Check(api.cuMemAllocHost(&staging_, kStagingBytes), "cuMemAllocHost (staging)");
}

Device::~Device() {
  queue_.Close();
  try {
    context_->MakeCurrent();
    context_->api().cuMemFreeHost(staging_);
  } catch (...) {
  }
}

void Device::QuerySupport(const hetrun_graph_view& view, plugin::SupportAnswers& answers) {
  const vulkan::GraphInfo graph(view);
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    std::string reason;
    try {
      reason = CheckNode(graph, k, gpu_.target);
    } catch (const std::exception& e) {
      reason = e.what();
    }
    if (reason.empty()) {
      answers.Accept(k, CostUs(graph, k, gpu_.info));
    } else {
      answers.Decline(k, reason);
    }
  }
}

std::shared_ptr<plugin::Executable> Device::Compile(const hetrun_graph_view& part) {
  return std::make_shared<Executable>(shared_from_this(), part);
}

std::vector<plugin::Tunable> Device::Tunables(const hetrun_graph_view& graph, uint32_t node) {
  std::vector<plugin::Tunable> tunables;
  const vulkan::GraphInfo info(graph);
  for (vulkan::Tunable& t : vulkan::ListTunables(info, node, gpu_.target.limits))
    tunables.push_back(
        {std::move(t.name), std::move(t.description), std::move(t.values), t.default_value});
  return tunables;
}

std::shared_ptr<plugin::Executable> Device::CompileTuned(
    const hetrun_graph_view& part, const std::vector<plugin::TuningChoice>& choices) {
  // The framework has checked the choices against Tunables().
  vulkan::PartTuning tuning(part.num_nodes);
  for (const plugin::TuningChoice& c : choices) tuning[c.node][c.name] = c.value;
  return std::make_shared<Executable>(shared_from_this(), part, tuning);
}

std::shared_ptr<plugin::Buffer> Device::Allocate(uint64_t bytes) {
  return std::make_shared<DeviceBuffer>(context_, bytes);
}

void Device::Stage(bool to_device, CUdeviceptr device, void* host, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(staging_mutex_);
  context_->MakeCurrent();
  const DriverApi& api = context_->api();
  auto* bytes_of_host = static_cast<std::byte*>(host);
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t chunk = std::min(kStagingBytes, bytes - done);
    if (to_device) {
      std::memcpy(staging_, bytes_of_host + done, chunk);
      context_->Check(api.cuMemcpyHtoDAsync(device + done, staging_, chunk, context_->stream()),
                      "cuMemcpyHtoDAsync");
      context_->Finish();  // the staging buffer is reused by the next chunk
    } else {
      context_->Check(api.cuMemcpyDtoHAsync(staging_, device + done, chunk, context_->stream()),
                      "cuMemcpyDtoHAsync");
      context_->Finish();
      std::memcpy(bytes_of_host + done, staging_, chunk);
    }
    done += chunk;
  }
}

void Device::Write(plugin::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) {
  Stage(true, AsDeviceBuffer(buffer).pointer() + offset, const_cast<void*>(src), bytes);
}

void Device::Read(plugin::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) {
  Stage(false, AsDeviceBuffer(buffer).pointer() + offset, dst, bytes);
}

}  // namespace hetrun::cuda
