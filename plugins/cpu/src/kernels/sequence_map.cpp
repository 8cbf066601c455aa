// SequenceMap (opset 17): runs its body once per element of the first input sequence. Inputs that
// are sequences (of the same length) give the body their i-th element, tensors are given whole; the
// body's outputs at each step are collected into one output sequence each.
#include "common.h"
#include "packed_values.h"
#include "registry.h"
#include "subgraph.h"

namespace hetrun::cpu {
namespace {

class SequenceMapKernel final : public ComputedKernel {
 public:
  explicit SequenceMapKernel(const KernelBuildContext& ctx)
      : own_inputs_(ctx.num_inputs()), body_(ctx, "body") {
    if (ctx.num_inputs() < 1 || ctx.input(0).dtype != HETRUN_DTYPE_SEQUENCE) {
      ThrowInvalid("SequenceMap: the first input must be a sequence");
    }
    if (body_.num_inputs() != ctx.num_inputs() || body_.num_outputs() != ctx.num_outputs()) {
      ThrowInvalid("SequenceMap: the body has " + std::to_string(body_.num_inputs()) +
                   " inputs and " + std::to_string(body_.num_outputs()) + " outputs, the node " +
                   std::to_string(ctx.num_inputs()) + " and " + std::to_string(ctx.num_outputs()));
    }
    for (size_t j = 0; j < ctx.num_outputs(); ++j) {
      if (ctx.has_output(j) && ctx.output(j).dtype != HETRUN_DTYPE_SEQUENCE &&
          ctx.output(j).dtype != HETRUN_DTYPE_UNDEFINED) {
        ThrowInvalid("SequenceMap: output #" + std::to_string(j) + " must be a sequence");
      }
    }
    outer_ = UnionOfOuterReads({&body_});
    body_.BindOuterReads(outer_);
  }

  std::vector<std::string> OuterScopeInputs() const override { return outer_; }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in,
                                    ThreadPool& pool) override {
    std::vector<PackedView> sequences(own_inputs_);
    size_t length = 0;
    for (size_t i = 0; i < own_inputs_; ++i) {
      if (in[i]->dtype != HETRUN_DTYPE_SEQUENCE) continue;
      sequences[i] = ReadPacked(*in[i], HETRUN_DTYPE_SEQUENCE, "SequenceMap's input");
      if (i == 0) length = sequences[0].elements.size();
      if (sequences[i].elements.size() != length) {
        ThrowInvalid("SequenceMap: input #" + std::to_string(i) + " has " +
                     std::to_string(sequences[i].elements.size()) + " elements, input #0 " +
                     std::to_string(length));
      }
    }
    const std::vector<const TensorRef*> outer(in.begin() + static_cast<std::ptrdiff_t>(own_inputs_),
                                              in.end());
    std::vector<std::vector<BufferTensor>> collected(body_.num_outputs());
    for (size_t k = 0; k < length; ++k) {
      pool.ThrowIfCancelled();
      std::vector<BufferTensor> body_inputs;
      for (size_t i = 0; i < own_inputs_; ++i) {
        const TensorRef& t =
            in[i]->dtype == HETRUN_DTYPE_SEQUENCE ? sequences[i].elements[k] : *in[i];
        body_inputs.push_back(BufferTensor{t.dtype, t.dims, Buffer::Borrow(t.data, t.bytes())});
      }
      std::vector<BufferTensor> out = body_.Run(body_inputs, outer);
      for (size_t j = 0; j < out.size(); ++j) collected[j].push_back(std::move(out[j]));
    }
    std::vector<BufferTensor> results;
    for (size_t j = 0; j < collected.size(); ++j) {
      std::vector<TensorRef> refs;
      for (const BufferTensor& t : collected[j]) refs.push_back(t.ref());
      std::vector<const TensorRef*> pointers;
      for (const TensorRef& r : refs) pointers.push_back(&r);
      hetrun_dtype_t dtype = refs.empty() ? body_.output_dtype(j) : refs[0].dtype;
      results.push_back(PackSequence(dtype, pointers));
    }
    return results;
  }

 private:
  size_t own_inputs_;
  Subgraph body_;
  std::vector<std::string> outer_;
};

std::unique_ptr<Kernel> MakeSequenceMap(const KernelBuildContext& ctx) {
  return std::make_unique<SequenceMapKernel>(ctx);
}

}  // namespace

void RegisterSequenceMapKernels(KernelTable& t) {
  t.Add("SequenceMap", MakeSequenceMap);
}

}  // namespace hetrun::cpu
