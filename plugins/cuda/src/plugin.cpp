// The ABI entry points of the CUDA plugin, through the SDK's plugin framework: this file only says
// which devices exist. With no driver or no GPU the plugin still loads and reports zero devices
// with the reason (hetrun devices shows it).
#include <memory>

#include "cuda_driver.h"
#include "device.h"
#include "hetrun/plugin/framework.hpp"

namespace hetrun::cuda {
namespace {

class CudaPlugin final : public plugin::Plugin {
 public:
  CudaPlugin() : driver_(GetDriver()) {
    if (driver_.gpus.empty()) plugin::Log(HETRUN_LOG_DEBUG, "no devices: " + driver_.reason);
  }

  uint32_t DeviceCount() override { return static_cast<uint32_t>(driver_.gpus.size()); }

  const char* UnavailableReason() override {
    return driver_.gpus.empty() ? driver_.reason.c_str() : nullptr;
  }

  void DeviceInfo(uint32_t index, hetrun_device_info& info) override {
    const uint32_t size = info.struct_size;
    info = driver_.gpus[index].info;
    info.struct_size = size;
  }

  std::shared_ptr<plugin::Device> Open(uint32_t index, const hetrun_device_options*) override {
    return std::make_shared<Device>(*driver_.api, driver_.gpus[index]);
  }

 private:
  const Driver& driver_;
};

}  // namespace
}  // namespace hetrun::cuda

HETRUN_PLUGIN_DEFINE("cuda", "0.1.0", hetrun::cuda::CudaPlugin);
