#include "kernels/direct_conv.h"

#include <algorithm>
#include <vector>

#include "errors.h"
#include "fusion/activation_loops.h"
#include "kernels/avx2_clone.h"

#if HETRUN_CPU_AVX2_CLONES
#include <immintrin.h>
#endif

namespace hetrun::cpu {
namespace {

constexpr int kPixels = 8;     // output pixels per tile (the broadcast operand)
constexpr int kChannels = 32;  // output channels per tile: two 16-float registers
constexpr int64_t kTilesPerChunk = 64;

#if HETRUN_CPU_AVX2_CLONES
// tile[i][j] = sum over k of a[i][offs[k]] * w[k][j], for the 8 pixel bases a[i]: 16 accumulators,
// two weight loads and eight broadcasts per k (the loops unrolled, as in the GEMM's MicroAvx512).
HETRUN_TARGET_AVX512 void DirectMicroAvx512(int64_t K, const int64_t* offs, const float* const* a,
                                            const float* w, float* tile) {
  const float* base[kPixels];
#pragma GCC unroll 8
  for (int i = 0; i < kPixels; ++i) base[i] = a[i];
  __m512 acc[kPixels][2];
#pragma GCC unroll 8
  for (int i = 0; i < kPixels; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k, w += kChannels) {
    const int64_t o = offs[k];
    const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kPixels; ++i) {
      const __m512 x = _mm512_set1_ps(base[i][o]);
      acc[i][0] = _mm512_fmadd_ps(x, w0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(x, w1, acc[i][1]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kPixels; ++i) {
    _mm512_storeu_ps(tile + i * kChannels, acc[i][0]);
    _mm512_storeu_ps(tile + i * kChannels + 16, acc[i][1]);
  }
}

// Stores the tile's first `pixels` pixels of its first `channels` channels into y (NCHW, P pixels
// per channel, the tile's first pixel at p0), with the bias, the addend and the activation:
// 8 x 8 register transposes turn its pixel rows into channel rows of 8 pixels (a scalar store
// took a quarter of the stem's time).
HETRUN_TARGET_AVX512 void StoreTileAvx512(const float* tile, int64_t channels, int64_t pixels,
                                          int64_t m0, int64_t p0, int64_t P, const float* bias,
                                          const float* addend, const Activation& act, float* y) {
  const __mmask8 mask = static_cast<__mmask8>((1u << pixels) - 1);
  const bool relu = act.kind == ActivationKind::kRelu;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t g0 = 0; g0 < channels; g0 += 8) {
    __m256 r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_load_ps(tile + i * kChannels + g0);
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
                 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
                 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
                 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    const __m256 cols[8] = {
        _mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
        _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
        _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
        _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
    const int64_t n = std::min<int64_t>(8, channels - g0);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t m = m0 + g0 + j;
      float* row = y + m * P + p0;
      __m256 v = cols[j];
      if (bias) v = _mm256_add_ps(v, _mm256_set1_ps(bias[m]));
      if (addend) v = _mm256_add_ps(v, _mm256_maskz_loadu_ps(mask, addend + m * P + p0));
      if (relu) v = _mm256_max_ps(zero, v);  // NaN and -0 pass through, as Relu's x < 0 ? 0 : x
      _mm256_mask_storeu_ps(row, mask, v);
      if (!relu) ApplyActivationInline(act, row, pixels);
    }
  }
}
#endif

}  // namespace

bool DirectConv::Available() {
#if HETRUN_CPU_AVX2_CLONES
  return UseAvx512Loops() && ActiveGemmBlocking().nr == kChannels;
#else
  return false;
#endif
}

DirectConv::DirectConv(const float* w, int64_t M, int64_t K)
    : M_(M), K_(K), weights_(PackBOwned(true, K, M, w, K)) {}

void DirectConv::Run(const float* phased, const PhaseSplitLayout& l, const DepthwiseGeometry& g,
                     const float* bias, const float* addend, const Activation& act, float* y,
                     ThreadPool& pool) const {
#if HETRUN_CPU_AVX2_CLONES
  // Tap k = (c, kh, kw) of output (oh, ow) reads phased[c][block (kh % SH, kw % SW)] at row
  // oh + kh / SH, column ow + kw / SW: the pixel's base plus an offset per tap.
  const int64_t taps = g.KH * g.KW;
  std::vector<int64_t> offs(static_cast<size_t>(K_));
  for (int64_t k = 0; k < K_; ++k) {
    const int64_t c = k / taps, kh = (k % taps) / g.KW, kw = k % g.KW;
    offs[static_cast<size_t>(k)] = c * l.floats + ((kh % g.SH) * g.SW + kw % g.SW) * l.block +
                                   (kh / g.SH) * l.width + kw / g.SW;
  }
  const int64_t P = g.OH * g.OW, tiles = (P + kPixels - 1) / kPixels;
  const int64_t blocks = (M_ + kChannels - 1) / kChannels;
  // Tasks: chunks of tiles (their inputs stay in cache while every channel block passes over
  // them) times groups of channel blocks (few tiles, many channels: each block's weights are
  // read by one task only).
  const int64_t chunks = (tiles + kTilesPerChunk - 1) / kTilesPerChunk;
  const int64_t groups = std::clamp<int64_t>((2 * pool.threads() + chunks - 1) / chunks, 1, blocks);
  pool.ParallelFor(chunks * groups, 1, [&](int64_t t0, int64_t t1) {
    alignas(64) float tile[kPixels * kChannels];
    // Each pixel's base in the phased input, for the task's tiles: stepped along the rows, once
    // per task (two divisions per pixel, redone per channel block, took 13% of the stem).
    std::vector<const float*> bases;
    for (int64_t task = t0; task < t1; ++task) {
      const int64_t chunk = task / groups, group = task % groups;
      const int64_t tile0 = chunk * tiles / chunks, tile1 = (chunk + 1) * tiles / chunks;
      const int64_t b0 = group * blocks / groups, b1 = (group + 1) * blocks / groups;
      bases.resize(static_cast<size_t>((tile1 - tile0) * kPixels));
      int64_t oh = tile0 * kPixels / g.OW, ow = tile0 * kPixels % g.OW;
      for (int64_t p = tile0 * kPixels, i = 0; p < tile1 * kPixels; ++p, ++i) {
        bases[static_cast<size_t>(i)] = phased + oh * l.width + ow;
        if (p + 1 < P && ++ow == g.OW) {  // a partial tile repeats the last pixel
          ow = 0;
          ++oh;
        }
      }
      for (int64_t b = b0; b < b1; ++b) {
        const float* panel = weights_.view.panel(b);
        const int64_t m0 = b * kChannels, channels = std::min<int64_t>(kChannels, M_ - m0);
        for (int64_t t = tile0; t < tile1; ++t) {
          const int64_t p0 = t * kPixels, pixels = std::min<int64_t>(kPixels, P - p0);
          DirectMicroAvx512(K_, offs.data(), &bases[static_cast<size_t>((t - tile0) * kPixels)],
                            panel, tile);
          StoreTileAvx512(tile, channels, pixels, m0, p0, P, bias, addend, act, y);
        }
      }
    }
  });
#else
  (void)phased, (void)l, (void)g, (void)bias, (void)addend, (void)act, (void)y, (void)pool;
  throw plugin::Error(HETRUN_STATUS_INTERNAL, "Conv: the direct algorithm needs AVX-512");
#endif
}

}  // namespace hetrun::cpu
