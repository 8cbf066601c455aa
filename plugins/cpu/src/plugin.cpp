// The CPU plugin's ABI surface: hetrun_plugin_query and the function table. Each entry point checks
// its handles and runs its body under plugin::Guard, so no exception leaves the library; the work
// itself lives in device, executable and query_support.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "compile_cache.h"
#include "device.h"
#include "errors.h"
#include "executable.h"
#include "handles.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "jit/elementwise_jit.h"
#include "query_support.h"
#include "tuning_abi.h"

namespace hetrun::cpu {
namespace {

// More threads than this in device options is surely a mistake (and would exhaust the process).
constexpr uint32_t kMaxThreads = 1024;

// What init() creates: facts about this machine, whose strings device_info lends to the host.
struct PluginState {
  HostCpuInfo cpu;
};

PluginState& State(void* self) {
  if (!self) ThrowInvalid("self is NULL");
  return *static_cast<PluginState*>(self);
}

template <typename T>
void CheckOut(T* out, const char* name) {
  if (!out) ThrowInvalid(std::string(name) + " is NULL");
}

// The host services are process-wide (plugin::SetHost); several init() calls may share them, and
// the last shutdown() forgets them.
std::mutex g_init_mutex;
int g_init_count = 0;

hetrun_status_t Init(const hetrun_host_services* host, void** out_self) {
  if (!host || !host->status_create) return nullptr;  // no way to report anything
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
    state->cpu = ProbeHostCpu();
    plugin::Log(HETRUN_LOG_DEBUG,
                state->cpu.name + ", JIT target " + ElementwiseJit::Get().HostDescription());
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
    State(self);
    CheckOut(out_count, "out_count");
    *out_count = 1;
  });
}

hetrun_status_t DeviceInfo(void* self, uint32_t index, hetrun_device_info* out_info) {
  return plugin::Guard([&] {
    const PluginState& state = State(self);
    CheckOut(out_info, "out_info");
    if (index != 0) {
      throw plugin::Error(HETRUN_STATUS_NOT_FOUND, "no device " + std::to_string(index) +
                                                       ": the cpu plugin has one device, index 0");
    }
    FillDeviceInfo(state.cpu, out_info);
  });
}

hetrun_status_t DeviceOpen(void* self, uint32_t index, const hetrun_device_options* options,
                           hetrun_device_t* out_device) {
  return plugin::Guard([&] {
    const HostCpuInfo& cpu = State(self).cpu;
    CheckOut(out_device, "out_device");
    if (index != 0) {
      throw plugin::Error(HETRUN_STATUS_NOT_FOUND, "no device " + std::to_string(index) +
                                                       ": the cpu plugin has one device, index 0");
    }
    uint32_t threads = 0;
    const size_t threads_end = offsetof(hetrun_device_options, threads) + sizeof threads;
    if (options && options->struct_size >= threads_end) threads = options->threads;
    const size_t cache_dir_end = offsetof(hetrun_device_options, cache_dir) + sizeof(const char*);
    if (threads > kMaxThreads) {
      ThrowInvalid("" + std::to_string(threads) + " threads requested, at most " +
                   std::to_string(kMaxThreads));
    }
    auto handle = std::make_unique<hetrun_device_s>();
    handle->device = std::make_shared<Device>(threads, cpu.peak_gflops / cpu.threads);
    if (options && options->struct_size >= cache_dir_end && options->cache_dir)
      handle->cache_dir = options->cache_dir;  // copied: valid during this call only
    handle->device->set_profile_nodes(plugin::ProfileNodesRequested(options));
    *out_device = handle.release();
  });
}

void DeviceClose(hetrun_device_t device) {
  if (!device || device->tag != HandleTag::kDevice) return;
  device->device->Close();  // finishes queued work before the handle goes
  ReleaseHandle(device, HandleTag::kDevice);
}

hetrun_status_t QuerySupportEntry(hetrun_device_t device, const hetrun_graph_view* graph,
                                  hetrun_node_support* out_support) {
  return plugin::Guard([&] {
    Device& dev = UnwrapDevice(device);
    CheckOut(graph, "graph");
    const CompileCache::Scope cache(device->cache_dir);  // kernels built to ask may use it
    QuerySupport(*graph, dev.pool().threads(), dev.peak_gflops(), out_support);
  });
}

// Runs of a part that may block execute()'s caller: a part without control flow (whose run time
// is bounded by its tensors' sizes, unlike a Loop's) whose previous run took less than this. The
// host then skips two thread hand-offs; a longer part still runs on the queue thread, where the
// host's event_wait timeout can give up on it.
constexpr int64_t kInlineRunLimitUs = 1000;

// The executable handle as this file creates it: the handle plus what execute() needs to decide
// whether a run may happen on the caller's thread.
struct CompiledPart : hetrun_executable_s {
  bool has_control_flow = false;
  // Duration of the most recent finished run, -1 before the first one. Shared: queued work may
  // outlive the handle.
  std::shared_ptr<std::atomic<int64_t>> last_run_us = std::make_shared<std::atomic<int64_t>>(-1);
};

// A node with a subgraph attribute (If, Loop, Scan): its run time depends on the data.
bool HasControlFlow(const hetrun_graph_view& part) {
  for (uint32_t n = 0; n < part.num_nodes; ++n) {
    const hetrun_node& node = part.nodes[n];
    for (uint32_t a = 0; a < node.num_attributes; ++a)
      if (node.attributes[a].type == HETRUN_ATTR_GRAPH) return true;
  }
  return false;
}

// compile() and compile_tuned(): `tuning` holds the checked values per node, or nothing.
void CompileInto(hetrun_device_t device, const hetrun_graph_view& part,
                 std::vector<NodeTuning> tuning, hetrun_executable_t* out_executable) {
  auto handle = std::make_unique<CompiledPart>();
  const CompileCache::Scope cache(device->cache_dir);
  handle->executable = Executable::Compile(device->device, part, std::move(tuning));
  handle->has_control_flow = HasControlFlow(part);
  *out_executable = handle.release();
}

hetrun_status_t Compile(hetrun_device_t device, const hetrun_graph_view* part,
                        hetrun_executable_t* out_executable) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    CompileInto(device, *part, {}, out_executable);
  });
}

hetrun_status_t ListTunablesEntry(hetrun_device_t device, const hetrun_graph_view* graph,
                                  uint32_t node, hetrun_tunable* out, uint32_t capacity,
                                  uint32_t* out_count) {
  return plugin::Guard([&] {
    Device& dev = UnwrapDevice(device);
    CheckOut(graph, "graph");
    ListNodeTunables(*graph, node, dev.pool().threads(), out, capacity, out_count);
  });
}

hetrun_status_t CompileTuned(hetrun_device_t device, const hetrun_graph_view* part,
                             const hetrun_tuning_value* values, uint32_t num_values,
                             hetrun_executable_t* out_executable) {
  return plugin::Guard([&] {
    Device& dev = UnwrapDevice(device);
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    std::vector<NodeTuning> tuning =
        CheckTuningValues(*part, values, num_values, dev.pool().threads());
    CompileInto(device, *part, std::move(tuning), out_executable);
  });
}

void ExecutableRelease(hetrun_executable_t executable) {
  if (!executable || executable->tag != HandleTag::kExecutable) return;
  executable->tag = HandleTag::kReleased;
  delete static_cast<CompiledPart*>(executable);  // every executable handle is one (Compile)
}

hetrun_status_t BufferAlloc(hetrun_device_t device, uint64_t bytes, hetrun_buffer_t* out_buffer) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(out_buffer, "out_buffer");
    auto handle = std::make_unique<hetrun_buffer_s>();
    handle->buffer = Buffer::Allocate(bytes);
    *out_buffer = handle.release();
  });
}

void BufferRelease(hetrun_device_t /*device*/, hetrun_buffer_t buffer) {
  ReleaseHandle(buffer, HandleTag::kBuffer);
}

// The buffer's bytes [offset, offset + bytes), after checking they exist.
std::byte* CheckedRange(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                        uint64_t bytes) {
  UnwrapDevice(device);
  const Buffer& b = *UnwrapBuffer(buffer);
  if (!RangeFits(offset, bytes, b.bytes())) {
    ThrowInvalid(std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                 " are outside the buffer of " + std::to_string(b.bytes()) + " bytes");
  }
  return b.data() + offset;
}

hetrun_status_t BufferWrite(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                            const void* src, uint64_t bytes) {
  return plugin::Guard([&] {
    std::byte* dst = CheckedRange(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(src, "src");
    std::memcpy(dst, src, bytes);
  });
}

hetrun_status_t BufferRead(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                           void* dst, uint64_t bytes) {
  return plugin::Guard([&] {
    const std::byte* src = CheckedRange(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(dst, "dst");
    std::memcpy(dst, src, bytes);
  });
}

hetrun_status_t BufferMap(hetrun_device_t device, hetrun_buffer_t buffer, void** out_ptr) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Buffer& b = *UnwrapBuffer(buffer);
    CheckOut(out_ptr, "out_ptr");
    *out_ptr = b.data();
  });
}

// Runs on the device's queue thread (or inline, see kInlineRunLimitUs): waits for the
// dependencies, then the part; records how long the part took before signalling `done`, so the
// next execute() already knows.
void RunQueued(const Executable& exe, const Executable::RunArgs& args,
               const std::vector<std::shared_ptr<Event>>& waits, std::atomic<int64_t>& last_run_us,
               Event& done) {
  for (const std::shared_ptr<Event>& wait : waits) {
    wait->Wait(std::nullopt);
    if (wait->code() != HETRUN_STATUS_OK) {
      done.Complete(wait->code(), "not run because a waited-on event failed: " + wait->message());
      return;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  hetrun_status_code_t code = HETRUN_STATUS_OK;
  std::string message;
  std::optional<std::vector<NodeTime>> node_times;
  if (exe.device()->profile_nodes()) node_times.emplace();
  try {
    exe.Run(args, node_times ? &*node_times : nullptr, start);
  } catch (...) {
    std::tie(code, message) = DescribeCurrentException();
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  last_run_us.store(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                    std::memory_order_relaxed);
  SubmissionQueue::ReleaseDeviceEarly();  // the woken host may run its next part inline
  // The run's own time, for event_elapsed_us: not the waits above nor the queue before them.
  done.Complete(code, std::move(message),
                std::chrono::duration<double, std::micro>(elapsed).count(), std::move(node_times));
}

hetrun_status_t Execute(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                        uint32_t num_inputs, hetrun_tensor_arg* outputs, uint32_t num_outputs,
                        const hetrun_event_t* waits, uint32_t num_waits,
                        hetrun_event_t* out_event) {
  return plugin::Guard([&] {
    const std::shared_ptr<Executable>& exe = UnwrapExecutable(executable);
    CheckOut(out_event, "out_event");
    if (num_waits && !waits) ThrowInvalid("waits is NULL with num_waits > 0");
    std::vector<std::shared_ptr<Event>> wait_events;
    wait_events.reserve(num_waits);
    for (uint32_t i = 0; i < num_waits; ++i) {
      // Only this plugin's events can be waited on here; the host waits for foreign ones itself.
      wait_events.push_back(UnwrapEvent(waits[i], ("waits[" + std::to_string(i) + "]").c_str()));
    }
    Executable::RunArgs args = exe->BindArguments(inputs, num_inputs, outputs, num_outputs);

    auto event = std::make_shared<Event>();
    auto handle = std::make_unique<hetrun_event_s>();
    handle->event = event;
    const CompiledPart& part = *static_cast<const CompiledPart*>(executable);
    const int64_t last_us = part.last_run_us->load(std::memory_order_relaxed);
    bool waits_done = true;
    for (const std::shared_ptr<Event>& wait : wait_events) waits_done = waits_done && wait->done();
    std::optional<SubmissionQueue::InlineWhenIdle> inline_when_idle;
    if (!part.has_control_flow && last_us >= 0 && last_us < kInlineRunLimitUs && waits_done)
      inline_when_idle.emplace();
    exe->device()->Submit(
        [exe, args = std::move(args), waits = std::move(wait_events), event,
         last_run_us = part.last_run_us] { RunQueued(*exe, args, waits, *last_run_us, *event); });
    *out_event = handle.release();
  });
}

// Longer than this counts as "no limit": it also keeps the chrono arithmetic from overflowing.
constexpr uint64_t kForeverMs = uint64_t{1} << 40;

hetrun_status_t EventWait(hetrun_device_t device, hetrun_event_t event, uint64_t timeout_ms) {
  return plugin::Guard([&] {
    Device& dev = UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    std::optional<std::chrono::milliseconds> timeout;
    if (timeout_ms < kForeverMs) timeout = std::chrono::milliseconds(timeout_ms);
    if (!e.Wait(timeout)) {
      dev.NoteTimedOutWait();
      throw plugin::Error(HETRUN_STATUS_TIMEOUT,
                          "the event did not signal within " + std::to_string(timeout_ms) + " ms");
    }
    // A new status for every call: the host owns and frees each one.
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

// The run's time on the thread that ran it (the queue's or, for quick parts, the caller's), from
// the start of the part's first node to the end of its last one.
hetrun_status_t EventElapsedUs(hetrun_device_t device, hetrun_event_t event, double* out_us) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    CheckOut(out_us, "out_us");
    if (!e.done()) ThrowInvalid("the event has not signalled yet: wait for it first");
    if (e.code() != HETRUN_STATUS_OK)
      ThrowInvalid("the event's work failed, so it has no run time: " + e.message());
    const std::optional<double> us = e.elapsed_us();
    if (!us) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, "the event has no run time");
    *out_us = *us;
  });
}

// The run's nodes in the order they ran, on the clock of EventElapsedUs; fused groups once, under
// their first node, with their members in the label.
hetrun_status_t EventNodeTimes(hetrun_device_t device, hetrun_event_t event, hetrun_node_time* out,
                               uint32_t capacity, uint32_t* out_count) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    const Event& e = *UnwrapEvent(event);
    plugin::AnswerNodeTimes(e.done(), e.code(), e.message(), e.node_times(), out, capacity,
                            out_count);
  });
}

void EventRelease(hetrun_device_t /*device*/, hetrun_event_t event) {
  ReleaseHandle(event, HandleTag::kEvent);
}

const hetrun_plugin_v1 kPluginTable = {
    .struct_size = sizeof(hetrun_plugin_v1),
    .abi_major = HETRUN_ABI_MAJOR,
    .abi_minor = HETRUN_ABI_MINOR,
    .name = "cpu",
    .version = "0.1.0",
    .flags = HETRUN_PLUGIN_PACKED_VALUES,  // kernels/packed_values.h
    .reserved0 = 0,
    .init = Init,
    .shutdown = Shutdown,
    .device_count = DeviceCount,
    .unavailable_reason = nullptr,  // the host CPU is always there
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
    .buffer_map = BufferMap,
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
}  // namespace hetrun::cpu

extern "C" HETRUN_PLUGIN_EXPORT const hetrun_plugin_v1* hetrun_plugin_query(
    uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {
  // Within a major version tables only grow, so any minor of our major can use this table.
  return host_abi_major == HETRUN_ABI_MAJOR ? &hetrun::cpu::kPluginTable : nullptr;
}
