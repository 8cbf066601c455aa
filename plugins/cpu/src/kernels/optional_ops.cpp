// The optional ops on packed values (packed_values.h): Optional, OptionalHasElement,
// OptionalGetElement. From opset 18 the last two also take a plain tensor or sequence, which is
// then simply present.
#include "common.h"
#include "packed_values.h"
#include "registry.h"

namespace hetrun::cpu {
namespace {

// Optional(input): an optional holding the input, or an empty one without it. The `type` attribute
// of an empty optional names what it would hold; no op can observe that, so it is not kept.
class OptionalKernel final : public ComputedKernel {
 public:
  explicit OptionalKernel(const KernelBuildContext& ctx) {
    if (ctx.has_input(0) && ctx.input(0).dtype == HETRUN_DTYPE_OPTIONAL) {
      ThrowUnimplemented("Optional: an optional of an optional is not supported");
    }
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    return {PackOptional(in.empty() ? nullptr : in[0])};
  }
};

class OptionalHasElementKernel final : public ComputedKernel {
 public:
  explicit OptionalHasElementKernel(const KernelBuildContext&) {}
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    bool has = false;
    if (!in.empty() && in[0]) {
      has =
          in[0]->dtype != HETRUN_DTYPE_OPTIONAL ||
          !ReadPacked(*in[0], HETRUN_DTYPE_OPTIONAL, "OptionalHasElement's input").elements.empty();
    }
    BufferTensor out{HETRUN_DTYPE_BOOL, {}, Buffer::Allocate(1)};
    *reinterpret_cast<uint8_t*>(out.buffer->data()) = has ? 1 : 0;
    return {out};
  }
};

class OptionalGetElementKernel final : public ComputedKernel {
 public:
  explicit OptionalGetElementKernel(const KernelBuildContext&) {}
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    if (in[0]->dtype != HETRUN_DTYPE_OPTIONAL) return {CopyToBuffer(*in[0])};
    const PackedView view = ReadPacked(*in[0], HETRUN_DTYPE_OPTIONAL, "OptionalGetElement's input");
    if (view.elements.empty()) ThrowInvalid("OptionalGetElement: the optional is empty");
    return {CopyToBuffer(view.elements[0])};
  }
};

template <typename K>
std::unique_ptr<Kernel> Make(const KernelBuildContext& ctx) {
  return std::make_unique<K>(ctx);
}

}  // namespace

void RegisterOptionalKernels(KernelTable& t) {
  t.Add("Optional", Make<OptionalKernel>, nullptr, 0);
  t.Add("OptionalHasElement", Make<OptionalHasElementKernel>, nullptr, 0);
  t.Add("OptionalGetElement", Make<OptionalGetElementKernel>);
}

}  // namespace hetrun::cpu
