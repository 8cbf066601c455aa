// If and Loop (every opset, tensor values only): each runs subgraphs compiled into executables of
// their own (subgraph.h), so output shapes come from running them, and the branches of an If or
// the iterations of a Loop may produce differently shaped values.
#include <limits>

#include "common.h"
#include "control_flow_tensors.h"
#include "registry.h"
#include "subgraph.h"

namespace hetrun::cpu {
namespace {

// The parts common to control-flow kernels: outputs known only by computing them, outer-scope
// values passed after the node's own inputs.
class ControlFlowKernel : public Kernel {
 public:
  explicit ControlFlowKernel(const KernelBuildContext& ctx) : own_inputs_(ctx.num_inputs()) {}

  std::vector<std::string> OuterScopeInputs() const override { return outer_; }
  bool ComputesOutputShapes() const override { return true; }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& /*inputs*/) override {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "control flow computes its output shapes");
  }
  void Run(const std::vector<const TensorRef*>& /*inputs*/, const std::vector<TensorRef*>& /*out*/,
           ThreadPool& /*pool*/) override {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "control flow runs through Compute");
  }

 protected:
  // Call once the subgraphs are compiled.
  void BindOuterScope(const std::vector<Subgraph*>& subgraphs) {
    outer_ = UnionOfOuterReads({subgraphs.begin(), subgraphs.end()});
    for (Subgraph* subgraph : subgraphs) subgraph->BindOuterReads(outer_);
  }
  std::vector<const TensorRef*> OuterValues(const std::vector<const TensorRef*>& inputs) const {
    return {inputs.begin() + static_cast<std::ptrdiff_t>(own_inputs_), inputs.end()};
  }
  size_t own_inputs_;

 private:
  std::vector<std::string> outer_;
};

class IfKernel final : public ControlFlowKernel {
 public:
  explicit IfKernel(const KernelBuildContext& ctx)
      : ControlFlowKernel(ctx), then_(ctx, "then_branch"), else_(ctx, "else_branch") {
    if (ctx.num_inputs() != 1) ThrowInvalid("If takes one input, cond");
    const hetrun_dtype_t cond = ctx.input(0).dtype;
    if (cond != HETRUN_DTYPE_UNDEFINED && cond != HETRUN_DTYPE_BOOL) {
      ThrowInvalid(std::string("If: cond must be bool, not ") + plugin::DTypeName(cond));
    }
    for (const Subgraph* branch : {&then_, &else_}) {
      if (branch->num_inputs() != 0 || branch->num_outputs() != ctx.num_outputs()) {
        ThrowInvalid("If: a branch has " + std::to_string(branch->num_inputs()) + " inputs and " +
                     std::to_string(branch->num_outputs()) + " outputs; it needs none and " +
                     std::to_string(ctx.num_outputs()) + ", as the node has");
      }
    }
    BindOuterScope({&then_, &else_});
  }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& inputs,
                                    ThreadPool& /*pool*/) override {
    const Subgraph& branch = ReadBool(*inputs[0], "If's cond") ? then_ : else_;
    return branch.Run({}, OuterValues(inputs));
  }

 private:
  Subgraph then_, else_;
};

// Loop: inputs M (trip count), cond, then N loop-carried values; the body takes (iteration number,
// cond, N carried) and gives (cond, N carried, K scan outputs). The node's outputs are the N final
// values and the K scan outputs stacked along a new leading axis.
class LoopKernel final : public ControlFlowKernel {
 public:
  explicit LoopKernel(const KernelBuildContext& ctx) : ControlFlowKernel(ctx), body_(ctx, "body") {
    has_cond_ = ctx.has_input(1);
    carried_ = ctx.num_inputs() - 2;
    for (size_t n = 0; n < carried_; ++n) {
      if (!ctx.has_input(2 + n)) {
        ThrowUnimplemented("Loop: an omitted loop-carried value (optional types) is not supported");
      }
    }
    if (body_.num_inputs() != 2 + carried_ || body_.num_outputs() < 1 + carried_) {
      ThrowInvalid("Loop: the body has " + std::to_string(body_.num_inputs()) + " inputs and " +
                   std::to_string(body_.num_outputs()) + " outputs for " +
                   std::to_string(carried_) + " loop-carried values");
    }
    scan_outputs_ = body_.num_outputs() - 1 - carried_;
    if (ctx.num_outputs() != carried_ + scan_outputs_) {
      ThrowInvalid("Loop: the node has " + std::to_string(ctx.num_outputs()) +
                   " outputs, the body " + "gives " + std::to_string(carried_ + scan_outputs_));
    }
    // A scan output's dtype when no iteration runs: the node's, else the body's declaration.
    for (size_t k = 0; k < scan_outputs_; ++k) {
      const size_t o = carried_ + k;
      hetrun_dtype_t dtype = ctx.has_output(o) ? ctx.output(o).dtype : HETRUN_DTYPE_UNDEFINED;
      if (dtype == HETRUN_DTYPE_UNDEFINED) dtype = body_.output_dtype(1 + o);
      scan_dtypes_.push_back(dtype);
    }
    BindOuterScope({&body_});
  }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& inputs,
                                    ThreadPool& pool) override {
    const std::vector<const TensorRef*> outer = OuterValues(inputs);
    int64_t trips = std::numeric_limits<int64_t>::max();
    if (inputs[0]) trips = ReadTripCount(*inputs[0]);
    bool cond = inputs[1] ? ReadBool(*inputs[1], "Loop's cond") : true;

    std::vector<BufferTensor> carried;
    for (size_t n = 0; n < carried_; ++n) carried.push_back(Borrow(*inputs[2 + n]));
    std::vector<std::vector<BufferTensor>> scans(scan_outputs_);
    const uint8_t running = 1;  // cond_in: an iteration only starts while cond holds
    for (int64_t i = 0; i < trips && cond; ++i) {
      pool.ThrowIfCancelled();  // a body with no nodes would never look
      std::vector<BufferTensor> body_inputs{Scalar(HETRUN_DTYPE_INT64, &i),
                                            Scalar(HETRUN_DTYPE_BOOL, &running)};
      for (BufferTensor& value : carried) body_inputs.push_back(std::move(value));
      std::vector<BufferTensor> out = body_.Run(body_inputs, outer);
      // Without a cond input the body's cond output is ignored (the spec's "for" loop).
      if (has_cond_) cond = ReadBool(out[0].ref(), "Loop's body output cond");
      for (size_t n = 0; n < carried_; ++n) carried[n] = std::move(out[1 + n]);
      for (size_t k = 0; k < scan_outputs_; ++k)
        scans[k].push_back(std::move(out[1 + carried_ + k]));
    }

    std::vector<BufferTensor> results = std::move(carried);
    for (size_t k = 0; k < scan_outputs_; ++k) {
      const std::string what = "Loop's scan output #" + std::to_string(k);
      const size_t j = 1 + carried_ + k;
      results.push_back(scans[k].empty() ? EmptyStack(scan_dtypes_[k], body_.output_rank(j),
                                                      body_.output_dims(j), 0, what)
                                         : StackAlongNewAxis(scans[k], 0, false, what));
    }
    return results;
  }

 private:
  static int64_t ReadTripCount(const TensorRef& m) {
    if (m.dtype != HETRUN_DTYPE_INT64 || m.numel() != 1) {
      ThrowInvalid(std::string("Loop: M must be an int64 tensor of one element, got ") +
                   plugin::DTypeName(m.dtype) + DimsToString(m.dims));
    }
    return *m.as<const int64_t>();
  }

  Subgraph body_;
  bool has_cond_ = false;
  size_t carried_ = 0;
  size_t scan_outputs_ = 0;
  std::vector<hetrun_dtype_t> scan_dtypes_;
};

std::unique_ptr<Kernel> MakeIf(const KernelBuildContext& ctx) {
  return std::make_unique<IfKernel>(ctx);
}
std::unique_ptr<Kernel> MakeLoop(const KernelBuildContext& ctx) {
  // Checked before the body is compiled, so that these are the reasons given.
  if (ctx.num_inputs() < 2) ThrowInvalid("Loop takes at least two inputs, M and cond");
  if (!ctx.has_input(0) && !ctx.has_input(1)) {
    ThrowUnimplemented("Loop: without M and cond the loop never ends, as specified");
  }
  return std::make_unique<LoopKernel>(ctx);
}

}  // namespace

void RegisterControlFlowKernels(KernelTable& t) {
  t.Add("If", MakeIf);
  t.Add("Loop", MakeLoop, nullptr, 0);
}

}  // namespace hetrun::cpu
