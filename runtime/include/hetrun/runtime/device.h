// An opened device of a loaded plugin, with RAII wrappers for the plugin's handles. Every call into
// the plugin goes through here, so errors come back as Status naming the device.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin_api/plugin_library.h"
#include "hetrun/status.h"

namespace hetrun::runtime {

// "vulkan:1" -> {"vulkan", 1}; "cpu" -> {"cpu", 0}.
struct DeviceName {
  std::string plugin;
  uint32_t index = 0;
  static Result<DeviceName> Parse(const std::string& text);
  std::string ToString() const;
};

struct DeviceProperties {
  std::string name;
  hetrun_device_kind_t kind = HETRUN_DEVICE_OTHER;
  uint32_t flags = 0;
  uint64_t memory_bytes = 0;
  uint32_t compute_units = 0;
  double peak_gflops = 0, memory_gbps = 0, host_link_gbps = 0, host_link_latency_us = 0;
};
const char* DeviceKindName(hetrun_device_kind_t kind);

Result<DeviceProperties> QueryDeviceProperties(const plugin_api::PluginLibrary& plugin,
                                               uint32_t index);

// One tunable parameter of a node on a device (hetrun_tunable, copied).
struct TunableParameter {
  std::string name, description;
  std::vector<int64_t> values;
  int64_t default_value = 0;
};

// One node's share of a part's run on a device (hetrun_node_time, checked and copied).
struct NodeTimeInfo {
  uint32_t node = 0;  // index in the part (a fused group's first node)
  double start_us = 0;
  double duration_us = 0;
  std::string label;  // the plugin's name for what ran; "" = the node's own name
};

// Chosen tunable values for one node, by name.
using NodeTuning = std::vector<std::pair<std::string, int64_t>>;
// "block_m=4,variant=1" (the order given); "" for none.
std::string FormatNodeTuning(const NodeTuning& tuning);
// The inverse; nullopt when `text` is not of that form.
std::optional<NodeTuning> ParseNodeTuning(const std::string& text);

class Device {
 public:
  // `cache_dir`: where the plugin may keep compiled code ("" = nowhere).
  // `profile_nodes`: ask the device to time each node (ABI minor 3), for NodeTimes.
  static Result<std::unique_ptr<Device>> Open(plugin_api::PluginLibrary& plugin, uint32_t index,
                                              const std::string& display_name, uint32_t threads,
                                              const std::string& cache_dir = "",
                                              bool profile_nodes = false);
  ~Device();

  const std::string& display_name() const { return display_name_; }
  const DeviceProperties& properties() const { return properties_; }
  const hetrun_plugin_v1& api() const { return plugin_.table(); }
  const plugin_api::PluginLibrary& plugin() const { return plugin_; }
  hetrun_device_t handle() const { return handle_; }
  // Status from a plugin call, with "device 'cpu': <what>: " in front.
  Status Check(hetrun_status_t status, const std::string& what) const;

  // Tuning (ABI minor 2): whether the plugin lists tunables and compiles with chosen values.
  bool SupportsTuning() const;
  // Node `node`'s tunables in `graph`; empty when the plugin has none (or no tuning calls).
  Result<std::vector<TunableParameter>> ListTunables(const hetrun_graph_view& graph,
                                                     uint32_t node) const;
  // compile(), or compile_tuned() with `tuning[i]` for node i of the part (entries may be empty;
  // `tuning` may be shorter than the part). `what` names the part in errors.
  Status Compile(const hetrun_graph_view& part, const std::vector<NodeTuning>& tuning,
                 hetrun_executable_t* out, const std::string& what) const;
  // The device's own time for a signalled event's work (event_elapsed_us); nullopt when the
  // plugin has none.
  std::optional<double> ElapsedUs(hetrun_event_t event) const;
  // Where a signalled event's time went, node by node (event_node_times); empty when the plugin
  // has no node times for it (not opened with profile_nodes, or no such call).
  std::vector<NodeTimeInfo> NodeTimes(hetrun_event_t event, uint32_t part_nodes) const;

 private:
  Device(plugin_api::PluginLibrary& plugin) : plugin_(plugin) {}
  plugin_api::PluginLibrary& plugin_;
  hetrun_device_t handle_ = nullptr;
  std::string display_name_;
  DeviceProperties properties_;
};

// Owns one device buffer.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const Device* device, hetrun_buffer_t buffer) : device_(device), buffer_(buffer) {}
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  ~DeviceBuffer() { Reset(); }
  static Result<DeviceBuffer> Allocate(const Device& device, uint64_t bytes);
  hetrun_buffer_t get() const { return buffer_; }
  void Reset();

 private:
  const Device* device_ = nullptr;
  hetrun_buffer_t buffer_ = nullptr;
};

// Owns one event.
class DeviceEvent {
 public:
  DeviceEvent() = default;
  DeviceEvent(const Device* device, hetrun_event_t event) : device_(device), event_(event) {}
  DeviceEvent(DeviceEvent&& o) noexcept { *this = std::move(o); }
  DeviceEvent& operator=(DeviceEvent&& o) noexcept;
  ~DeviceEvent() { Reset(); }
  hetrun_event_t get() const { return event_; }
  Status Wait(uint64_t timeout_ms, const std::string& what) const;
  void Reset();

 private:
  const Device* device_ = nullptr;
  hetrun_event_t event_ = nullptr;
};

}  // namespace hetrun::runtime
