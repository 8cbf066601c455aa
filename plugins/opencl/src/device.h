// An opened OpenCL device as the plugin framework sees it: capability answers, compilation,
// buffers and transfers. With a profile it is the `npu` device: only what the profile allows, and
// no more memory than its cap.
#pragma once

#include <memory>
#include <optional>

#include "cl_context.h"
#include "cl_platform.h"
#include "hetrun/plugin/framework.hpp"
#include "profile.h"

namespace hetrun::opencl {

class Device final : public plugin::Device, public std::enable_shared_from_this<Device> {
 public:
  // `info` is what device_info reports (the npu's memory cap and kind already applied).
  // `profile_nodes`: time each kernel of every run (device_options.profile_nodes).
  Device(const ClDevice& device, std::optional<Profile> profile, const hetrun_device_info& info,
         bool profile_nodes = false);

  void QuerySupport(const hetrun_graph_view& graph, plugin::SupportAnswers& answers) override;
  std::shared_ptr<plugin::Executable> Compile(const hetrun_graph_view& part) override;
  std::shared_ptr<plugin::Buffer> Allocate(uint64_t bytes) override;
  void Write(plugin::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override;
  void Read(plugin::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override;
  void Close() override { queue_.Close(); }

  const std::shared_ptr<ClContext>& context() const { return context_; }
  plugin::WorkQueue& queue() { return queue_; }
  const Profile* profile() const { return profile_ ? &*profile_ : nullptr; }
  bool profile_nodes() const { return profile_nodes_; }

 private:
  std::optional<Profile> profile_;
  bool profile_nodes_ = false;
  hetrun_device_info info_;
  uint64_t max_alloc_;
  std::shared_ptr<ClContext> context_;
  // Runs execute()'s work in order off the caller's thread, and waits for the device there.
  plugin::WorkQueue queue_;
};

}  // namespace hetrun::opencl
