#include "hetrun/runtime/device.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "hetrun/plugin_api/host_services.h"

namespace hetrun::runtime {

Result<DeviceName> DeviceName::Parse(const std::string& text) {
  DeviceName name;
  size_t colon = text.find(':');
  name.plugin = text.substr(0, colon);
  if (name.plugin.empty())
    return InvalidArgument("empty device name in --devices (expected e.g. cpu,vulkan:1)");
  for (char c : name.plugin)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return InvalidArgument("bad device name '" + text + "' (expected e.g. cpu or vulkan:1)");
  if (colon != std::string::npos) {
    const std::string index = text.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(index.data(), index.data() + index.size(), name.index);
    if (ec != std::errc() || ptr != index.data() + index.size() || index.empty())
      return InvalidArgument("bad device index in '" + text + "' (expected e.g. vulkan:1)");
  }
  return name;
}

std::string DeviceName::ToString() const {
  return index == 0 ? plugin : plugin + ":" + std::to_string(index);
}

const char* DeviceKindName(hetrun_device_kind_t kind) {
  switch (kind) {
    case HETRUN_DEVICE_CPU: return "cpu";
    case HETRUN_DEVICE_GPU: return "gpu";
    case HETRUN_DEVICE_NPU: return "npu";
    default: return "other";
  }
}

Result<DeviceProperties> QueryDeviceProperties(const plugin_api::PluginLibrary& plugin,
                                               uint32_t index) {
  hetrun_device_info info{};
  info.struct_size = sizeof(info);
  HETRUN_RETURN_IF_ERROR(plugin_api::TakeStatus(
      plugin.table().device_info(plugin.self(), index, &info),
      "plugin '" + plugin.name() + "': device_info(" + std::to_string(index) + ")"));
  DeviceProperties p;
  p.name = info.name ? info.name : plugin.name();
  p.kind = info.kind;
  p.flags = info.flags;
  p.memory_bytes = info.memory_bytes;
  p.compute_units = info.compute_units;
  p.peak_gflops = info.peak_gflops;
  p.memory_gbps = info.memory_gbps;
  p.host_link_gbps = info.host_link_gbps;
  p.host_link_latency_us = info.host_link_latency_us;
  return p;
}

Result<std::unique_ptr<Device>> Device::Open(plugin_api::PluginLibrary& plugin, uint32_t index,
                                             const std::string& display_name, uint32_t threads,
                                             const std::string& cache_dir, bool profile_nodes) {
  uint32_t count = 0;
  HETRUN_RETURN_IF_ERROR(plugin_api::TakeStatus(plugin.table().device_count(plugin.self(), &count),
                                                "plugin '" + plugin.name() + "': device_count"));
  if (index >= count) {
    std::string why;
    if (count == 0 && plugin.table().unavailable_reason != nullptr) {
      const char* r = plugin.table().unavailable_reason(plugin.self());
      if (r != nullptr) why = std::string(" (") + r + ")";
    }
    return NotFound("device '" + display_name + "': plugin '" + plugin.name() + "' has " +
                    std::to_string(count) + " device(s)" + why +
                    "; run 'hetrun devices' to list them");
  }
  std::unique_ptr<Device> device(new Device(plugin));
  device->display_name_ = display_name;
  HETRUN_ASSIGN_OR_RETURN(device->properties_, QueryDeviceProperties(plugin, index));
  hetrun_device_options options{};
  options.struct_size = sizeof(options);
  options.threads = threads;
  options.cache_dir = cache_dir.empty() ? nullptr : cache_dir.c_str();
  options.profile_nodes = profile_nodes ? 1 : 0;
  hetrun_device_t handle = nullptr;
  HETRUN_RETURN_IF_ERROR(
      device->Check(plugin.table().device_open(plugin.self(), index, &options, &handle), "open"));
  device->handle_ = handle;
  return device;
}

Device::~Device() {
  if (handle_ != nullptr) plugin_.table().device_close(handle_);
}

Status Device::Check(hetrun_status_t status, const std::string& what) const {
  if (status == nullptr) return Status::Ok();  // the common case: no message to build
  return plugin_api::TakeStatus(status, "device '" + display_name_ + "': " + what);
}

std::string FormatNodeTuning(const NodeTuning& tuning) {
  std::string text;
  for (const auto& [name, value] : tuning)
    text += (text.empty() ? "" : ",") + name + "=" + std::to_string(value);
  return text;
}

std::optional<NodeTuning> ParseNodeTuning(const std::string& text) {
  NodeTuning tuning;
  if (!text.empty() && text.back() == ',') return std::nullopt;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    if (eq == 0 || eq == std::string::npos) return std::nullopt;
    const std::string name = item.substr(0, eq);
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      return std::nullopt;
    int64_t value = 0;
    const char* first = item.data() + eq + 1;
    const char* last = item.data() + item.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
    tuning.emplace_back(name, value);
    start = comma + 1;
  }
  return tuning;
}

bool Device::SupportsTuning() const {
  const hetrun_plugin_v1& t = api();
  return plugin_.HasSlot(offsetof(hetrun_plugin_v1, compile_tuned) + sizeof(void*)) &&
         t.list_tunables != nullptr && t.compile_tuned != nullptr;
}

Result<std::vector<TunableParameter>> Device::ListTunables(const hetrun_graph_view& graph,
                                                           uint32_t node) const {
  std::vector<TunableParameter> result;
  if (!SupportsTuning()) return result;
  std::vector<hetrun_tunable> entries(4);
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (hetrun_tunable& e : entries) {
      e = hetrun_tunable{};
      e.struct_size = sizeof(hetrun_tunable);
    }
    uint32_t count = 0;
    HETRUN_RETURN_IF_ERROR(Check(api().list_tunables(handle_, &graph, node, entries.data(),
                                                     static_cast<uint32_t>(entries.size()), &count),
                                 "list_tunables"));
    if (count > entries.size()) {
      if (count > 256)
        return InternalError("device '" + display_name_ + "': list_tunables says a node has " +
                             std::to_string(count) + " tunables");
      entries.resize(count);
      continue;
    }
    for (uint32_t i = 0; i < count; ++i) {
      const hetrun_tunable& e = entries[i];
      TunableParameter p;
      p.name.assign(e.name, strnlen(e.name, sizeof e.name));
      p.description.assign(e.description, strnlen(e.description, sizeof e.description));
      const uint32_t n = std::min<uint32_t>(e.num_values, HETRUN_MAX_TUNABLE_VALUES);
      p.values.assign(e.values, e.values + n);
      p.default_value = e.default_value;
      if (p.name.empty() || p.values.empty())
        return InternalError("device '" + display_name_ + "': list_tunables gave an empty tunable");
      result.push_back(std::move(p));
    }
    return result;
  }
  return InternalError("device '" + display_name_ +
                       "': list_tunables changed its count between calls");
}

Status Device::Compile(const hetrun_graph_view& part, const std::vector<NodeTuning>& tuning,
                       hetrun_executable_t* out, const std::string& what) const {
  std::vector<hetrun_tuning_value> values;
  for (size_t n = 0; n < tuning.size(); ++n)
    for (const auto& [name, value] : tuning[n])
      values.push_back({static_cast<uint32_t>(n), 0, name.c_str(), value});
  if (values.empty() || !SupportsTuning())
    return Check(api().compile(handle_, &part, out), "compile " + what);
  return Check(
      api().compile_tuned(handle_, &part, values.data(), static_cast<uint32_t>(values.size()), out),
      "compile " + what);
}

std::optional<double> Device::ElapsedUs(hetrun_event_t event) const {
  const hetrun_plugin_v1& t = api();
  if (!plugin_.HasSlot(offsetof(hetrun_plugin_v1, event_elapsed_us) + sizeof(void*)) ||
      t.event_elapsed_us == nullptr)
    return std::nullopt;
  double us = 0;
  hetrun_status_t status = t.event_elapsed_us(handle_, event, &us);
  if (status != nullptr) {
    (void)Check(status, "event_elapsed_us");  // frees the status
    return std::nullopt;
  }
  if (!(us >= 0) || us > 1e12) return std::nullopt;
  return us;
}

std::vector<NodeTimeInfo> Device::NodeTimes(hetrun_event_t event, uint32_t part_nodes) const {
  const hetrun_plugin_v1& t = api();
  if (!plugin_.HasSlot(offsetof(hetrun_plugin_v1, event_node_times) + sizeof(void*)) ||
      t.event_node_times == nullptr)
    return {};
  // Twice at most: the count first (with room for a typical part), then room for all.
  std::vector<hetrun_node_time> entries(std::max<uint32_t>(part_nodes, 1));
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (hetrun_node_time& e : entries) {
      e = hetrun_node_time{};
      e.struct_size = sizeof(hetrun_node_time);
    }
    uint32_t count = 0;
    hetrun_status_t status = t.event_node_times(handle_, event, entries.data(),
                                                static_cast<uint32_t>(entries.size()), &count);
    if (status != nullptr) {
      (void)Check(status, "event_node_times");  // frees the status
      return {};
    }
    if (count > entries.size()) {
      if (count > 16u * std::max<uint32_t>(part_nodes, 1)) return {};  // not believable
      entries.resize(count);
      continue;
    }
    std::vector<NodeTimeInfo> out;
    for (uint32_t i = 0; i < count; ++i) {
      const hetrun_node_time& e = entries[i];
      // A plugin's bad entry is dropped, never trusted: indices past the part, negative or
      // non-finite times.
      if (e.node >= part_nodes || !(e.start_us >= 0) || !(e.duration_us >= 0) ||
          e.start_us > 1e12 || e.duration_us > 1e12)
        continue;
      out.push_back({e.node, e.start_us, e.duration_us,
                     std::string(e.label, strnlen(e.label, sizeof e.label))});
    }
    return out;
  }
  return {};
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    Reset();
    device_ = o.device_;
    buffer_ = o.buffer_;
    o.buffer_ = nullptr;
  }
  return *this;
}

Result<DeviceBuffer> DeviceBuffer::Allocate(const Device& device, uint64_t bytes) {
  hetrun_buffer_t buffer = nullptr;
  // Zero-byte tensors still get a real buffer so every argument has a valid handle.
  HETRUN_RETURN_IF_ERROR(
      device.Check(device.api().buffer_alloc(device.handle(), bytes == 0 ? 1 : bytes, &buffer),
                   "allocate " + std::to_string(bytes) + " bytes"));
  return DeviceBuffer(&device, buffer);
}

void DeviceBuffer::Reset() {
  if (buffer_ != nullptr) device_->api().buffer_release(device_->handle(), buffer_);
  buffer_ = nullptr;
}

DeviceEvent& DeviceEvent::operator=(DeviceEvent&& o) noexcept {
  if (this != &o) {
    Reset();
    device_ = o.device_;
    event_ = o.event_;
    o.event_ = nullptr;
  }
  return *this;
}

Status DeviceEvent::Wait(uint64_t timeout_ms, const std::string& what) const {
  if (event_ == nullptr) return Status::Ok();
  return device_->Check(device_->api().event_wait(device_->handle(), event_, timeout_ms), what);
}

void DeviceEvent::Reset() {
  if (event_ != nullptr) device_->api().event_release(device_->handle(), event_);
  event_ = nullptr;
}

}  // namespace hetrun::runtime
