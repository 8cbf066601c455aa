// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis` (default
// 1) and normalised over each row; from opset 13 it is normalised along `axis` alone (default -1).
// Both subtract the maximum first, like ONNX Runtime.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/exp_float.h"
#include "kernels/registry.h"
#include "kernels/row_reduce.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HETRUN_WIDEST_VECTORS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HETRUN_WIDEST_VECTORS
#endif

// y = exp(x - shift) over a float row, at the widest vector width the CPU has.
HETRUN_WIDEST_VECTORS void ExpShiftedRow(const float* x, float shift, float* y, int64_t n) {
  ExpFloatRow(x, shift, y, n);
}

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(const KernelBuildContext& ctx, bool log)
      : log_(log), name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    RequireDType(name_, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
    coerce_2d_ = ctx.node.opset < 13;
    axis_ = plugin::AttrInt(ctx.node, "axis", coerce_2d_ ? 1 : -1);
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    NormalizeAxis(axis_, static_cast<int64_t>(in[0]->dims.size()), name_);
    return {OutputSpec{dtype_, in[0]->dims}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t axis =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), name_));
    // outer x n x stride, normalised over n.
    const int64_t outer = ProductOf(d, 0, axis);
    const int64_t n = coerce_2d_ ? ProductOf(d, axis, d.size()) : d[axis];
    const int64_t stride = coerce_2d_ ? 1 : ProductOf(d, axis + 1, d.size());
    if (outer * n * stride == 0) return;
    Dispatch<float, double>(dtype_, name_, [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      if (stride == 1) {
        // exp dominates: about 2 ns per element (libm's; float's vectorised exp is faster).
        pool.ParallelFor(outer, WorkCost{2.0 * static_cast<double>(n)},
                         [&](int64_t r0, int64_t r1) {
                           for (int64_t r = r0; r < r1; ++r) Row(x + r * n, y + r * n, n);
                         });
      } else {
        pool.ParallelFor(
            outer, std::max<int64_t>(1, 4096 / (n * stride)), [&](int64_t r0, int64_t r1) {
              std::vector<double> sum(static_cast<size_t>(stride));
              std::vector<T> mx(static_cast<size_t>(stride));
              for (int64_t r = r0; r < r1; ++r)
                Strided(x + r * n * stride, y + r * n * stride, n, stride, mx.data(), sum.data());
            });
      }
    });
  }

 private:
  template <typename T>
  void Row(const T* x, T* y, int64_t n) const {
    const T m = MaxRow(x, n);
    // exp into y first, then sum y in lanes: no add chain through the exp calls (LogSoftmax
    // overwrites y afterwards; y never aliases x).
    if constexpr (std::is_same_v<T, float>)
      ExpShiftedRow(x, m, y, n);
    else
      for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i] - m);
    const double sum = SumRow(y, n);
    if (log_) {
      const T shift = m + static_cast<T>(std::log(sum));
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
    } else {
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    }
  }

  // Along a non-innermost axis: all `stride` columns at once, so the loops stay contiguous.
  template <typename T>
  void Strided(const T* x, T* y, int64_t n, int64_t stride, T* mx, double* sum) const {
    std::copy(x, x + stride, mx);
    for (int64_t k = 1; k < n; ++k)
      for (int64_t i = 0; i < stride; ++i) mx[i] = std::max(mx[i], x[k * stride + i]);
    std::fill(sum, sum + stride, 0.0);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < stride; ++i) {
        const T e = std::exp(x[k * stride + i] - mx[i]);
        if (!log_) y[k * stride + i] = e;
        sum[i] += e;
      }
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < stride; ++i) {
        const int64_t j = k * stride + i;
        y[j] = log_ ? x[j] - mx[i] - static_cast<T>(std::log(sum[i]))
                    : y[j] * static_cast<T>(1.0 / sum[i]);
      }
  }

  bool log_;
  std::string name_;
  hetrun_dtype_t dtype_;
  bool coerce_2d_;
  int64_t axis_;
};

// Hardmax: 1 at the first maximum of each normalised line, 0 elsewhere; same axis rules.
class HardmaxKernel final : public Kernel {
 public:
  explicit HardmaxKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("Hardmax", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
    coerce_2d_ = ctx.node.opset < 13;
    axis_ = plugin::AttrInt(ctx.node, "axis", coerce_2d_ ? 1 : -1);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    NormalizeAxis(axis_, static_cast<int64_t>(in[0]->dims.size()), "Hardmax");
    return {OutputSpec{dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t axis =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Hardmax"));
    const int64_t outer = ProductOf(d, 0, axis);
    const int64_t n = coerce_2d_ ? ProductOf(d, axis, d.size()) : d[axis];
    const int64_t stride = coerce_2d_ ? 1 : ProductOf(d, axis + 1, d.size());
    if (outer * n * stride == 0) return;
    Dispatch<float, double>(dtype_, "Hardmax", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(outer * stride, std::max<int64_t>(1, 4096 / n), [&](int64_t s, int64_t e) {
        for (int64_t li = s; li < e; ++li) {
          const int64_t base = (li / stride) * n * stride + li % stride;
          int64_t best = 0;
          for (int64_t k = 1; k < n; ++k)
            if (x[base + k * stride] > x[base + best * stride]) best = k;
          for (int64_t k = 0; k < n; ++k) y[base + k * stride] = k == best ? T(1) : T(0);
        }
      });
    });
  }

 private:
  hetrun_dtype_t dtype_;
  bool coerce_2d_;
  int64_t axis_;
};

std::unique_ptr<Kernel> MakeHardmax(const KernelBuildContext& ctx) {
  return std::make_unique<HardmaxKernel>(ctx);
}

std::unique_ptr<Kernel> MakeSoftmax(const KernelBuildContext& ctx) {
  return std::make_unique<SoftmaxKernel>(ctx, false);
}
std::unique_ptr<Kernel> MakeLogSoftmax(const KernelBuildContext& ctx) {
  return std::make_unique<SoftmaxKernel>(ctx, true);
}

double SoftmaxCost(const KernelBuildContext& ctx, const CostModel& model) {
  const double n = StaticBytes(ctx.output(0)) / 4;
  return MemoryBoundCostUs(ctx, model) * 2 + n * 20 / (model.peak_gflops * 1e3);
}

}  // namespace

void RegisterSoftmaxKernels(KernelTable& t) {
  t.Add("Softmax", MakeSoftmax, SoftmaxCost);
  t.Add("LogSoftmax", MakeLogSoftmax, SoftmaxCost);
  t.Add("Hardmax", MakeHardmax);
}

}  // namespace hetrun::cpu
