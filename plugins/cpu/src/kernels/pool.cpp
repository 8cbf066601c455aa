// Pooling: MaxPool and AveragePool (1-D and 2-D windows with pads, strides, dilations, ceil_mode),
// and GlobalAveragePool / GlobalMaxPool over any number of spatial dims. Parallel over N x C
// planes.
#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/spatial.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

struct Plane2D {
  int64_t H, W, OH, OW, KH, KW, SH, SW, DH, DW, PH, PW, PH_end, PW_end;
};

Plane2D To2D(const WindowGeometry& g) {
  if (g.in.size() == 1)
    return {1, g.in[0],       1, g.out[0],       1, g.kernel[0], 1, g.stride[0],
            1, g.dilation[0], 0, g.pad_begin[0], 0, g.pad_end[0]};
  return {g.in[0],        g.in[1],        g.out[0],     g.out[1],      g.kernel[0],
          g.kernel[1],    g.stride[0],    g.stride[1],  g.dilation[0], g.dilation[1],
          g.pad_begin[0], g.pad_begin[1], g.pad_end[0], g.pad_end[1]};
}

enum class PoolKind { kMax, kAverage };

class PoolKernel final : public Kernel {
 public:
  PoolKernel(const KernelBuildContext& ctx, PoolKind kind)
      : kind_(kind), attrs_(ReadWindowAttrs(ctx.node)), dtype_(ctx.input(0).dtype) {
    const char* op = kind == PoolKind::kMax ? "MaxPool" : "AveragePool";
    if (kind == PoolKind::kMax) {
      RequireDType(
          op, dtype_,
          {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT8, HETRUN_DTYPE_UINT8},
          "float32, float64, int8, uint8");
      RequireNoOutputFrom(ctx, 1, "Indices");
    } else {
      RequireDType(op, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
      count_include_pad_ = plugin::AttrInt(ctx.node, "count_include_pad", 0) != 0;
    }
    if (attrs_.kernel.empty()) ThrowUnimplemented(std::string(op) + ": kernel_shape is required");
    if (attrs_.kernel.size() > 2)
      ThrowUnimplemented(std::string(op) + ": only 1-D and 2-D windows are supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const WindowGeometry g = Resolve(*in[0]);
    std::vector<int64_t> out{in[0]->dims[0], in[0]->dims[1]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    return {OutputSpec{dtype_, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Plane2D p = To2D(Resolve(*in[0]));
    const int64_t planes = in[0]->dims[0] * in[0]->dims[1];
    Dispatch<float, double, int8_t, uint8_t>(dtype_, "Pool", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(planes, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, p.OH * p.OW)),
                       [&](int64_t c0, int64_t c1) {
                         for (int64_t c = c0; c < c1; ++c) {
                           if constexpr (std::is_floating_point_v<T>)
                             if (kind_ == PoolKind::kAverage) {
                               AveragePlane(x + c * p.H * p.W, y + c * p.OH * p.OW, p);
                               continue;
                             }
                           MaxPlane(x + c * p.H * p.W, y + c * p.OH * p.OW, p);
                         }
                       });
    });
  }

 private:
  WindowGeometry Resolve(const TensorRef& x) const {
    if (x.dims.size() != attrs_.kernel.size() + 2)
      ThrowInvalid(attrs_.op + ": input " + DimsToString(x.dims) + " does not match a " +
                   std::to_string(attrs_.kernel.size()) + "-D window");
    return ResolveWindow(attrs_, std::vector<int64_t>(x.dims.begin() + 2, x.dims.end()));
  }

  template <typename T>
  static void MaxPlane(const T* x, T* y, const Plane2D& p) {
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      const int64_t h0 = oh * p.SH - p.PH;
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        const int64_t w0 = ow * p.SW - p.PW;
        T m = std::numeric_limits<T>::lowest();
        for (int64_t kh = 0; kh < p.KH; ++kh) {
          const int64_t ih = h0 + kh * p.DH;
          if (ih < 0 || ih >= p.H) continue;
          const T* row = x + ih * p.W;
          for (int64_t kw = 0; kw < p.KW; ++kw) {
            const int64_t iw = w0 + kw * p.DW;
            if (iw >= 0 && iw < p.W && row[iw] > m) m = row[iw];
          }
        }
        y[oh * p.OW + ow] = m;
      }
    }
  }

  template <typename T>
  void AveragePlane(const T* x, T* y, const Plane2D& p) const {
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      // Window rows: clipped to the padded input for the divisor, to the input for the sum.
      int64_t hs = oh * p.SH - p.PH, he = std::min(hs + (p.KH - 1) * p.DH + 1, p.H + p.PH_end);
      const int64_t hcount_pad = (he - hs + p.DH - 1) / p.DH;
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        int64_t ws = ow * p.SW - p.PW, we = std::min(ws + (p.KW - 1) * p.DW + 1, p.W + p.PW_end);
        const int64_t wcount_pad = (we - ws + p.DW - 1) / p.DW;
        double sum = 0;
        int64_t count = 0;
        for (int64_t ih = hs; ih < he; ih += p.DH) {
          if (ih < 0 || ih >= p.H) continue;
          for (int64_t iw = ws; iw < we; iw += p.DW) {
            if (iw < 0 || iw >= p.W) continue;
            sum += static_cast<double>(x[ih * p.W + iw]);
            ++count;
          }
        }
        const int64_t divisor = count_include_pad_ ? hcount_pad * wcount_pad : count;
        y[oh * p.OW + ow] = divisor > 0 ? static_cast<T>(sum / static_cast<double>(divisor)) : T(0);
      }
    }
  }

  PoolKind kind_;
  WindowAttrs attrs_;
  hetrun_dtype_t dtype_;
  bool count_include_pad_ = false;
};

class GlobalPoolKernel final : public Kernel {
 public:
  GlobalPoolKernel(const KernelBuildContext& ctx, PoolKind kind)
      : kind_(kind), dtype_(ctx.input(0).dtype) {
    RequireDType(ctx.node.op_type, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    if (d.size() < 2)
      ThrowInvalid(std::string(kind_ == PoolKind::kMax ? "GlobalMaxPool" : "GlobalAveragePool") +
                   ": input must have rank >= 2, got " + DimsToString(d));
    std::vector<int64_t> out(d.size(), 1);
    out[0] = d[0];
    out[1] = d[1];
    return {OutputSpec{dtype_, out}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t planes = d[0] * d[1], size = ProductOf(d, 2, d.size());
    Dispatch<float, double>(dtype_, "GlobalPool", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)),
                       [&](int64_t c0, int64_t c1) {
                         for (int64_t c = c0; c < c1; ++c) {
                           const T* xc = x + c * size;
                           if (kind_ == PoolKind::kMax) {
                             T m = size ? xc[0] : T(0);
                             for (int64_t i = 1; i < size; ++i) m = xc[i] > m ? xc[i] : m;
                             y[c] = m;
                           } else {
                             double s = 0;
                             for (int64_t i = 0; i < size; ++i) s += static_cast<double>(xc[i]);
                             y[c] = static_cast<T>(s / static_cast<double>(size));
                           }
                         }
                       });
    });
  }

 private:
  PoolKind kind_;
  hetrun_dtype_t dtype_;
};

std::unique_ptr<Kernel> MakeMaxPool(const KernelBuildContext& ctx) {
  return std::make_unique<PoolKernel>(ctx, PoolKind::kMax);
}
std::unique_ptr<Kernel> MakeAveragePool(const KernelBuildContext& ctx) {
  return std::make_unique<PoolKernel>(ctx, PoolKind::kAverage);
}
std::unique_ptr<Kernel> MakeGlobalMaxPool(const KernelBuildContext& ctx) {
  return std::make_unique<GlobalPoolKernel>(ctx, PoolKind::kMax);
}
std::unique_ptr<Kernel> MakeGlobalAveragePool(const KernelBuildContext& ctx) {
  return std::make_unique<GlobalPoolKernel>(ctx, PoolKind::kAverage);
}

double PoolCost(const KernelBuildContext& ctx, const CostModel& model) {
  double window = 1;
  for (int64_t k : plugin::AttrInts(ctx.node, "kernel_shape")) window *= static_cast<double>(k);
  const double y = StaticBytes(ctx.output(0)) / 4;
  return MemoryBoundCostUs(ctx, model) + y * window / (model.peak_gflops * 0.05 * 1e3);
}

}  // namespace

void RegisterPoolKernels(KernelTable& t) {
  t.Add("MaxPool", MakeMaxPool, PoolCost);
  t.Add("AveragePool", MakeAveragePool, PoolCost);
  t.Add("GlobalMaxPool", MakeGlobalMaxPool);
  t.Add("GlobalAveragePool", MakeGlobalAveragePool);
}

}  // namespace hetrun::cpu
