#include "executable.h"

#include "support.h"

namespace hetrun::opencl {

Executable::Executable(std::shared_ptr<Device> device, const hetrun_graph_view& part)
    : device_(std::move(device)) {
  const GraphInfo graph(part);
  values_ = graph.values();
  inputs_.assign(part.inputs, part.inputs + part.num_inputs);
  outputs_.assign(part.outputs, part.outputs + part.num_outputs);
  const std::shared_ptr<ClContext>& context = device_->context();
  constants_.resize(values_.size());
  auto upload = [&](int32_t v) {
    const ValueInfo& value = values_[static_cast<size_t>(v)];
    if (!value.constant || constants_[static_cast<size_t>(v)]) return;
    if (value.data_bytes < value.bytes()) {
      ThrowInvalid("constant '" + value.name + "' has " + std::to_string(value.data_bytes) +
                   " bytes of data, fewer than its shape needs");
    }
    auto buffer = std::make_shared<ClBuffer>(context, value.bytes());
    ClCheck(clEnqueueWriteBuffer(context->queue(), buffer->mem(), CL_TRUE, 0, value.bytes(),
                                 value.data, 0, nullptr, nullptr),
            "uploading a constant (clEnqueueWriteBuffer)");
    constants_[static_cast<size_t>(v)] = std::move(buffer);
  };
  for (uint32_t k = 0; k < part.num_nodes; ++k) {
    const std::string reason = CheckNode(graph, k, device_->profile(), UINT64_MAX);
    if (!reason.empty()) ThrowUnimplemented(graph.Describe(k) + ": " + reason);
  }
  // Nodes in topological order; a node that can take its predecessor's result from a register
  // joins the predecessor's elementwise kernel.
  std::vector<std::vector<uint32_t>> groups;
  for (uint32_t k = 0; k < part.num_nodes; ++k) {
    if (!groups.empty() && CanFuse(graph, groups.back().back(), k)) {
      groups.back().push_back(k);
    } else {
      groups.push_back({k});
    }
  }
  for (const std::vector<uint32_t>& group : groups) {
    Step step;
    try {
      step.kernel = IsElementwiseOp(graph.node(group[0]).op_type)
                        ? GenerateElementwise(graph, group)
                        : GenerateNode(graph, group[0]);
    } catch (...) {
      plugin::RethrowWithContext(graph.Describe(group.back()));
    }
    // A build failure names the node(s) itself (kernel.what) and carries the build log.
    if (!step.kernel.copy) {
      step.handle.reset(context->CreateKernel(step.kernel.source, step.kernel.what));
    }
    step.first_node = group[0];
    if (group.size() > 1) {  // named as the CPU plugin names its fused groups
      std::string names, ops;
      for (uint32_t k : group) {
        const hetrun_node& node = graph.node(k);
        names += (names.empty() ? "" : "+") + std::string(node.name ? node.name : "");
        ops += (ops.empty() ? "" : "+") + std::string(node.op_type);
      }
      step.profile_label = names + " (" + ops + ")";
    }
    steps_.push_back(std::move(step));
    for (uint32_t a = 0; a < steps_.back().kernel.num_inputs; ++a) {
      upload(steps_.back().kernel.args[a]);
    }
  }
  for (int32_t v : outputs_) upload(v);  // an output that is a weight: copied out on each run
}

std::shared_ptr<plugin::Event> Executable::Execute(
    const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
    std::vector<std::shared_ptr<plugin::Event>> waits) {
  std::shared_ptr<const Executable> self = shared_from_this();
  return device_->queue().SubmitAfter(
      std::move(waits), [self, inputs, outputs](plugin::Event& done) mutable {
        self->Run(inputs, outputs, self->device_->profile_nodes() ? &done : nullptr);
      });
}

void Executable::EnqueueCopy(int32_t value, const Slot& from, const Slot& to) const {
  const ValueInfo& info = values_[static_cast<size_t>(value)];
  const size_t element = plugin::DTypeSize(info.dtype);
  ClCheck(clEnqueueCopyBuffer(device_->context()->queue(), from.mem, to.mem, from.offset * element,
                              to.offset * element, info.bytes(), 0, nullptr, nullptr),
          "clEnqueueCopyBuffer");
}

void Executable::Run(const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
                     plugin::Event* done) const {
  const std::shared_ptr<ClContext>& context = device_->context();
  std::vector<Slot> slots(values_.size());
  std::vector<std::shared_ptr<ClBuffer>> temporaries;  // live until the queue has finished
  auto slot_of = [](const plugin::TensorArg& arg) {
    return Slot{static_cast<ClBuffer&>(*arg.buffer).mem(),
                arg.offset / plugin::DTypeSize(arg.dtype)};
  };
  for (size_t i = 0; i < inputs_.size(); ++i)
    slots[static_cast<size_t>(inputs_[i])] = slot_of(inputs[i]);
  for (size_t v = 0; v < values_.size(); ++v) {
    if (constants_[v]) slots[v] = Slot{constants_[v]->mem(), 0};
  }
  // Outputs: the caller's buffer, or one allocated here (reported with SetOutput at the end).
  std::vector<Slot> output_slots(outputs_.size());
  std::vector<std::shared_ptr<ClBuffer>> allocated(outputs_.size());
  for (size_t j = 0; j < outputs_.size(); ++j) {
    const ValueInfo& value = values_[static_cast<size_t>(outputs_[j])];
    if (outputs.NeedsAllocation(j)) {
      allocated[j] = std::make_shared<ClBuffer>(context, value.bytes());
      output_slots[j] = Slot{allocated[j]->mem(), 0};
    } else {
      output_slots[j] = slot_of(outputs[j]);
    }
    Slot& slot = slots[static_cast<size_t>(outputs_[j])];
    if (!slot.mem) slot = output_slots[j];  // computed straight into the output
  }
  // Declared after the buffers, so destroyed first: if anything below throws, the queue drains
  // before temporaries still in use by enqueued kernels are freed.
  struct FinishOnExit {
    cl_command_queue queue;
    ~FinishOnExit() { clFinish(queue); }
  } finish_on_exit{context->queue()};
  // Profiling: each kernel's event (released when the run ends, after the queue has finished).
  struct KernelEvents {
    std::vector<std::pair<const Step*, cl_event>> events;
    ~KernelEvents() {
      for (auto& [step, event] : events) clReleaseEvent(event);
    }
  } kernel_events;
  for (const Step& step : steps_) {
    const Kernel& kernel = step.kernel;
    for (size_t a = 0; a < kernel.num_inputs; ++a) {
      if (!slots[static_cast<size_t>(kernel.args[a])].mem) {
        throw plugin::Error(HETRUN_STATUS_INTERNAL,
                            kernel.what + ": input '" +
                                values_[static_cast<size_t>(kernel.args[a])].name +
                                "' is neither a part input, a constant nor computed earlier");
      }
    }
    for (size_t a = kernel.num_inputs; a < kernel.args.size(); ++a) {
      Slot& slot = slots[static_cast<size_t>(kernel.args[a])];
      if (slot.mem) continue;
      temporaries.push_back(std::make_shared<ClBuffer>(
          context, values_[static_cast<size_t>(kernel.args[a])].bytes()));
      slot = Slot{temporaries.back()->mem(), 0};
    }
    if (kernel.copy) {
      EnqueueCopy(kernel.args[1], slots[static_cast<size_t>(kernel.args[0])],
                  slots[static_cast<size_t>(kernel.args[1])]);
      continue;
    }
    const cl_uint count = static_cast<cl_uint>(kernel.args.size());
    for (cl_uint a = 0; a < count; ++a) {
      const Slot& slot = slots[static_cast<size_t>(kernel.args[a])];
      const cl_ulong offset = slot.offset;
      ClCheck(clSetKernelArg(step.handle.get(), a, sizeof(cl_mem), &slot.mem), "clSetKernelArg");
      ClCheck(clSetKernelArg(step.handle.get(), count + a, sizeof offset, &offset),
              "clSetKernelArg");
    }
    const size_t global = static_cast<size_t>(kernel.work_items);
    cl_event event = nullptr;
    const cl_int code =
        clEnqueueNDRangeKernel(context->queue(), step.handle.get(), 1, nullptr, &global, nullptr, 0,
                               nullptr, done ? &event : nullptr);
    if (event) kernel_events.events.push_back({&step, event});
    if (code != CL_SUCCESS) {
      throw plugin::Error(StatusCodeOf(code),
                          kernel.what + ": clEnqueueNDRangeKernel failed: " + ClErrorName(code));
    }
  }
  // Outputs not computed in place (a pass-through input, a weight, a value listed twice).
  for (size_t j = 0; j < outputs_.size(); ++j) {
    const Slot& from = slots[static_cast<size_t>(outputs_[j])];
    if (from.mem != output_slots[j].mem || from.offset != output_slots[j].offset) {
      EnqueueCopy(outputs_[j], from, output_slots[j]);
    }
  }
  // This thread is the waiter: the event signals when the device has finished.
  ClCheck(clFinish(context->queue()), "running the part (clFinish)");
  if (done && !kernel_events.events.empty()) {
    // Device nanoseconds from each kernel's start and end, counted from the first one's start.
    std::vector<plugin::NodeTime> times;
    cl_ulong first = 0;
    for (auto& [step, event] : kernel_events.events) {
      cl_ulong start = 0, end = 0;
      ClCheck(
          clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr),
          "clGetEventProfilingInfo");
      ClCheck(clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr),
              "clGetEventProfilingInfo");
      if (times.empty()) first = start;
      times.push_back(
          {step->first_node, static_cast<double>(start >= first ? start - first : 0) / 1e3,
           static_cast<double>(end >= start ? end - start : 0) / 1e3, step->profile_label});
    }
    done->SetNodeTimes(std::move(times));
  }
  for (size_t j = 0; j < outputs_.size(); ++j) {
    if (allocated[j]) {
      const ValueInfo& value = values_[static_cast<size_t>(outputs_[j])];
      outputs.SetOutput(j, allocated[j], value.dtype, value.dims);
    }
  }
}

}  // namespace hetrun::opencl
