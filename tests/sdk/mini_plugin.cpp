// A minimal plugin on the framework, built twice (as sdk_mini_a and sdk_mini_b) with DEFAULT symbol
// visibility, the worst case: the two must still keep separate framework state and refuse each
// other's handles. Memory only; it declines every node.
#include <cstring>
#include <memory>

#include "hetrun/plugin/framework.hpp"

namespace {

namespace hp = hetrun::plugin;

class MiniDevice final : public hp::Device {
 public:
  void QuerySupport(const hetrun_graph_view& graph, hp::SupportAnswers& answers) override {
    for (uint32_t k = 0; k < graph.num_nodes; ++k) answers.Decline(k, "runs nothing");
  }
  std::shared_ptr<hp::Executable> Compile(const hetrun_graph_view&) override {
    throw hp::Error(HETRUN_STATUS_UNIMPLEMENTED, "runs nothing");
  }
  std::shared_ptr<hp::Buffer> Allocate(uint64_t bytes) override {
    return std::make_shared<hp::HostBuffer>(bytes);
  }
  void Write(hp::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override {
    std::memcpy(static_cast<hp::HostBuffer&>(buffer).data() + offset, src, bytes);
  }
  void Read(hp::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override {
    std::memcpy(dst, static_cast<hp::HostBuffer&>(buffer).data() + offset, bytes);
  }
};

class MiniPlugin final : public hp::Plugin {
 public:
  uint32_t DeviceCount() override { return 1; }
  void DeviceInfo(uint32_t, hetrun_device_info& info) override { info.name = MINI_PLUGIN_NAME; }
  std::shared_ptr<hp::Device> Open(uint32_t, const hetrun_device_options*) override {
    return std::make_shared<MiniDevice>();
  }
};

}  // namespace

HETRUN_PLUGIN_DEFINE(MINI_PLUGIN_NAME, "0.0.1", MiniPlugin);
