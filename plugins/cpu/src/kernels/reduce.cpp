// Reduce* ops over any set of axes (from the `axes` attribute, or from the optional second input
// for ReduceSum from opset 13 and the others from opset 18), keepdims and noop_with_empty_axes,
// plus ArgMax/ArgMin. Adjacent dims are collapsed first; a reduction over one contiguous block of
// axes then runs as plain row or column loops, anything else through an index odometer.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

// Accumulator type: double for floating point, int64 (or T) for integers.
template <typename T>
using Wide = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kSumSquare, kL1, kL2, kLogSum, kLogSumExp };

template <typename T, ReduceOp kOp>
struct Reducer {
  using Acc = std::conditional_t<kOp == ReduceOp::kMax || kOp == ReduceOp::kMin, T, Wide<T>>;
  static Acc Init() {
    if constexpr (kOp == ReduceOp::kMax)
      return std::numeric_limits<T>::lowest();
    else if constexpr (kOp == ReduceOp::kMin)
      return std::numeric_limits<T>::max();
    else if constexpr (kOp == ReduceOp::kProd)
      return Acc(1);
    else
      return Acc(0);
  }
  static Acc Step(Acc a, T x) {
    if constexpr (kOp == ReduceOp::kMax)
      return x > a ? x : a;
    else if constexpr (kOp == ReduceOp::kMin)
      return x < a ? x : a;
    else if constexpr (kOp == ReduceOp::kProd)
      return a * static_cast<Acc>(x);
    else if constexpr (kOp == ReduceOp::kSumSquare || kOp == ReduceOp::kL2)
      return a + static_cast<Acc>(x) * static_cast<Acc>(x);
    else if constexpr (kOp == ReduceOp::kL1)
      return a + (x < T(0) ? -static_cast<Acc>(x) : static_cast<Acc>(x));
    else if constexpr (kOp == ReduceOp::kLogSumExp)
      return a + static_cast<Acc>(std::exp(static_cast<double>(x)));
    else
      return a + static_cast<Acc>(x);
  }
  static T Finish(Acc a, int64_t count) {
    if constexpr (kOp == ReduceOp::kMean)
      return static_cast<T>(a / static_cast<Acc>(count ? count : 1));
    else if constexpr (kOp == ReduceOp::kL2)
      return static_cast<T>(std::sqrt(static_cast<double>(a)));
    else if constexpr (kOp == ReduceOp::kLogSum || kOp == ReduceOp::kLogSumExp)
      return static_cast<T>(std::log(static_cast<double>(a)));
    else
      return static_cast<T>(a);
  }
};

// The collapsed problem: dims alternate between kept and reduced.
struct ReducePlan {
  std::vector<int64_t> out_dims;
  bool copy = false;  // nothing to reduce
  std::vector<int64_t> dims;
  std::vector<bool> reduced;
  int64_t reduce_count = 1;
};

ReducePlan MakePlan(const std::vector<int64_t>& in, std::vector<int64_t> axes, bool keepdims,
                    bool noop_empty, std::string_view op) {
  ReducePlan p;
  const int64_t r = static_cast<int64_t>(in.size());
  std::vector<bool> red(in.size(), false);
  if (axes.empty()) {
    if (noop_empty) {
      p.copy = true;
      p.out_dims = in;
      return p;
    }
    red.assign(in.size(), true);
  }
  for (int64_t a : axes) red[static_cast<size_t>(NormalizeAxis(a, r, op))] = true;
  for (size_t i = 0; i < in.size(); ++i) {
    if (red[i]) {
      p.reduce_count *= in[i];
      if (keepdims) p.out_dims.push_back(1);
    } else {
      p.out_dims.push_back(in[i]);
    }
    if (in[i] == 1) continue;  // size-1 dims change nothing
    if (!p.dims.empty() && p.reduced.back() == red[i])
      p.dims.back() *= in[i];
    else {
      p.dims.push_back(in[i]);
      p.reduced.push_back(red[i]);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    p.reduced.push_back(false);
  }
  return p;
}

template <typename T, ReduceOp kOp>
void RunReduce(const ReducePlan& p, const T* x, T* y, ThreadPool& pool) {
  using R = Reducer<T, kOp>;
  using Acc = typename R::Acc;
  const int64_t out_n = NumElements(p.out_dims);
  const size_t nd = p.dims.size();
  const int64_t count = p.reduce_count;
  if (nd == 1 && !p.reduced[0]) {  // nothing actually reduced (all reduced dims have size 1)
    pool.ParallelFor(out_n, kElementwiseGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) y[i] = R::Finish(R::Step(R::Init(), x[i]), 1);
    });
    return;
  }
  // One reduced block: outer (kept) x n (reduced) x inner (kept).
  int reduced_blocks = 0;
  for (bool b : p.reduced) reduced_blocks += b;
  if (reduced_blocks == 1) {
    size_t k = 0;
    while (!p.reduced[k]) ++k;
    const int64_t outer = ProductOf(p.dims, 0, k), n = p.dims[k],
                  inner = ProductOf(p.dims, k + 1, nd);
    if (inner == 1) {
      pool.ParallelFor(outer, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, n)),
                       [&](int64_t s, int64_t e) {
                         for (int64_t o = s; o < e; ++o) {
                           Acc a = R::Init();
                           const T* xr = x + o * n;
                           for (int64_t i = 0; i < n; ++i) a = R::Step(a, xr[i]);
                           y[o] = R::Finish(a, count);
                         }
                       });
      return;
    }
    pool.ParallelFor(outer,
                     std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, n * inner)),
                     [&](int64_t s, int64_t e) {
                       std::vector<Acc> acc(static_cast<size_t>(inner));
                       for (int64_t o = s; o < e; ++o) {
                         std::fill(acc.begin(), acc.end(), R::Init());
                         for (int64_t r = 0; r < n; ++r) {
                           const T* xr = x + (o * n + r) * inner;
                           for (int64_t i = 0; i < inner; ++i) acc[i] = R::Step(acc[i], xr[i]);
                         }
                         for (int64_t i = 0; i < inner; ++i)
                           y[o * inner + i] = R::Finish(acc[i], count);
                       }
                     });
    return;
  }
  // General: strides of the kept and the reduced dims, walked by odometers.
  std::vector<int64_t> kd, ks, rd, rs;
  int64_t stride = 1;
  for (size_t i = nd; i-- > 0;) {
    (p.reduced[i] ? rd : kd).insert((p.reduced[i] ? rd : kd).begin(), p.dims[i]);
    (p.reduced[i] ? rs : ks).insert((p.reduced[i] ? rs : ks).begin(), stride);
    stride *= p.dims[i];
  }
  pool.ParallelFor(out_n, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, count)),
                   [&](int64_t s, int64_t e) {
                     std::vector<int64_t> ridx(rd.size());
                     for (int64_t o = s; o < e; ++o) {
                       int64_t base = 0, rem = o;
                       for (size_t i = kd.size(); i-- > 0;) {
                         base += (rem % kd[i]) * ks[i];
                         rem /= kd[i];
                       }
                       std::fill(ridx.begin(), ridx.end(), 0);
                       Acc a = R::Init();
                       int64_t off = 0;
                       for (int64_t c = 0; c < count; ++c) {
                         a = R::Step(a, x[base + off]);
                         for (size_t i = rd.size(); i-- > 0;) {  // advance the odometer
                           off += rs[i];
                           if (++ridx[i] < rd[i]) break;
                           off -= rs[i] * rd[i];
                           ridx[i] = 0;
                         }
                       }
                       y[o] = R::Finish(a, count);
                     }
                   });
}

template <ReduceOp kOp>
class ReduceKernel final : public Kernel {
 public:
  explicit ReduceKernel(const KernelBuildContext& ctx)
      : name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    if (kOp == ReduceOp::kMax || kOp == ReduceOp::kMin)
      RequireDType(name_, dtype_,
                   {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32,
                    HETRUN_DTYPE_INT64, HETRUN_DTYPE_INT8, HETRUN_DTYPE_UINT8},
                   "float32, float64, int32, int64, int8, uint8");
    else
      RequireDType(
          name_, dtype_,
          {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
          "float32, float64, int32, int64");
    // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
    const int64_t input_from = kOp == ReduceOp::kSum ? 13 : 18;
    axes_from_input_ = ctx.node.opset >= input_from;
    if (!axes_from_input_) axes_ = plugin::AttrInts(ctx.node, "axes");
    keepdims_ = plugin::AttrInt(ctx.node, "keepdims", 1) != 0;
    noop_ = axes_from_input_ && plugin::AttrInt(ctx.node, "noop_with_empty_axes", 0) != 0;
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{dtype_, Plan(in).out_dims}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const ReducePlan p = Plan(in);
    if (p.copy) {
      CopyIfDistinct(*in[0], *out[0]);
      return;
    }
    if (NumElements(p.out_dims) == 0) return;
    Dispatch<float, double, int32_t, int64_t, int8_t, uint8_t>(dtype_, name_, [&]<typename T>() {
      RunReduce<T, kOp>(p, in[0]->as<const T>(), out[0]->as<T>(), pool);
    });
  }

 private:
  ReducePlan Plan(const std::vector<const TensorRef*>& in) const {
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_ && in.size() > 1 && in[1]) axes = ReadInts(*in[1], name_, "axes");
    return MakePlan(in[0]->dims, axes, keepdims_, noop_, name_);
  }

  std::string name_;
  hetrun_dtype_t dtype_;
  bool axes_from_input_ = false, keepdims_ = true, noop_ = false;
  std::vector<int64_t> axes_;
};

template <ReduceOp kOp>
std::unique_ptr<Kernel> MakeReduce(const KernelBuildContext& ctx) {
  return std::make_unique<ReduceKernel<kOp>>(ctx);
}

//===-- ArgMax / ArgMin
//-------------------------------------------------------------------------===//

class ArgKernel final : public Kernel {
 public:
  ArgKernel(const KernelBuildContext& ctx, bool max)
      : max_(max), name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    RequireDType(
        name_, dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
    axis_ = plugin::AttrInt(ctx.node, "axis", 0);
    keepdims_ = plugin::AttrInt(ctx.node, "keepdims", 1) != 0;
    last_ = plugin::AttrInt(ctx.node, "select_last_index", 0) != 0;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<int64_t> d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), name_));
    if (d[a] == 0) ThrowInvalid(name_ + ": cannot reduce an empty axis");
    if (keepdims_)
      d[a] = 1;
    else
      d.erase(d.begin() + static_cast<ptrdiff_t>(a));
    return {OutputSpec{HETRUN_DTYPE_INT64, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), name_));
    const int64_t outer = ProductOf(d, 0, a), n = d[a], inner = ProductOf(d, a + 1, d.size());
    int64_t* y = out[0]->as<int64_t>();
    Dispatch<float, double, int32_t, int64_t>(dtype_, name_, [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      pool.ParallelFor(outer * inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, n)),
                       [&](int64_t s, int64_t e) {
                         for (int64_t oi = s; oi < e; ++oi) {
                           const int64_t o = oi / inner, i = oi % inner;
                           const T* xp = x + o * n * inner + i;
                           int64_t best = 0;
                           for (int64_t k = 1; k < n; ++k) {
                             const T v = xp[k * inner], b = xp[best * inner];
                             const bool better =
                                 max_ ? (v > b || (last_ && v == b)) : (v < b || (last_ && v == b));
                             if (better) best = k;
                           }
                           y[oi] = best;
                         }
                       });
    });
  }

 private:
  bool max_;
  std::string name_;
  hetrun_dtype_t dtype_;
  int64_t axis_;
  bool keepdims_, last_;
};

std::unique_ptr<Kernel> MakeArgMax(const KernelBuildContext& ctx) {
  return std::make_unique<ArgKernel>(ctx, true);
}
std::unique_ptr<Kernel> MakeArgMin(const KernelBuildContext& ctx) {
  return std::make_unique<ArgKernel>(ctx, false);
}

}  // namespace

void RegisterReduceKernels(KernelTable& t) {
  t.Add("ReduceSum", MakeReduce<ReduceOp::kSum>);
  t.Add("ReduceMean", MakeReduce<ReduceOp::kMean>);
  t.Add("ReduceMax", MakeReduce<ReduceOp::kMax>);
  t.Add("ReduceMin", MakeReduce<ReduceOp::kMin>);
  t.Add("ReduceProd", MakeReduce<ReduceOp::kProd>);
  t.Add("ReduceSumSquare", MakeReduce<ReduceOp::kSumSquare>);
  t.Add("ReduceL1", MakeReduce<ReduceOp::kL1>);
  t.Add("ReduceL2", MakeReduce<ReduceOp::kL2>);
  t.Add("ReduceLogSum", MakeReduce<ReduceOp::kLogSum>);
  t.Add("ReduceLogSumExp", MakeReduce<ReduceOp::kLogSumExp>);
  t.Add("ArgMax", MakeArgMax);
  t.Add("ArgMin", MakeArgMin);
}

}  // namespace hetrun::cpu
