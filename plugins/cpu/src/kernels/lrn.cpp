// LRN (float32): local response normalization across channels,
// y = x / (bias + alpha / size * sum of x^2 over the channel window) ^ beta, the window running
// from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2), clipped to the channels.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

class LrnKernel final : public Kernel {
 public:
  explicit LrnKernel(const KernelBuildContext& ctx) {
    RequireDType("LRN", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    size_ = plugin::AttrInt(ctx.node, "size", 0);
    if (size_ < 1) ThrowUnimplemented("LRN: size must be >= 1");
    alpha_ = plugin::AttrFloat(ctx.node, "alpha", 1e-4f);
    beta_ = plugin::AttrFloat(ctx.node, "beta", 0.75f);
    bias_ = plugin::AttrFloat(ctx.node, "bias", 1.0f);
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[0]->dims.size() < 2) ThrowInvalid("LRN: input must have rank >= 2");
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, in[0]->dims}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t N = d[0], C = d[1], S = ProductOf(d, 2, d.size());
    const float* x = in[0]->as<const float>();
    float* y = out[0]->as<float>();
    const int64_t lo = (size_ - 1) / 2, hi = size_ / 2;  // floor and ceil of (size - 1) / 2
    const double scale = static_cast<double>(alpha_) / static_cast<double>(size_);
    pool.ParallelFor(
        N * C, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, S * size_)),
        [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t n = b / C, c = b % C;
            const int64_t c0 = std::max<int64_t>(0, c - lo);
            const int64_t c1 = std::min(C - 1, c + hi);
            for (int64_t s = 0; s < S; ++s) {
              double sq = 0;
              for (int64_t k = c0; k <= c1; ++k) {
                const double v = x[(n * C + k) * S + s];
                sq += v * v;
              }
              y[b * S + s] = static_cast<float>(x[b * S + s] / std::pow(bias_ + scale * sq, beta_));
            }
          }
        });
  }

 private:
  int64_t size_ = 1;
  float alpha_ = 1e-4f, beta_ = 0.75f, bias_ = 1.0f;
};

std::unique_ptr<Kernel> MakeLrn(const KernelBuildContext& ctx) {
  return std::make_unique<LrnKernel>(ctx);
}

}  // namespace

void RegisterLrnKernels(KernelTable& t) {
  t.Add("LRN", MakeLrn);
}

}  // namespace hetrun::cpu
