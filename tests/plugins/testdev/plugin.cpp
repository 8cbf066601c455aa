// The testdev plugin's entry symbol and table, and its plugin-level and device-level functions. At
// init it loads the real CPU plugin and initialises it with the same host services; every device
// it opens is a CPU device behind testdev handles, so every kernel that runs is a real one.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "controls.h"
#include "entry_points.h"
#include "handles.h"

namespace hetrun::testdev {
namespace {

// What init() creates.
struct PluginState {
  void* cpu_library = nullptr;
  const hetrun_plugin_v1* cpu = nullptr;
  void* cpu_self = nullptr;
  double cpu_peak_gflops = 0;
  double cpu_memory_gbps = 0;
  std::mutex names_mutex;
  std::deque<std::string>
      names;  // device_info's names, lent until shutdown (a deque keeps them put)
};

PluginState& State(void* self) {
  if (!self) ThrowInvalid("testdev: self is NULL");
  return *static_cast<PluginState*>(self);
}

// Process-wide, so a buffer never matches a device opened in another init() either.
std::atomic<uint64_t> g_next_device_serial{1};

// The host services are process-wide (plugin::SetHost); the last shutdown() forgets them.
std::mutex g_init_mutex;
int g_init_count = 0;

void ForgetHost() {
  std::lock_guard lock(g_init_mutex);
  if (g_init_count > 0 && --g_init_count == 0) plugin::SetHost(nullptr);
}

// Loads and initialises the CPU plugin into `state`; on failure leaves nothing loaded.
hetrun_status_t LoadCpuPlugin(const hetrun_host_services* host, PluginState& state) {
  const std::string path = CpuPluginPathFromEnv();
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = dlerror();
    throw plugin::Error(HETRUN_STATUS_UNAVAILABLE,
                        "testdev: cannot load the CPU plugin it wraps (" +
                            std::string(why ? why : path) +
                            "); set HETRUN_TESTDEV_CPU_PLUGIN to libhetrun_plugin_cpu.so");
  }
  const hetrun_plugin_v1* cpu = nullptr;
  if (auto query =
          reinterpret_cast<hetrun_plugin_query_fn>(dlsym(library, HETRUN_PLUGIN_ENTRY_SYMBOL))) {
    cpu = query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
  }
  if (!cpu || cpu->struct_size < offsetof(hetrun_plugin_v1, event_release) + sizeof(void*)) {
    dlclose(library);
    throw plugin::Error(HETRUN_STATUS_UNAVAILABLE,
                        "testdev: " + path + " is not a hetrun ABI 1 plugin");
  }
  void* cpu_self = nullptr;
  if (hetrun_status_t status = cpu->init(host, &cpu_self)) {
    dlclose(library);
    return status;
  }
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  if (hetrun_status_t status = cpu->device_info(cpu_self, 0, &info)) {
    cpu->shutdown(cpu_self);
    dlclose(library);
    return status;
  }
  state.cpu_library = library;
  state.cpu = cpu;
  state.cpu_self = cpu_self;
  state.cpu_peak_gflops = info.peak_gflops;
  state.cpu_memory_gbps = info.memory_gbps;
  return nullptr;
}

hetrun_status_t Init(const hetrun_host_services* host, void** out_self) {
  if (!host || !host->status_create) return nullptr;  // no way to report anything
  const size_t needed = offsetof(hetrun_host_services, log) + sizeof host->log;
  if (host->struct_size < needed || !host->log) {
    return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT,
                               "testdev: host services table is too small or has no log function");
  }
  if (!out_self) {
    return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT, "testdev: out_self is NULL");
  }
  {
    std::lock_guard lock(g_init_mutex);
    plugin::SetHost(host);
    ++g_init_count;
  }
  const hetrun_status_t status = GuardForwarding([&]() -> hetrun_status_t {
    auto state = std::make_unique<PluginState>();
    if (hetrun_status_t cpu_status = LoadCpuPlugin(host, *state)) return cpu_status;
    *out_self = state.release();
    return nullptr;
  });
  if (status) ForgetHost();
  return status;
}

void Shutdown(void* self) {
  if (!self) return;
  auto* state = static_cast<PluginState*>(self);
  state->cpu->shutdown(state->cpu_self);
  dlclose(state->cpu_library);
  delete state;
  ForgetHost();
}

hetrun_status_t DeviceCount(void* self, uint32_t* out_count) {
  return plugin::Guard([&] {
    State(self);
    CheckOut(out_count, "out_count");
    *out_count = DeviceCountFromEnv();
  });
}

const char* UnavailableReason(void* /*self*/) {
  try {
    return DeviceCountFromEnv() == 0 ? "HETRUN_TESTDEV_DEVICES is 0" : nullptr;
  } catch (...) {
    return "HETRUN_TESTDEV_DEVICES is not a device count";
  }
}

void CheckIndex(uint32_t index) {
  const uint32_t count = DeviceCountFromEnv();
  if (index >= count) {
    throw plugin::Error(HETRUN_STATUS_NOT_FOUND, "testdev: no device " + std::to_string(index) +
                                                     ": HETRUN_TESTDEV_DEVICES makes " +
                                                     std::to_string(count));
  }
}

hetrun_status_t DeviceInfo(void* self, uint32_t index, hetrun_device_info* out_info) {
  return plugin::Guard([&] {
    PluginState& state = State(self);
    CheckOut(out_info, "out_info");
    CheckIndex(index);
    hetrun_device_info full{};
    {
      std::lock_guard lock(state.names_mutex);
      while (state.names.size() <= index) {
        state.names.push_back("hetrun test device " + std::to_string(state.names.size()) +
                              " (CPU-backed)");
      }
      full.name = state.names[index].c_str();
    }
    full.struct_size = out_info->struct_size;
    full.kind = HETRUN_DEVICE_OTHER;
    full.flags = 0;  // not host memory: the host must copy through buffer_write/read
    full.memory_bytes = uint64_t{1} << 30;
    full.compute_units = 1;
    full.peak_gflops = state.cpu_peak_gflops;
    full.memory_gbps = state.cpu_memory_gbps;
    full.host_link_gbps = 8;  // a PCIe-like link, so transfers have a cost to weigh
    full.host_link_latency_us = 10;
    // An older host's struct may be shorter: fill only what it has room for.
    std::memcpy(out_info, &full, std::min<size_t>(out_info->struct_size, sizeof full));
  });
}

hetrun_status_t DeviceOpen(void* self, uint32_t index, const hetrun_device_options* options,
                           hetrun_device_t* out_device) {
  return GuardForwarding([&]() -> hetrun_status_t {
    PluginState& state = State(self);
    CheckOut(out_device, "out_device");
    CheckIndex(index);
    auto device = std::make_shared<DeviceState>();
    device->index = index;
    device->serial = g_next_device_serial.fetch_add(1);
    device->label = "testdev:" + std::to_string(index);
    device->cpu = state.cpu;
    auto handle = std::make_unique<hetrun_device_s>();
    handle->device = device;
    // Each testdev device has a CPU device of its own (with the threads asked for), so two
    // testdev devices run at the same time like two real ones.
    if (hetrun_status_t status =
            state.cpu->device_open(state.cpu_self, 0, options, &device->cpu_device)) {
      return status;
    }
    *out_device = handle.release();
    return nullptr;
  });
}

void DeviceClose(hetrun_device_t device) {
  if (!device || device->tag != HandleTag::kDevice) return;
  DeviceState& dev = *device->device;
  dev.cpu->device_close(dev.cpu_device);  // finishes the queued work
  dev.closed = true;
  DeleteHandle(device);
}

// The CPU plugin's answers, narrowed to the op set and with costs scaled.
hetrun_status_t QuerySupport(hetrun_device_t device, const hetrun_graph_view* graph,
                             hetrun_node_support* out_support) {
  return GuardForwarding([&]() -> hetrun_status_t {
    const DeviceState& dev = UnwrapDevice(device);
    CheckOut(graph, "graph");
    const OpSet ops = OpSet::FromEnv();
    const double scale = CostScaleFromEnv();
    if (hetrun_status_t status = dev.cpu->query_support(dev.cpu_device, graph, out_support)) {
      return status;
    }
    if (graph->num_nodes == 0) return nullptr;
    // The CPU plugin has checked the view and that entries are at least our struct's size.
    const uint32_t stride = out_support->struct_size;
    auto* bytes = reinterpret_cast<std::byte*>(out_support);
    for (uint32_t k = 0; k < graph->num_nodes; ++k) {
      auto& answer = *reinterpret_cast<hetrun_node_support*>(bytes + size_t{k} * stride);
      const char* op_type = graph->nodes[k].op_type;
      if (!op_type) continue;  // the CPU plugin declined it already
      if (!ops.Allows(op_type)) {
        answer.supported = 0;
        answer.cost_us = 0;
        std::snprintf(answer.reason, sizeof answer.reason,
                      "testdev: op %s is not in HETRUN_TESTDEV_OPS", op_type);
      } else if (answer.supported && answer.cost_us > 0) {
        answer.cost_us *= scale;
      }
    }
    return nullptr;
  });
}

const hetrun_plugin_v1 kPluginTable = {
    .struct_size = sizeof(hetrun_plugin_v1),
    .abi_major = HETRUN_ABI_MAJOR,
    .abi_minor = HETRUN_ABI_MINOR,
    .name = "testdev",
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
    .query_support = QuerySupport,
    .compile = Compile,
    .executable_release = ExecutableRelease,
    .buffer_alloc = BufferAlloc,
    .buffer_release = BufferRelease,
    .buffer_write = BufferWrite,
    .buffer_read = BufferRead,
    .buffer_map = nullptr,  // device memory is not host memory
    .execute = Execute,
    .event_wait = EventWait,
    .event_query = EventQuery,
    .event_release = EventRelease,
    .list_tunables = ListTunables,
    .compile_tuned = CompileTuned,
    .event_elapsed_us = nullptr,  // the host's clock it is
};

}  // namespace
}  // namespace hetrun::testdev

extern "C" HETRUN_PLUGIN_EXPORT const hetrun_plugin_v1* hetrun_plugin_query(
    uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {
  return host_abi_major == HETRUN_ABI_MAJOR ? &hetrun::testdev::kPluginTable : nullptr;
}
