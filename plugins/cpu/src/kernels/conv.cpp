// Conv (1-D and 2-D, float32): im2col fused into the packing of the GEMM's B operand, with the
// weights packed once as the A operand (per group); 1x1 stride-1 convolutions pack the input
// directly; depthwise convolutions (one input channel per group) use a direct loop; 3x3 stride-1
// convolutions with constant weights use Winograd F(2x2, 3x3) (winograd.cpp), and ones with few
// output pixels a transposed GEMM (the choice, and compile_tuned's alternatives to it, are in
// conv_algorithm.h). Every path applies the bias, and an activation fused in at compile time
// (fusion/), as it stores the output.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "fusion/activation_loops.h"
#include "fusion/epilogue_fusable.h"
#include "kernels/avx2_clone.h"
#include "kernels/common.h"
#include "kernels/conv_algorithm.h"
#include "kernels/depthwise_conv.h"
#include "kernels/direct_conv.h"
#include "kernels/gemm.h"
#include "kernels/gemm_tunables.h"
#include "kernels/phase_split.h"
#include "kernels/registry.h"
#include "kernels/spatial.h"
#include "kernels/winograd.h"

namespace hetrun::cpu {
namespace {

// 2-D view of the geometry (1-D convolutions have H = KH = OH = 1); the depthwise loops and the
// phase split take the same struct.
using Geometry2D = DepthwiseGeometry;

Geometry2D To2D(const WindowGeometry& g) {
  if (g.in.size() == 1)
    return {1, g.in[0],     1, g.out[0],      1, g.kernel[0],
            1, g.stride[0], 1, g.dilation[0], 0, g.pad_begin[0]};
  return {g.in[0],     g.in[1],     g.out[0],      g.out[1],      g.kernel[0],    g.kernel[1],
          g.stride[0], g.stride[1], g.dilation[0], g.dilation[1], g.pad_begin[0], g.pad_begin[1]};
}

// Packs rows [k0, k0 + kc) of one image group's im2col matrix (rows: c, kh, kw; columns: output
// pixels) for the column panels [p0, p1) straight into GEMM B panels of width nr: im2col fused
// into the GEMM's packing, so the matrix is never materialised. Each row is written directly
// into its panels as runs that end at an output row or a panel edge (one pass over the data,
// no intermediate row buffer).
[[gnu::always_inline]] inline void PackIm2colPanelsBody(const float* x, const Geometry2D& g,
                                                        int64_t k0, int64_t kc, int64_t p0,
                                                        int64_t p1, int nr, float* dst) {
  const int64_t N = g.OH * g.OW, plane = g.H * g.W, taps = g.KH * g.KW;
  const int64_t col0 = p0 * nr, col1 = std::min(p1 * nr, N);
  const int64_t oh0 = col0 / g.OW, ow0 = col0 % g.OW;
  int64_t c = k0 / taps, kh = (k0 % taps) / g.KW, kw = k0 % g.KW;
  for (int64_t k = 0; k < kc; ++k) {
    const float* xc = x + c * plane;
    float* row_k = dst + k * nr;  // row k of panel p0; panel p's is row_k + (p - p0) * kc * nr
    // Output columns whose input column ow * SW - PW + kw * DW lies in [0, W): [ow_lo, ow_hi),
    // the same for every output row (divisions once per row of the matrix, not per run).
    const int64_t shift = kw * g.DW - g.PW;
    const int64_t ow_lo = std::min(g.OW, shift >= 0 ? 0 : (-shift + g.SW - 1) / g.SW);
    const int64_t ow_hi =
        std::clamp<int64_t>(g.W - 1 - shift < 0 ? 0 : (g.W - 1 - shift) / g.SW + 1, ow_lo, g.OW);
    int64_t oh = oh0, ow = ow0, p = p0, pj = 0;
    for (int64_t col = col0; col < col1;) {
      const int64_t len = std::min({col1 - col, g.OW - ow, nr - pj});
      float* dr = row_k + (p - p0) * kc * nr + pj;
      const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
      if (ih < 0 || ih >= g.H) {
        std::fill(dr, dr + len, 0.0f);
      } else {
        const float* src = xc + ih * g.W;
        const int64_t iw0 = ow * g.SW + shift;  // input col of the run's first pixel
        // Pixels whose input col lies in [0, W): lo <= j < hi.
        const int64_t lo = std::clamp<int64_t>(ow_lo - ow, 0, len);
        const int64_t hi = std::clamp<int64_t>(ow_hi - ow, lo, len);
        std::fill(dr, dr + lo, 0.0f);
        if (g.SW == 1)
          for (int64_t j = lo; j < hi; ++j) dr[j] = src[iw0 + j];
        else if (g.SW == 2)  // a constant stride the compiler vectorises
          for (int64_t j = lo; j < hi; ++j) dr[j] = src[iw0 + 2 * j];
        else
          for (int64_t j = lo; j < hi; ++j) dr[j] = src[iw0 + j * g.SW];
        std::fill(dr + hi, dr + len, 0.0f);
      }
      col += len;
      if ((ow += len) == g.OW) {
        ow = 0;
        ++oh;
      }
      if ((pj += len) == nr) {
        pj = 0;
        ++p;
      }
    }
    if (pj > 0) std::fill(row_k + (p - p0) * kc * nr + pj, row_k + (p - p0) * kc * nr + nr, 0.0f);
    if (++kw == g.KW) {
      kw = 0;
      if (++kh == g.KH) {
        kh = 0;
        ++c;
      }
    }
  }
}

// Compiled for baseline x86-64 and for AVX-512 (avx2_clone.h), picked at run time: the copies
// are plain loads and stores, the same bits at any width.
void PackIm2colPanelsBaseline(const float* x, const Geometry2D& g, int64_t k0, int64_t kc,
                              int64_t p0, int64_t p1, int nr, float* dst) {
  PackIm2colPanelsBody(x, g, k0, kc, p0, p1, nr, dst);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void PackIm2colPanelsAvx512(const float* x, const Geometry2D& g, int64_t k0,
                                                 int64_t kc, int64_t p0, int64_t p1, int nr,
                                                 float* dst) {
  PackIm2colPanelsBody(x, g, k0, kc, p0, p1, nr, dst);
}
#endif

void PackIm2colPanels(const float* x, const Geometry2D& g, int64_t k0, int64_t kc, int64_t p0,
                      int64_t p1, int nr, float* dst) {
#if HETRUN_CPU_AVX2_CLONES
  if (UseAvx512Loops()) return PackIm2colPanelsAvx512(x, g, k0, kc, p0, p1, nr, dst);
#endif
  PackIm2colPanelsBaseline(x, g, k0, kc, p0, p1, nr, dst);
}

// A strided, undilated convolution reads its input split by stride phase (phase_split.h): tap
// (kh, kw) of output (oh, ow) is block (kh % SH, kw % SW) at (oh + kh / SH, ow + kw / SW), so every
// im2col run is a plain copy with no bounds tests, instead of a strided gather with edge
// arithmetic (the ResNet stem's im2col took a fifth of its time).

// PackIm2colPanels' panels from the phased input.
[[gnu::always_inline]] inline void PackPhasedPanelsBody(const float* phased, const Geometry2D& g,
                                                        const PhaseSplitLayout& l, int64_t k0,
                                                        int64_t kc, int64_t p0, int64_t p1, int nr,
                                                        float* dst) {
  const int64_t N = g.OH * g.OW, taps = g.KH * g.KW;
  const int64_t col0 = p0 * nr, col1 = std::min(p1 * nr, N);
  const int64_t oh0 = col0 / g.OW, ow0 = col0 % g.OW;
  int64_t c = k0 / taps, kh = (k0 % taps) / g.KW, kw = k0 % g.KW;
  for (int64_t k = 0; k < kc; ++k) {
    const float* base = phased + c * l.floats + ((kh % g.SH) * g.SW + kw % g.SW) * l.block +
                        (kh / g.SH) * l.width + kw / g.SW;
    float* row_k = dst + k * nr;  // row k of panel p0; panel p's is row_k + (p - p0) * kc * nr
    int64_t oh = oh0, ow = ow0, p = p0, pj = 0;
    for (int64_t col = col0; col < col1;) {
      const int64_t len = std::min({col1 - col, g.OW - ow, nr - pj});
      float* dr = row_k + (p - p0) * kc * nr + pj;
      const float* src = base + oh * l.width + ow;
      for (int64_t j = 0; j < len; ++j) dr[j] = src[j];
      col += len;
      if ((ow += len) == g.OW) {
        ow = 0;
        ++oh;
      }
      if ((pj += len) == nr) {
        pj = 0;
        ++p;
      }
    }
    if (pj > 0) std::fill(row_k + (p - p0) * kc * nr + pj, row_k + (p - p0) * kc * nr + nr, 0.0f);
    if (++kw == g.KW) {
      kw = 0;
      if (++kh == g.KH) {
        kh = 0;
        ++c;
      }
    }
  }
}

void PackPhasedPanelsBaseline(const float* phased, const Geometry2D& g, const PhaseSplitLayout& l,
                              int64_t k0, int64_t kc, int64_t p0, int64_t p1, int nr, float* dst) {
  PackPhasedPanelsBody(phased, g, l, k0, kc, p0, p1, nr, dst);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void PackPhasedPanelsAvx512(const float* phased, const Geometry2D& g,
                                                 const PhaseSplitLayout& l, int64_t k0, int64_t kc,
                                                 int64_t p0, int64_t p1, int nr, float* dst) {
  PackPhasedPanelsBody(phased, g, l, k0, kc, p0, p1, nr, dst);
}
#endif

// The im2col matrix's source: the input itself, or (strided, undilated) its phased copy.
struct Im2colSource {
  const float* x;       // C x H x W
  const float* phased;  // null, or each channel of x laid out as `layout`
  PhaseSplitLayout layout;

  // Channel offset `c` (a group's first channel).
  Im2colSource Channels(int64_t c, const Geometry2D& g) const {
    return {x + c * g.H * g.W, phased ? phased + c * layout.floats : nullptr, layout};
  }
  void Pack(const Geometry2D& g, int64_t k0, int64_t kc, int64_t p0, int64_t p1, int nr,
            float* dst) const {
    if (!phased) return PackIm2colPanels(x, g, k0, kc, p0, p1, nr, dst);
#if HETRUN_CPU_AVX2_CLONES
    if (UseAvx512Loops()) return PackPhasedPanelsAvx512(phased, g, layout, k0, kc, p0, p1, nr, dst);
#endif
    PackPhasedPanelsBaseline(phased, g, layout, k0, kc, p0, p1, nr, dst);
  }
};

// The source for one image x: phased (in `scratch`, filled by the pool) when strided and
// undilated, else x itself.
Im2colSource MakeIm2colSource(const float* x, int64_t C, const Geometry2D& g, ThreadPool& pool) {
  if ((g.SH == 1 && g.SW == 1) || g.DH != 1 || g.DW != 1) return {x, nullptr, {}};
  const PhaseSplitLayout l = PhaseSplitLayoutFor(g);
  float* dst = ThreadScratch(ScratchSlot::kConvInput, static_cast<size_t>(C * l.floats));
  pool.ParallelFor(C, WorkCost{0.5 * static_cast<double>(l.floats)}, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) FillPhaseSplit(x + c * g.H * g.W, g, l, dst + c * l.floats);
  });
  return {x, dst, l};
}

class ConvKernel final : public Kernel, public EpilogueFusable {
 public:
  explicit ConvKernel(const KernelBuildContext& ctx) : attrs_(ReadWindowAttrs(ctx.node)) {
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i))
        RequireDType("Conv", ctx.input(i).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    group_ = plugin::AttrInt(ctx.node, "group", 1);
    if (group_ < 1) ThrowUnimplemented("Conv: group must be >= 1");
    const hetrun_value& w = ctx.input(1);
    const int32_t rank = w.rank >= 0 ? w.rank : ctx.input(0).rank;
    if (rank >= 0 && (rank < 3 || rank > 4))
      ThrowUnimplemented("Conv: only 1-D and 2-D convolutions are supported (rank " +
                         std::to_string(rank) + ")");
    // Pack constant weights once, in the form the algorithm takes (compile_tuned may pick another
    // than the default, among those that apply).
    const std::vector<ConvAlgorithm> algorithms = ConvAlgorithms(ctx, attrs_, group_);
    if (!algorithms.empty()) {
      const int64_t M = w.dims[0], Cg = w.dims[1], K = StaticNumel(w) / M;
      weights_data_ = w.data;
      const float* pw = static_cast<const float*>(w.data);
      gemm_tuning_ = GemmTuningFor(ctx);
      block_rows_ = ctx.Tuned("block_rows", 0);
      switch (static_cast<ConvAlgorithm>(
          ctx.Tuned("algorithm", static_cast<int64_t>(algorithms.front())))) {
        case ConvAlgorithm::kWinograd:
          winograd_ = std::make_unique<WinogradConv3x3>(pw, M, Cg);
          break;
        case ConvAlgorithm::kWinogradF4:
          winograd_ = std::make_unique<WinogradConv3x3>(pw, M, Cg, 4);
          break;
        case ConvAlgorithm::kTransposedGemm: transposed_ = PackBOwned(true, K, M, pw, K); break;
        case ConvAlgorithm::kDirect: direct_ = std::make_unique<DirectConv>(pw, M, K); break;
        case ConvAlgorithm::kIm2colGemm: {
          const int64_t Mg = M / group_;
          for (int64_t gi = 0; gi < group_; ++gi)
            packed_.push_back(PackAOwned(false, Mg, K, pw + gi * Mg * K, K));
          break;
        }
      }
    }
  }

  // A per-channel bias is Conv's own input; an activation and a residual addend (input
  // kResidualInput, the output's shape) can be fused in.
  bool FuseEpilogue(const Epilogue& epilogue) override {
    if (epilogue.column_bias) return false;
    if (epilogue.residual && group_ > 1) return false;  // grouped: the depthwise path has none
    activation_ = epilogue.activation;
    residual_ = epilogue.residual;
    return true;
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const Shape s = Resolve(in);
    std::vector<int64_t> out{s.batch, s.M};
    out.insert(out.end(), s.geo.out.begin(), s.geo.out.end());
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Shape s = Resolve(in);
    const Geometry2D g = To2D(s.geo);
    const float* x = in[0]->as<const float>();
    const float* w = in[1]->as<const float>();
    const float* bias = in.size() > 2 && in[2] ? in[2]->as<const float>() : nullptr;
    float* y = out[0]->as<float>();
    const float* addend = Residual(in, out[0]->dims);
    const int64_t Cg = s.C / group_, Mg = s.M / group_;
    if (NumElements(out[0]->dims) == 0) return;
    if (Cg == 1 && group_ > 1) {
      DepthwiseConv(x, w, bias, activation_, y, s.batch, s.C, Mg, g, pool);
      return;
    }
    const int64_t K = Cg * g.KH * g.KW, P = g.OH * g.OW;
    if (winograd_ && in[1]->data == weights_data_ && s.geo.in.size() == 2 && g.SH == 1 &&
        g.SW == 1) {
      for (int64_t n = 0; n < s.batch; ++n)
        winograd_->Run(x + n * s.C * g.H * g.W, g.H, g.W, g.PH, g.PW, g.OH, g.OW, bias,
                       y + n * s.M * P, pool, activation_, addend ? addend + n * s.M * P : nullptr,
                       &gemm_tuning_, block_rows_);
      return;
    }
    if (direct_ && in[1]->data == weights_data_ && (g.SH > 1 || g.SW > 1) && g.DH == 1 &&
        g.DW == 1) {
      for (int64_t n = 0; n < s.batch; ++n) {
        const Im2colSource source = MakeIm2colSource(x + n * s.C * g.H * g.W, s.C, g, pool);
        direct_->Run(source.phased, source.layout, g, bias, addend ? addend + n * s.M * P : nullptr,
                     activation_, y + n * s.M * P, pool);
      }
      return;
    }
    if (transposed_ && in[1]->data == weights_data_) {
      for (int64_t n = 0; n < s.batch; ++n)
        RunTransposed(x + n * s.C * g.H * g.W, g, K, s.M, P, bias,
                      addend ? addend + n * s.M * P : nullptr, y + n * s.M * P, pool);
      return;
    }
    const bool pointwise = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 &&
                           g.PW == 0 && s.geo.pad_end.back() == 0 &&
                           (s.geo.pad_end.size() < 2 || s.geo.pad_end[0] == 0);
    const bool use_packed = !packed_.empty() && in[1]->data == weights_data_;
    const int nr = ActiveGemmBlocking().nr;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* xn = x + n * s.C * g.H * g.W;
      const Im2colSource image =
          pointwise ? Im2colSource{xn, nullptr, {}} : MakeIm2colSource(xn, s.C, g, pool);
      for (int64_t gi = 0; gi < group_; ++gi) {
        const float* xg = xn + gi * Cg * g.H * g.W;
        const Im2colSource source = image.Channels(gi * Cg, g);
        float* yg = y + (n * s.M + gi * Mg) * P;
        PackBPanelsFn pack;
        if (pointwise)
          pack = [&](int64_t k0, int64_t kc, int64_t p0, int64_t p1, float* dst) {
            PackBPanelsFromMatrix(false, xg, P, P, k0, kc, p0, p1, dst);
          };
        else
          pack = [&](int64_t k0, int64_t kc, int64_t p0, int64_t p1, float* dst) {
            source.Pack(g, k0, kc, p0, p1, nr, dst);
          };
        PackedMatrix a;
        if (use_packed) {
          a = packed_[static_cast<size_t>(gi)].view;
        } else {
          float* adst = ThreadScratch(
              ScratchSlot::kGemmA,
              static_cast<size_t>(PackedMatrix::FloatsFor(Mg, K, ActiveGemmBlocking().mr)) + 1);
          a = PackA(false, Mg, K, w + gi * Mg * K, K, adst, &pool);
        }
        // Bias, residual and activation as each output tile is stored: no separate pass over Y.
        const GemmEpilogue epilogue{bias ? bias + gi * Mg : nullptr, nullptr, activation_,
                                    addend ? addend + (n * s.M + gi * Mg) * P : nullptr, P};
        GemmPackedA(a, P, pack, 1.0f, 0.0f, yg, P, pool, &epilogue, &gemm_tuning_);
      }
    }
  }

 private:
  struct Shape {
    int64_t batch, C, M;
    WindowGeometry geo;
  };

  // One image through Y^T = col^T * W^T: col^T packed as the A operand (im2col rows of mr
  // pixels), the bias as the product's column bias; then Y = act(transpose(Y^T) + addend).
  // Ungrouped only (K = C * KH * KW).
  void RunTransposed(const float* x, const Geometry2D& g, int64_t K, int64_t M, int64_t P,
                     const float* bias, const float* addend, float* y, ThreadPool& pool) const {
    const int mr = ActiveGemmBlocking().mr;
    const int64_t panels = (P + mr - 1) / mr;
    float* a_dst =
        ThreadScratch(ScratchSlot::kGemmA, static_cast<size_t>(PackedMatrix::FloatsFor(P, K, mr)));
    const Im2colSource source = MakeIm2colSource(x, K / (g.KH * g.KW), g, pool);
    pool.ParallelFor(panels, 1, [&](int64_t p0, int64_t p1) {
      source.Pack(g, 0, K, p0, p1, mr, a_dst + p0 * K * mr);
    });
    float* yt = ThreadScratch(ScratchSlot::kConvPack, static_cast<size_t>(P * M));
    const GemmEpilogue epilogue{nullptr, bias, Activation{}, nullptr, 0};
    GemmPacked(PackedMatrix{a_dst, P, K, mr}, transposed_->view, 1.0f, 0.0f, yt, M, pool, &epilogue,
               &gemm_tuning_);
    // 16 output channels at a time: contiguous reads of Y^T, 16 output rows written.
    pool.ParallelFor((M + 15) / 16, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t m0 = b0 * 16; m0 < std::min(M, b1 * 16); m0 += 16) {
        const int64_t mn = std::min<int64_t>(16, M - m0);
        for (int64_t p = 0; p < P; ++p)
          for (int64_t j = 0; j < mn; ++j) y[(m0 + j) * P + p] = yt[p * M + m0 + j];
        for (int64_t j = 0; j < mn; ++j) {
          float* row = y + (m0 + j) * P;
          if (addend)
            for (int64_t p = 0; p < P; ++p) row[p] += addend[(m0 + j) * P + p];
          ApplyActivationInline(activation_, row, P);
        }
      }
    });
  }

  Shape Resolve(const std::vector<const TensorRef*>& in) const {
    const auto &xd = in[0]->dims, &wd = in[1]->dims;
    if (xd.size() < 3 || xd.size() > 4 || wd.size() != xd.size())
      ThrowInvalid("Conv: X " + DimsToString(xd) + " and W " + DimsToString(wd) +
                   " must both be rank 3 or 4");
    Shape s{xd[0], xd[1], wd[0], {}};
    if (s.C != wd[1] * group_)
      ThrowInvalid("Conv: X has " + std::to_string(s.C) + " channels, W expects " +
                   std::to_string(wd[1]) + " x group " + std::to_string(group_));
    if (s.M % group_ != 0)
      ThrowInvalid("Conv: " + std::to_string(s.M) + " output channels not divisible by group " +
                   std::to_string(group_));
    if (in.size() > 2 && in[2] && NumElements(in[2]->dims) != s.M)
      ThrowInvalid("Conv: bias has " + std::to_string(NumElements(in[2]->dims)) +
                   " elements, expected " + std::to_string(s.M));
    WindowAttrs a = attrs_;
    const std::vector<int64_t> kernel(wd.begin() + 2, wd.end());
    if (!a.kernel.empty() && a.kernel != kernel)
      ThrowInvalid("Conv: kernel_shape " + DimsToString(a.kernel) + " differs from W's " +
                   DimsToString(kernel));
    a.kernel = kernel;
    s.geo = ResolveWindow(a, std::vector<int64_t>(xd.begin() + 2, xd.end()));
    return s;
  }

  // The fused residual addend, checked to have the output's shape; null when none was fused.
  const float* Residual(const std::vector<const TensorRef*>& in,
                        const std::vector<int64_t>& out_dims) const {
    if (!residual_) return nullptr;
    if (in.size() <= kResidualInput || !in[kResidualInput])
      ThrowInvalid("Conv + Add: the fused residual Add's addend was not passed");
    const TensorRef& a = *in[kResidualInput];
    if (a.dims != out_dims)
      ThrowInvalid("Conv + Add: the residual addend " + DimsToString(a.dims) +
                   " does not have the Conv output's shape " + DimsToString(out_dims));
    return a.as<const float>();
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
  std::unique_ptr<WinogradConv3x3> winograd_;
  std::unique_ptr<DirectConv> direct_;
  const void* weights_data_ = nullptr;
  std::vector<OwnedPackedMatrix> packed_;
  std::optional<OwnedPackedMatrix> transposed_;  // W^T as a B operand (conv_algorithm.cpp)
  GemmTuning gemm_tuning_;                       // compile_tuned's kc
  int64_t block_rows_ = 0;                       // Winograd's; 0: its default
  Activation activation_;                        // fused in at compile time; none by default
  bool residual_ = false;  // a residual Add fused in: its addend is input kResidualInput
};

std::unique_ptr<Kernel> MakeConv(const KernelBuildContext& ctx) {
  return std::make_unique<ConvKernel>(ctx);
}

double ConvCost(const KernelBuildContext& ctx, const CostModel& model) {
  // flops = 2 * |Y| * |W| / M. |Y| from the output's static dims, or when those are unknown from
  // X's: N * M * (spatial size / stride product).
  const hetrun_value &x = ctx.input(0), &w = ctx.input(1);
  const double M = w.rank > 0 && w.dims[0] > 0 ? static_cast<double>(w.dims[0]) : 1.0;
  double y = ctx.has_output(0) && StaticNumel(ctx.output(0)) > 0
                 ? static_cast<double>(StaticNumel(ctx.output(0)))
                 : 0.0;
  if (y == 0.0) {
    const double C = x.rank > 1 && x.dims[1] > 0 ? static_cast<double>(x.dims[1]) : 1.0;
    double stride = 1;
    for (int64_t s : plugin::AttrInts(ctx.node, "strides")) stride *= static_cast<double>(s);
    y = StaticBytes(x) / 4 / C * M / stride;
  }
  const double per_out = StaticBytes(w) / 4 / M;
  const double eff = (w.rank > 1 && w.dims[1] == 1) ? 0.15 : 0.6;  // depthwise is memory bound
  return ComputeCostUs(2.0 * y * per_out, eff, model) + MemoryBoundCostUs(ctx, model);
}

}  // namespace

void RegisterConvKernels(KernelTable& t) {
  t.Add("Conv", MakeConv, ConvCost, 2);
  t.SetTunables("Conv", ConvTunables);
}

}  // namespace hetrun::cpu
