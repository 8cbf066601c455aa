// The plugin framework: implement Plugin, Device, Executable and Buffer below, add
// HETRUN_PLUGIN_DEFINE("name", "version", YourPlugin) to one .cpp, and you get the whole C table of
// plugin.h with its rules kept for you:
//  - every entry runs under plugin::Guard: throw plugin::Error(code, message) (or anything) and
//    the host gets a status with that code and message; no exception crosses the boundary;
//  - handles are tagged per kind and per plugin library: NULL, released, mixed-up or foreign
//    handles give INVALID_ARGUMENT, and releasing NULL or an unknown handle does nothing;
//  - handles hold std::shared_ptr, so work in flight keeps its executable, buffers and device
//    alive after the host releases their handles;
//  - arguments are checked before your code sees them: NULL out-pointers, graph views
//    (CheckGraphView), buffer ranges, execute()'s argument count, dtypes and static dims against
//    the compiled part, buffers of another device;
//  - query_support steps by out_support[0].struct_size; device_info writes only what the host's
//    struct has room for; event_wait maps the timeout (UINT64_MAX: forever) and returns the
//    work's error; outputs with buffer == NULL are allocated by you and reported with SetOutput();
//  - tuning (ABI minor 2): list Tunables() and override CompileTuned(); the framework checks
//    your list and the host's choices; WorkQueue::SubmitAfter times your work for
//    event_elapsed_us;
//  - profiling (ABI minor 3): when ProfileNodesRequested(options) at Open, time your kernels and
//    give their times to Event::SetNodeTimes (SubmitAfter's Event& form); event_node_times
//    answers from them.
// Threading: the host calls from any thread; the framework adds no locks around your code, so a
// Device and an Executable must be safe to use from several threads at once.
// Header-only, C++17, standard library only. docs/writing-a-plugin.md walks through a plugin.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "hetrun/plugin/errors.hpp"
#include "hetrun/plugin/event.hpp"
#include "hetrun/plugin/graph.hpp"
#include "hetrun/plugin/handles.hpp"
#include "hetrun/plugin/work_queue.hpp"

namespace hetrun::plugin {

//===-- Buffers ------------------------------------------------------------------------------===//

// Device memory as the plugin sees it. Subclass it with your device's allocation; the framework
// only needs the size (to check every range the host passes).
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual uint64_t size() const = 0;
};

// A buffer in host memory, for CPU-like devices and for tests. Contents start undefined (the ABI
// says so; zero them yourself if you need to).
class HostBuffer final : public Buffer {
 public:
  // Throws std::bad_alloc (-> OUT_OF_MEMORY) when there is no room.
  explicit HostBuffer(uint64_t bytes)
      : bytes_(bytes), data_(new std::byte[static_cast<size_t>(std::max<uint64_t>(bytes, 1))]) {
    if (bytes > std::numeric_limits<size_t>::max()) throw std::bad_alloc();
  }
  uint64_t size() const override { return bytes_; }
  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }

 private:
  uint64_t bytes_;
  std::unique_ptr<std::byte[]> data_;
};

//===-- execute() arguments ------------------------------------------------------------------===//

// Element count of `dims`; Error(INVALID_ARGUMENT) on a negative dim or overflow.
inline uint64_t CheckedElementCount(const int64_t* dims, uint32_t rank, const std::string& what) {
  uint64_t count = 1;
  for (uint32_t d = 0; d < rank; ++d) {
    if (dims[d] < 0) {
      ThrowInvalid(what + " has negative dimension " + std::to_string(dims[d]) + " at axis " +
                   std::to_string(d));
    }
    const uint64_t dim = static_cast<uint64_t>(dims[d]);
    if (dim != 0 && count > std::numeric_limits<uint64_t>::max() / dim) {
      ThrowInvalid(what + " has more elements than fit in 64 bits");
    }
    count *= dim;
  }
  return count;
}

// One execute() argument after checking: a buffer of this plugin on the executable's device that
// holds the whole tensor.
struct TensorArg {
  std::shared_ptr<Buffer> buffer;  // nullptr only for an output you allocate (see SetOutput)
  uint64_t offset = 0;             // bytes into `buffer`, a multiple of the element size
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;

  uint64_t ElementCount() const {
    uint64_t count = 1;
    for (int64_t d : dims) count *= static_cast<uint64_t>(d);
    return count;
  }
  uint64_t ByteSize() const { return ElementCount() * DTypeSize(dtype); }
};
using TensorArgs = std::vector<TensorArg>;

// The Buffer behind a tensor argument's handle, after checking that it is a live buffer of this
// plugin and that the tensor's bytes [offset, offset + size) lie inside it. Error(INVALID_ARGUMENT)
// naming `what` otherwise.
inline std::shared_ptr<Buffer> BufferOf(const hetrun_tensor_arg& arg,
                                        const std::string& what = "the tensor argument") {
  const detail::BufferHandle& handle = detail::Unwrap<detail::BufferHandle>(
      arg.buffer, detail::HandleTag::kBuffer, what + "'s buffer");
  const size_t element = DTypeSize(arg.dtype);
  if (element == 0) ThrowInvalid(what + " has dtype " + DTypeName(arg.dtype) + ", not a tensor");
  if (arg.rank > HETRUN_MAX_RANK) {
    ThrowInvalid(what + " has rank " + std::to_string(arg.rank) + ", above HETRUN_MAX_RANK");
  }
  if (arg.offset % element != 0) {
    ThrowInvalid(what + "'s offset " + std::to_string(arg.offset) +
                 " is not a multiple of its element size " + std::to_string(element));
  }
  const uint64_t count = CheckedElementCount(arg.dims, arg.rank, what);
  const uint64_t size = handle.buffer->size();
  if (count > std::numeric_limits<uint64_t>::max() / element || arg.offset > size ||
      count * element > size - arg.offset) {
    ThrowInvalid(what + " (" + std::to_string(count) + " " + DTypeName(arg.dtype) +
                 " elements at offset " + std::to_string(arg.offset) +
                 ") does not fit in its buffer of " + std::to_string(size) + " bytes");
  }
  return handle.buffer;
}

// The typed host pointer to a tensor in a HostBuffer (nullptr when the buffer is another kind).
template <typename T>
T* HostData(const TensorArg& arg) {
  auto* host = dynamic_cast<HostBuffer*>(arg.buffer.get());
  return host ? reinterpret_cast<T*>(host->data() + arg.offset) : nullptr;
}

// execute()'s outputs. An output the host passed with buffer == NULL has a null `buffer` here:
// allocate it on the executable's device once its shape is known and call SetOutput() before the
// work's Event signals (the host reads the entry only after that). Copyable: capture it by value in
// the queued work; the host's entries stay valid until the event signals.
class MutableTensorArgs {
 public:
  MutableTensorArgs() = default;
  MutableTensorArgs(TensorArgs args, hetrun_tensor_arg* entries, std::shared_ptr<Device> device)
      : args_(std::move(args)), entries_(entries), device_(std::move(device)) {}

  size_t size() const { return args_.size(); }
  TensorArg& operator[](size_t index) { return args_.at(index); }
  const TensorArg& operator[](size_t index) const { return args_.at(index); }
  // Whether the plugin must allocate output `index` (the host passed buffer == NULL).
  bool NeedsAllocation(size_t index) const { return !args_.at(index).buffer; }

  // Reports a buffer the plugin allocated for output `index`, holding the tensor at offset 0. The
  // host releases it with buffer_release. Error(INTERNAL) for an output the host gave a buffer,
  // a second call, or a buffer too small for the shape.
  void SetOutput(size_t index, std::shared_ptr<Buffer> buffer, hetrun_dtype_t dtype,
                 const std::vector<int64_t>& dims) {
    const std::string what = "output " + std::to_string(index);
    if (index >= args_.size()) {
      throw Error(HETRUN_STATUS_INTERNAL,
                  "SetOutput: no " + what + " (the part has " + std::to_string(args_.size()) + ")");
    }
    hetrun_tensor_arg& entry = entries_[index];
    if (args_[index].buffer || entry.buffer) {
      throw Error(HETRUN_STATUS_INTERNAL, "SetOutput: " + what + " already has a buffer");
    }
    if (!buffer) throw Error(HETRUN_STATUS_INTERNAL, "SetOutput: " + what + " got no buffer");
    if (dims.size() > HETRUN_MAX_RANK) {
      throw Error(HETRUN_STATUS_INTERNAL, "SetOutput: " + what + " has rank " +
                                              std::to_string(dims.size()) +
                                              ", above HETRUN_MAX_RANK");
    }
    TensorArg arg{buffer, 0, dtype, dims};
    const uint64_t count =
        CheckedElementCount(dims.data(), static_cast<uint32_t>(dims.size()), what);
    if (count * DTypeSize(dtype) > buffer->size()) {
      throw Error(HETRUN_STATUS_INTERNAL, "SetOutput: " + what + "'s buffer of " +
                                              std::to_string(buffer->size()) +
                                              " bytes is too small for its shape");
    }
    auto handle = std::make_unique<detail::BufferHandle>();
    handle->buffer = buffer;
    handle->device = device_;
    entry.offset = 0;
    entry.dtype = dtype;
    entry.rank = static_cast<uint32_t>(dims.size());
    std::copy(dims.begin(), dims.end(), entry.dims);
    entry.buffer = detail::ToRaw<hetrun_buffer_t>(handle.release());
    args_[index] = std::move(arg);
  }

 private:
  TensorArgs args_;
  hetrun_tensor_arg* entries_ = nullptr;
  std::shared_ptr<Device> device_;
};

//===-- query_support answers ----------------------------------------------------------------===//

// One answer per node of the graph given to QuerySupport. Answer every node: Accept with a cost
// estimate, or Decline with a reason the user will read (op, dtype, attribute or shape). A node
// left unanswered is declined for you with "not answered".
class SupportAnswers {
 public:
  SupportAnswers(hetrun_node_support* entries, uint32_t count, size_t stride)
      : bytes_(reinterpret_cast<std::byte*>(entries)), stride_(stride), answered_(count, false) {}

  uint32_t size() const { return static_cast<uint32_t>(answered_.size()); }
  bool answered(uint32_t node) const { return answered_.at(node); }

  // This device runs `node` exactly as ONNX specifies, in about `cost_us` microseconds (the
  // partitioner weighs it against other devices and transfers; <= 0 means "no estimate").
  void Accept(uint32_t node, double cost_us) {
    hetrun_node_support& entry = At(node);
    entry.supported = 1;
    entry.cost_us = cost_us;
    entry.reason[0] = '\0';
  }
  // This device does not run `node`; `reason` is shown to the user (cut to fit, at a UTF-8
  // character boundary).
  void Decline(uint32_t node, const std::string& reason) {
    hetrun_node_support& entry = At(node);
    entry.supported = 0;
    entry.cost_us = 0;
    const size_t room = sizeof entry.reason - 1;
    size_t length = std::min(reason.size(), room);
    if (length < reason.size()) {
      while (length > 0 && (static_cast<unsigned char>(reason[length]) & 0xC0) == 0x80) --length;
    }
    std::memcpy(entry.reason, reason.data(), length);
    entry.reason[length] = '\0';
  }

 private:
  hetrun_node_support& At(uint32_t node) {
    if (node >= answered_.size()) {
      throw Error(HETRUN_STATUS_INTERNAL, "answer for node " + std::to_string(node) +
                                              " of a graph of " + std::to_string(size()));
    }
    answered_[node] = true;
    return *reinterpret_cast<hetrun_node_support*>(bytes_ + size_t{node} * stride_);
  }

  std::byte* bytes_;
  size_t stride_;
  std::vector<bool> answered_;
};

//===-- Tuning (ABI minor 2) -----------------------------------------------------------------===//

// A parameter of your code generator for one node: its values change speed, never results (see
// hetrun_tunable). `hetrun tune` times each candidate and later sessions compile with the best.
struct Tunable {
  std::string name;             // [a-z0-9_]+, at most 47 characters, unique among the node's
  std::string description;      // one line (cut to 159 bytes)
  std::vector<int64_t> values;  // 1..HETRUN_MAX_TUNABLE_VALUES distinct candidates
  int64_t default_value = 0;    // what Compile() uses; one of `values`
};

// One chosen value for node `node` (an index into the part) in Device::CompileTuned.
struct TuningChoice {
  uint32_t node = 0;
  std::string name;
  int64_t value = 0;
};

//===-- The classes a plugin implements ------------------------------------------------------===//

// A compiled part. Keep what running it needs (including a std::shared_ptr to your Device, whose
// work queue it uses): the host may release the device's other handles while work is in flight.
class Executable {
 public:
  virtual ~Executable() = default;
  // Must not block on device work: queue it (e.g. WorkQueue::SubmitAfter(waits, ...)) and return
  // the Event it will signal. `inputs` follow the part's inputs, `outputs` its outputs, both
  // already checked; `waits` are the events execute() was given, which the work must wait for.
  // Errors found now (throw) come back from execute(); errors while running go into the Event. May
  // be called by several threads at once.
  virtual std::shared_ptr<Event> Execute(const TensorArgs& inputs, MutableTensorArgs& outputs,
                                         std::vector<std::shared_ptr<Event>> waits) = 0;
};

// One opened device. Calls on one device may come from several threads at once.
class Device {
 public:
  virtual ~Device() = default;
  // Answer every node of `graph` (see SupportAnswers). Do not throw for a node you do not know:
  // decline it. Cheap: the host asks for whole models.
  virtual void QuerySupport(const hetrun_graph_view& graph, SupportAnswers& answers) = 0;
  // Compile a part whose nodes you all accepted. The view is valid only during the call, except
  // constant data (hetrun_value.data), valid while the executable lives: copy what else you keep.
  virtual std::shared_ptr<Executable> Compile(const hetrun_graph_view& part) = 0;
  // The tunable parameters of node `node` of `graph` (one you accept). They may depend on the
  // device and the node's op, attributes and shapes only. Default: none (and compile_tuned is
  // compile).
  virtual std::vector<Tunable> Tunables(const hetrun_graph_view& graph, uint32_t node) {
    (void)graph;
    (void)node;
    return {};
  }
  // Compile() with `choices` for some nodes; the framework has checked them against Tunables()
  // (node in the part, a listed name and value, each name once per node) and never passes an
  // empty list (that is Compile()). Override it when you list tunables.
  virtual std::shared_ptr<Executable> CompileTuned(const hetrun_graph_view& part,
                                                   const std::vector<TuningChoice>& choices) {
    (void)part;
    (void)choices;
    throw Error(HETRUN_STATUS_INTERNAL,
                "the device lists tunables but does not override Device::CompileTuned");
  }
  // A buffer of at least `bytes`; throw Error(HETRUN_STATUS_OUT_OF_MEMORY, ...) when it can't.
  virtual std::shared_ptr<Buffer> Allocate(uint64_t bytes) = 0;
  // Synchronous copies into / out of `buffer` (one of this device's, range already checked,
  // bytes > 0). The host orders them against execute() with event_wait.
  virtual void Write(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) = 0;
  virtual void Read(Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) = 0;
  // Host pointer to the buffer's bytes, for devices reporting HETRUN_DEVICE_HOST_MEMORY (the host
  // then copies without Read/Write). Default: UNIMPLEMENTED, and the host uses Read/Write.
  virtual void* Map(Buffer& buffer) {
    (void)buffer;
    throw Error(HETRUN_STATUS_UNIMPLEMENTED, "buffer_map is not supported by this device");
  }
  // device_close: stop accepting work and finish what is queued (close your WorkQueue here). The
  // object itself lives on while executables, buffers or work in flight still hold it.
  virtual void Close() {}
};

// The plugin: constructed by init() (a constructor that throws fails init with that status),
// destroyed by shutdown(). A plugin whose hardware or driver is missing still constructs, reports
// zero devices and says why in UnavailableReason().
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual uint32_t DeviceCount() = 0;
  // Why there are zero devices, or nullptr; must stay valid until shutdown.
  virtual const char* UnavailableReason() { return nullptr; }
  // Fill `info` (zeroed, struct_size set; strings must stay valid until shutdown). `index` is
  // already checked against DeviceCount().
  virtual void DeviceInfo(uint32_t index, hetrun_device_info& info) = 0;
  // `options` may be NULL (defaults); read options->threads only if options->struct_size covers it.
  virtual std::shared_ptr<Device> Open(uint32_t index, const hetrun_device_options* options) = 0;
};

//===-- The C table (implementation) ---------------------------------------------------------===//

namespace detail {

HETRUN_PLUGIN_HIDDEN inline std::mutex& HostMutex() {
  static std::mutex mutex;
  return mutex;
}
HETRUN_PLUGIN_HIDDEN inline int& HostUsers() {
  static int users = 0;
  return users;
}

template <typename T>
void CheckOut(T* out, const char* name) {
  if (!out) ThrowInvalid(std::string(name) + " is NULL");
}

inline Plugin& PluginOf(void* self) {
  if (!self) ThrowInvalid("self is NULL");
  return *static_cast<Plugin*>(self);
}

inline void CheckIndex(Plugin& plugin, uint32_t index) {
  const uint32_t count = plugin.DeviceCount();
  if (index < count) return;
  std::string text = "no device " + std::to_string(index) + ": " + PluginLabel() + " has " +
                     std::to_string(count) + " here";
  const char* reason = count == 0 ? plugin.UnavailableReason() : nullptr;
  if (reason) text += std::string(" (") + reason + ")";
  throw Error(HETRUN_STATUS_NOT_FOUND, text);
}

inline ArgSpec SpecOf(const hetrun_graph_view& part, int32_t index, const std::string& what) {
  if (index < 0 || static_cast<uint32_t>(index) >= part.num_values || !part.values) {
    ThrowInvalid(what + " names value " + std::to_string(index) + " of a part with " +
                 std::to_string(part.num_values));
  }
  const hetrun_value& value = part.values[index];
  ArgSpec spec;
  spec.name = value.name ? value.name : "";
  spec.dtype = value.dtype;
  spec.rank = value.dims ? value.rank : -1;
  if (spec.rank > 0) spec.dims.assign(value.dims, value.dims + spec.rank);
  return spec;
}

// Checks one execute() argument against the part's signature and the executable's device.
inline TensorArg CheckArg(const hetrun_tensor_arg& arg, const ArgSpec& spec, const Device* device,
                          const std::string& what) {
  const std::string named = what + " ('" + spec.name + "')";
  if (spec.dtype != HETRUN_DTYPE_UNDEFINED && arg.dtype != spec.dtype) {
    ThrowInvalid(named + " is " + DTypeName(arg.dtype) + "; the part compiled it as " +
                 DTypeName(spec.dtype));
  }
  TensorArg checked;
  checked.buffer = BufferOf(arg, named);
  const BufferHandle& handle = *reinterpret_cast<const BufferHandle*>(arg.buffer);
  if (handle.device.get() != device) {
    ThrowInvalid(named + "'s buffer belongs to another device: the host must copy it first");
  }
  checked.offset = arg.offset;
  checked.dtype = arg.dtype;
  checked.dims.assign(arg.dims, arg.dims + arg.rank);
  if (spec.rank >= 0) {
    bool same = static_cast<uint32_t>(spec.rank) == arg.rank;
    for (size_t d = 0; same && d < spec.dims.size(); ++d) {
      same = spec.dims[d] < 0 || spec.dims[d] == checked.dims[d];
    }
    if (!same) ThrowInvalid(named + " has a shape other than the part's");
  }
  return checked;
}

template <typename PluginClass>
struct Entries {
  static hetrun_status_t Init(const hetrun_host_services* host, void** out_self) {
    if (!host || !host->status_create) return nullptr;  // no way to report anything
    const size_t needed = offsetof(hetrun_host_services, log) + sizeof host->log;
    if (host->struct_size < needed || !host->log) {
      return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT,
                                 "host services table is too small or has no log function");
    }
    if (!out_self) return host->status_create(HETRUN_STATUS_INVALID_ARGUMENT, "out_self is NULL");
    {
      std::lock_guard<std::mutex> lock(HostMutex());
      SetHost(host);
      ++HostUsers();
    }
    hetrun_status_t status = Guard([&] {
      std::unique_ptr<Plugin> plugin = std::make_unique<PluginClass>();
      *out_self = plugin.release();
    });
    if (status) {
      std::lock_guard<std::mutex> lock(HostMutex());
      if (--HostUsers() == 0) SetHost(nullptr);
    }
    return status;
  }
};

inline void Shutdown(void* self) {
  if (!self) return;
  delete static_cast<Plugin*>(self);
  std::lock_guard<std::mutex> lock(HostMutex());
  if (HostUsers() > 0 && --HostUsers() == 0) SetHost(nullptr);
}

inline hetrun_status_t DeviceCount(void* self, uint32_t* out_count) {
  return Guard([&] {
    Plugin& plugin = PluginOf(self);
    CheckOut(out_count, "out_count");
    *out_count = plugin.DeviceCount();
  });
}

inline const char* UnavailableReason(void* self) {
  if (!self) return nullptr;
  try {
    return static_cast<Plugin*>(self)->UnavailableReason();
  } catch (...) {
    return nullptr;
  }
}

inline hetrun_status_t DeviceInfo(void* self, uint32_t index, hetrun_device_info* out_info) {
  return Guard([&] {
    Plugin& plugin = PluginOf(self);
    CheckOut(out_info, "out_info");
    CheckIndex(plugin, index);
    hetrun_device_info info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    plugin.DeviceInfo(index, info);
    // Only the fields the host's struct has room for (out-parameters untouched on failure).
    const size_t size = std::min<size_t>(out_info->struct_size, sizeof info);
    const size_t skip = sizeof info.struct_size;
    if (size > skip) {
      std::memcpy(reinterpret_cast<char*>(out_info) + skip,
                  reinterpret_cast<const char*>(&info) + skip, size - skip);
    }
  });
}

inline hetrun_status_t DeviceOpen(void* self, uint32_t index, const hetrun_device_options* options,
                                  hetrun_device_t* out_device) {
  return Guard([&] {
    Plugin& plugin = PluginOf(self);
    CheckOut(out_device, "out_device");
    CheckIndex(plugin, index);
    auto handle = std::make_unique<DeviceHandle>();
    handle->device = plugin.Open(index, options);
    if (!handle->device) throw Error(HETRUN_STATUS_INTERNAL, "Plugin::Open returned no device");
    *out_device = ToRaw<hetrun_device_t>(handle.release());
  });
}

inline DeviceHandle& UnwrapDevice(hetrun_device_t device) {
  return Unwrap<DeviceHandle>(device, HandleTag::kDevice, "device");
}

inline void DeviceClose(hetrun_device_t device) {
  if (!IsLive(device, HandleTag::kDevice)) return;
  try {
    reinterpret_cast<DeviceHandle*>(device)->device->Close();
  } catch (...) {
    Log(HETRUN_LOG_ERROR, PluginLabel() + ": Device::Close threw; ignored");
  }
  Release<DeviceHandle>(device, HandleTag::kDevice);
}

inline hetrun_status_t QuerySupport(hetrun_device_t device, const hetrun_graph_view* graph,
                                    hetrun_node_support* out_support) {
  return Guard([&] {
    Device& dev = *UnwrapDevice(device).device;
    CheckOut(graph, "graph");
    CheckGraphView(*graph);
    if (graph->num_nodes == 0) return;
    CheckOut(out_support, "out_support");
    const uint32_t stride = out_support->struct_size;
    if (stride < sizeof(hetrun_node_support) || stride % alignof(hetrun_node_support) != 0) {
      ThrowInvalid("hetrun_node_support struct_size " + std::to_string(stride) +
                   " is too small or not a C struct's size");
    }
    SupportAnswers answers(out_support, graph->num_nodes, stride);
    dev.QuerySupport(*graph, answers);
    for (uint32_t k = 0; k < graph->num_nodes; ++k) {
      if (!answers.answered(k)) {
        answers.Decline(k, DescribeNode(graph->nodes[k], k) + ": not answered by " + PluginLabel());
      }
    }
  });
}

// Compile() or CompileTuned() behind the checks both share.
inline void CompileChecked(hetrun_device_t device, const hetrun_graph_view* part,
                           const std::vector<TuningChoice>& choices,
                           hetrun_executable_t* out_executable) {
  const std::shared_ptr<Device>& dev = UnwrapDevice(device).device;
  auto handle = std::make_unique<ExecutableHandle>();
  for (uint32_t i = 0; i < part->num_inputs; ++i) {
    handle->inputs.push_back(SpecOf(*part, part->inputs[i], "part input " + std::to_string(i)));
  }
  for (uint32_t j = 0; j < part->num_outputs; ++j) {
    handle->outputs.push_back(SpecOf(*part, part->outputs[j], "part output " + std::to_string(j)));
  }
  handle->device = dev;
  handle->executable = choices.empty() ? dev->Compile(*part) : dev->CompileTuned(*part, choices);
  if (!handle->executable) {
    throw Error(HETRUN_STATUS_INTERNAL, "Device::Compile returned no executable");
  }
  *out_executable = ToRaw<hetrun_executable_t>(handle.release());
}

inline hetrun_status_t Compile(hetrun_device_t device, const hetrun_graph_view* part,
                               hetrun_executable_t* out_executable) {
  return Guard([&] {
    UnwrapDevice(device);
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    CheckGraphView(*part);
    CompileChecked(device, part, {}, out_executable);
  });
}

// The device's tunables for a node, after checking what the plugin returned (a bad list is the
// plugin's bug: INTERNAL).
inline std::vector<Tunable> CheckedTunables(Device& dev, const hetrun_graph_view& graph,
                                            uint32_t node) {
  std::vector<Tunable> tunables = dev.Tunables(graph, node);
  for (size_t t = 0; t < tunables.size(); ++t) {
    const Tunable& tunable = tunables[t];
    auto bug = [&](const std::string& why) {
      throw Error(HETRUN_STATUS_INTERNAL, "Device::Tunables, node " + std::to_string(node) +
                                              ", tunable '" + tunable.name + "': " + why);
    };
    if (tunable.name.empty() || tunable.name.size() > 47 ||
        tunable.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
            std::string::npos) {
      bug("the name must be 1-47 characters of [a-z0-9_]");
    }
    if (tunable.values.empty() || tunable.values.size() > HETRUN_MAX_TUNABLE_VALUES)
      bug("needs 1 to " + std::to_string(HETRUN_MAX_TUNABLE_VALUES) + " values");
    std::vector<int64_t> sorted = tunable.values;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) bug("values repeat");
    if (!std::binary_search(sorted.begin(), sorted.end(), tunable.default_value))
      bug("the default is not one of the values");
    for (size_t u = 0; u < t; ++u) {
      if (tunables[u].name == tunable.name) bug("listed twice");
    }
  }
  return tunables;
}

inline hetrun_status_t ListTunables(hetrun_device_t device, const hetrun_graph_view* graph,
                                    uint32_t node, hetrun_tunable* out, uint32_t capacity,
                                    uint32_t* out_count) {
  return Guard([&] {
    Device& dev = *UnwrapDevice(device).device;
    CheckOut(graph, "graph");
    CheckOut(out_count, "out_count");
    CheckGraphView(*graph);
    if (node >= graph->num_nodes) {
      ThrowInvalid("node " + std::to_string(node) + " of a graph of " +
                   std::to_string(graph->num_nodes));
    }
    size_t stride = 0;
    if (capacity > 0) {
      CheckOut(out, "out");
      stride = out->struct_size;
      if (stride < sizeof(hetrun_tunable) || stride % alignof(hetrun_tunable) != 0) {
        ThrowInvalid("hetrun_tunable struct_size " + std::to_string(stride) +
                     " is too small or not a C struct's size");
      }
    }
    const std::vector<Tunable> tunables = CheckedTunables(dev, *graph, node);
    auto* bytes = reinterpret_cast<std::byte*>(out);
    for (size_t t = 0; t < tunables.size() && t < capacity; ++t) {
      hetrun_tunable& entry = *reinterpret_cast<hetrun_tunable*>(bytes + t * stride);
      const Tunable& tunable = tunables[t];
      entry.num_values = static_cast<uint32_t>(tunable.values.size());
      std::memset(entry.name, 0, sizeof entry.name);
      std::memcpy(entry.name, tunable.name.data(), tunable.name.size());
      std::memset(entry.description, 0, sizeof entry.description);
      std::memcpy(entry.description, tunable.description.data(),
                  std::min(tunable.description.size(), sizeof entry.description - 1));
      std::copy(tunable.values.begin(), tunable.values.end(), entry.values);
      entry.default_value = tunable.default_value;
    }
    *out_count = static_cast<uint32_t>(tunables.size());
  });
}

inline hetrun_status_t CompileTuned(hetrun_device_t device, const hetrun_graph_view* part,
                                    const hetrun_tuning_value* values, uint32_t num_values,
                                    hetrun_executable_t* out_executable) {
  return Guard([&] {
    Device& dev = *UnwrapDevice(device).device;
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    if (num_values > 0) CheckOut(values, "values");
    CheckGraphView(*part);
    std::vector<TuningChoice> choices;
    std::vector<std::vector<Tunable>> listed(part->num_nodes);
    std::vector<bool> asked(part->num_nodes, false);
    for (uint32_t i = 0; i < num_values; ++i) {
      const hetrun_tuning_value& v = values[i];
      const std::string what = "tuning value " + std::to_string(i);
      if (v.node >= part->num_nodes) {
        ThrowInvalid(what + " names node " + std::to_string(v.node) + " of a part of " +
                     std::to_string(part->num_nodes));
      }
      if (!v.name) ThrowInvalid(what + " has no name");
      if (!asked[v.node]) {
        listed[v.node] = CheckedTunables(dev, *part, v.node);
        asked[v.node] = true;
      }
      const std::vector<Tunable>& tunables = listed[v.node];
      auto found = std::find_if(tunables.begin(), tunables.end(),
                                [&](const Tunable& t) { return t.name == v.name; });
      const std::string named = DescribeNode(part->nodes[v.node], v.node);
      if (found == tunables.end())
        ThrowInvalid(what + ": " + named + " has no tunable '" + v.name + "'");
      if (std::find(found->values.begin(), found->values.end(), v.value) == found->values.end()) {
        ThrowInvalid(what + ": " + std::to_string(v.value) + " is not a candidate of " + named +
                     "'s tunable '" + v.name + "'");
      }
      for (const TuningChoice& c : choices) {
        if (c.node == v.node && c.name == v.name)
          ThrowInvalid(what + ": " + named + "'s tunable '" + v.name + "' is named twice");
      }
      choices.push_back({v.node, v.name, v.value});
    }
    CompileChecked(device, part, choices, out_executable);
  });
}

inline void ExecutableRelease(hetrun_executable_t executable) {
  Release<ExecutableHandle>(executable, HandleTag::kExecutable);
}

inline hetrun_status_t BufferAlloc(hetrun_device_t device, uint64_t bytes,
                                   hetrun_buffer_t* out_buffer) {
  return Guard([&] {
    const std::shared_ptr<Device>& dev = UnwrapDevice(device).device;
    CheckOut(out_buffer, "out_buffer");
    auto handle = std::make_unique<BufferHandle>();
    handle->buffer = dev->Allocate(bytes);
    if (!handle->buffer || handle->buffer->size() < bytes) {
      throw Error(HETRUN_STATUS_INTERNAL,
                  "Device::Allocate returned no buffer or one smaller than asked");
    }
    handle->device = dev;
    *out_buffer = ToRaw<hetrun_buffer_t>(handle.release());
  });
}

inline void BufferRelease(hetrun_device_t /*device*/, hetrun_buffer_t buffer) {
  Release<BufferHandle>(buffer, HandleTag::kBuffer);
}

// The buffer, after checking it belongs to `device` and holds [offset, offset + bytes).
inline Buffer& CheckedRange(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                            uint64_t bytes) {
  const DeviceHandle& dev = UnwrapDevice(device);
  const BufferHandle& handle = Unwrap<BufferHandle>(buffer, HandleTag::kBuffer, "buffer");
  if (handle.device != dev.device) ThrowInvalid("the buffer belongs to another device");
  const uint64_t size = handle.buffer->size();
  if (offset > size || bytes > size - offset) {
    ThrowInvalid(std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                 " are outside the buffer of " + std::to_string(size) + " bytes");
  }
  return *handle.buffer;
}

inline hetrun_status_t BufferWrite(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                                   const void* src, uint64_t bytes) {
  return Guard([&] {
    Buffer& b = CheckedRange(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(src, "src");
    UnwrapDevice(device).device->Write(b, offset, src, bytes);
  });
}

inline hetrun_status_t BufferRead(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                                  void* dst, uint64_t bytes) {
  return Guard([&] {
    Buffer& b = CheckedRange(device, buffer, offset, bytes);
    if (bytes == 0) return;
    CheckOut(dst, "dst");
    UnwrapDevice(device).device->Read(b, offset, dst, bytes);
  });
}

inline hetrun_status_t BufferMap(hetrun_device_t device, hetrun_buffer_t buffer, void** out_ptr) {
  return Guard([&] {
    Buffer& b = CheckedRange(device, buffer, 0, 0);
    CheckOut(out_ptr, "out_ptr");
    void* mapped = UnwrapDevice(device).device->Map(b);
    if (!mapped) throw Error(HETRUN_STATUS_INTERNAL, "Device::Map returned NULL");
    *out_ptr = mapped;
  });
}

inline std::shared_ptr<Event>& UnwrapEvent(hetrun_event_t event, const std::string& what) {
  return Unwrap<EventHandle>(event, HandleTag::kEvent, what).event;
}

inline hetrun_status_t Execute(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                               uint32_t num_inputs, hetrun_tensor_arg* outputs,
                               uint32_t num_outputs, const hetrun_event_t* waits,
                               uint32_t num_waits, hetrun_event_t* out_event) {
  return Guard([&] {
    const ExecutableHandle& exe =
        Unwrap<ExecutableHandle>(executable, HandleTag::kExecutable, "executable");
    CheckOut(out_event, "out_event");
    if ((num_inputs && !inputs) || (num_outputs && !outputs) || (num_waits && !waits)) {
      ThrowInvalid("execute got a NULL array with a non-zero count");
    }
    if (num_inputs != exe.inputs.size() || num_outputs != exe.outputs.size()) {
      ThrowInvalid("execute got " + std::to_string(num_inputs) + " inputs and " +
                   std::to_string(num_outputs) + " outputs; the part has " +
                   std::to_string(exe.inputs.size()) + " and " +
                   std::to_string(exe.outputs.size()));
    }
    std::vector<std::shared_ptr<Event>> wait_events;
    for (uint32_t w = 0; w < num_waits; ++w) {
      wait_events.push_back(UnwrapEvent(waits[w], "waits[" + std::to_string(w) + "]"));
    }
    TensorArgs in;
    for (uint32_t i = 0; i < num_inputs; ++i) {
      in.push_back(
          CheckArg(inputs[i], exe.inputs[i], exe.device.get(), "input " + std::to_string(i)));
    }
    TensorArgs out;
    for (uint32_t j = 0; j < num_outputs; ++j) {
      if (outputs[j].buffer) {
        out.push_back(
            CheckArg(outputs[j], exe.outputs[j], exe.device.get(), "output " + std::to_string(j)));
      } else {
        TensorArg pending;  // the plugin allocates it: only the host's dtype hint is kept
        pending.dtype = exe.outputs[j].dtype;
        out.push_back(std::move(pending));
      }
    }
    MutableTensorArgs outs(std::move(out), outputs, exe.device);
    auto handle = std::make_unique<EventHandle>();
    handle->event = exe.executable->Execute(in, outs, std::move(wait_events));
    if (!handle->event)
      throw Error(HETRUN_STATUS_INTERNAL, "Executable::Execute returned no event");
    *out_event = ToRaw<hetrun_event_t>(handle.release());
  });
}

// Timeouts at or above this wait forever (UINT64_MAX is "no limit"; chrono would overflow anyway).
constexpr uint64_t kForeverMs = uint64_t{1} << 40;

inline hetrun_status_t EventWait(hetrun_device_t device, hetrun_event_t event,
                                 uint64_t timeout_ms) {
  return Guard([&] {
    UnwrapDevice(device);
    std::shared_ptr<Event> e = UnwrapEvent(event, "event");
    std::optional<std::chrono::milliseconds> timeout;
    if (timeout_ms < kForeverMs) {
      timeout = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(timeout_ms));
    }
    if (!e->Wait(timeout)) {
      throw Error(HETRUN_STATUS_TIMEOUT,
                  "the event did not signal within " + std::to_string(timeout_ms) + " ms");
    }
    if (e->code() != HETRUN_STATUS_OK) throw Error(e->code(), e->message());
  });
}

inline hetrun_status_t EventQuery(hetrun_device_t device, hetrun_event_t event, uint8_t* out_done) {
  return Guard([&] {
    UnwrapDevice(device);
    const std::shared_ptr<Event>& e = UnwrapEvent(event, "event");
    CheckOut(out_done, "out_done");
    *out_done = e->done() ? 1 : 0;
  });
}

inline void EventRelease(hetrun_device_t /*device*/, hetrun_event_t event) {
  Release<EventHandle>(event, HandleTag::kEvent);
}

inline hetrun_status_t EventElapsedUs(hetrun_device_t device, hetrun_event_t event,
                                      double* out_us) {
  return Guard([&] {
    UnwrapDevice(device);
    const std::shared_ptr<Event>& e = UnwrapEvent(event, "event");
    CheckOut(out_us, "out_us");
    if (!e->done()) ThrowInvalid("the event has not signalled yet");
    if (e->code() != HETRUN_STATUS_OK) ThrowInvalid("the event's work failed: " + e->message());
    const std::optional<double> us = e->elapsed_us();
    if (!us) throw Error(HETRUN_STATUS_UNIMPLEMENTED, "no device time was recorded for this event");
    *out_us = *us;
  });
}

// The kernels' times the work recorded (Event::SetNodeTimes), in the host's entry layout.
inline hetrun_status_t EventNodeTimes(hetrun_device_t device, hetrun_event_t event,
                                      hetrun_node_time* out, uint32_t capacity,
                                      uint32_t* out_count) {
  return Guard([&] {
    UnwrapDevice(device);
    const std::shared_ptr<Event>& e = UnwrapEvent(event, "event");
    AnswerNodeTimes(e->done(), e->code(), e->message(), e->node_times(), out, capacity, out_count);
  });
}

// The table for PluginClass; name and version must be string literals (the host borrows them).
template <typename PluginClass>
hetrun_plugin_v1 MakeTable(const char* name, const char* version) {
  static_assert(std::is_base_of<Plugin, PluginClass>::value,
                "HETRUN_PLUGIN_DEFINE needs a class derived from hetrun::plugin::Plugin");
  static_assert(std::is_default_constructible<PluginClass>::value,
                "the plugin class is constructed by init() with no arguments");
  hetrun_plugin_v1 table;
  std::memset(&table, 0, sizeof table);
  table.struct_size = sizeof(hetrun_plugin_v1);
  table.abi_major = HETRUN_ABI_MAJOR;
  table.abi_minor = HETRUN_ABI_MINOR;
  table.name = name;
  table.version = version;
  library_state.name = name;
  table.init = &Entries<PluginClass>::Init;
  table.shutdown = &Shutdown;
  table.device_count = &DeviceCount;
  table.unavailable_reason = &UnavailableReason;
  table.device_info = &DeviceInfo;
  table.device_open = &DeviceOpen;
  table.device_close = &DeviceClose;
  table.query_support = &QuerySupport;
  table.compile = &Compile;
  table.executable_release = &ExecutableRelease;
  table.buffer_alloc = &BufferAlloc;
  table.buffer_release = &BufferRelease;
  table.buffer_write = &BufferWrite;
  table.buffer_read = &BufferRead;
  // Always present: the host calls it only for HETRUN_DEVICE_HOST_MEMORY devices and falls back
  // to buffer_read/write when it fails (Device::Map's default says UNIMPLEMENTED).
  table.buffer_map = &BufferMap;
  table.execute = &Execute;
  table.event_wait = &EventWait;
  table.event_query = &EventQuery;
  table.event_release = &EventRelease;
  table.list_tunables = &ListTunables;
  table.compile_tuned = &CompileTuned;
  table.event_elapsed_us = &EventElapsedUs;
  table.event_node_times = &EventNodeTimes;
  return table;
}

}  // namespace detail
}  // namespace hetrun::plugin

// In exactly one .cpp of the plugin (at global scope): defines the exported hetrun_plugin_query
// returning the whole table. NAME is the device name the plugin registers ([a-z0-9_]+, and the
// library must be called libhetrun_plugin_NAME.so), VERSION the plugin's version; both string
// literals. init() constructs PLUGIN_CLASS, shutdown() deletes it.
#define HETRUN_PLUGIN_DEFINE(NAME, VERSION, PLUGIN_CLASS)                      \
  extern "C" HETRUN_PLUGIN_EXPORT const hetrun_plugin_v1* hetrun_plugin_query( \
      uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {                  \
    static const hetrun_plugin_v1 table =                                      \
        ::hetrun::plugin::detail::MakeTable<PLUGIN_CLASS>(NAME, VERSION);      \
    return host_abi_major == HETRUN_ABI_MAJOR ? &table : nullptr;              \
  }                                                                            \
  static_assert(true, "HETRUN_PLUGIN_DEFINE ends with a semicolon")
