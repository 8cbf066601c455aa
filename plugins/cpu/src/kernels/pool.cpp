// Pooling: MaxPool (with its optional Indices output) and AveragePool (1-D, 2-D and 3-D windows
// with pads, strides, dilations, ceil_mode), and GlobalAveragePool / GlobalMaxPool over any number
// of spatial dims. Parallel over N x C planes.
#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "kernels/avx2_clone.h"
#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/row_reduce.h"
#include "kernels/spatial.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

// Spatial geometry padded to 3-D with leading unit dims, so one loop nest serves 1-D to 3-D.
struct Plane3D {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
};

Plane3D To3D(const WindowGeometry& g) {
  Plane3D p;
  const size_t r = g.in.size();
  for (size_t j = 0; j < 3; ++j) {
    const bool unit = j < 3 - r;
    const size_t i = unit ? 0 : j - (3 - r);
    p.in[j] = unit ? 1 : g.in[i];
    p.out[j] = unit ? 1 : g.out[i];
    p.k[j] = unit ? 1 : g.kernel[i];
    p.s[j] = unit ? 1 : g.stride[i];
    p.d[j] = unit ? 1 : g.dilation[i];
    p.pb[j] = unit ? 0 : g.pad_begin[i];
    p.pe[j] = unit ? 0 : g.pad_end[i];
  }
  return p;
}

enum class PoolKind { kMax, kAverage };

// A 3x3 window (ResNet's stem) at a constant stride S: all 9 taps of a column in registers, one
// store, the taps in MaxInteriorColumns' general order. r0: the first row at column -pad.
template <typename T, int S>
[[gnu::always_inline]] inline void Max3x3Columns(const T* r0, int64_t row_stride, T* y, int64_t lo,
                                                 int64_t hi) {
  const T* r1 = r0 + row_stride;
  const T* r2 = r1 + row_stride;
  for (int64_t ow = lo; ow < hi; ++ow) {
    const int64_t i = ow * S;
    T m = r0[i];
    m = r0[i + 1] > m ? r0[i + 1] : m;
    m = r0[i + 2] > m ? r0[i + 2] : m;
    m = r1[i] > m ? r1[i] : m;
    m = r1[i + 1] > m ? r1[i + 1] : m;
    m = r1[i + 2] > m ? r1[i + 2] : m;
    m = r2[i] > m ? r2[i] : m;
    m = r2[i + 1] > m ? r2[i + 1] : m;
    m = r2[i + 2] > m ? r2[i + 2] : m;
    y[ow] = m;
  }
}

// Output columns [lo, hi) of one output row (y: the row's start), every window wholly inside
// the input along W, over input rows [h0, h1) of depths [d0, d1): y starts as each window's
// first element, then each later tap is one pass over the columns (taking a value only when
// greater, as MaxPlaneUndilated does), which vectorises; stride 1 and 2 get their own loops.
template <typename T>
[[gnu::always_inline]] inline void MaxInteriorColumns(const T* x, T* y, const Plane3D& p,
                                                      int64_t d0, int64_t d1, int64_t h0,
                                                      int64_t h1, int64_t lo, int64_t hi) {
  const int64_t s = p.s[2];
  if (d1 - d0 == 1 && h1 - h0 == 3 && p.k[2] == 3 && (s == 1 || s == 2)) {
    const T* r0 = x + (d0 * p.in[1] + h0) * p.in[2] - p.pb[2];
    if (s == 1)
      Max3x3Columns<T, 1>(r0, p.in[2], y, lo, hi);
    else
      Max3x3Columns<T, 2>(r0, p.in[2], y, lo, hi);
    return;
  }
  // One tap at a time: its element for output column ow is row[ow * s + off]. No lambda, so the
  // loops take the caller's target (the AVX-512 clone).
  bool first = true;
  for (int64_t id = d0; id < d1; ++id)
    for (int64_t ih = h0; ih < h1; ++ih) {
      const T* row = x + (id * p.in[1] + ih) * p.in[2];
      for (int64_t kw = 0; kw < p.k[2]; ++kw, first = false) {
        const T* r = row + kw - p.pb[2];
        if (first) {
          for (int64_t ow = lo; ow < hi; ++ow) y[ow] = r[ow * s];
        } else if (s == 1) {
          for (int64_t ow = lo; ow < hi; ++ow) y[ow] = r[ow] > y[ow] ? r[ow] : y[ow];
        } else if (s == 2) {
          for (int64_t ow = lo; ow < hi; ++ow) y[ow] = r[2 * ow] > y[ow] ? r[2 * ow] : y[ow];
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) y[ow] = r[ow * s] > y[ow] ? r[ow * s] : y[ow];
        }
      }
    }
}

// MaxPlane without indices or dilation (the common case): each window's extent is clipped to
// the input once, so the inner loop has no bounds checks. Same result, NaN included: a window's
// first element is taken as is, later ones only when greater.
template <typename T>
[[gnu::always_inline]] inline void MaxPlaneUndilated(const T* x, T* y, const Plane3D& p) {
  int64_t o = 0;
  for (int64_t od = 0; od < p.out[0]; ++od) {
    const int64_t d0 = std::max<int64_t>(od * p.s[0] - p.pb[0], 0),
                  d1 = std::min(od * p.s[0] - p.pb[0] + p.k[0], p.in[0]);
    for (int64_t oh = 0; oh < p.out[1]; ++oh) {
      const int64_t h0 = std::max<int64_t>(oh * p.s[1] - p.pb[1], 0),
                    h1 = std::min(oh * p.s[1] - p.pb[1] + p.k[1], p.in[1]);
      // Columns whose window lies wholly inside the input: a loop per tap over all of them.
      int64_t ow_lo = std::min(p.out[2], (p.pb[2] + p.s[2] - 1) / p.s[2]);
      int64_t ow_hi = p.in[2] - p.k[2] + p.pb[2] < 0
                          ? 0
                          : std::min(p.out[2], (p.in[2] - p.k[2] + p.pb[2]) / p.s[2] + 1);
      if (d0 >= d1 || h0 >= h1 || ow_hi <= ow_lo) ow_lo = ow_hi = 0;
      if (ow_hi > ow_lo) MaxInteriorColumns(x, y + o, p, d0, d1, h0, h1, ow_lo, ow_hi);
      for (int64_t ow = 0; ow < p.out[2]; ++ow, ++o) {
        if (ow == ow_lo && ow_hi > ow_lo) {  // done above
          o += ow_hi - 1 - ow;
          ow = ow_hi - 1;
          continue;
        }
        const int64_t w0 = std::max<int64_t>(ow * p.s[2] - p.pb[2], 0),
                      w1 = std::min(ow * p.s[2] - p.pb[2] + p.k[2], p.in[2]);
        if (d0 >= d1 || h0 >= h1 || w0 >= w1) {  // a window entirely in the padding
          y[o] = std::numeric_limits<T>::lowest();
          continue;
        }
        T m = x[(d0 * p.in[1] + h0) * p.in[2] + w0];
        for (int64_t id = d0; id < d1; ++id)
          for (int64_t ih = h0; ih < h1; ++ih) {
            const T* row = x + (id * p.in[1] + ih) * p.in[2];
            for (int64_t iw = w0; iw < w1; ++iw) m = row[iw] > m ? row[iw] : m;
          }
        y[o] = m;
      }
    }
  }
}

// MaxPlaneUndilated for float, compiled for AVX-512 too (avx2_clone.h; comparisons only, so the
// same result): at baseline width MaxPool was 3x ONNX Runtime's time on a ResNet stem.
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void MaxPlaneUndilatedAvx512(const float* x, float* y, const Plane3D& p) {
  MaxPlaneUndilated(x, y, p);
}
#endif

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
      RequireNoOutputFrom(ctx, 2, "beyond Indices");
      column_major_ = plugin::AttrInt(ctx.node, "storage_order", 0) != 0;
    } else {
      RequireDType(op, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
      count_include_pad_ = plugin::AttrInt(ctx.node, "count_include_pad", 0) != 0;
    }
    if (attrs_.kernel.empty()) ThrowUnimplemented(std::string(op) + ": kernel_shape is required");
    if (attrs_.kernel.size() > 3)
      ThrowUnimplemented(std::string(op) + ": only 1-D, 2-D and 3-D windows are supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const WindowGeometry g = Resolve(*in[0]);
    std::vector<int64_t> out{in[0]->dims[0], in[0]->dims[1]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    return {OutputSpec{dtype_, out}, OutputSpec{HETRUN_DTYPE_INT64, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Plane3D p = To3D(Resolve(*in[0]));
    const int64_t planes = in[0]->dims[0] * in[0]->dims[1];
    int64_t* indices = out.size() > 1 && out[1] ? out[1]->as<int64_t>() : nullptr;
    Dispatch<float, double, int8_t, uint8_t>(dtype_, "Pool", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      const int64_t is = p.in_size(), os = p.out_size();
      pool.ParallelFor(planes, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, os)),
                       [&](int64_t c0, int64_t c1) {
                         for (int64_t c = c0; c < c1; ++c) {
                           if constexpr (std::is_floating_point_v<T>)
                             if (kind_ == PoolKind::kAverage) {
                               AveragePlane(x + c * is, y + c * os, p);
                               continue;
                             }
                           if (!indices && p.d[0] == 1 && p.d[1] == 1 && p.d[2] == 1) {
#if HETRUN_CPU_AVX2_CLONES
                             if constexpr (std::is_same_v<T, float>)
                               if (UseAvx512Loops()) {
                                 MaxPlaneUndilatedAvx512(x + c * is, y + c * os, p);
                                 continue;
                               }
#endif
                             MaxPlaneUndilated(x + c * is, y + c * os, p);
                           } else
                             MaxPlane(x + c * is, y + c * os, indices ? indices + c * os : nullptr,
                                      c * is, p);
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

  // Max over each window; `idx` (optional) gets the flat index into the whole input of the first
  // maximum, counting the plane's spatial dims row-major, or column-major with storage_order 1.
  template <typename T>
  void MaxPlane(const T* x, T* y, int64_t* idx, int64_t plane_offset, const Plane3D& p) const {
    int64_t o = 0;
    for (int64_t od = 0; od < p.out[0]; ++od)
      for (int64_t oh = 0; oh < p.out[1]; ++oh)
        for (int64_t ow = 0; ow < p.out[2]; ++ow, ++o) {
          T m = std::numeric_limits<T>::lowest();
          int64_t at[3] = {-1, -1, -1};
          for (int64_t kd = 0; kd < p.k[0]; ++kd) {
            const int64_t id = od * p.s[0] - p.pb[0] + kd * p.d[0];
            if (id < 0 || id >= p.in[0]) continue;
            for (int64_t kh = 0; kh < p.k[1]; ++kh) {
              const int64_t ih = oh * p.s[1] - p.pb[1] + kh * p.d[1];
              if (ih < 0 || ih >= p.in[1]) continue;
              const T* row = x + (id * p.in[1] + ih) * p.in[2];
              for (int64_t kw = 0; kw < p.k[2]; ++kw) {
                const int64_t iw = ow * p.s[2] - p.pb[2] + kw * p.d[2];
                if (iw >= 0 && iw < p.in[2] && (row[iw] > m || at[0] < 0)) {
                  m = row[iw];
                  at[0] = id;
                  at[1] = ih;
                  at[2] = iw;
                }
              }
            }
          }
          y[o] = m;
          if (idx && at[0] < 0)
            idx[o] = -1;  // a window entirely in the padding has no source element
          else if (idx)
            idx[o] = plane_offset + (column_major_ ? (at[2] * p.in[1] + at[1]) * p.in[0] + at[0]
                                                   : (at[0] * p.in[1] + at[1]) * p.in[2] + at[2]);
        }
  }

  template <typename T>
  void AveragePlane(const T* x, T* y, const Plane3D& p) const {
    int64_t o = 0;
    for (int64_t od = 0; od < p.out[0]; ++od) {
      // Window extents per axis: clipped to the padded input for the divisor, to the input for
      // the sum.
      const int64_t ds = od * p.s[0] - p.pb[0],
                    de = std::min(ds + (p.k[0] - 1) * p.d[0] + 1, p.in[0] + p.pe[0]);
      const int64_t dcount = (de - ds + p.d[0] - 1) / p.d[0];
      for (int64_t oh = 0; oh < p.out[1]; ++oh) {
        const int64_t hs = oh * p.s[1] - p.pb[1],
                      he = std::min(hs + (p.k[1] - 1) * p.d[1] + 1, p.in[1] + p.pe[1]);
        const int64_t hcount = (he - hs + p.d[1] - 1) / p.d[1];
        for (int64_t ow = 0; ow < p.out[2]; ++ow, ++o) {
          const int64_t ws = ow * p.s[2] - p.pb[2],
                        we = std::min(ws + (p.k[2] - 1) * p.d[2] + 1, p.in[2] + p.pe[2]);
          const int64_t wcount = (we - ws + p.d[2] - 1) / p.d[2];
          double sum = 0;
          int64_t count = 0;
          for (int64_t id = ds; id < de; id += p.d[0]) {
            if (id < 0 || id >= p.in[0]) continue;
            for (int64_t ih = hs; ih < he; ih += p.d[1]) {
              if (ih < 0 || ih >= p.in[1]) continue;
              const T* row = x + (id * p.in[1] + ih) * p.in[2];
              for (int64_t iw = ws; iw < we; iw += p.d[2]) {
                if (iw < 0 || iw >= p.in[2]) continue;
                sum += static_cast<double>(row[iw]);
                ++count;
              }
            }
          }
          const int64_t divisor = count_include_pad_ ? dcount * hcount * wcount : count;
          y[o] = divisor > 0 ? static_cast<T>(sum / static_cast<double>(divisor)) : T(0);
        }
      }
    }
  }

  PoolKind kind_;
  WindowAttrs attrs_;
  hetrun_dtype_t dtype_;
  bool count_include_pad_ = false;
  bool column_major_ = false;
};

// y[c] = max or mean of plane c (size elements) for c in [c0, c1).
template <typename T>
[[gnu::always_inline]] inline void GlobalPoolPlanes(const T* x, T* y, int64_t size, int64_t c0,
                                                    int64_t c1, bool max) {
  for (int64_t c = c0; c < c1; ++c) {
    const T* xc = x + c * size;
    if (max)
      y[c] = size ? MaxRow(xc, size) : T(0);
    else
      y[c] = static_cast<T>(SumRow(xc, size) / static_cast<double>(size));
  }
}
// The same 16 floats (8 doubles) wide: the lanes of the row reductions sum in the same order,
// so the results are the baseline's bit for bit.
template <typename T>
HETRUN_TARGET_AVX512 void GlobalPoolPlanesAvx512(const T* x, T* y, int64_t size, int64_t c0,
                                                 int64_t c1, bool max) {
  GlobalPoolPlanes(x, y, size, c0, c1, max);
}

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
      // About 0.1 ns per element read (the row reductions vectorise).
      const WorkCost cost{0.1 * static_cast<double>(std::max<int64_t>(1, size))};
      const bool max = kind_ == PoolKind::kMax;
      pool.ParallelFor(planes, cost, [&](int64_t c0, int64_t c1) {
        if (CpuHasAvx512())
          GlobalPoolPlanesAvx512(x, y, size, c0, c1, max);
        else
          GlobalPoolPlanes(x, y, size, c0, c1, max);
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
