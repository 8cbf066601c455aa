// Integer MatMul and Conv: MatMulInteger and ConvInteger (int32 accumulators out) and their
// requantizing forms QLinearMatMul and QLinearConv. Operands are widened to int32 with their zero
// points subtracted, multiplied exactly in int32, then (QLinear*) rescaled by
// in_scale * w_scale / y_scale, rounded half to even and saturated. These are reference loops:
// quantized models are rare on this plugin and exactness matters more than speed here.
#include <memory>
#include <string>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/dispatch.h"
#include "kernels/quantize.h"
#include "kernels/registry.h"
#include "kernels/spatial.h"

namespace hetrun::cpu {
namespace {

const TensorRef* Opt(const std::vector<const TensorRef*>& in, size_t i) {
  return i < in.size() ? in[i] : nullptr;
}

// x - zp as int32, with zp per element of `axis_len` along the dim of stride `inner`.
std::vector<int32_t> Widen(const TensorRef& t, const QuantParam& zp, int64_t inner,
                           int64_t axis_len, std::string_view op) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  Dispatch<uint8_t, int8_t>(t.dtype, op, [&]<typename Q>() {
    const Q* x = t.as<const Q>();
    for (size_t e = 0; e < v.size(); ++e) {
      const int64_t c = zp.values.size() == 1 ? 0 : (static_cast<int64_t>(e) / inner) % axis_len;
      v[e] = static_cast<int32_t>(x[e]) - static_cast<int32_t>(zp.At(c));
    }
  });
  return v;
}

void RequireInt8(const KernelBuildContext& ctx, size_t i) {
  RequireDType(OpName(ctx), ctx.input(i).dtype, {HETRUN_DTYPE_UINT8, HETRUN_DTYPE_INT8},
               "uint8, int8");
}

// Writes acc * multiplier(channel) + zp, rounded and saturated, as the output's 8-bit type.
void Requantize(const std::vector<int32_t>& acc, const TensorRef& y, float in_scale,
                const QuantParam& w_scale, float y_scale, float y_zp, int64_t inner,
                int64_t channels, std::string_view op) {
  Dispatch<uint8_t, int8_t>(y.dtype, op, [&]<typename Q>() {
    Q* out = y.as<Q>();
    for (size_t e = 0; e < acc.size(); ++e) {
      const int64_t c =
          w_scale.values.size() == 1 ? 0 : (static_cast<int64_t>(e) / inner) % channels;
      const float m = in_scale * w_scale.At(c) / y_scale;
      out[e] = SaturateRound<Q>(std::nearbyint(static_cast<float>(acc[e]) * m) + y_zp);
    }
  });
}

// numpy matmul of [.., M, K] by [.., K, N] (1-D operands promoted and their dim dropped).
struct MatMulShape {
  int64_t M = 1, K = 1, N = 1;
  std::vector<int64_t> out_dims, batch_dims;
  std::vector<int64_t> a_batch, b_batch;  // each operand's batch dims, padded to batch rank
};

MatMulShape ResolveMatMul(const std::vector<int64_t>& ad, const std::vector<int64_t>& bd,
                          std::string_view op) {
  if (ad.empty() || bd.empty()) ThrowInvalid(std::string(op) + ": operands must not be scalars");
  std::vector<int64_t> a = ad, b = bd;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  MatMulShape s;
  s.M = a[a.size() - 2], s.K = a.back(), s.N = b.back();
  if (b[b.size() - 2] != s.K)
    ThrowInvalid(std::string(op) + ": shapes " + DimsToString(ad) + " and " + DimsToString(bd) +
                 " do not multiply");
  s.a_batch.assign(a.begin(), a.end() - 2);
  s.b_batch.assign(b.begin(), b.end() - 2);
  s.batch_dims = BroadcastShapes(op, {&s.a_batch, &s.b_batch});
  s.a_batch.insert(s.a_batch.begin(), s.batch_dims.size() - s.a_batch.size(), 1);
  s.b_batch.insert(s.b_batch.begin(), s.batch_dims.size() - s.b_batch.size(), 1);
  s.out_dims = s.batch_dims;
  if (ad.size() > 1) s.out_dims.push_back(s.M);
  if (bd.size() > 1) s.out_dims.push_back(s.N);
  return s;
}

// Batched int32 matmul following the broadcast in `s`.
std::vector<int32_t> IntMatMul(const MatMulShape& s, const std::vector<int32_t>& a,
                               const std::vector<int32_t>& b) {
  const int64_t batches = NumElements(s.batch_dims);
  std::vector<int32_t> c(static_cast<size_t>(batches * s.M * s.N), 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t rem = bi, ao = 0, bo = 0, as = 1, bs = 1;
    for (size_t k = s.batch_dims.size(); k-- > 0;) {
      const int64_t i = rem % s.batch_dims[k];
      rem /= s.batch_dims[k];
      if (s.a_batch[k] != 1) ao += i * as;
      if (s.b_batch[k] != 1) bo += i * bs;
      as *= s.a_batch[k];
      bs *= s.b_batch[k];
    }
    const int32_t* pa = a.data() + ao * s.M * s.K;
    const int32_t* pb = b.data() + bo * s.K * s.N;
    int32_t* pc = c.data() + bi * s.M * s.N;
    for (int64_t m = 0; m < s.M; ++m)
      for (int64_t k = 0; k < s.K; ++k) {
        const int32_t av = pa[m * s.K + k];
        for (int64_t n = 0; n < s.N; ++n) pc[m * s.N + n] += av * pb[k * s.N + n];
      }
  }
  return c;
}

// MatMulInteger (inputs A, B, a_zp, b_zp) or QLinearMatMul (A, a_scale, a_zp, B, b_scale, b_zp,
// y_scale, y_zp). A's zero point may be per row (M), B's per column (N).
class IntMatMulKernel final : public Kernel {
 public:
  IntMatMulKernel(const KernelBuildContext& ctx, bool qlinear) : q_(qlinear) {
    RequireInt8(ctx, 0);
    RequireInput(ctx, B(), "B");
    RequireInt8(ctx, B());
    if (q_)
      for (size_t i : {1, 4, 6}) RequireInput(ctx, i, "scale");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const MatMulShape s = ResolveMatMul(in[0]->dims, in[B()]->dims, Op());
    const hetrun_dtype_t t =
        !q_ ? HETRUN_DTYPE_INT32 : (Opt(in, 7) ? Opt(in, 7)->dtype : HETRUN_DTYPE_UINT8);
    return {OutputSpec{t, s.out_dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const MatMulShape s = ResolveMatMul(in[0]->dims, in[B()]->dims, Op());
    const QuantParam azp = ReadQuantParam(Opt(in, 2), Op(), "a_zero_point");
    const QuantParam bzp = ReadQuantParam(Opt(in, q_ ? 5 : 3), Op(), "b_zero_point");
    const std::vector<int32_t> a = Widen(*in[0], azp, s.K, s.M, Op());
    const std::vector<int32_t> b = Widen(*in[B()], bzp, 1, s.N, Op());
    const std::vector<int32_t> acc = IntMatMul(s, a, b);
    if (!q_) {
      std::copy(acc.begin(), acc.end(), out[0]->as<int32_t>());
      return;
    }
    const float a_scale = ReadQuantParam(in[1], Op(), "a_scale").values[0];
    const QuantParam b_scale = ReadQuantParam(in[4], Op(), "b_scale");
    const float y_scale = ReadQuantParam(in[6], Op(), "y_scale").values[0];
    const float y_zp = ReadQuantParam(Opt(in, 7), Op(), "y_zero_point").values[0];
    Requantize(acc, *out[0], a_scale, b_scale, y_scale, y_zp, 1, s.N, Op());
  }

 private:
  size_t B() const { return q_ ? 3 : 1; }
  const char* Op() const { return q_ ? "QLinearMatMul" : "MatMulInteger"; }
  bool q_;
};

// ConvInteger (x, w, x_zp, w_zp) or QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale,
// y_zp, B): a direct convolution over 1-D or 2-D spatial dims with groups. W's zero point and
// scale may be per output channel.
class IntConvKernel final : public Kernel {
 public:
  IntConvKernel(const KernelBuildContext& ctx, bool qlinear)
      : q_(qlinear),
        attrs_(ReadWindowAttrs(ctx.node)),
        group_(plugin::AttrInt(ctx.node, "group", 1)) {
    RequireInt8(ctx, 0);
    RequireInput(ctx, W(), "w");
    RequireInt8(ctx, W());
    if (group_ < 1) ThrowUnimplemented(std::string(Op()) + ": group must be >= 1");
    if (q_)
      for (size_t i : {1, 4, 6}) RequireInput(ctx, i, "scale");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const Geo g = Resolve(in);
    std::vector<int64_t> od{in[0]->dims[0], g.M};
    od.insert(od.end(), g.w.out.begin(), g.w.out.end());
    const hetrun_dtype_t t =
        !q_ ? HETRUN_DTYPE_INT32 : (Opt(in, 7) ? Opt(in, 7)->dtype : HETRUN_DTYPE_UINT8);
    return {OutputSpec{t, od}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Geo g = Resolve(in);
    const auto& xd = in[0]->dims;
    const int64_t N = xd[0], C = xd[1], Cg = C / group_, Mg = g.M / group_;
    // Treat 1-D as 2-D with a unit height.
    const bool two = g.w.in.size() == 2;
    const int64_t IH = two ? g.w.in[0] : 1, IW = g.w.in.back();
    const int64_t OH = two ? g.w.out[0] : 1, OW = g.w.out.back();
    const int64_t KH = two ? g.w.kernel[0] : 1, KW = g.w.kernel.back();
    const int64_t SH = two ? g.w.stride[0] : 1, SW = g.w.stride.back();
    const int64_t DH = two ? g.w.dilation[0] : 1, DW = g.w.dilation.back();
    const int64_t PH = two ? g.w.pad_begin[0] : 0, PW = g.w.pad_begin.back();
    const QuantParam xzp = ReadQuantParam(Opt(in, 2), Op(), "x_zero_point");
    const QuantParam wzp = ReadQuantParam(Opt(in, q_ ? 5 : 3), Op(), "w_zero_point");
    if (xzp.values.size() != 1) ThrowInvalid(std::string(Op()) + ": x_zero_point must be a scalar");
    const std::vector<int32_t> x = Widen(*in[0], xzp, 1, 1, Op());
    const std::vector<int32_t> w = Widen(*in[W()], wzp, Cg * KH * KW, g.M, Op());
    std::vector<int32_t> acc(static_cast<size_t>(N * g.M * OH * OW));
    const TensorRef* bias = q_ ? Opt(in, 8) : nullptr;
    pool.ParallelFor(N * g.M, 1, [&](int64_t s, int64_t e) {
      for (int64_t nm = s; nm < e; ++nm) {
        const int64_t n = nm / g.M, m = nm % g.M, gi = m / Mg;
        const int32_t b0 = bias ? bias->as<const int32_t>()[m] : 0;
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            int32_t sum = b0;
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t kh = 0; kh < KH; ++kh) {
                const int64_t ih = oh * SH - PH + kh * DH;
                if (ih < 0 || ih >= IH) continue;
                for (int64_t kw = 0; kw < KW; ++kw) {
                  const int64_t iw = ow * SW - PW + kw * DW;
                  if (iw < 0 || iw >= IW) continue;
                  sum += x[static_cast<size_t>(((n * C + gi * Cg + c) * IH + ih) * IW + iw)] *
                         w[static_cast<size_t>(((m * Cg + c) * KH + kh) * KW + kw)];
                }
              }
            acc[static_cast<size_t>((nm * OH + oh) * OW + ow)] = sum;
          }
      }
    });
    if (!q_) {
      std::copy(acc.begin(), acc.end(), out[0]->as<int32_t>());
      return;
    }
    const float x_scale = ReadQuantParam(in[1], Op(), "x_scale").values[0];
    const QuantParam w_scale = ReadQuantParam(in[4], Op(), "w_scale");
    const float y_scale = ReadQuantParam(in[6], Op(), "y_scale").values[0];
    const float y_zp = ReadQuantParam(Opt(in, 7), Op(), "y_zero_point").values[0];
    Requantize(acc, *out[0], x_scale, w_scale, y_scale, y_zp, OH * OW, g.M, Op());
  }

 private:
  struct Geo {
    int64_t M;
    WindowGeometry w;
  };
  Geo Resolve(const std::vector<const TensorRef*>& in) const {
    const auto &xd = in[0]->dims, &wd = in[W()]->dims;
    if (xd.size() < 3 || xd.size() > 4 || wd.size() != xd.size())
      ThrowInvalid(std::string(Op()) + ": X and W must both be rank 3 or 4");
    if (xd[1] != wd[1] * group_ || wd[0] % group_ != 0)
      ThrowInvalid(std::string(Op()) + ": channels do not match group " + std::to_string(group_));
    WindowAttrs a = attrs_;
    a.kernel.assign(wd.begin() + 2, wd.end());
    return Geo{wd[0], ResolveWindow(a, std::vector<int64_t>(xd.begin() + 2, xd.end()))};
  }
  size_t W() const { return q_ ? 3 : 1; }
  const char* Op() const { return q_ ? "QLinearConv" : "ConvInteger"; }
  bool q_;
  WindowAttrs attrs_;
  int64_t group_;
};

std::unique_ptr<Kernel> MakeMatMulInteger(const KernelBuildContext& c) {
  return std::make_unique<IntMatMulKernel>(c, false);
}
std::unique_ptr<Kernel> MakeQLinearMatMul(const KernelBuildContext& c) {
  return std::make_unique<IntMatMulKernel>(c, true);
}
std::unique_ptr<Kernel> MakeConvInteger(const KernelBuildContext& c) {
  return std::make_unique<IntConvKernel>(c, false);
}
std::unique_ptr<Kernel> MakeQLinearConv(const KernelBuildContext& c) {
  return std::make_unique<IntConvKernel>(c, true);
}

}  // namespace

void RegisterQuantizedLinalgKernels(KernelTable& t) {
  t.Add("MatMulInteger", MakeMatMulInteger, nullptr, 2);
  t.Add("QLinearMatMul", MakeQLinearMatMul, nullptr, 7);
  t.Add("ConvInteger", MakeConvInteger, nullptr, 2);
  t.Add("QLinearConv", MakeQLinearConv, nullptr, 7);
}

}  // namespace hetrun::cpu
