// Stand-in kernels for the white-box tests of the CPU plugin's runtime: CreateKernel and
// EstimateCostUs as kernel.h declares them, with ops chosen to probe the executor (in-place
// candidates, growth, dead outputs, failures) rather than ONNX semantics.
#include "fake_kernels.h"

#include <stdexcept>
#include <string>

#include "kernel.h"

namespace hetrun::cpu {
namespace {

// out = in + delta (+ second input if given). May run in place on input 0 when `in_place`.
class AddConstKernel final : public Kernel {
 public:
  AddConstKernel(float delta, bool in_place) : delta_(delta), in_place_(in_place) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    if (out[0]->data == in[0]->data) ++fake::g_in_place_runs;
    const float* a = in[0]->as<const float>();
    const float* b = in.size() > 1 ? in[1]->as<const float>() : nullptr;
    float* y = out[0]->as<float>();
    pool.ParallelFor(in[0]->numel(), 1024, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) y[i] = a[i] + delta_ + (b ? b[i] : 0.0f);
    });
  }
  bool AliasesInput(size_t o, size_t i) const override { return in_place_ && o == 0 && i == 0; }

 private:
  float delta_;
  bool in_place_;
};

// out = concat(in, in): twice the bytes, so it can never take its input's block.
class DoubleKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, {in[0]->numel() * 2}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t n = in[0]->numel();
    for (int64_t i = 0; i < 2 * n; ++i) out[0]->as<float>()[i] = in[0]->as<const float>()[i % n];
  }
  bool AliasesInput(size_t, size_t) const override { return true; }
};

// Two outputs: in + 1 and in + 2.
class TwoOutputsKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}, OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    for (int64_t i = 0; i < in[0]->numel(); ++i) {
      if (out[0]) out[0]->as<float>()[i] = in[0]->as<const float>()[i] + 1;
      if (out[1]) out[1]->as<float>()[i] = in[0]->as<const float>()[i] + 2;
    }
  }
};

class FailingShapeKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>&) override {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, "bad shape");
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>&,
           ThreadPool&) override {}
};

class WrongDTypeKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{HETRUN_DTYPE_INT32, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>&,
           ThreadPool&) override {}
};

class ThrowingRunKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>&,
           ThreadPool& pool) override {
    pool.ParallelFor(1 << 16, 1, [](int64_t begin, int64_t) {
      if (begin == 0) throw std::logic_error("kernel bug");
    });
  }
};

}  // namespace

namespace fake {
std::atomic<int> g_in_place_runs{0};
}

std::unique_ptr<Kernel> CreateKernel(const KernelBuildContext& ctx) {
  const std::string op = ctx.node.op_type;
  if (op == "Inc") return std::make_unique<AddConstKernel>(1.0f, true);
  if (op == "IncCopy") return std::make_unique<AddConstKernel>(1.0f, false);
  if (op == "Sum") return std::make_unique<AddConstKernel>(0.0f, true);
  if (op == "Double") return std::make_unique<DoubleKernel>();
  if (op == "TwoOutputs") return std::make_unique<TwoOutputsKernel>();
  if (op == "FailShape") return std::make_unique<FailingShapeKernel>();
  if (op == "WrongDType") return std::make_unique<WrongDTypeKernel>();
  if (op == "ThrowInRun") return std::make_unique<ThrowingRunKernel>();
  if (op == "Bomb") throw std::runtime_error("boom");
  throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, "op " + op + " is not a fake op");
}

double EstimateCostUs(const KernelBuildContext& ctx, int threads, double peak_gflops) {
  if (std::string(ctx.node.op_type) == "Inc") throw std::runtime_error("no estimate");
  return 10.0 / threads + peak_gflops * 0;
}

}  // namespace hetrun::cpu
