// The Vulkan plugin's ABI surface: hetrun_plugin_query and the function table. Each entry point
// checks its handles and runs its body under plugin::Guard, so no exception leaves the library.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "executable.h"
#include "graph_info.h"
#include "handles.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "query_support.h"
#include "tuning.h"
#include "vk_instance.h"

namespace hetrun::vulkan {
namespace {

struct PluginState {
  std::unique_ptr<Instance> instance;
};

PluginState& State(void* self) {
  if (!self) ThrowInvalid("self is NULL");
  return *static_cast<PluginState*>(self);
}

template <typename T>
void CheckOut(T* out, const char* name) {
  if (!out) ThrowInvalid(std::string(name) + " is NULL");
}

const PhysicalDevice& DeviceAt(PluginState& state, uint32_t index) {
  const std::vector<PhysicalDevice>& devices = state.instance->devices();
  if (index >= devices.size()) {
    throw plugin::Error(
        HETRUN_STATUS_NOT_FOUND,
        "no device " + std::to_string(index) + ": the vulkan plugin has " +
            std::to_string(devices.size()) + " here" +
            (devices.empty() ? " (" + state.instance->unavailable_reason() + ")" : std::string()));
  }
  return devices[index];
}

std::mutex g_init_mutex;
int g_init_count = 0;

hetrun_status_t Init(const hetrun_host_services* host, void** out_self) {
  if (!host || !host->status_create) return nullptr;
  const size_t needed = offsetof(hetrun_host_services, log) + sizeof host->log;
  if (host->struct_size < needed || !host->log) {
    return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT,
                               "host services table is too small or has no log function");
  }
  if (!out_self) return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT, "out_self is NULL");
  {
    std::lock_guard lock(g_init_mutex);
    plugin::SetHost(host);
    ++g_init_count;
  }
  hetrun_status_t status = plugin::Guard([&] {
    auto state = std::make_unique<PluginState>();
    state->instance = Instance::Create();
    if (state->instance->devices().empty()) {
      plugin::Log(HETRUN_LOG_DEBUG, "no devices: " + state->instance->unavailable_reason());
    }
    *out_self = state.release();
  });
  if (status) {
    std::lock_guard lock(g_init_mutex);
    if (--g_init_count == 0) plugin::SetHost(nullptr);
  }
  return status;
}

void Shutdown(void* self) {
  delete static_cast<PluginState*>(self);
  if (!self) return;
  std::lock_guard lock(g_init_mutex);
  if (g_init_count > 0 && --g_init_count == 0) plugin::SetHost(nullptr);
}

hetrun_status_t DeviceCount(void* self, uint32_t* out_count) {
  return plugin::Guard([&] {
    PluginState& state = State(self);
    CheckOut(out_count, "out_count");
    *out_count = static_cast<uint32_t>(state.instance->devices().size());
  });
}

const char* UnavailableReason(void* self) {
  if (!self) return nullptr;
  const std::string& reason = static_cast<PluginState*>(self)->instance->unavailable_reason();
  return reason.empty() ? nullptr : reason.c_str();
}

hetrun_status_t DeviceInfo(void* self, uint32_t index, hetrun_device_info* out_info) {
  return plugin::Guard([&] {
    PluginState& state = State(self);
    CheckOut(out_info, "out_info");
    const hetrun_device_info& info = DeviceAt(state, index).info;
    // Only the fields the host's struct has room for.
    const uint32_t size = std::min<uint32_t>(out_info->struct_size, sizeof(hetrun_device_info));
    if (size <= sizeof out_info->struct_size) return;
    std::memcpy(reinterpret_cast<char*>(out_info) + sizeof out_info->struct_size,
                reinterpret_cast<const char*>(&info) + sizeof info.struct_size,
                size - sizeof out_info->struct_size);
  });
}

hetrun_status_t DeviceOpen(void* self, uint32_t index, const hetrun_device_options* options,
                           hetrun_device_t* out_device) {
  return plugin::Guard([&] {
    PluginState& state = State(self);
    CheckOut(out_device, "out_device");
    auto handle = std::make_unique<hetrun_device_s>();
    handle->device = Device::Open(DeviceAt(state, index));
    handle->device->set_profile_nodes(plugin::ProfileNodesRequested(options));
    *out_device = handle.release();
  });
}

void DeviceClose(hetrun_device_t device) {
  if (!device || device->tag != HandleTag::kDevice) return;
  device->device->Close();
  ReleaseHandle(device, HandleTag::kDevice);
}

hetrun_status_t QuerySupportEntry(hetrun_device_t device, const hetrun_graph_view* graph,
                                  hetrun_node_support* out_support) {
  return plugin::Guard([&] {
    const Device& dev = UnwrapDevice(device);
    CheckOut(graph, "graph");
    QuerySupport(dev, *graph, out_support);
  });
}

hetrun_status_t Compile(hetrun_device_t device, const hetrun_graph_view* part,
                        hetrun_executable_t* out_executable) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    auto handle = std::make_unique<hetrun_executable_s>();
    handle->executable = Executable::Compile(device->device, *part);
    *out_executable = handle.release();
  });
}

hetrun_status_t ListTunablesEntry(hetrun_device_t device, const hetrun_graph_view* graph,
                                  uint32_t node, hetrun_tunable* out, uint32_t capacity,
                                  uint32_t* out_count) {
  return plugin::Guard([&] {
    const Device& dev = UnwrapDevice(device);
    CheckOut(graph, "graph");
    CheckOut(out_count, "out_count");
    if (capacity && !out) ThrowInvalid("out is NULL with capacity > 0");
    if (capacity && out->struct_size < sizeof(hetrun_tunable)) {
      ThrowInvalid("out[0].struct_size " + std::to_string(out->struct_size) +
                   " is smaller than hetrun_tunable (" + std::to_string(sizeof(hetrun_tunable)) +
                   " bytes)");
    }
    const GraphInfo info(*graph);
    if (node >= graph->num_nodes) {
      ThrowInvalid("node " + std::to_string(node) + " is outside the graph of " +
                   std::to_string(graph->num_nodes) + " nodes");
    }
    const std::vector<Tunable> list = ListTunables(info, node, DeviceLimits(dev));
    const size_t step = capacity ? out->struct_size : 0;
    for (size_t i = 0; i < list.size() && i < capacity; ++i) {
      const Tunable& t = list[i];
      auto* entry = reinterpret_cast<hetrun_tunable*>(reinterpret_cast<char*>(out) + i * step);
      hetrun_tunable filled{};
      filled.struct_size = entry->struct_size;
      filled.num_values = static_cast<uint32_t>(t.values.size());
      std::snprintf(filled.name, sizeof filled.name, "%s", t.name.c_str());
      std::snprintf(filled.description, sizeof filled.description, "%s", t.description.c_str());
      std::copy(t.values.begin(), t.values.end(), filled.values);
      filled.default_value = t.default_value;
      std::memcpy(entry, &filled, sizeof filled);  // the host's entry is at least this large
    }
    *out_count = static_cast<uint32_t>(list.size());
  });
}

hetrun_status_t CompileTuned(hetrun_device_t device, const hetrun_graph_view* part,
                             const hetrun_tuning_value* values, uint32_t num_values,
                             hetrun_executable_t* out_executable) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    if (num_values && !values) ThrowInvalid("values is NULL with num_values > 0");
    auto handle = std::make_unique<hetrun_executable_s>();
    handle->executable = Executable::Compile(device->device, *part, values, num_values);
    *out_executable = handle.release();
  });
}

void ExecutableRelease(hetrun_executable_t executable) {
  ReleaseHandle(executable, HandleTag::kExecutable);
}

hetrun_status_t BufferAlloc(hetrun_device_t device, uint64_t bytes, hetrun_buffer_t* out_buffer) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(out_buffer, "out_buffer");
    auto handle = std::make_unique<hetrun_buffer_s>();
    handle->buffer = Buffer::Create(device->device, bytes);
    *out_buffer = handle.release();
  });
}

void BufferRelease(hetrun_device_t /*device*/, hetrun_buffer_t buffer) {
  ReleaseHandle(buffer, HandleTag::kBuffer);
}

// The buffer, after checking it belongs to `device` and holds [offset, offset + bytes).
const std::shared_ptr<Buffer>& CheckedBuffer(hetrun_device_t device, hetrun_buffer_t buffer,
                                             uint64_t offset, uint64_t bytes) {
  Device& dev = UnwrapDevice(device);
  const std::shared_ptr<Buffer>& b = UnwrapBuffer(buffer);
  if (&b->device() != &dev) ThrowInvalid("the buffer belongs to another device");
  if (offset > b->bytes() || bytes > b->bytes() - offset) {
    ThrowInvalid(std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                 " are outside the buffer of " + std::to_string(b->bytes()) + " bytes");
  }
  return b;
}

hetrun_status_t BufferWrite(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                            const void* src, uint64_t bytes) {
  return plugin::Guard([&] {
    const std::shared_ptr<Buffer>& b = CheckedBuffer(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(src, "src");
    if (b->mapped()) {
      std::memcpy(b->mapped() + offset, src, bytes);
      return;
    }
    Device& dev = UnwrapDevice(device);
    std::shared_ptr<Buffer> staging = Buffer::Create(device->device, bytes, true);
    std::memcpy(staging->mapped(), src, bytes);
    dev.RunCommands([&](VkCommandBuffer commands) {
      const VkBufferCopy region{0, offset, bytes};
      vkCmdCopyBuffer(commands, staging->handle(), b->handle(), 1, &region);
    });
  });
}

hetrun_status_t BufferRead(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                           void* dst, uint64_t bytes) {
  return plugin::Guard([&] {
    const std::shared_ptr<Buffer>& b = CheckedBuffer(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(dst, "dst");
    if (b->mapped()) {
      std::memcpy(dst, b->mapped() + offset, bytes);
      return;
    }
    Device& dev = UnwrapDevice(device);
    std::shared_ptr<Buffer> staging = Buffer::Create(device->device, bytes, true);
    dev.RunCommands([&](VkCommandBuffer commands) {
      const VkBufferCopy region{offset, 0, bytes};
      vkCmdCopyBuffer(commands, b->handle(), staging->handle(), 1, &region);
    });
    std::memcpy(dst, staging->mapped(), bytes);
  });
}

// Runs on the device's submission thread: waits for the dependencies, then the part; fills in
// the output entries the plugin allocated before signalling.
void RunQueued(const Executable& exe, const Executable::RunArgs& args,
               const std::vector<std::shared_ptr<Event>>& waits, hetrun_tensor_arg* outputs,
               Event& done) {
  for (const std::shared_ptr<Event>& wait : waits) {
    wait->Wait(std::nullopt);
    if (wait->code() != HETRUN_STATUS_OK) {
      done.Complete(wait->code(), "not run because a waited-on event failed: " + wait->message());
      return;
    }
  }
  try {
    double elapsed_us = -1;
    std::optional<std::vector<NodeTime>> node_times;
    if (exe.device()->profile_nodes() && exe.device()->timestamp_bits() > 0) node_times.emplace();
    std::vector<std::shared_ptr<Buffer>> allocated =
        exe.Run(args, &elapsed_us, node_times ? &*node_times : nullptr);
    for (size_t j = 0; j < allocated.size(); ++j) {
      if (!allocated[j]) continue;
      auto handle = std::make_unique<hetrun_buffer_s>();
      handle->buffer = std::move(allocated[j]);
      hetrun_tensor_arg& entry = outputs[j];
      const std::vector<int64_t>& dims = exe.output_dims(j);
      entry.offset = 0;
      entry.dtype = exe.output_dtype(j);
      entry.rank = static_cast<uint32_t>(dims.size());
      std::copy(dims.begin(), dims.end(), entry.dims);
      entry.buffer = handle.release();
    }
    done.Complete(HETRUN_STATUS_OK, "", elapsed_us, std::move(node_times));
  } catch (...) {
    auto [code, message] = DescribeCurrentException();
    done.Complete(code, std::move(message));
  }
}

hetrun_status_t Execute(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                        uint32_t num_inputs, hetrun_tensor_arg* outputs, uint32_t num_outputs,
                        const hetrun_event_t* waits, uint32_t num_waits,
                        hetrun_event_t* out_event) {
  return plugin::Guard([&] {
    const std::shared_ptr<Executable>& exe = UnwrapExecutable(executable);
    CheckOut(out_event, "out_event");
    exe->device()->CheckNotLost();
    if (num_waits && !waits) ThrowInvalid("waits is NULL with num_waits > 0");
    std::vector<std::shared_ptr<Event>> wait_events;
    for (uint32_t i = 0; i < num_waits; ++i) {
      wait_events.push_back(UnwrapEvent(waits[i], "waits[" + std::to_string(i) + "]"));
    }
    Device* device = exe->device().get();
    Executable::RunArgs args =
        exe->Bind(inputs, num_inputs, outputs, num_outputs, [&](hetrun_buffer_t handle) {
          const std::shared_ptr<Buffer>& buffer = UnwrapBuffer(handle, "an argument's buffer");
          if (&buffer->device() != device) {
            ThrowInvalid("an argument's buffer belongs to another device");
          }
          return buffer;
        });
    auto event = std::make_shared<Event>();
    auto handle = std::make_unique<hetrun_event_s>();
    handle->event = event;
    device->Submit([exe, args = std::move(args), waits = std::move(wait_events), outputs, event] {
      RunQueued(*exe, args, waits, outputs, *event);
    });
    *out_event = handle.release();
  });
}

constexpr uint64_t kForeverMs = uint64_t{1} << 40;

hetrun_status_t EventWait(hetrun_device_t device, hetrun_event_t event, uint64_t timeout_ms) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    std::optional<std::chrono::milliseconds> timeout;
    if (timeout_ms < kForeverMs) timeout = std::chrono::milliseconds(timeout_ms);
    if (!e.Wait(timeout)) {
      throw plugin::Error(HETRUN_STATUS_TIMEOUT,
                          "the event did not signal within " + std::to_string(timeout_ms) + " ms");
    }
    if (e.code() != HETRUN_STATUS_OK) throw plugin::Error(e.code(), e.message());
  });
}

hetrun_status_t EventQuery(hetrun_device_t device, hetrun_event_t event, uint8_t* out_done) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    CheckOut(out_done, "out_done");
    *out_done = e.done() ? 1 : 0;
  });
}

void EventRelease(hetrun_device_t /*device*/, hetrun_event_t event) {
  ReleaseHandle(event, HandleTag::kEvent);
}

hetrun_status_t EventElapsedUs(hetrun_device_t device, hetrun_event_t event, double* out_us) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    CheckOut(out_us, "out_us");
    if (!e.done()) {
      throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, "the event has not signalled yet");
    }
    if (e.code() != HETRUN_STATUS_OK) {
      throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED,
                          "the work the event tracks failed, so it has no time: " + e.message());
    }
    if (e.elapsed_us() < 0) {
      throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, "no device time was taken for this event");
    }
    *out_us = e.elapsed_us();
  });
}

// Each kernel's time from the timestamps written after it (a fused chain once, under its first
// node, labelled with its members), in dispatch order.
hetrun_status_t EventNodeTimes(hetrun_device_t device, hetrun_event_t event, hetrun_node_time* out,
                               uint32_t capacity, uint32_t* out_count) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    plugin::AnswerNodeTimes(e.done(), e.code(), e.message(), e.node_times(), out, capacity,
                            out_count);
  });
}

const hetrun_plugin_v1 kPluginTable = {
    .struct_size = sizeof(hetrun_plugin_v1),
    .abi_major = HETRUN_ABI_MAJOR,
    .abi_minor = HETRUN_ABI_MINOR,
    .name = "vulkan",
    .version = "0.1.0",
    .flags = 0,
    .reserved0 = 0,
    .init = Init,
    .shutdown = Shutdown,
    .device_count = DeviceCount,
    .unavailable_reason = UnavailableReason,
    .device_info = DeviceInfo,
    .device_open = DeviceOpen,
    .device_close = DeviceClose,
    .query_support = QuerySupportEntry,
    .compile = Compile,
    .executable_release = ExecutableRelease,
    .buffer_alloc = BufferAlloc,
    .buffer_release = BufferRelease,
    .buffer_write = BufferWrite,
    .buffer_read = BufferRead,
    .buffer_map = nullptr,  // not host memory: transfers go through buffer_write/read
    .execute = Execute,
    .event_wait = EventWait,
    .event_query = EventQuery,
    .event_release = EventRelease,
    .list_tunables = ListTunablesEntry,
    .compile_tuned = CompileTuned,
    .event_elapsed_us = EventElapsedUs,
    .event_node_times = EventNodeTimes,
};

}  // namespace
}  // namespace hetrun::vulkan

extern "C" HETRUN_PLUGIN_EXPORT const hetrun_plugin_v1* hetrun_plugin_query(
    uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {
  return host_abi_major == HETRUN_ABI_MAJOR ? &hetrun::vulkan::kPluginTable : nullptr;
}
