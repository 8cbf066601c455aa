// The ABI entry points, through the SDK's plugin framework (hetrun/plugin/framework.hpp): this file
// only says which devices exist. It is compiled twice: as the `opencl` plugin (every OpenCL device,
// everything the code generator supports) and, with HETRUN_OPENCL_NPU=1, as the `npu` plugin (the
// first OpenCL device behind the NPU capability profile).
#include <memory>
#include <optional>
#include <string>

#include "cl_platform.h"
#include "device.h"
#include "hetrun/plugin/framework.hpp"
#include "profile.h"

#ifndef HETRUN_OPENCL_NPU
#define HETRUN_OPENCL_NPU 0
#endif

namespace hetrun::opencl {
namespace {

class OpenClPlugin final : public plugin::Plugin {
 public:
  OpenClPlugin() : platforms_(Platforms::Discover()) {
    if (HETRUN_OPENCL_NPU) {
      // A malformed profile fails init with its line number: better than a silently wrong NPU.
      profile_path_ = Profile::DefaultPath();
      profile_ = Profile::Load(profile_path_);
      if (!platforms_.devices().empty()) {
        npu_name_ = "npu (profile " + profile_path_ + ", on " + platforms_.devices()[0].name + ")";
      }
    }
    if (platforms_.devices().empty()) {
      plugin::Log(HETRUN_LOG_DEBUG, "no devices: " + platforms_.unavailable_reason());
    }
  }

  uint32_t DeviceCount() override {
    const auto count = static_cast<uint32_t>(platforms_.devices().size());
    return HETRUN_OPENCL_NPU ? (count > 0 ? 1 : 0) : count;  // the NPU is one device
  }

  const char* UnavailableReason() override {
    return platforms_.devices().empty() ? platforms_.unavailable_reason().c_str() : nullptr;
  }

  void DeviceInfo(uint32_t index, hetrun_device_info& info) override { info = InfoOf(index); }

  std::shared_ptr<plugin::Device> Open(uint32_t index,
                                       const hetrun_device_options* options) override {
    return std::make_shared<Device>(platforms_.devices()[index], profile_, InfoOf(index),
                                    plugin::ProfileNodesRequested(options));
  }

 private:
  hetrun_device_info InfoOf(uint32_t index) const {
    hetrun_device_info info = platforms_.devices()[index].info;
    if (profile_) {
      info.name = npu_name_.c_str();
      info.kind = HETRUN_DEVICE_NPU;
      info.memory_bytes = profile_->memory_bytes;
      // The modelled accelerator's figures, when the profile gives them.
      if (profile_->peak_gflops > 0) info.peak_gflops = profile_->peak_gflops;
      if (profile_->memory_gbps > 0) info.memory_gbps = profile_->memory_gbps;
      if (profile_->host_link_gbps > 0) info.host_link_gbps = profile_->host_link_gbps;
    }
    return info;
  }

  Platforms platforms_;
  std::optional<Profile> profile_;
  std::string profile_path_, npu_name_;
};

}  // namespace
}  // namespace hetrun::opencl

#if HETRUN_OPENCL_NPU
HETRUN_PLUGIN_DEFINE("npu", "0.1.0", hetrun::opencl::OpenClPlugin);
#else
HETRUN_PLUGIN_DEFINE("opencl", "0.1.0", hetrun::opencl::OpenClPlugin);
#endif
