// Scan (opsets 8, 9, 11, 16; tensor values): runs the body once per entry of the scanned inputs,
// carrying N state values from one iteration to the next and stacking K per-iteration outputs.
// Opset 8 adds a leading batch axis to every input and output and scans axis 1; it runs here as
// one opset-9 scan per batch entry (sequence_lens, which lets entries differ in length, is
// declined).
#include "common.h"
#include "control_flow_tensors.h"
#include "registry.h"
#include "subgraph.h"

namespace hetrun::cpu {
namespace {

class ScanKernel final : public Kernel {
 public:
  explicit ScanKernel(const KernelBuildContext& ctx)
      : body_(ctx, "body"), batched_(ctx.node.opset < 9), own_inputs_(ctx.num_inputs()) {
    const int64_t scanned = plugin::AttrInt(ctx.node, "num_scan_inputs", 0);
    const size_t first = batched_ ? 1 : 0;  // Scan-8's input 0 is sequence_lens
    if (batched_ && ctx.has_input(0)) {
      ThrowUnimplemented("Scan-8: sequence_lens (sequences of different lengths) is not supported");
    }
    if (scanned < 1 || static_cast<size_t>(scanned) + first > ctx.num_inputs()) {
      ThrowInvalid("Scan: num_scan_inputs " + std::to_string(scanned) +
                   " does not fit the node's " + std::to_string(ctx.num_inputs()) + " inputs");
    }
    scanned_ = static_cast<size_t>(scanned);
    states_ = ctx.num_inputs() - first - scanned_;
    for (size_t i = first; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) ThrowInvalid("Scan: input #" + std::to_string(i) + " is omitted");
    }
    if (body_.num_inputs() != states_ + scanned_ || body_.num_outputs() < states_) {
      ThrowInvalid("Scan: the body has " + std::to_string(body_.num_inputs()) + " inputs and " +
                   std::to_string(body_.num_outputs()) + " outputs for " + std::to_string(states_) +
                   " states and " + std::to_string(scanned_) + " scanned inputs");
    }
    outputs_ = body_.num_outputs() - states_;
    if (ctx.num_outputs() != states_ + outputs_) {
      ThrowInvalid("Scan: the node has " + std::to_string(ctx.num_outputs()) +
                   " outputs, the body " + "gives " + std::to_string(states_ + outputs_));
    }
    if (batched_) {
      // Per batch entry the scanned axis is the leading one and outputs go forward.
      input_axes_.assign(scanned_, 0);
      input_reversed_ = Directions(ctx, "directions", scanned_);
      output_axes_.assign(outputs_, 0);
      output_reversed_.assign(outputs_, false);
    } else {
      input_axes_ = Axes(ctx, "scan_input_axes", scanned_);
      input_reversed_ = Directions(ctx, "scan_input_directions", scanned_);
      output_axes_ = Axes(ctx, "scan_output_axes", outputs_);
      output_reversed_ = Directions(ctx, "scan_output_directions", outputs_);
    }
    outer_ = UnionOfOuterReads({&body_});
    body_.BindOuterReads(outer_);
  }

  std::vector<std::string> OuterScopeInputs() const override { return outer_; }
  bool ComputesOutputShapes() const override { return true; }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& /*inputs*/) override {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "Scan computes its output shapes");
  }
  void Run(const std::vector<const TensorRef*>& /*inputs*/, const std::vector<TensorRef*>& /*out*/,
           ThreadPool& /*pool*/) override {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "Scan runs through Compute");
  }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& inputs,
                                    ThreadPool& /*pool*/) override {
    const std::vector<const TensorRef*> outer(
        inputs.begin() + static_cast<std::ptrdiff_t>(own_inputs_), inputs.end());
    const size_t first = batched_ ? 1 : 0;
    std::vector<BufferTensor> values;  // states, then scanned inputs
    for (size_t i = first; i < own_inputs_; ++i) values.push_back(Borrow(*inputs[i]));
    if (!batched_) return ScanOnce(values, outer);

    // Scan-8: every input shares the leading batch axis; scan each entry on its own.
    int64_t batch = -1;
    for (const BufferTensor& value : values) {
      if (value.dims.empty() || (batch >= 0 && value.dims[0] != batch)) {
        ThrowInvalid("Scan-8: every input needs the same leading batch dimension");
      }
      batch = value.dims[0];
    }
    if (batch < 1) ThrowUnimplemented("Scan-8: an empty batch is not supported");
    std::vector<std::vector<BufferTensor>> per_output(states_ + outputs_);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<BufferTensor> entry;
      for (const BufferTensor& value : values) entry.push_back(SliceAlongAxis(value, 0, b));
      std::vector<BufferTensor> results = ScanOnce(entry, outer);
      for (size_t o = 0; o < results.size(); ++o) per_output[o].push_back(std::move(results[o]));
    }
    std::vector<BufferTensor> stacked;
    for (size_t o = 0; o < per_output.size(); ++o) {
      stacked.push_back(
          StackAlongNewAxis(per_output[o], 0, false, "Scan-8's output #" + std::to_string(o)));
    }
    return stacked;
  }

 private:
  static std::vector<int64_t> Axes(const KernelBuildContext& ctx, const char* name, size_t count) {
    std::vector<int64_t> axes = plugin::AttrInts(ctx.node, name, {});
    if (axes.empty()) axes.assign(count, 0);
    if (axes.size() != count) {
      ThrowInvalid(std::string("Scan: ") + name + " has " + std::to_string(axes.size()) +
                   " entries, not " + std::to_string(count));
    }
    return axes;
  }
  static std::vector<bool> Directions(const KernelBuildContext& ctx, const char* name,
                                      size_t count) {
    std::vector<bool> reversed;
    for (int64_t d : Axes(ctx, name, count)) {
      if (d != 0 && d != 1) ThrowInvalid(std::string("Scan: ") + name + " entries must be 0 or 1");
      reversed.push_back(d == 1);
    }
    return reversed;
  }

  // One scan (opset-9 semantics) over `values`: the initial states, then the scanned inputs.
  std::vector<BufferTensor> ScanOnce(const std::vector<BufferTensor>& values,
                                     const std::vector<const TensorRef*>& outer) const {
    std::vector<size_t> axes;
    int64_t length = -1;
    for (size_t j = 0; j < scanned_; ++j) {
      const BufferTensor& input = values[states_ + j];
      const auto rank = static_cast<int64_t>(input.dims.size());
      axes.push_back(static_cast<size_t>(NormalizeAxis(input_axes_[j], rank, "Scan")));
      const int64_t size = input.dims[axes.back()];
      if (length >= 0 && size != length) {
        ThrowInvalid("Scan: the scanned inputs have different lengths, " + std::to_string(length) +
                     " and " + std::to_string(size));
      }
      length = size;
    }

    std::vector<BufferTensor> states(values.begin(),
                                     values.begin() + static_cast<std::ptrdiff_t>(states_));
    std::vector<std::vector<BufferTensor>> per_iteration(outputs_);
    for (int64_t t = 0; t < length; ++t) {
      std::vector<BufferTensor> body_inputs = std::move(states);
      for (size_t j = 0; j < scanned_; ++j) {
        const int64_t at = input_reversed_[j] ? length - 1 - t : t;
        body_inputs.push_back(SliceAlongAxis(values[states_ + j], axes[j], at));
      }
      std::vector<BufferTensor> out = body_.Run(body_inputs, outer);
      states.assign(std::make_move_iterator(out.begin()),
                    std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(states_)));
      for (size_t k = 0; k < outputs_; ++k) per_iteration[k].push_back(std::move(out[states_ + k]));
    }

    std::vector<BufferTensor> results = std::move(states);
    for (size_t k = 0; k < outputs_; ++k) {
      const std::string what = "Scan's output #" + std::to_string(states_ + k);
      const size_t j = states_ + k;
      // A scan output's axis counts in the stacked result, one rank above an iteration's.
      const int32_t part_rank =
          length > 0 ? static_cast<int32_t>(per_iteration[k][0].dims.size()) : body_.output_rank(j);
      const int64_t axis = output_axes_[k] < 0 && part_rank >= 0
                               ? NormalizeAxis(output_axes_[k], part_rank + 1, "Scan")
                               : output_axes_[k];
      if (axis < 0 || (part_rank >= 0 && axis > part_rank)) {
        ThrowInvalid(what + ": scan_output_axes entry " + std::to_string(output_axes_[k]) +
                     " is out of range");
      }
      results.push_back(length > 0
                            ? StackAlongNewAxis(per_iteration[k], static_cast<size_t>(axis),
                                                output_reversed_[k], what)
                            : EmptyStack(body_.output_dtype(j), part_rank, body_.output_dims(j),
                                         static_cast<size_t>(axis), what));
    }
    return results;
  }

  Subgraph body_;
  bool batched_;  // opset 8
  size_t own_inputs_;
  size_t scanned_ = 0, states_ = 0, outputs_ = 0;
  std::vector<int64_t> input_axes_, output_axes_;
  std::vector<bool> input_reversed_, output_reversed_;
  std::vector<std::string> outer_;
};

std::unique_ptr<Kernel> MakeScan(const KernelBuildContext& ctx) {
  return std::make_unique<ScanKernel>(ctx);
}

}  // namespace

void RegisterScanKernels(KernelTable& t) {
  t.Add("Scan", MakeScan, nullptr, 0);
}

}  // namespace hetrun::cpu
