// BatchNormalization (inference; training mode is in training_mode.cpp), LayerNormalization and
// InstanceNormalization. BatchNorm folds its four parameter vectors into one scale and shift per
// channel (once, when they are constant); the others compute statistics per row in double so long
// rows stay accurate.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/row_reduce.h"
#include "kernels/training_mode.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

bool AllConstant(const KernelBuildContext& ctx, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (!ctx.has_input(i) || !(ctx.input(i).flags & HETRUN_VALUE_CONSTANT) || !ctx.input(i).data)
      return false;
  return true;
}

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("BatchNormalization", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
    for (size_t i = 1; i < 5; ++i)
      if (!ctx.has_input(i) || ctx.input(i).dtype != dtype_)
        ThrowUnimplemented(
            "BatchNormalization: scale, B, mean and var must be given with X's dtype");
    if (ctx.node.opset < 9 && plugin::AttrInt(ctx.node, "spatial", 1) == 0)
      ThrowUnimplemented("BatchNormalization: spatial=0 not supported");
    RequireNoOutputFrom(ctx, 1, "mean/var (training outputs)");
    epsilon_ = plugin::AttrFloat(ctx.node, "epsilon", 1e-5f);
    if (AllConstant(ctx, 1, 5) && dtype_ == HETRUN_DTYPE_FLOAT32) {
      const int64_t c = StaticNumel(ctx.input(1));
      const float* p[4];
      for (size_t i = 0; i < 4; ++i) {
        if (StaticNumel(ctx.input(i + 1)) != c) return;  // left to Run, which reports it
        p[i] = static_cast<const float*>(ctx.input(i + 1).data);
      }
      Fold(p[0], p[1], p[2], p[3], c, &scale_, &shift_);
    }
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
    return {OutputSpec{dtype_, d}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t N = d[0], C = d[1], plane = ProductOf(d, 2, d.size());
    Dispatch<float, double>(dtype_, "BatchNormalization", [&]<typename T>() {
      std::vector<T> scale, shift;
      const T *ps, *pt;
      if constexpr (std::is_same_v<T, float>) {
        if (!scale_.empty() && static_cast<int64_t>(scale_.size()) == C) {
          ps = scale_.data();
          pt = shift_.data();
        } else {
          Fold(in[1]->as<const T>(), in[2]->as<const T>(), in[3]->as<const T>(),
               in[4]->as<const T>(), C, &scale, &shift);
          ps = scale.data();
          pt = shift.data();
        }
      } else {
        Fold(in[1]->as<const T>(), in[2]->as<const T>(), in[3]->as<const T>(), in[4]->as<const T>(),
             C, &scale, &shift);
        ps = scale.data();
        pt = shift.data();
      }
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(N * C, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, plane)),
                       [&](int64_t p0, int64_t p1) {
                         for (int64_t p = p0; p < p1; ++p) {
                           const T s = ps[p % C], t = pt[p % C];
                           const T* xp = x + p * plane;
                           T* yp = y + p * plane;
                           for (int64_t i = 0; i < plane; ++i) yp[i] = xp[i] * s + t;
                         }
                       });
    });
  }

  // Like ONNX Runtime: scale' = scale / sqrt(var + eps), shift' = B - mean * scale'.
  template <typename T>
  void Fold(const T* scale, const T* bias, const T* mean, const T* var, int64_t c,
            std::vector<T>* s, std::vector<T>* t) const {
    s->resize(static_cast<size_t>(c));
    t->resize(static_cast<size_t>(c));
    for (int64_t i = 0; i < c; ++i) {
      (*s)[i] = scale[i] / std::sqrt(var[i] + static_cast<T>(epsilon_));
      (*t)[i] = bias[i] - mean[i] * (*s)[i];
    }
  }

 private:
  hetrun_dtype_t dtype_;
  float epsilon_;
  std::vector<float> scale_, shift_;  // folded constants (float32 only)
};

class LayerNormKernel final : public Kernel {
 public:
  explicit LayerNormKernel(const KernelBuildContext& ctx) {
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i))
        RequireDType("LayerNormalization", ctx.input(i).dtype, {HETRUN_DTYPE_FLOAT32},
                     "float32 only");
    axis_ = plugin::AttrInt(ctx.node, "axis", -1);
    epsilon_ = plugin::AttrFloat(ctx.node, "epsilon", 1e-5f);
    if (plugin::AttrInt(ctx.node, "stash_type", 1) != 1)
      ThrowUnimplemented("LayerNormalization: stash_type other than 1 (float) not supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    const int64_t axis = NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "LayerNormalization");
    const int64_t inner = ProductOf(d, static_cast<size_t>(axis), d.size());
    for (size_t i = 1; i < 3 && i < in.size(); ++i)
      if (in[i] && in[i]->numel() != inner && in[i]->numel() != 1)
        ThrowInvalid("LayerNormalization: " + std::string(i == 1 ? "Scale" : "B") + " of shape " +
                     DimsToString(in[i]->dims) + " does not match the normalized shape");
    std::vector<int64_t> stat = d;
    for (size_t k = static_cast<size_t>(axis); k < stat.size(); ++k) stat[k] = 1;
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, d}, OutputSpec{HETRUN_DTYPE_FLOAT32, stat},
            OutputSpec{HETRUN_DTYPE_FLOAT32, stat}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t axis = static_cast<size_t>(
        NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "LayerNormalization"));
    const int64_t outer = ProductOf(d, 0, axis), inner = ProductOf(d, axis, d.size());
    const float* x = in[0]->as<const float>();
    const float* scale = in[1]->as<const float>();
    const int64_t ss = in[1]->numel() == 1 ? 0 : 1;
    const TensorRef* bias_t = in.size() > 2 ? in[2] : nullptr;
    const float* bias = bias_t ? bias_t->as<const float>() : nullptr;
    const int64_t bs = bias_t && bias_t->numel() == 1 ? 0 : 1;
    float* y = out[0]->as<float>();
    float* mean_out = out.size() > 1 && out[1] ? out[1]->as<float>() : nullptr;
    float* inv_out = out.size() > 2 && out[2] ? out[2]->as<float>() : nullptr;
    const double eps = epsilon_;
    // Three passes over the row, about 0.3 ns per element.
    const WorkCost cost{0.3 * static_cast<double>(std::max<int64_t>(1, inner))};
    pool.ParallelFor(outer, cost, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = x + r * inner;
        float* yr = y + r * inner;
        const double mean = SumRow(xr, inner) / static_cast<double>(inner);
        const double sq = SumSquaredDeviationRow(xr, inner, mean);
        const double inv = 1.0 / std::sqrt(sq / static_cast<double>(inner) + eps);
        const float m = static_cast<float>(mean), is = static_cast<float>(inv);
        if (bias) {
          for (int64_t i = 0; i < inner; ++i)
            yr[i] = (xr[i] - m) * is * scale[i * ss] + bias[i * bs];
        } else {
          for (int64_t i = 0; i < inner; ++i) yr[i] = (xr[i] - m) * is * scale[i * ss];
        }
        if (mean_out) mean_out[r] = m;
        if (inv_out) inv_out[r] = is;
      }
    });
  }

 private:
  int64_t axis_;
  float epsilon_;
};

class InstanceNormKernel final : public Kernel {
 public:
  explicit InstanceNormKernel(const KernelBuildContext& ctx) {
    for (size_t i = 0; i < 3; ++i)
      RequireDType("InstanceNormalization", ctx.input(i).dtype, {HETRUN_DTYPE_FLOAT32},
                   "float32 only");
    epsilon_ = plugin::AttrFloat(ctx.node, "epsilon", 1e-5f);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    if (d.size() < 3 || in[1]->numel() != d[1] || in[2]->numel() != d[1])
      ThrowInvalid("InstanceNormalization: X " + DimsToString(d) + " with scale " +
                   DimsToString(in[1]->dims) + " and B " + DimsToString(in[2]->dims));
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t C = d[1], planes = d[0] * C, size = ProductOf(d, 2, d.size());
    const float *x = in[0]->as<const float>(), *scale = in[1]->as<const float>(),
                *bias = in[2]->as<const float>();
    float* y = out[0]->as<float>();
    pool.ParallelFor(planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const float* xp = x + p * size;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < size; ++i) sum += xp[i];
        const double mean = sum / static_cast<double>(size);
        for (int64_t i = 0; i < size; ++i) sq += (xp[i] - mean) * (xp[i] - mean);
        const float s =
            static_cast<float>(scale[p % C] / std::sqrt(sq / static_cast<double>(size) + epsilon_));
        const float t = bias[p % C] - static_cast<float>(mean) * s;
        float* yp = y + p * size;
        for (int64_t i = 0; i < size; ++i) yp[i] = xp[i] * s + t;
      }
    });
  }

 private:
  float epsilon_;
};

std::unique_ptr<Kernel> MakeBatchNorm(const KernelBuildContext& ctx) {
  if (plugin::AttrInt(ctx.node, "training_mode", 0) != 0) return MakeTrainingBatchNorm(ctx);
  return std::make_unique<BatchNormKernel>(ctx);
}
std::unique_ptr<Kernel> MakeLayerNorm(const KernelBuildContext& ctx) {
  return std::make_unique<LayerNormKernel>(ctx);
}
std::unique_ptr<Kernel> MakeInstanceNorm(const KernelBuildContext& ctx) {
  return std::make_unique<InstanceNormKernel>(ctx);
}

}  // namespace

void RegisterNormalizationKernels(KernelTable& t) {
  t.Add("BatchNormalization", MakeBatchNorm, nullptr, 5);
  t.Add("LayerNormalization", MakeLayerNorm, nullptr, 2);
  t.Add("InstanceNormalization", MakeInstanceNorm, nullptr, 3);
}

}  // namespace hetrun::cpu
