// compile, execute and events: forwarded to the wrapped CPU plugin after translating testdev
// handles into its handles, with the op set enforced at compile time and failures injected per
// executable (HETRUN_TESTDEV_FAIL_EXECUTABLE).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controls.h"
#include "entry_points.h"
#include "event.h"
#include "handles.h"

namespace hetrun::testdev {
namespace {

// HETRUN_TESTDEV_WRONG_OP: a copy of the part's values in which every float32 constant input of
// `op` nodes points at doubled data (kept in `storage`), so those nodes compute wrong results.
std::vector<hetrun_value> WithWrongWeights(const hetrun_graph_view& part, const std::string& op,
                                           std::vector<std::vector<float>>& storage) {
  std::vector<hetrun_value> values(part.values, part.values + part.num_values);
  for (uint32_t k = 0; k < part.num_nodes; ++k) {
    const hetrun_node& node = part.nodes[k];
    if (!node.op_type || op != node.op_type) continue;
    for (uint32_t i = 0; i < node.num_inputs; ++i) {
      if (node.inputs[i] < 0) continue;
      hetrun_value& v = values[static_cast<size_t>(node.inputs[i])];
      if (!v.data || v.dtype != HETRUN_DTYPE_FLOAT32 || v.data_bytes < sizeof(float)) continue;
      const auto* data = static_cast<const float*>(v.data);
      storage.emplace_back(data, data + v.data_bytes / sizeof(float));
      for (float& x : storage.back()) x = 2 * x + 1;
      v.data = storage.back().data();
    }
  }
  return values;
}

}  // namespace

hetrun_status_t Compile(hetrun_device_t device, const hetrun_graph_view* part,
                        hetrun_executable_t* out_executable) {
  return GuardForwarding([&]() -> hetrun_status_t {
    UnwrapDevice(device);
    const std::shared_ptr<DeviceState>& dev = device->device;
    CheckOut(part, "part");
    CheckOut(out_executable, "out_executable");
    // Like a real accelerator's compiler: a node outside the op set cannot be compiled, which
    // catches a partitioner that ignores query_support's answer.
    const OpSet ops = OpSet::FromEnv();
    for (uint32_t k = 0; part->nodes && k < part->num_nodes; ++k) {
      const hetrun_node& node = part->nodes[k];
      if (node.op_type && !ops.Allows(node.op_type)) {
        throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED,
                            dev->label + ": node '" + (node.name ? node.name : "") + "' (" +
                                node.op_type + ") is not in HETRUN_TESTDEV_OPS");
      }
    }
    const std::optional<uint64_t> fail_index = FailExecutableFromEnv();
    auto handle = std::make_unique<hetrun_executable_s>();
    handle->device = dev;
    hetrun_graph_view view = *part;
    std::vector<hetrun_value> values;
    if (const std::string wrong = WrongOpFromEnv(); !wrong.empty() && part->values) {
      values = WithWrongWeights(*part, wrong, handle->wrong_weights);
      view.values = values.data();
    }
    if (hetrun_status_t status =
            dev->cpu->compile(dev->cpu_device, &view, &handle->cpu_executable)) {
      return status;
    }
    // Every node at its default `delay` (1) when the delay tunable is on; CompileTuned adjusts.
    if (const std::optional<uint64_t> delay = TunableDelayUsFromEnv())
      handle->delay_us = *delay * part->num_nodes;
    if (part->num_nodes > 1) handle->delay_us += PartNodeDelayUsFromEnv() * part->num_nodes;
    handle->index = dev->executables_compiled.fetch_add(1);
    static std::atomic<uint64_t> compiled_in_process{0};
    const uint64_t process_index = compiled_in_process.fetch_add(1);
    handle->fails =
        fail_index && *fail_index == (FailScopeIsProcessFromEnv() ? process_index : handle->index);
    if (handle->fails) handle->fault = FaultFromEnv();
    *out_executable = handle.release();
    return nullptr;
  });
}

void ExecutableRelease(hetrun_executable_t executable) {
  if (!executable || executable->tag != HandleTag::kExecutable) return;
  // The CPU plugin keeps what runs in flight still need.
  executable->device->cpu->executable_release(executable->cpu_executable);
  DeleteHandle(executable);
}

hetrun_status_t Execute(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                        uint32_t num_inputs, hetrun_tensor_arg* outputs, uint32_t num_outputs,
                        const hetrun_event_t* waits, uint32_t num_waits,
                        hetrun_event_t* out_event) {
  return GuardForwarding([&]() -> hetrun_status_t {
    const hetrun_executable_s& exe = UnwrapExecutable(executable);
    const DeviceState& dev = *exe.device;
    CheckOut(out_event, "out_event");
    if ((num_inputs && !inputs) || (num_outputs && !outputs) || (num_waits && !waits)) {
      ThrowInvalid(dev.label + ": execute got a NULL array with a non-zero count");
    }
    if (dev.closed) ThrowInvalid(dev.label + ": the device is closed");

    std::vector<hetrun_tensor_arg> cpu_inputs(inputs, inputs + num_inputs);
    for (uint32_t i = 0; i < num_inputs; ++i) {
      cpu_inputs[i].buffer =
          UnwrapBuffer(dev, inputs[i].buffer, "input " + std::to_string(i) + "'s buffer");
    }
    auto state = std::make_shared<EventState>(exe.device, outputs, num_outputs);
    for (uint32_t j = 0; j < num_outputs; ++j) {
      if (outputs[j].buffer) {
        state->cpu_outputs()[j].buffer =
            UnwrapBuffer(dev, outputs[j].buffer, "output " + std::to_string(j) + "'s buffer");
      }
    }
    std::vector<std::shared_ptr<EventState>> wait_states;
    std::vector<hetrun_event_t> cpu_waits;
    for (uint32_t w = 0; w < num_waits; ++w) {
      wait_states.push_back(UnwrapEvent(waits[w], "waits[" + std::to_string(w) + "]"));
      cpu_waits.push_back(wait_states.back()->cpu_event());
    }
    std::optional<Fault> fault;
    if (exe.fails) fault = exe.fault;
    if (fault == Fault::kCrash) std::abort();  // for tests of the host's crash isolation
    // A slow kernel, as far as timing can tell (the host measures execute to event).
    if (exe.delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(exe.delay_us));
    auto handle = std::make_unique<hetrun_event_s>();

    // The failing executable still runs: the error is asynchronous, as a device fault would be,
    // and the CPU plugin checks the arguments now.
    hetrun_event_t cpu_event = nullptr;
    if (hetrun_status_t status = dev.cpu->execute(exe.cpu_executable, cpu_inputs.data(), num_inputs,
                                                  state->cpu_outputs().data(), num_outputs,
                                                  cpu_waits.data(), num_waits, &cpu_event)) {
      return status;
    }
    state->Start(cpu_event, std::move(wait_states), fault, exe.index);
    if (const Corruption corruption = CorruptionFromEnv(); corruption != Corruption::kNone) {
      std::vector<uint64_t> capacity(num_outputs, 0);
      for (uint32_t j = 0; j < num_outputs; ++j)
        if (outputs[j].buffer) capacity[j] = outputs[j].buffer->bytes;
      state->SetCorruption(corruption, std::move(capacity));
    }
    handle->event = std::move(state);
    *out_event = handle.release();
    return nullptr;
  });
}

namespace {

// The event behind `event`, which must be one of `device`'s.
EventState& DeviceEvent(hetrun_device_t device, hetrun_event_t event) {
  const DeviceState& dev = UnwrapDevice(device);
  EventState& state = *UnwrapEvent(event, "event");
  if (state.device().serial != dev.serial) {
    ThrowInvalid(dev.label + ": the event is not a " + dev.label + " event (it belongs to " +
                 state.device().label + ")");
  }
  return state;
}

}  // namespace

hetrun_status_t EventWait(hetrun_device_t device, hetrun_event_t event, uint64_t timeout_ms) {
  return GuardForwarding([&] { return DeviceEvent(device, event).Wait(timeout_ms); });
}

hetrun_status_t EventQuery(hetrun_device_t device, hetrun_event_t event, uint8_t* out_done) {
  return GuardForwarding([&] {
    EventState& state = DeviceEvent(device, event);
    CheckOut(out_done, "out_done");
    return state.Query(out_done);
  });
}

void EventRelease(hetrun_device_t /*device*/, hetrun_event_t event) {
  if (!event || event->tag != HandleTag::kEvent) return;
  event->event->ReleasedByHost();
  DeleteHandle(event);  // the state lives on while a later event waits on it
}

}  // namespace hetrun::testdev
