// Depthwise convolution. Each channel's input plane is first copied into a zero-padded scratch
// plane split by stride phase (phase_split.h), so every tap reads one contiguous, in-bounds
// run: the loops over outputs have no edge tests and vectorise. Wide planes go one output row at
// a time, skipping the kernel rows that fall wholly in the padding (most of a 5x5 kernel's work
// on a plane 2 or 3 rows high); narrow ones as one run over the whole plane, so that even a few
// columns fill the vectors. 3x3 and 5x5 kernels keep their weights in registers and sum all taps
// per output before storing; other sizes add one tap at a time. Bias is the sum's start; the
// fused activation runs over the finished plane while it is in cache. The loops are compiled for
// baseline x86-64, AVX2+FMA and AVX-512 (by hand) and picked at run time. Threads split channels.
#include "kernels/depthwise_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "kernels/aligned_buffer.h"
#include "kernels/avx2_clone.h"
#include "kernels/phase_split.h"

namespace hetrun::cpu {
namespace {

// One run of n outputs: y[i] = bias + sum over kernel rows [kh0, kh1) and all kernel columns of
// w[kh, kw] * (the tap's input run)[i]. Kernel rows outside [kh0, kh1) read only padding.
struct TapRun {
  const float* const* rows;  // fixed shapes: each (kernel row, column phase)'s input run
  const float* base;         // any shape: where tap offsets count from
  const int64_t* off;        // any shape: each tap's input run at base + off[k]
  const float* w;            // KH x KW weights
  int64_t KW;
  float bias;
  int64_t kh0, kh1;
  float* y;
  int64_t n;
};

// Which specialised loop, if any, fits a kernel.
enum class TapsShape : uint8_t { kAny, k3x3s1, k3x3s2, k5x5s1, k5x5s2 };

TapsShape ShapeOf(const DepthwiseGeometry& g) {
  if (g.DW != 1 || g.SW > 2 || g.KH != g.KW) return TapsShape::kAny;
  if (g.KH == 3) return g.SW == 1 ? TapsShape::k3x3s1 : TapsShape::k3x3s2;
  if (g.KH == 5) return g.SW == 1 ? TapsShape::k5x5s1 : TapsShape::k5x5s2;
  return TapsShape::kAny;
}

// A KH x KW kernel with column dilation 1: tap (kh, kw) reads rows[kh * SW + kw % SW] shifted by
// kw / SW. One pointer per kernel row and phase (few enough to stay in registers, unlike one per
// tap), the weights in registers; rows outside [kh0, kh1) get weight 0 (they read zeros anyway).
template <int KH, int KW, int SW>
[[gnu::always_inline]] inline void TapsFixed(const TapRun& r) {
  float wv[KH * KW];
  const float* __restrict src[KH][SW];
  for (int kh = 0; kh < KH; ++kh) {
    for (int kw = 0; kw < KW; ++kw)
      wv[kh * KW + kw] = kh >= r.kh0 && kh < r.kh1 ? r.w[kh * KW + kw] : 0.0f;
    for (int p = 0; p < SW; ++p) src[kh][p] = r.rows[kh * SW + p];
  }
  float* __restrict y = r.y;
  const float b = r.bias;
  for (int64_t i = 0; i < r.n; ++i) {
    float acc = b;
#pragma GCC unroll 8
    for (int kh = 0; kh < KH; ++kh)
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw) acc += wv[kh * KW + kw] * src[kh][kw % SW][i + kw / SW];
    y[i] = acc;
  }
}

// Any kernel: one tap at a time into y.
[[gnu::always_inline]] inline void TapsAny(const TapRun& r) {
  float* __restrict y = r.y;
  std::fill(y, y + r.n, r.bias);
  for (int64_t k = r.kh0 * r.KW; k < r.kh1 * r.KW; ++k) {
    const float wv = r.w[k];
    const float* __restrict s = r.base + r.off[k];
    for (int64_t i = 0; i < r.n; ++i) y[i] += wv * s[i];
  }
}

[[gnu::always_inline]] inline void Taps(TapsShape shape, const TapRun& r) {
  switch (shape) {
    case TapsShape::k3x3s1: return TapsFixed<3, 3, 1>(r);
    case TapsShape::k3x3s2: return TapsFixed<3, 3, 2>(r);
    case TapsShape::k5x5s1: return TapsFixed<5, 5, 1>(r);
    case TapsShape::k5x5s2: return TapsFixed<5, 5, 2>(r);
    case TapsShape::kAny: break;
  }
  TapsAny(r);
}

void TapsBaseline(TapsShape shape, const TapRun& r) {
  Taps(shape, r);
}

#if HETRUN_CPU_AVX2_CLONES
// Convolution already rounds with FMA in the GEMM paths, so these clones use it too.
[[gnu::target("avx2,fma")]] void TapsAvx2(TapsShape shape, const TapRun& r) {
  Taps(shape, r);
}

// The fixed shapes by hand for AVX-512: four independent 16-wide sums per step (one sum would
// wait out each FMA's latency in turn), the tail with masked loads, and the kernel rows that
// read only padding skipped (a predictable branch per row).
template <int KH, int KW, int SW>
[[gnu::target("avx512f,avx512vl,fma")]] void TapsFixedAvx512(const TapRun& r) {
  __m512 wv[KH * KW];
  for (int k = 0; k < KH * KW; ++k) wv[k] = _mm512_set1_ps(r.w[k]);
  const float* src[KH][SW];
  for (int kh = 0; kh < KH; ++kh)
    for (int p = 0; p < SW; ++p) src[kh][p] = r.rows[kh * SW + p];
  const int64_t kh0 = r.kh0, kh1 = r.kh1, n = r.n;
  float* y = r.y;
  const __m512 bias = _mm512_set1_ps(r.bias);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
#pragma GCC unroll 8
    for (int kh = 0; kh < KH; ++kh) {
      if (kh < kh0 || kh >= kh1) continue;
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw) {
        const float* s = src[kh][kw % SW] + i + kw / SW;
        const __m512 w = wv[kh * KW + kw];
        a0 = _mm512_fmadd_ps(w, _mm512_loadu_ps(s), a0);
        a1 = _mm512_fmadd_ps(w, _mm512_loadu_ps(s + 16), a1);
        a2 = _mm512_fmadd_ps(w, _mm512_loadu_ps(s + 32), a2);
        a3 = _mm512_fmadd_ps(w, _mm512_loadu_ps(s + 48), a3);
      }
    }
    _mm512_storeu_ps(y + i, a0);
    _mm512_storeu_ps(y + i + 16, a1);
    _mm512_storeu_ps(y + i + 32, a2);
    _mm512_storeu_ps(y + i + 48, a3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m =
        n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    __m512 a = bias;
#pragma GCC unroll 8
    for (int kh = 0; kh < KH; ++kh) {
      if (kh < kh0 || kh >= kh1) continue;
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw)
        a = _mm512_fmadd_ps(wv[kh * KW + kw],
                            _mm512_maskz_loadu_ps(m, src[kh][kw % SW] + i + kw / SW), a);
    }
    _mm512_mask_storeu_ps(y + i, m, a);
  }
}

[[gnu::target("avx512f,avx512vl,fma,prefer-vector-width=512")]] void TapsAvx512(TapsShape shape,
                                                                                const TapRun& r) {
  switch (shape) {
    case TapsShape::k3x3s1: return TapsFixedAvx512<3, 3, 1>(r);
    case TapsShape::k3x3s2: return TapsFixedAvx512<3, 3, 2>(r);
    case TapsShape::k5x5s1: return TapsFixedAvx512<5, 5, 1>(r);
    case TapsShape::k5x5s2: return TapsFixedAvx512<5, 5, 2>(r);
    case TapsShape::kAny: break;
  }
  TapsAny(r);
}
#endif

using TapsFn = void (*)(TapsShape, const TapRun&);

// The widest loops the CPU runs, or narrower ones HETRUN_CPU_GEMM_ISA=generic|avx2 asks for (as
// for the GEMM kernels: tests use it to cover every path).
TapsFn PickTaps() {
#if HETRUN_CPU_AVX2_CLONES
  const char* env = secure_getenv("HETRUN_CPU_GEMM_ISA");
  const std::string_view isa = env ? env : "";
  if (isa == "generic") return TapsBaseline;
  if (isa != "avx2" && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
    return TapsAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TapsAvx2;
#endif
  return TapsBaseline;
}

int64_t CeilDiv(int64_t a, int64_t b) {
  return a <= 0 ? -((-a) / b) : (a + b - 1) / b;
}

// Rows at least this wide are computed one at a time (skipping padding rows); narrower planes as
// one run, so the vectors are not mostly tail.
constexpr int64_t kRowWiseMinWidth = 32;

}  // namespace

void DepthwiseConv(const float* x, const float* w, const float* bias, const Activation& act,
                   float* y, int64_t batch, int64_t channels, int64_t multiplier,
                   const DepthwiseGeometry& g, ThreadPool& pool) {
  static const TapsFn taps_fn = PickTaps();
  if (batch <= 0 || channels <= 0 || multiplier <= 0 || g.OH <= 0 || g.OW <= 0) return;
  const int64_t M = channels * multiplier;
  const int64_t taps = g.KH * g.KW, out_plane = g.OH * g.OW;
  const PhaseSplitLayout l = PhaseSplitLayoutFor(g);
  const TapsShape shape = ShapeOf(g);
  // Each tap's offset into the padded plane: its block, then its row and column shift there; and
  // each (kernel row, column phase)'s, for the fixed shapes.
  std::vector<int64_t> offsets(static_cast<size_t>(taps));
  for (int64_t kh = 0; kh < g.KH; ++kh)
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const int64_t r = kh * g.DH, c = kw * g.DW;
      offsets[static_cast<size_t>(kh * g.KW + kw)] =
          ((r % g.SH) * g.SW + c % g.SW) * l.block + (r / g.SH) * l.width + c / g.SW;
    }
  std::vector<int64_t> row_offsets(static_cast<size_t>(g.KH * g.SW));
  for (int64_t kh = 0; kh < g.KH; ++kh)
    for (int64_t p = 0; p < g.SW; ++p) {
      const int64_t r = kh * g.DH;
      row_offsets[static_cast<size_t>(kh * g.SW + p)] =
          ((r % g.SH) * g.SW + p) * l.block + (r / g.SH) * l.width;
    }
  const bool row_wise = g.OW >= kRowWiseMinWidth || g.OH == 1;
  // The whole-plane run: every row width wide but the last, which stops at OW (reads in bounds).
  const int64_t run = (g.OH - 1) * l.width + g.OW;
  const bool direct = row_wise || l.width == g.OW;  // no spare columns to drop afterwards
  const double ns_per_channel =
      0.05 * static_cast<double>(run * taps) + 0.3 * static_cast<double>(g.H * g.W + out_plane);
  pool.ParallelFor(batch * M, WorkCost{ns_per_channel}, [&](int64_t b0, int64_t b1) {
    // The Conv GEMM packing's scratch: never in use while a depthwise loop runs on this thread.
    float* padded =
        ThreadScratch(ScratchSlot::kConvPack, static_cast<size_t>(l.floats + (direct ? 0 : run)));
    float* wide = padded + l.floats;
    const float* rows[5 * 2] = {};  // the fixed shapes have KH <= 5, SW <= 2
    int64_t filled = -1;            // input plane (n * channels + c) now in `padded`
    for (int64_t bm = b0; bm < b1; ++bm) {
      const int64_t n = bm / M, m = bm % M, plane = n * channels + m / multiplier;
      if (plane != filled) {
        FillPhaseSplit(x + plane * g.H * g.W, g, l, padded);
        filled = plane;
      }
      float* ym = y + bm * out_plane;
      TapRun r{rows, padded, offsets.data(),     w + m * taps, g.KW, bias ? bias[m] : 0.0f,
               0,    g.KH,   direct ? ym : wide, run};
      if (row_wise) {
        r.n = g.OW;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          // Kernel rows whose padded input row oh * SH + kh * DH is a real one.
          const int64_t top = oh * g.SH;
          r.kh0 = std::clamp<int64_t>(CeilDiv(g.PH - top, g.DH), 0, g.KH);
          r.kh1 = std::clamp<int64_t>(CeilDiv(g.PH + g.H - top, g.DH), r.kh0, g.KH);
          r.base = padded + oh * l.width;
          r.y = ym + oh * g.OW;
          if (shape != TapsShape::kAny)
            for (size_t j = 0; j < row_offsets.size(); ++j) rows[j] = r.base + row_offsets[j];
          taps_fn(shape, r);
        }
      } else {
        if (shape != TapsShape::kAny)
          for (size_t j = 0; j < row_offsets.size(); ++j) rows[j] = padded + row_offsets[j];
        taps_fn(shape, r);
        if (!direct)
          for (int64_t oh = 0; oh < g.OH; ++oh)
            std::memcpy(ym + oh * g.OW, wide + oh * l.width,
                        static_cast<size_t>(g.OW) * sizeof(float));
      }
      if (!act.none()) ApplyActivation(act, ym, out_plane);
    }
  });
}

}  // namespace hetrun::cpu
