// The functions of the testdev plugin table, by the file that defines them; plugin.cpp builds the
// table. Every one runs its body under plugin::Guard, so no exception leaves the library.
#pragma once

#include <cstdint>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::testdev {

// Runs `body`, which returns a status to pass on (the CPU plugin's, made by the same host
// services), converting what it throws like plugin::Guard does.
template <typename Body>
hetrun_status_t GuardForwarding(Body&& body) noexcept {
  hetrun_status_t forwarded = nullptr;
  const hetrun_status_t thrown = plugin::Guard([&] { forwarded = body(); });
  return thrown ? thrown : forwarded;
}

// buffers.cpp
hetrun_status_t BufferAlloc(hetrun_device_t device, uint64_t bytes, hetrun_buffer_t* out_buffer);
void BufferRelease(hetrun_device_t device, hetrun_buffer_t buffer);
hetrun_status_t BufferWrite(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                            const void* src, uint64_t bytes);
hetrun_status_t BufferRead(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                           void* dst, uint64_t bytes);

// execute.cpp
hetrun_status_t Compile(hetrun_device_t device, const hetrun_graph_view* part,
                        hetrun_executable_t* out_executable);
void ExecutableRelease(hetrun_executable_t executable);
hetrun_status_t Execute(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                        uint32_t num_inputs, hetrun_tensor_arg* outputs, uint32_t num_outputs,
                        const hetrun_event_t* waits, uint32_t num_waits, hetrun_event_t* out_event);
hetrun_status_t EventWait(hetrun_device_t device, hetrun_event_t event, uint64_t timeout_ms);
hetrun_status_t EventQuery(hetrun_device_t device, hetrun_event_t event, uint8_t* out_done);
void EventRelease(hetrun_device_t device, hetrun_event_t event);

// tuning.cpp (HETRUN_TESTDEV_TUNABLE_DELAY_US)
hetrun_status_t ListTunables(hetrun_device_t device, const hetrun_graph_view* graph, uint32_t node,
                             hetrun_tunable* out, uint32_t capacity, uint32_t* out_count);
hetrun_status_t CompileTuned(hetrun_device_t device, const hetrun_graph_view* part,
                             const hetrun_tuning_value* values, uint32_t num_values,
                             hetrun_executable_t* out_executable);

}  // namespace hetrun::testdev
