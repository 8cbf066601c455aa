// Det (determinants of [..., M, M] matrices, by LU decomposition with partial pivoting in double)
// and MeanVarianceNormalization ((X - mean) / (sqrt(E[X^2] - E[X]^2) + 1e-9) over `axes`, as the
// ONNX function body defines it).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

class DetKernel final : public Kernel {
 public:
  explicit DetKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("Det", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    if (d.size() < 2 || d[d.size() - 1] != d[d.size() - 2])
      ThrowInvalid("Det: input must be [..., M, M], got " + DimsToString(d));
    return {OutputSpec{dtype_, std::vector<int64_t>(d.begin(), d.end() - 2)}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t m = in[0]->dims.back();
    const int64_t mats = out[0]->numel();
    Dispatch<float, double>(dtype_, "Det", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      std::vector<double> a(static_cast<size_t>(m * m));
      for (int64_t k = 0; k < mats; ++k) {
        for (size_t i = 0; i < a.size(); ++i)
          a[i] = static_cast<double>(x[k * m * m + static_cast<int64_t>(i)]);
        y[k] = static_cast<T>(Determinant(a, m));
      }
    });
  }

 private:
  static double Determinant(std::vector<double>& a, int64_t m) {
    double det = 1;
    for (int64_t c = 0; c < m; ++c) {
      int64_t p = c;
      for (int64_t r = c + 1; r < m; ++r)
        if (std::fabs(a[r * m + c]) > std::fabs(a[p * m + c])) p = r;
      if (a[p * m + c] == 0) return 0;
      if (p != c) {
        for (int64_t j = 0; j < m; ++j) std::swap(a[c * m + j], a[p * m + j]);
        det = -det;
      }
      det *= a[c * m + c];
      for (int64_t r = c + 1; r < m; ++r) {
        const double f = a[r * m + c] / a[c * m + c];
        for (int64_t j = c; j < m; ++j) a[r * m + j] -= f * a[c * m + j];
      }
    }
    return det;
  }
  hetrun_dtype_t dtype_;
};

class MvnKernel final : public Kernel {
 public:
  explicit MvnKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype), axes_(plugin::AttrInts(ctx.node, "axes", {0, 2, 3})) {
    RequireDType("MeanVarianceNormalization", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    Reduced(in[0]->dims);
    return {OutputSpec{dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& d = in[0]->dims;
    const std::vector<bool> red = Reduced(d);
    const int64_t n = in[0]->numel();
    // Each element's group: its index over the kept dims.
    std::vector<int64_t> group(static_cast<size_t>(n));
    int64_t groups = 1;
    for (size_t k = 0; k < d.size(); ++k)
      if (!red[k]) groups *= d[k];
    for (int64_t e = 0; e < n; ++e) {
      int64_t rem = e, g = 0, mul = 1;
      for (size_t k = d.size(); k-- > 0;) {
        const int64_t c = rem % d[k];
        rem /= d[k];
        if (!red[k]) g += c * mul, mul *= d[k];
      }
      group[static_cast<size_t>(e)] = g;
    }
    const double count = static_cast<double>(groups ? n / groups : 1);
    Dispatch<float, double>(dtype_, "MeanVarianceNormalization", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      std::vector<double> sum(static_cast<size_t>(groups)), sq(static_cast<size_t>(groups));
      for (int64_t e = 0; e < n; ++e) {
        const double v = static_cast<double>(x[e]);
        sum[static_cast<size_t>(group[static_cast<size_t>(e)])] += v;
        sq[static_cast<size_t>(group[static_cast<size_t>(e)])] += v * v;
      }
      for (int64_t e = 0; e < n; ++e) {
        const size_t g = static_cast<size_t>(group[static_cast<size_t>(e)]);
        const double mean = sum[g] / count, var = sq[g] / count - mean * mean;
        y[e] = static_cast<T>((static_cast<double>(x[e]) - mean) /
                              (std::sqrt(std::max(var, 0.0)) + 1e-9));
      }
    });
  }

 private:
  std::vector<bool> Reduced(const std::vector<int64_t>& d) const {
    std::vector<bool> red(d.size(), false);
    for (int64_t a : axes_)
      red[static_cast<size_t>(
          NormalizeAxis(a, static_cast<int64_t>(d.size()), "MeanVarianceNormalization"))] = true;
    return red;
  }
  hetrun_dtype_t dtype_;
  std::vector<int64_t> axes_;
};

std::unique_ptr<Kernel> MakeDet(const KernelBuildContext& c) {
  return std::make_unique<DetKernel>(c);
}
std::unique_ptr<Kernel> MakeMvn(const KernelBuildContext& c) {
  return std::make_unique<MvnKernel>(c);
}

}  // namespace

void RegisterDetMvnKernels(KernelTable& t) {
  t.Add("Det", MakeDet);
  t.Add("MeanVarianceNormalization", MakeMvn);
}

}  // namespace hetrun::cpu
