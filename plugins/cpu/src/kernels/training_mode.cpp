// Dropout whose training_mode is decided at run time, and BatchNormalization over batch statistics
// (training_mode=1, opset >= 14: outputs Y, running_mean, running_var).
#include "kernels/training_mode.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/half_float.h"

namespace hetrun::cpu {
namespace {

// Dropout(data, ratio, training_mode): when training, each element is kept with probability
// 1 - ratio and scaled by 1 / (1 - ratio); otherwise (or with ratio 0) the output is the input and
// the mask all true. The mask is random, so only its statistics are specified: the generator is
// seeded from the `seed` attribute (or the system's entropy) plus a per-run counter.
class TrainingDropoutKernel final : public Kernel {
 public:
  explicit TrainingDropoutKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("Dropout", dtype_,
                 {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_FLOAT16},
                 "float16, float32, float64 when training_mode may be true");
    if (ctx.has_input(1))
      RequireDType("Dropout", ctx.input(1).dtype,
                   {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_FLOAT16},
                   "ratio must be float16, float32 or float64");
    RequireDType("Dropout", ctx.input(2).dtype, {HETRUN_DTYPE_BOOL}, "training_mode must be bool");
    const hetrun_attribute* seed = plugin::FindAttr(ctx.node, "seed");
    seed_ = seed && seed->type == HETRUN_ATTR_INT ? static_cast<uint64_t>(seed->i)
                                                  : std::random_device{}();
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{dtype_, in[0]->dims}, OutputSpec{HETRUN_DTYPE_BOOL, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t n = in[0]->numel();
    uint8_t* mask = out.size() > 1 && out[1] ? out[1]->as<uint8_t>() : nullptr;
    const bool training = in[2] && in[2]->numel() > 0 && *in[2]->as<const uint8_t>() != 0;
    double ratio = 0.5;
    if (in[1] && in[1]->numel() > 0)
      ratio = in[1]->dtype == HETRUN_DTYPE_FLOAT16 ? HalfToFloat(*in[1]->as<const uint16_t>())
                                                   : ScalarAsDouble(in[1]->data, in[1]->dtype);
    if (training && !(ratio >= 0 && ratio < 1))
      ThrowInvalid("Dropout: ratio must be in [0, 1) in training mode, got " +
                   std::to_string(ratio));
    if (!training || ratio == 0) {
      CopyIfDistinct(*in[0], *out[0]);
      if (mask) std::memset(mask, 1, static_cast<size_t>(n));
      return;
    }
    std::mt19937_64 rng(seed_ + 0x9e3779b97f4a7c15ull * runs_.fetch_add(1));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<uint8_t> keep(static_cast<size_t>(n));
    for (uint8_t& k : keep) k = uniform(rng) >= ratio;
    const double scale = 1.0 / (1.0 - ratio);
    Dispatch<float, double, Half>(dtype_, "Dropout", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<T, Half>)
          y[i] = Half{
              FloatToHalf(keep[i] ? static_cast<float>(HalfToFloat(x[i].bits) * scale) : 0.0f)};
        else
          y[i] = keep[i] ? static_cast<T>(x[i] * scale) : T(0);
      }
    });
    if (mask) std::memcpy(mask, keep.data(), keep.size());
  }

 private:
  hetrun_dtype_t dtype_;
  uint64_t seed_;
  std::atomic<uint64_t> runs_{0};
};

// BatchNormalization with training_mode=1: normalises by the batch's own mean and population
// variance per channel (computed in double) and blends them into the running statistics:
// running = input * momentum + current * (1 - momentum).
class TrainingBatchNormKernel final : public Kernel {
 public:
  explicit TrainingBatchNormKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("BatchNormalization", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
    for (size_t i = 1; i < 5; ++i)
      if (!ctx.has_input(i) || ctx.input(i).dtype != dtype_)
        ThrowUnimplemented(
            "BatchNormalization: scale, B, mean and var must be given with X's dtype");
    if (ctx.node.opset < 14)
      ThrowUnimplemented(
          "BatchNormalization: training_mode before opset 14 (saved_mean/saved_var outputs) not "
          "supported");
    epsilon_ = plugin::AttrFloat(ctx.node, "epsilon", 1e-5f);
    momentum_ = plugin::AttrFloat(ctx.node, "momentum", 0.9f);
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    if (d.size() < 2)
      ThrowInvalid("BatchNormalization: X must have rank >= 2, got " + DimsToString(d));
    for (size_t i = 1; i < 5; ++i)
      if (in[i]->numel() != d[1])
        ThrowInvalid("BatchNormalization: input " + std::to_string(i) + " has " +
                     std::to_string(in[i]->numel()) + " elements, X has " + std::to_string(d[1]) +
                     " channels");
    return {OutputSpec{dtype_, d}, OutputSpec{dtype_, {d[1]}}, OutputSpec{dtype_, {d[1]}}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t N = d[0], C = d[1], plane = ProductOf(d, 2, d.size());
    const double count = static_cast<double>(N * plane);
    Dispatch<float, double>(dtype_, "BatchNormalization", [&]<typename T>() {
      const T *x = in[0]->as<const T>(), *scale = in[1]->as<const T>(),
              *bias = in[2]->as<const T>(), *mean_in = in[3]->as<const T>(),
              *var_in = in[4]->as<const T>();
      T* y = out[0]->as<T>();
      T* mean_out = out.size() > 1 && out[1] ? out[1]->as<T>() : nullptr;
      T* var_out = out.size() > 2 && out[2] ? out[2]->as<T>() : nullptr;
      pool.ParallelFor(C, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          double sum = 0, sq = 0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < plane; ++i) sum += x[(n * C + c) * plane + i];
          const double mean = count > 0 ? sum / count : 0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < plane; ++i) {
              const double v = x[(n * C + c) * plane + i] - mean;
              sq += v * v;
            }
          const double var = count > 0 ? sq / count : 0;
          const double s = scale[c] / std::sqrt(var + epsilon_), t = bias[c] - mean * s;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < plane; ++i) {
              const int64_t k = (n * C + c) * plane + i;
              y[k] = static_cast<T>(x[k] * s + t);
            }
          if (mean_out)
            mean_out[c] = static_cast<T>(mean_in[c] * momentum_ + mean * (1 - momentum_));
          if (var_out) var_out[c] = static_cast<T>(var_in[c] * momentum_ + var * (1 - momentum_));
        }
      });
    });
  }

 private:
  hetrun_dtype_t dtype_;
  double epsilon_, momentum_;
};

}  // namespace

std::unique_ptr<Kernel> MakeTrainingDropout(const KernelBuildContext& ctx) {
  return std::make_unique<TrainingDropoutKernel>(ctx);
}
std::unique_ptr<Kernel> MakeTrainingBatchNorm(const KernelBuildContext& ctx) {
  return std::make_unique<TrainingBatchNormKernel>(ctx);
}

}  // namespace hetrun::cpu
