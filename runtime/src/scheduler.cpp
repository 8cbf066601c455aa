#include "scheduler.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <thread>

#include "container_support.h"
#include "hetrun/core/container_value.h"
#include "hetrun/core/graph_view.h"

namespace hetrun::runtime {

// A part compiled for its device, with the graph values it reads and writes in argument order.
struct Session::Scheduler::Part {
  size_t index = 0;
  int device = 0;
  std::vector<core::NodeId> nodes;
  hetrun_executable_t executable = nullptr;
  std::vector<core::ValueId> inputs, outputs;
  std::vector<size_t> dependents;                     // parts reading what this one produces
  int producers = 0;                                  // distinct parts this one reads from
  std::string label;                                  // "part 2 (5 nodes)"
  hetrun_executable_t fallback_executable = nullptr;  // compiled on first failure
  const Device* fallback_device = nullptr;
};

// Where one value is during a run: a host copy and/or one buffer per device (Execution::copies).
struct Session::Scheduler::Slot {
  std::shared_ptr<const core::Tensor> host;
  int readers_left = 0;
};

struct Session::Scheduler::Execution {
  std::mutex mutex;
  std::condition_variable settled;
  std::vector<Slot> slots;
  // Per value and device (value * devices + device): one allocation per run, not one per value.
  std::vector<BufferRef> copies;
  size_t devices = 0;
  BufferRef& copy(core::ValueId value, int device) { return copies[value * devices + device]; }
  std::vector<int> waiting;  // per part: producer parts not finished
  size_t in_flight = 0;      // parts submitted and not yet finished
  bool failed = false;
  Status error;
  RunStats* stats = nullptr;
  bool tracing = false;  // stats->collect_trace: only then are span texts built
};

Session::Scheduler::Scheduler(const Session& session, FallbackPolicy fallback)
    : session_(session),
      fallback_(fallback),
      lost_(session.devices_.size()),
      epoch_(std::chrono::steady_clock::now()) {
  for (const auto& device : session.devices_)
    memory_.push_back(std::make_unique<DeviceMemory>(*device));
  for (size_t d = 0; d < session.devices_.size(); ++d)
    queues_.push_back(std::make_unique<DeviceQueue>());
}

Session::Scheduler::~Scheduler() {
  queues_.clear();  // nothing may run while executables and buffers go away
  abandoned_.clear();
  for (const auto& part : parts_) {
    const Device& device = *session_.devices_[part->device];
    if (part->executable) device.api().executable_release(part->executable);
    if (part->fallback_executable)
      part->fallback_device->api().executable_release(part->fallback_executable);
  }
}

double Session::Scheduler::NowUs() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - epoch_)
      .count();
}

std::vector<NodeTuning> Session::Scheduler::TunedValues(const Part& part) const {
  std::vector<NodeTuning> tuning;
  const partitioner::Plan& plan = session_.plan_;
  if (static_cast<size_t>(part.device) >= plan.answers.size()) return tuning;
  const std::vector<partitioner::NodeAnswer>& answers = plan.answers[part.device];
  for (size_t i = 0; i < part.nodes.size(); ++i) {
    const core::NodeId n = part.nodes[i];
    if (static_cast<size_t>(n) >= answers.size() || answers[n].tuning.empty()) continue;
    // Written by ApplyMeasuredCosts from a checked tuning file, so it parses.
    if (std::optional<NodeTuning> values = ParseNodeTuning(answers[n].tuning)) {
      tuning.resize(i + 1);
      tuning[i] = std::move(*values);
    }
  }
  return tuning;
}

Status Session::Scheduler::Compile() {
  const core::Graph& graph = session_.graph_;
  const partitioner::Plan& plan = session_.plan_;
  std::vector<int> part_of_value(graph.values.size(), -1);
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    auto part = std::make_unique<Part>();
    part->index = p;
    part->device = plan.parts[p].device;
    part->nodes = plan.parts[p].nodes;
    part->label = "part " + std::to_string(p) + " (" + std::to_string(part->nodes.size()) +
                  " node" + (part->nodes.size() == 1 ? "" : "s") + ")";
    parts_.push_back(std::move(part));
  }

  // Build the views and compile: devices in parallel, each device's parts in plan order (so a
  // plugin sees its parts in a reproducible order, and never two compiles at once).
  std::vector<std::unique_ptr<core::GraphView>> views(parts_.size());
  std::vector<Status> results(parts_.size());
  auto compile_for = [&](int device_index) {
    const Device& device = *session_.devices_[device_index];
    for (size_t p = 0; p < parts_.size(); ++p) {
      Part& part = *parts_[p];
      if (part.device != device_index) continue;
      views[p] = core::GraphView::BuildPart(graph, part.nodes);
      hetrun_executable_t executable = nullptr;
      results[p] = device.Compile(*views[p]->view(), TunedValues(part), &executable, part.label);
      part.executable = executable;
      if (!results[p].ok()) return;
    }
  };
  std::vector<std::thread> threads;
  for (size_t d = 1; d < session_.devices_.size(); ++d)
    threads.emplace_back(compile_for, static_cast<int>(d));
  compile_for(0);
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) HETRUN_RETURN_IF_ERROR(s);

  // Argument order, dependencies, and how many parts read each value.
  readers_.assign(graph.values.size(), 0);
  for (size_t p = 0; p < parts_.size(); ++p) {
    parts_[p]->inputs = views[p]->input_ids();
    parts_[p]->outputs = views[p]->output_ids();
    for (core::ValueId v : parts_[p]->outputs) part_of_value[v] = static_cast<int>(p);
  }
  is_graph_output_.assign(graph.values.size(), false);
  for (core::ValueId v : graph.outputs) {
    ++readers_[v];
    is_graph_output_[v] = true;
  }
  for (size_t p = 0; p < parts_.size(); ++p) {
    std::vector<size_t> producers;
    for (core::ValueId v : parts_[p]->inputs) {
      ++readers_[v];
      if (part_of_value[v] >= 0) producers.push_back(static_cast<size_t>(part_of_value[v]));
    }
    std::sort(producers.begin(), producers.end());
    producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
    parts_[p]->producers = static_cast<int>(producers.size());
    for (size_t q : producers) parts_[q]->dependents.push_back(p);
  }
  return Status::Ok();
}

std::vector<uint64_t> Session::Scheduler::PeakBytes() const {
  std::vector<uint64_t> peaks;
  for (const auto& memory : memory_) peaks.push_back(memory->peak_bytes());
  return peaks;
}

void Session::Scheduler::Record(Execution& run, TraceSpan span) const {
  if (run.stats == nullptr || !run.stats->collect_trace) return;
  std::lock_guard lock(run.mutex);
  run.stats->spans.push_back(std::move(span));
}

Result<BufferRef> Session::Scheduler::Stage(Execution& run, core::ValueId value, int device) const {
  const std::string& name = session_.graph_.values[value].name;
  std::shared_ptr<const core::Tensor> host;
  BufferRef source;
  {
    std::lock_guard lock(run.mutex);
    if (const BufferRef& copy = run.copy(value, device)) return copy;
    host = run.slots[value].host;
    for (size_t d = 0; d < run.devices && !source; ++d)
      source = run.copy(value, static_cast<int>(d));
  }
  if (!host && !source) return InternalError("value '" + name + "' is needed but was not computed");

  const core::DType dtype = host ? host->dtype() : source->dtype;
  // A host string tensor crosses packed (plugin.h, minor 1): rank 1, one byte per element.
  const bool host_strings = host && dtype == core::DType::kString;
  std::vector<std::byte> packed;
  if (host_strings) {
    Result<std::vector<std::byte>> p = core::PackStrings(*host);
    if (!p.ok()) return p.status().WithContext("value '" + name + "'");
    packed = std::move(*p);
  }
  std::vector<int64_t> dims = host ? host->dims() : source->dims;
  if (host_strings) dims = {static_cast<int64_t>(packed.size())};
  if (dims.size() > HETRUN_MAX_RANK)
    return Unimplemented("value '" + name + "': rank " + std::to_string(dims.size()) +
                         " is above the plugin ABI's " + std::to_string(HETRUN_MAX_RANK));
  const uint64_t bytes = host_strings ? packed.size() : host ? host->byte_size() : source->bytes;
  const Device& to = *session_.devices_[device];
  const double start = NowUs();
  HETRUN_ASSIGN_OR_RETURN(BufferRef staged, memory_[device]->Acquire(dtype, dims, bytes));

  std::string from_name = "host";
  const void* bytes_from = host_strings ? packed.data() : host ? host->data() : nullptr;
  if (!host) {
    const Device& from = source->memory->device();
    from_name = from.display_name();
    void* mapped = nullptr;
    if ((from.properties().flags & HETRUN_DEVICE_HOST_MEMORY) && from.api().buffer_map != nullptr &&
        from.api().buffer_map(from.handle(), source->buffer, &mapped) == nullptr) {
      bytes_from = static_cast<const std::byte*>(mapped) + source->offset;  // no staging copy
    } else if (dtype == core::DType::kString) {
      // Packed strings through the host: bytes only, no host tensor to keep.
      packed.resize(bytes);
      if (bytes > 0)
        HETRUN_RETURN_IF_ERROR(
            from.Check(from.api().buffer_read(from.handle(), source->buffer, source->offset,
                                              packed.data(), bytes),
                       "read '" + name + "' for " + to.display_name()));
      bytes_from = packed.data();
    } else {
      // Through the host: keep the staged copy, other devices may want it too.
      HETRUN_ASSIGN_OR_RETURN(core::Tensor staging, core::Tensor::Create(dtype, dims));
      if (bytes > 0)
        HETRUN_RETURN_IF_ERROR(
            from.Check(from.api().buffer_read(from.handle(), source->buffer, source->offset,
                                              staging.mutable_data(), bytes),
                       "read '" + name + "' for " + to.display_name()));
      auto shared = std::make_shared<const core::Tensor>(std::move(staging));
      bytes_from = shared->data();
      host = shared;
      std::lock_guard lock(run.mutex);
      if (!run.slots[value].host) run.slots[value].host = shared;
    }
  }
  if (bytes > 0)
    if (hetrun_status_t s =
            to.api().buffer_write(to.handle(), staged->buffer, 0, bytes_from, bytes))
      return to.Check(s, "write '" + name + "'");
  {
    std::lock_guard lock(run.mutex);
    if (BufferRef& copy = run.copy(value, device); !copy) copy = staged;
    if (run.stats) run.stats->transferred_bytes += bytes;
  }
  if (run.tracing)
    Record(run, {name + ": " + from_name + " -> " + to.display_name(), "transfer",
                 static_cast<int>(session_.devices_.size()), start, NowUs() - start,
                 std::to_string(bytes) + " bytes"});
  return staged;
}

namespace {

// A device buffer's value as a host tensor; packed strings (plugin.h, minor 1) are unpacked.
Result<core::Tensor> ReadHome(const Device& device, const HeldBuffer& b, const std::string& label,
                              const std::string& name) {
  const std::string what = label + ": read output '" + name + "'";
  if (b.dtype == core::DType::kString) {
    std::vector<std::byte> packed(b.bytes);
    if (b.bytes > 0)
      HETRUN_RETURN_IF_ERROR(device.Check(
          device.api().buffer_read(device.handle(), b.buffer, b.offset, packed.data(), b.bytes),
          what));
    Result<core::Tensor> t = core::UnpackStrings(packed.data(), packed.size());
    if (!t.ok()) return t.status().WithContext(what + " from '" + device.display_name() + "'");
    return t;
  }
  HETRUN_ASSIGN_OR_RETURN(core::Tensor t, core::Tensor::Create(b.dtype, b.dims));
  if (t.byte_size() > 0)
    HETRUN_RETURN_IF_ERROR(
        device.Check(device.api().buffer_read(device.handle(), b.buffer, b.offset, t.mutable_data(),
                                              t.byte_size()),
                     what));
  return t;
}

// Whether every float32 element of `b` is finite (other dtypes count as finite).
Result<bool> AllFinite(const Device& device, const HeldBuffer& b, const std::string& what) {
  if (b.dtype != core::DType::kFloat32 || b.bytes == 0) return true;
  std::vector<float> values(b.bytes / sizeof(float));
  HETRUN_RETURN_IF_ERROR(
      device.Check(device.api().buffer_read(device.handle(), b.buffer, b.offset, values.data(),
                                            values.size() * sizeof(float)),
                   what));
  for (float v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

Status Session::Scheduler::CheckFinite(const Device& device, const Part& part,
                                       const std::vector<BufferRef>& inputs,
                                       const std::vector<BufferRef>& outputs) const {
  for (const BufferRef& in : inputs) {
    if (!in) continue;
    HETRUN_ASSIGN_OR_RETURN(bool finite, AllFinite(device, *in, part.label + ": check an input"));
    if (!finite) return Status::Ok();  // NaN in, NaN out: nothing to judge
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (!outputs[o]) continue;
    HETRUN_ASSIGN_OR_RETURN(bool finite,
                            AllFinite(device, *outputs[o], part.label + ": check an output"));
    if (!finite)
      return InternalError("device '" + device.display_name() + "': " + part.label + ": output '" +
                           session_.graph_.values[part.outputs[o]].name +
                           "' has NaN or Inf although every input is finite");
  }
  return Status::Ok();
}

Status Session::Scheduler::RunOn(Execution& run, const Part& part, int device_index,
                                 hetrun_executable_t executable) const {
  const Device& device = *session_.devices_[device_index];
  std::vector<BufferRef> held;
  std::vector<hetrun_tensor_arg> in_args(part.inputs.size());
  for (size_t i = 0; i < part.inputs.size(); ++i) {
    Result<BufferRef> staged = Stage(run, part.inputs[i], device_index);
    if (!staged.ok())
      return staged.status().WithContext("device '" + device.display_name() + "': " + part.label);
    const HeldBuffer& b = **staged;
    hetrun_tensor_arg& arg = in_args[i];
    arg.buffer = b.buffer;
    arg.offset = b.offset;
    arg.dtype = static_cast<hetrun_dtype_t>(b.dtype);
    arg.rank = static_cast<uint32_t>(b.dims.size());
    std::copy(b.dims.begin(), b.dims.end(), arg.dims);
    held.push_back(std::move(*staged));
  }

  // Outputs are allocated by the plugin once their shapes are known (dynamic shapes work).
  const double start = NowUs();
  std::vector<hetrun_tensor_arg> out_args(part.outputs.size());
  hetrun_event_t raw_event = nullptr;
  if (hetrun_status_t s = device.api().execute(
          executable, in_args.data(), static_cast<uint32_t>(in_args.size()), out_args.data(),
          static_cast<uint32_t>(out_args.size()), nullptr, 0, &raw_event))
    return device.Check(s, part.label + ": execute");
  DeviceEvent event(&device, raw_event);
  Status waited = event.Wait(session_.timeout_ms_, part.label);
  if (waited.code() == StatusCode::kTimeout) {
    // The plugin may still be using the buffers: never free or reuse them.
    std::lock_guard lock(fallback_mutex_);
    for (BufferRef& b : held) abandoned_.push_back(std::move(b));
    return waited;
  }
  // Adopt output buffers before checking the wait's status, so they are released on error too.
  std::vector<BufferRef> outputs;
  for (size_t o = 0; o < out_args.size(); ++o) {
    const hetrun_tensor_arg& arg = out_args[o];
    if (arg.buffer == nullptr) {
      outputs.emplace_back();
      continue;
    }
    const auto dtype = static_cast<core::DType>(arg.dtype);
    const uint32_t rank = std::min(arg.rank, HETRUN_MAX_RANK);
    std::vector<int64_t> dims(arg.dims, arg.dims + rank);
    Result<int64_t> elements = core::CheckedElementCount(dims);
    const uint64_t bytes = elements.ok() ? *elements * DeviceElementBytes(dtype) : 0;
    outputs.push_back(memory_[device_index]->Adopt(arg.buffer, arg.offset, dtype, dims, bytes));
  }
  HETRUN_RETURN_IF_ERROR(waited);
  // --verify-finite (on with --fallback cpu): NaN or Inf out of finite inputs is a device error.
  if (session_.verify_finite_ && device_index != session_.fallback_device_)
    HETRUN_RETURN_IF_ERROR(CheckFinite(device, part, held, outputs));
  if (run.tracing) {
    const double end = NowUs();
    Record(run,
           {part.label, "part", device_index, start, end - start, "on " + device.display_name()});
    if (session_.profile_nodes_) RecordNodes(run, part, device_index, raw_event, start, end);
  }

  for (size_t o = 0; o < part.outputs.size(); ++o) {
    const core::ValueId v = part.outputs[o];
    const hetrun_tensor_arg& arg = out_args[o];
    const std::string& name = session_.graph_.values[v].name;
    if (!outputs[o] || arg.rank > HETRUN_MAX_RANK || !core::AbiDTypeFromCode(arg.dtype) ||
        !core::CheckedElementCount(outputs[o]->dims).ok())
      return InternalError("device '" + device.display_name() + "': " + part.label +
                           ": the plugin returned no valid tensor for output '" + name + "'");
    std::shared_ptr<const core::Tensor> host;
    const bool graph_output = is_graph_output_[v];
    if (graph_output) {
      // A graph output: bring it home now, while the device is ours.
      HETRUN_ASSIGN_OR_RETURN(core::Tensor t, ReadHome(device, *outputs[o], part.label, name));
      host = std::make_shared<const core::Tensor>(std::move(t));
    }
    std::lock_guard lock(run.mutex);
    Slot& slot = run.slots[v];
    if (host) slot.host = std::move(host);
    // Keep the device copy only for parts that read it (the host copy serves the caller).
    if (slot.readers_left > (graph_output ? 1 : 0)) run.copy(v, device_index) = outputs[o];
  }
  return Status::Ok();
}

void Session::Scheduler::RecordNodes(Execution& run, const Part& part, int device_index,
                                     hetrun_event_t event, double start, double end) const {
  const Device& device = *session_.devices_[device_index];
  const std::vector<NodeTimeInfo> times =
      device.NodeTimes(event, static_cast<uint32_t>(part.nodes.size()));
  if (times.empty()) return;
  // The device's clock starts when its work began: as late as the host's end allows.
  const double work_start = std::max(start, end - device.ElapsedUs(event).value_or(end - start));
  for (const NodeTimeInfo& t : times) {
    const core::Node& node = session_.graph_.nodes[part.nodes[t.node]];
    Record(run, {t.label.empty() ? node.name : t.label, "node", device_index,
                 work_start + t.start_us, t.duration_us, node.op_type});
  }
}

Result<hetrun_executable_t> Session::Scheduler::FallbackExecutable(const Part& part) const {
  std::lock_guard lock(fallback_mutex_);
  Part& mutable_part = const_cast<Part&>(part);
  if (part.fallback_executable) return part.fallback_executable;
  const Device& cpu = *session_.devices_[session_.fallback_device_];
  std::unique_ptr<core::GraphView> view = core::GraphView::BuildPart(session_.graph_, part.nodes);
  if (view->input_ids() != part.inputs || view->output_ids() != part.outputs)
    return InternalError(part.label + ": the fallback view's arguments differ from the part's");
  hetrun_executable_t executable = nullptr;
  HETRUN_RETURN_IF_ERROR(cpu.Check(cpu.api().compile(cpu.handle(), view->view(), &executable),
                                   "compile " + part.label + " for fallback"));
  mutable_part.fallback_executable = executable;
  mutable_part.fallback_device = &cpu;
  return executable;
}

Status Session::Scheduler::Fallback(Execution& run, const Part& part, Status error) const {
  // A lost or hung device stays out for the rest of the session, whatever the policy.
  if (error.code() == StatusCode::kDeviceLost || error.code() == StatusCode::kTimeout)
    lost_[part.device] = true;
  if (fallback_ != FallbackPolicy::kCpu || session_.fallback_device_ < 0 ||
      part.device == session_.fallback_device_ || error.code() == StatusCode::kInvalidArgument)
    return error;
  const std::string device = session_.devices_[part.device]->display_name();
  Result<hetrun_executable_t> executable = FallbackExecutable(part);
  if (!executable.ok())
    return Status(error.code(), error.message() + "; falling back to cpu failed: " +
                                    executable.status().message());
  {
    std::lock_guard lock(run.mutex);
    if (run.stats)
      run.stats->fallbacks.push_back({static_cast<int>(part.index), device, error.message()});
  }
  Status retried = RunOn(run, part, session_.fallback_device_, *executable);
  if (!retried.ok())
    return Status(retried.code(),
                  error.message() + "; the cpu fallback failed too: " + retried.message());
  return Status::Ok();
}

void Session::Scheduler::Submit(const std::shared_ptr<Execution>& run, size_t part) const {
  queues_[parts_[part]->device]->Submit([this, run, part] { Execute(run, part); });
}

void Session::Scheduler::Execute(const std::shared_ptr<Execution>& run, size_t index) const {
  const Part& part = *parts_[index];
  bool skip;
  {
    std::lock_guard lock(run->mutex);
    skip = run->failed;
  }
  Status status;
  if (!skip) {
    if (lost_[part.device])
      status =
          Status(StatusCode::kDeviceLost,
                 "device '" + session_.devices_[part.device]->display_name() + "': " + part.label +
                     ": the device was lost or stopped responding earlier in this session");
    else
      status = RunOn(*run, part, part.device, part.executable);
    if (!status.ok()) status = Fallback(*run, part, std::move(status));
  }
  std::vector<size_t> ready;
  // Released outside the lock: releasing calls into plugins.
  std::vector<std::shared_ptr<const core::Tensor>> dead_hosts;
  std::vector<BufferRef> dead_copies;
  {
    std::lock_guard lock(run->mutex);
    if (!skip && !status.ok() && !run->failed) {
      run->failed = true;
      run->error = status;
    }
    if (!skip && status.ok()) {
      for (core::ValueId v : part.inputs) {
        Slot& slot = run->slots[v];
        if (--slot.readers_left != 0) continue;
        if (slot.host) dead_hosts.push_back(std::move(slot.host));
        for (size_t d = 0; d < run->devices; ++d)
          if (BufferRef& copy = run->copy(v, static_cast<int>(d)))
            dead_copies.push_back(std::move(copy));
      }
      if (!run->failed)
        for (size_t q : part.dependents)
          if (--run->waiting[q] == 0) ready.push_back(q);
    }
    run->in_flight += ready.size();
    --run->in_flight;
  }
  dead_copies.clear();
  dead_hosts.clear();
  for (size_t q : ready) Submit(run, q);
  run->settled.notify_all();
}

Result<std::map<core::ValueId, core::Tensor>> Session::Scheduler::Run(
    std::map<core::ValueId, core::Tensor> inputs, RunStats* stats) const {
  auto run = std::make_shared<Execution>();
  run->stats = stats;
  run->tracing = stats != nullptr && stats->collect_trace;
  run->devices = session_.devices_.size();
  run->slots.resize(session_.graph_.values.size());
  run->copies.resize(run->slots.size() * run->devices);
  for (size_t v = 0; v < run->slots.size(); ++v) run->slots[v].readers_left = readers_[v];
  for (auto& [id, tensor] : inputs)
    run->slots[id].host = std::make_shared<const core::Tensor>(std::move(tensor));
  run->waiting.resize(parts_.size());
  std::vector<size_t> roots;
  for (size_t p = 0; p < parts_.size(); ++p) {
    run->waiting[p] = parts_[p]->producers;
    if (run->waiting[p] == 0) roots.push_back(p);
  }
  run->in_flight = roots.size();
  if (parts_.size() == 1) {
    Execute(run, 0);  // one part, one device: no hand-off to its queue's thread
  } else {
    for (size_t p : roots) Submit(run, p);
  }
  {
    std::unique_lock lock(run->mutex);
    run->settled.wait(lock, [&] { return run->in_flight == 0; });
    if (run->failed) return run->error;
  }
  // Tensors share their bytes: these copies copy no data.
  std::map<core::ValueId, core::Tensor> outputs;
  for (core::ValueId v : session_.graph_.outputs)
    if (run->slots[v].host) outputs[v] = *run->slots[v].host;
  return outputs;
}

}  // namespace hetrun::runtime
