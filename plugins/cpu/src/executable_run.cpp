// One run of an executable: shapes resolve node by node (Kernel::InferOutputs), intermediates live
// in a per-run arena and are freed after their last reader, part outputs are written straight
// into the caller's buffers (or buffers the run allocates), and constants are read in place.
#include <cstring>

#include "arena.h"
#include "errors.h"
#include "executable.h"
#include "handles.h"
#include "host_memory.h"

namespace hetrun::cpu {

class Executable::Runner {
 public:
  Runner(const Executable& exe, const RunArgs& args)
      : exe_(exe),
        args_(args),
        tensors_(exe.values_.size()),
        arena_blocks_(exe.values_.size(), nullptr),
        allocated_outputs_(args.outputs.size()),
        arena_(exe.arena_size_hint_.load(std::memory_order_relaxed)) {}

  // With `times`, each node's time from `start` on is appended (profiling).
  void Run(std::vector<NodeTime>* times, std::chrono::steady_clock::time_point start) {
    BindInputsAndConstants();
    using Clock = std::chrono::steady_clock;
    auto since_start = [start](Clock::time_point t) {
      return std::chrono::duration<double, std::micro>(t - start).count();
    };
    for (size_t k = 0; k < exe_.nodes_.size(); ++k) {
      const Clock::time_point begin = times ? Clock::now() : Clock::time_point{};
      try {
        RunNode(k);
      } catch (...) {
        RethrowWithContext(exe_.nodes_[k].description);
      }
      if (times) {
        const Node& node = exe_.nodes_[k];
        const double from = since_start(begin);
        times->push_back(
            {node.part_node, from, since_start(Clock::now()) - from, node.profile_label});
      }
    }
    CopyOutputsNotWrittenByANode();
    PublishAllocatedOutputs();
  }

  const Arena& arena() const { return arena_; }

 private:
  void BindInputsAndConstants() {
    for (size_t i = 0; i < args_.inputs.size(); ++i) {
      const BoundInput& in = args_.inputs[i];
      TensorRef& t = tensors_[exe_.inputs_[i]];
      t.dtype = in.dtype;
      t.dims = in.dims;
      t.data = in.buffer->data() + in.offset;
    }
    for (size_t v = 0; v < exe_.values_.size(); ++v) {
      const Value& value = exe_.values_[v];
      if (value.source != Source::kConstant) continue;
      tensors_[v].dtype = value.dtype;
      tensors_[v].dims = value.dims;
      // Kernels see inputs as const TensorRef; the constant is never written.
      tensors_[v].data = const_cast<void*>(value.data);
    }
  }

  void RunNode(size_t k) {
    exe_.device_->pool().ThrowIfCancelled();
    const Node& node = exe_.nodes_[k];
    std::vector<const TensorRef*>& inputs = node_inputs_;
    inputs.assign(node.inputs.size(), nullptr);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] >= 0) inputs[i] = &tensors_[node.inputs[i]];
    }

    // Control flow computes first and learns its output shapes from that; the results are then
    // copied into place like any kernel's outputs.
    std::vector<BufferTensor> computed;
    std::vector<OutputSpec> specs;
    if (node.kernel->ComputesOutputShapes()) {
      computed = node.kernel->Compute(inputs, node.pool ? *node.pool : exe_.device_->pool());
      for (const BufferTensor& t : computed) specs.push_back(OutputSpec{t.dtype, t.dims});
    } else {
      specs = node.kernel->InferOutputs(inputs);
    }
    if (specs.size() < node.outputs.size()) {
      throw plugin::Error(HETRUN_STATUS_INTERNAL,
                          "the kernel described " + std::to_string(specs.size()) + " outputs of " +
                              std::to_string(node.outputs.size()));
    }

    std::vector<TensorRef*>& outputs = node_outputs_;
    outputs.assign(node.outputs.size(), nullptr);
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const int32_t v = node.outputs[o];
      if (v < 0) continue;
      const Value& value = exe_.values_[v];
      const OutputSpec& spec = specs[o];
      if (value.dtype != HETRUN_DTYPE_UNDEFINED && spec.dtype != value.dtype) {
        throw plugin::Error(HETRUN_STATUS_INTERNAL,
                            "the kernel produces " + std::string(plugin::DTypeName(spec.dtype)) +
                                " for '" + value.name + "', the graph declares " +
                                plugin::DTypeName(value.dtype));
      }
      TensorRef& t = tensors_[v];
      t.dtype = spec.dtype;
      t.dims = spec.dims;
      const uint64_t bytes = TensorBytes(spec.dtype, spec.dims);
      if (value.part_output >= 0) {
        t.data = PlaceOutput(static_cast<size_t>(value.part_output), t, bytes);
      } else {
        t.data = AllocateIntermediate(node, o, v, bytes);
      }
      outputs[o] = &t;
    }

    if (node.kernel->ComputesOutputShapes()) {
      for (size_t o = 0; o < outputs.size(); ++o) {
        const size_t bytes = outputs[o] ? outputs[o]->bytes() : 0;
        if (bytes > 0) std::memcpy(outputs[o]->data, computed[o].buffer->data(), bytes);
      }
    } else {
      node.kernel->Run(inputs, outputs, node.pool ? *node.pool : exe_.device_->pool());
    }

    // Liveness: an intermediate's memory goes back to the arena after its last reader, and an
    // output nobody reads goes back at once.
    for (int32_t v : node.inputs) {
      if (v >= 0 && exe_.values_[v].last_use == static_cast<int32_t>(k)) FreeIntermediate(v);
    }
    for (int32_t v : node.outputs) {
      if (v >= 0 && exe_.values_[v].last_use < 0) FreeIntermediate(v);
    }
  }

  void* AllocateIntermediate(const Node& node, size_t o, int32_t v, uint64_t bytes) {
    const int32_t slot = node.in_place_input[o];
    if (slot >= 0) {
      // In place: take over the dying input's block if it is large enough.
      const int32_t donor = node.inputs[slot];
      void* block = arena_blocks_[donor];
      if (block && arena_.BlockBytes(block) >= bytes) {
        arena_blocks_[donor] = nullptr;
        arena_blocks_[v] = block;
        return block;
      }
    }
    arena_blocks_[v] = arena_.Allocate(bytes);
    return arena_blocks_[v];
  }

  void FreeIntermediate(int32_t v) {
    if (void* block = arena_blocks_[v]) {
      arena_blocks_[v] = nullptr;
      arena_.Free(block);
    }
  }

  // Memory for part output `j` holding `t`: the caller's buffer after checking it fits, or a new
  // buffer that the run hands over when it succeeds.
  void* PlaceOutput(size_t j, const TensorRef& t, uint64_t bytes) {
    const BoundOutput& out = args_.outputs[j];
    const std::string what = "output '" + exe_.values_[exe_.outputs_[j]].name + "'";
    if (!out.buffer) {
      if (t.dims.size() > HETRUN_MAX_RANK) {
        ThrowInvalid(what + ": rank " + std::to_string(t.dims.size()) +
                     " exceeds HETRUN_MAX_RANK and cannot be returned");
      }
      allocated_outputs_[j] = Buffer::Allocate(bytes);
      return allocated_outputs_[j]->data();
    }
    if (out.dtype != t.dtype || out.dims != t.dims) {
      ThrowInvalid(what + ": the caller gave " + std::string(plugin::DTypeName(out.dtype)) +
                   FormatDims(out.dims) + ", the part produces " + plugin::DTypeName(t.dtype) +
                   FormatDims(t.dims));
    }
    if (!RangeFits(out.offset, bytes, out.buffer->bytes())) {
      ThrowInvalid(what + ": " + std::to_string(bytes) + " bytes at offset " +
                   std::to_string(out.offset) + " do not fit its buffer of " +
                   std::to_string(out.buffer->bytes()) + " bytes");
    }
    return out.buffer->data() + out.offset;
  }

  // Outputs that are part inputs or constants, and a value listed as an output more than once
  // (only its first position is written by its node), are copied at the end.
  void CopyOutputsNotWrittenByANode() {
    for (size_t j = 0; j < exe_.outputs_.size(); ++j) {
      const int32_t v = exe_.outputs_[j];
      const Value& value = exe_.values_[v];
      if (value.source == Source::kNodeOutput && value.part_output == static_cast<int32_t>(j)) {
        continue;
      }
      const TensorRef& source = tensors_[v];
      const uint64_t bytes = TensorBytes(source.dtype, source.dims);
      void* target = PlaceOutput(j, source, bytes);
      if (bytes > 0) std::memmove(target, source.data, bytes);  // may be the same buffer
    }
  }

  // Fills the caller's entries for outputs the run allocated. Handles are made first so that a
  // failure cannot leave some entries filled and the others not.
  void PublishAllocatedOutputs() {
    std::vector<std::unique_ptr<hetrun_buffer_s>> handles(allocated_outputs_.size());
    for (size_t j = 0; j < allocated_outputs_.size(); ++j) {
      if (allocated_outputs_[j]) handles[j] = std::make_unique<hetrun_buffer_s>();
    }
    for (size_t j = 0; j < allocated_outputs_.size(); ++j) {
      if (!handles[j]) continue;
      const TensorRef& t = tensors_[exe_.outputs_[j]];
      hetrun_tensor_arg* arg = args_.outputs[j].arg;
      handles[j]->buffer = std::move(allocated_outputs_[j]);
      arg->buffer = handles[j].release();
      arg->offset = 0;
      arg->dtype = t.dtype;
      arg->rank = static_cast<uint32_t>(t.dims.size());
      std::copy(t.dims.begin(), t.dims.end(), arg->dims);
    }
  }

  const Executable& exe_;
  const RunArgs& args_;
  std::vector<TensorRef> tensors_;   // per value: dtype, dims and memory once known
  std::vector<void*> arena_blocks_;  // per value: the arena block it owns, if any
  std::vector<std::shared_ptr<Buffer>> allocated_outputs_;  // per part output, when NULL given
  // The current node's argument lists, kept between nodes so that each node does not allocate.
  std::vector<const TensorRef*> node_inputs_;
  std::vector<TensorRef*> node_outputs_;
  Arena arena_;
};

void Executable::Run(const RunArgs& args, std::vector<NodeTime>* node_times,
                     std::chrono::steady_clock::time_point start) const {
  Runner runner(*this, args);
  runner.Run(node_times, start);
  const Arena& arena = runner.arena();
  const uint64_t hint =
      arena_size_hint_.exchange(arena.reserved_bytes(), std::memory_order_relaxed);
  last_peak_arena_bytes_.store(arena.peak_bytes(), std::memory_order_relaxed);
  // Logged when the footprint changes, not every run: building the line costs more than a small
  // part's bookkeeping.
  if (arena.reserved_bytes() != hint)
    plugin::Log(HETRUN_LOG_DEBUG, "run of " + std::to_string(nodes_.size()) +
                                      " nodes: peak arena " + std::to_string(arena.peak_bytes()) +
                                      " bytes (" + std::to_string(arena.reserved_bytes()) +
                                      " reserved)");
}

}  // namespace hetrun::cpu
