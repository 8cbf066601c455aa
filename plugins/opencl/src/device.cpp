#include "device.h"

#include "executable.h"
#include "graph_info.h"
#include "support.h"

namespace hetrun::opencl {

Device::Device(const ClDevice& device, std::optional<Profile> profile,
               const hetrun_device_info& info, bool profile_nodes)
    : profile_(std::move(profile)),
      profile_nodes_(profile_nodes),
      info_(info),
      max_alloc_(device.max_alloc_bytes ? device.max_alloc_bytes : info.memory_bytes),
      context_(std::make_shared<ClContext>(device.platform, device.id,
                                           profile_ ? profile_->memory_bytes : 0, profile_nodes)) {}

void Device::QuerySupport(const hetrun_graph_view& view, plugin::SupportAnswers& answers) {
  const GraphInfo graph(view);
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    std::string reason;
    try {
      reason = CheckNode(graph, k, profile(), max_alloc_);
    } catch (...) {
      reason = plugin::DescribeCurrentException().second;
    }
    if (reason.empty()) {
      // Enqueue + launch on the in-order queue: about 5 us with PoCL, or the profile's figure.
      const double launch_us = profile_ && profile_->launch_us > 0 ? profile_->launch_us : 5.0;
      answers.Accept(k, EstimateCostUs(graph, k, info_, launch_us));
    } else {
      answers.Decline(k, reason);
    }
  }
}

std::shared_ptr<plugin::Executable> Device::Compile(const hetrun_graph_view& part) {
  return std::make_shared<Executable>(shared_from_this(), part);
}

std::shared_ptr<plugin::Buffer> Device::Allocate(uint64_t bytes) {
  return std::make_shared<ClBuffer>(context_, bytes);
}

void Device::Write(plugin::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) {
  // Blocking: the ABI's transfers are synchronous. The in-order queue puts it after earlier work.
  ClCheck(clEnqueueWriteBuffer(context_->queue(), static_cast<ClBuffer&>(buffer).mem(), CL_TRUE,
                               offset, bytes, src, 0, nullptr, nullptr),
          "clEnqueueWriteBuffer");
}

void Device::Read(plugin::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) {
  ClCheck(clEnqueueReadBuffer(context_->queue(), static_cast<ClBuffer&>(buffer).mem(), CL_TRUE,
                              offset, bytes, dst, 0, nullptr, nullptr),
          "clEnqueueReadBuffer");
}

}  // namespace hetrun::opencl
