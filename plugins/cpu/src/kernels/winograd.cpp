#include "kernels/winograd.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compile_cache.h"
#include "fusion/activation_loops.h"
#include "kernels/aligned_buffer.h"
#include "kernels/avx2_clone.h"

namespace hetrun::cpu {

// F(2x2, 3x3):  U = G g G^T,  V = B^T d B,  Y = A^T (U . V) A with
//   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
namespace {

// --cache-dir: the packed U operands depend only on the weights, the shape and the GEMM's panel
// width, so the transform (the costliest part of compiling a ResNet block) is done once per cache.
std::string CacheKey(const float* w, int64_t M, int64_t C, int tile) {
  const GemmBlocking& blocking = ActiveGemmBlocking();
  return "winograd3x3 v1 tile=" + std::to_string(tile) + " M=" + std::to_string(M) +
         " C=" + std::to_string(C) + " nr=" + std::to_string(blocking.nr) + " isa=" + blocking.isa +
         " weights=" + CacheHashHex(CacheHash64(w, static_cast<size_t>(M * C * 9) * sizeof(float)));
}

// A stride of at least `floats`, a whole number of 64-byte lines and an odd number of them, so
// 16 streams that far apart fall into 16 different L1 sets.
int64_t StaggeredStride(int64_t floats) {
  const int64_t lines = (floats + 15) / 16;
  return (lines | 1) * 16;
}

}  // namespace

WinogradConv3x3::WinogradConv3x3(const float* w, int64_t M, int64_t C, int tile)
    : M_(M), C_(C), tile_(tile == 4 ? 4 : 2) {
  CompileCache& cache = CompileCache::Get();
  const std::string key = cache.enabled() ? CacheKey(w, M, C, tile_) : std::string();
  const int positions = Positions();
  const int nr = ActiveGemmBlocking().nr;
  const auto floats = static_cast<size_t>(std::max<int64_t>(1, PackedMatrix::FloatsFor(M, C, nr)));
  if (!key.empty()) {
    if (std::shared_ptr<const CacheBlob> blob = cache.Load("winograd", key);
        blob && blob->payload().size() == static_cast<size_t>(positions) * floats * sizeof(float)) {
      // Used in place: the payload is 64-byte aligned like AlignedBuffer's storage.
      const auto* data = reinterpret_cast<const float*>(blob->payload().data());
      for (int xi = 0; xi < positions; ++xi) {
        OwnedPackedMatrix m;
        m.view = PackedMatrix{data + static_cast<size_t>(xi) * floats, M, C, nr};
        u_.push_back(std::move(m));
      }
      cached_ = std::move(blob);
      return;
    }
  }
  Transform(w);
  if (!key.empty()) {
    std::string payload;
    payload.reserve(static_cast<size_t>(positions) * floats * sizeof(float));
    for (const OwnedPackedMatrix& m : u_)
      payload.append(reinterpret_cast<const char*>(m.view.data), floats * sizeof(float));
    cache.Store("winograd", key, payload);
  }
}

void WinogradConv3x3::Transform(const float* w) {
  const int64_t M = M_, C = C_;
  // G for F(2x2, 3x3) and F(4x4, 3x3) (interpolation points 0, +-1 and 0, +-1, +-2, then infinity).
  static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static const double G4[6][3] = {{0.25, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
  const int alpha = tile_ + 2, positions = Positions();
  const auto G = [&](int i, int j) { return tile_ == 4 ? G4[i][j] : G2[i][j]; };
  std::vector<float> u(static_cast<size_t>(positions * C * M));  // [xi][c][m]
  for (int64_t m = 0; m < M; ++m)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (m * C + c) * 9;
      double t[6][3];  // G g
      for (int i = 0; i < alpha; ++i)
        for (int j = 0; j < 3; ++j)
          t[i][j] = G(i, 0) * g[j] + G(i, 1) * g[3 + j] + G(i, 2) * g[6 + j];
      for (int i = 0; i < alpha; ++i)
        for (int j = 0; j < alpha; ++j)
          u[static_cast<size_t>(((i * alpha + j) * C + c) * M + m)] =
              static_cast<float>(t[i][0] * G(j, 0) + t[i][1] * G(j, 1) + t[i][2] * G(j, 2));
    }
  for (int xi = 0; xi < positions; ++xi)
    u_.push_back(PackBOwned(false, C, M, u.data() + xi * C * M, M));
}

namespace {

// The transforms' loops are compiled twice, for baseline x86-64 and for AVX-512 (avx2_clone.h),
// and picked at run time: at baseline width they took 16% of a ResNet block's time.

// Channel c's transformed tiles into the GEMM's A panels, for every one of the `Positions`
// transformed planes: e holds them `plane` floats apart, tile row tr at tr * row_stride. Tile
// t = tr * tw + col (tr counted from the block's first row) is lane t % mr of panel t / mr; the
// last panel's lanes past the block's tiles stay zero. a_floats: the stride between the A operands.
template <int Positions>
[[gnu::always_inline]] inline void WriteTilesToPanels(const float* e, int64_t row_stride,
                                                      int64_t plane, int64_t rows, int64_t tw,
                                                      int64_t mr, int64_t C, int64_t c,
                                                      int64_t a_floats, float* v) {
  for (int64_t tr = 0; tr < rows; ++tr) {
    int64_t panel = (tr * tw) / mr, lane = (tr * tw) % mr;
    for (int64_t col = 0; col < tw;) {
      const int64_t run = std::min(mr - lane, tw - col);
      float* dst = v + (panel * C + c) * mr + lane;
      const float* src = e + tr * row_stride + col;
      for (int xi = 0; xi < Positions; ++xi)  // runs of at most mr floats: no memcpy call
        for (int64_t q = 0; q < run; ++q) dst[xi * a_floats + q] = src[xi * plane + q];
      col += run;
      lane += run;
      if (lane == mr) {
        lane = 0;
        ++panel;
      }
    }
  }
  const int64_t T = rows * tw, panels = (T + mr - 1) / mr;
  if (const int64_t used = T % mr; used > 0) {
    float* dst = v + ((panels - 1) * C + c) * mr;
    for (int xi = 0; xi < Positions; ++xi)
      std::fill(dst + xi * a_floats + used, dst + xi * a_floats + mr, 0.0f);
  }
}

struct InputGeometry {
  int64_t H, W, pad_top, pad_left;
  int64_t tr0, tr1,
      tw;            // the tile rows transformed (tile tr0 * tw is the operands' row 0), columns
  int64_t C, mr;     // channels (the A operands' depth) and the GEMM's panel width
  int64_t a_floats;  // stride between the 16 A operands
  int64_t rows() const { return tr1 - tr0; }
  int64_t T() const { return rows() * tw; }
  int64_t row_w() const { return 2 * tw + 2; }  // a padded input row: every tile reads inside it
  int64_t half() const { return tw + 1; }       // its even (or odd) columns
  // Per row parity and column parity, rows() + 1 rows of half() floats, plus one to spare.
  int64_t quarter() const { return (rows() + 1) * half() + 1; }
  // Scratch floats per thread: the padded rows, their four parity quarters, 8 combined quarters
  // (B^T d) and the 16 transformed planes.
  int64_t scratch() const { return (2 * rows() + 2) * row_w() + 12 * quarter() + 16 * quarter(); }
};

// Channel c's input transform for tile rows [tr0, tr1), straight into the A panels: V[xi] row t
// (tile), column c. The rows are copied zero-padded and split by row and column parity, so tile
// row tr's 4 input rows are even[tr], odd[tr], even[tr + 1], odd[tr + 1] and a tile's 4 columns
// likewise: each step is then one loop over all the tile rows at once (index f = tr * half + k,
// the next tile row at f + half, the next column at f + 1), long enough to vectorise well even
// for 7x7 images. The operations and their order are the textbook ones (B^T d, then (B^T d) B),
// so every vector width gives the same bits.
[[gnu::always_inline]] inline void InputTransformChannel(const float* xc, int64_t c,
                                                         const InputGeometry& g, float* v,
                                                         float* scratch) {
  const int64_t tw = g.tw, row_w = g.row_w(), half = g.half(), mr = g.mr, rows = g.rows();
  const int64_t quarter = g.quarter(), n = rows * half;  // n: the flat index range
  float* padded = scratch;                               // [2 * rows + 2][row_w]
  float* split = padded + (2 * rows + 2) * row_w;        // [row parity][column parity][quarter]
  float* comb = split + 4 * quarter;                     // [i][column parity][quarter]: B^T d
  float* e = comb + 8 * quarter;                         // [16][quarter]: (B^T d) B
  const int64_t lo = std::min(g.pad_left, row_w), hi = std::clamp(g.W + g.pad_left, lo, row_w);
  for (int64_t r = 0; r < 2 * rows + 2; ++r) {
    float* dst = padded + r * row_w;
    const int64_t ih = 2 * g.tr0 + r - g.pad_top;
    if (ih < 0 || ih >= g.H) {
      std::fill(dst, dst + row_w, 0.0f);
    } else {
      std::fill(dst, dst + lo, 0.0f);
      std::memcpy(dst + lo, xc + ih * g.W + (lo - g.pad_left),
                  static_cast<size_t>(hi - lo) * sizeof(float));
      std::fill(dst + hi, dst + row_w, 0.0f);
    }
    float* __restrict even = split + (r % 2) * 2 * quarter + (r / 2) * half;
    float* __restrict odd = even + quarter;
#pragma GCC ivdep
    for (int64_t k = 0; k < half; ++k) {
      even[k] = dst[2 * k];
      odd[k] = dst[2 * k + 1];
    }
  }
  for (int parity = 0; parity < 2; ++parity) {              // B^T d, on even then odd columns
    const float* __restrict re = split + parity * quarter;  // rows 2 * tr
    const float* __restrict ro = re + 2 * quarter;          // rows 2 * tr + 1
    float* __restrict r0 = comb + parity * quarter;
    float* __restrict r1 = r0 + 2 * quarter;
    float* __restrict r2 = r1 + 2 * quarter;
    float* __restrict r3 = r2 + 2 * quarter;
#pragma GCC ivdep
    for (int64_t f = 0; f < n; ++f) {
      r0[f] = re[f] - re[f + half];
      r1[f] = ro[f] + re[f + half];
      r2[f] = re[f + half] - ro[f];
      r3[f] = ro[f] - ro[f + half];
    }
  }
  for (int i = 0; i < 4; ++i) {  // (B^T d) B; column k == tw of each row is never used
    const float* __restrict ev = comb + 2 * i * quarter;
    const float* __restrict od = ev + quarter;
    float* __restrict e0 = e + (i * 4) * quarter;
    float* __restrict e1 = e0 + quarter;
    float* __restrict e2 = e1 + quarter;
    float* __restrict e3 = e2 + quarter;
#pragma GCC ivdep
    for (int64_t f = 0; f < n; ++f) {
      e0[f] = ev[f] - ev[f + 1];
      e1[f] = od[f] + ev[f + 1];
      e2[f] = ev[f + 1] - od[f];
      e3[f] = od[f] - od[f + 1];
    }
  }
  WriteTilesToPanels<16>(e, half, quarter, rows, tw, mr, g.C, c, g.a_floats, v);
}

void InputTransformBaseline(const float* x, int64_t c0, int64_t c1, const InputGeometry& g,
                            float* v, float* scratch) {
  for (int64_t c = c0; c < c1; ++c) InputTransformChannel(x + c * g.H * g.W, c, g, v, scratch);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void InputTransformAvx512(const float* x, int64_t c0, int64_t c1,
                                               const InputGeometry& g, float* v, float* scratch) {
  for (int64_t c = c0; c < c1; ++c) InputTransformChannel(x + c * g.H * g.W, c, g, v, scratch);
}
#endif

struct OutputGeometry {
  int64_t OH, OW, tw, M;
  int64_t step;        // stride between the products (T x M each)
  int64_t first_tile;  // the tile in the products' row 0
};

// Output transform of tiles [t0, t1): Y = act(A^T P A + bias + addend) per tile and output
// channel. The arithmetic runs across output channels (contiguous in prod), then the 2x2 results
// go to their planes. o: 4 * M floats of scratch.
[[gnu::always_inline]] inline void OutputTransformTiles(const float* prod, int64_t t0, int64_t t1,
                                                        const OutputGeometry& g, const float* bias,
                                                        const float* addend,
                                                        const Activation& activation, float* y,
                                                        float* o) {
  const int64_t M = g.M, step = g.step, OH = g.OH, OW = g.OW;
  float* __restrict o00 = o;
  float* __restrict o01 = o00 + M;
  float* __restrict o10 = o01 + M;
  float* __restrict o11 = o10 + M;
  for (int64_t t = t0; t < t1; ++t) {
    // A^T P A, with the row sums shared: s_j = P[j] + P[4 + j] + P[8 + j] (rows 0-2 of column
    // j), d_j = P[4 + j] - P[8 + j] - P[12 + j]. Every P[k] row is contiguous across channels.
    const float* __restrict p = prod + (t - g.first_tile) * M;
    for (int64_t m = 0; m < M; ++m) {
      const float s0 = p[m] + p[4 * step + m] + p[8 * step + m];
      const float s1 = p[step + m] + p[5 * step + m] + p[9 * step + m];
      const float s2 = p[2 * step + m] + p[6 * step + m] + p[10 * step + m];
      const float s3 = p[3 * step + m] + p[7 * step + m] + p[11 * step + m];
      const float d0 = p[4 * step + m] - p[8 * step + m] - p[12 * step + m];
      const float d1 = p[5 * step + m] - p[9 * step + m] - p[13 * step + m];
      const float d2 = p[6 * step + m] - p[10 * step + m] - p[14 * step + m];
      const float d3 = p[7 * step + m] - p[11 * step + m] - p[15 * step + m];
      const float b = bias ? bias[m] : 0.0f;
      o00[m] = s0 + s1 + s2 + b;
      o01[m] = s1 - s2 - s3 + b;
      o10[m] = d0 + d1 + d2 + b;
      o11[m] = d1 - d2 - d3 + b;
    }
    const int64_t oh = (t / g.tw) * 2, ow = (t % g.tw) * 2;
    const bool right = ow + 1 < OW, bottom = oh + 1 < OH;
    if (addend) {
      for (int64_t m = 0; m < M; ++m) {
        const float* am = addend + m * OH * OW + oh * OW + ow;
        o00[m] += am[0];
        if (right) o01[m] += am[1];
        if (bottom) {
          o10[m] += am[OW];
          if (right) o11[m] += am[OW + 1];
        }
      }
    }
    if (activation.kind == ActivationKind::kRelu) {  // inline: the common case
      for (int64_t m = 0; m < 4 * M; ++m) o[m] = o[m] < 0.0f ? 0.0f : o[m];  // as ApplyActivation
    } else {
      ApplyActivationInline(activation, o, 4 * M);
    }
    for (int64_t m = 0; m < M; ++m) {
      float* ym = y + m * OH * OW + oh * OW + ow;
      ym[0] = o00[m];
      if (right) ym[1] = o01[m];
      if (bottom) {
        ym[OW] = o10[m];
        if (right) ym[OW + 1] = o11[m];
      }
    }
  }
}

void OutputTransformBaseline(const float* prod, int64_t t0, int64_t t1, const OutputGeometry& g,
                             const float* bias, const float* addend, const Activation& activation,
                             float* y, float* o) {
  OutputTransformTiles(prod, t0, t1, g, bias, addend, activation, y, o);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void OutputTransformAvx512(const float* prod, int64_t t0, int64_t t1,
                                                const OutputGeometry& g, const float* bias,
                                                const float* addend, const Activation& activation,
                                                float* y, float* o) {
  OutputTransformTiles(prod, t0, t1, g, bias, addend, activation, y, o);
}
#endif

// F(4x4, 3x3): 6x6 input tiles at a stride of 4 (Lavin and Gray's matrices),
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
// The same scheme as F(2x2)'s above with four phases instead of two: every padded input row is
// split by row and column (mod 4), so a tile's 6 rows (columns) are phases 0-3 of its own tile
// row (column) and phases 0-1 of the next, and each step is one loop over all the tile rows.

// B^T's six rows applied to d0..d5, into out[0..5 * stride]. Every multiplication is by a power
// of two (5 d is 4 d + d), hence exact, so whether the compiler fuses a multiply and an add cannot
// change a result: every vector width and ISA gives the same bits.
[[gnu::always_inline]] inline void InputRows4(float d0, float d1, float d2, float d3, float d4,
                                              float d5, float* out, int64_t stride) {
  out[0] = (4.0f * d0 - (4.0f * d2 + d2)) + d4;
  out[stride] = (d3 + d4) - 4.0f * (d1 + d2);
  out[2 * stride] = (d4 - d3) + 4.0f * (d1 - d2);
  out[3 * stride] = (d4 - d2) + 2.0f * (d3 - d1);
  out[4 * stride] = (d4 - d2) + 2.0f * (d1 - d3);
  out[5 * stride] = (4.0f * d1 - (4.0f * d3 + d3)) + d5;
}

struct InputGeometry4 {
  int64_t H, W, pad_top, pad_left;
  int64_t tr0, tr1, tw;  // the tile rows transformed, tiles per row
  int64_t C, mr;         // channels (the A operands' depth) and the GEMM's panel width
  int64_t a_floats;      // stride between the 36 A operands
  int64_t rows() const { return tr1 - tr0; }
  int64_t T() const { return rows() * tw; }
  int64_t phase_w() const { return tw + 1; }       // one column phase of a padded row
  int64_t row_w() const { return 4 * phase_w(); }  // a padded input row: every tile reads inside
  // Per row phase and column phase, rows() + 1 rows of phase_w() floats, plus one to spare.
  int64_t plane() const { return (rows() + 1) * phase_w() + 1; }
  // Scratch floats per thread: the padded rows, their 16 phase planes, 24 combined planes
  // (B^T d, per row of it and column phase) and the 36 transformed planes.
  int64_t scratch() const { return (4 * rows() + 2) * row_w() + (16 + 24 + 36) * plane(); }
};

[[gnu::always_inline]] inline void InputTransformChannel4(const float* xc, int64_t c,
                                                          const InputGeometry4& g, float* v,
                                                          float* scratch) {
  const int64_t tw = g.tw, row_w = g.row_w(), pw = g.phase_w(), mr = g.mr, rows = g.rows();
  const int64_t plane = g.plane(), n = rows * pw;  // n: the flat index range
  float* padded = scratch;                         // [4 * rows + 2][row_w]
  float* split = padded + (4 * rows + 2) * row_w;  // [row phase][column phase][plane]
  float* comb = split + 16 * plane;                // [row of B^T d][column phase][plane]
  float* e = comb + 24 * plane;                    // [36][plane]: (B^T d) B
  const int64_t lo = std::min(g.pad_left, row_w), hi = std::clamp(g.W + g.pad_left, lo, row_w);
  for (int64_t r = 0; r < 4 * rows + 2; ++r) {
    float* dst = padded + r * row_w;
    const int64_t ih = 4 * g.tr0 + r - g.pad_top;
    if (ih < 0 || ih >= g.H) {
      std::fill(dst, dst + row_w, 0.0f);
    } else {
      std::fill(dst, dst + lo, 0.0f);
      std::memcpy(dst + lo, xc + ih * g.W + (lo - g.pad_left),
                  static_cast<size_t>(hi - lo) * sizeof(float));
      std::fill(dst + hi, dst + row_w, 0.0f);
    }
    float* __restrict p0 = split + (r % 4) * 4 * plane + (r / 4) * pw;
    float* __restrict p1 = p0 + plane;
    float* __restrict p2 = p1 + plane;
    float* __restrict p3 = p2 + plane;
#pragma GCC ivdep
    for (int64_t k = 0; k < pw; ++k) {
      p0[k] = dst[4 * k];
      p1[k] = dst[4 * k + 1];
      p2[k] = dst[4 * k + 2];
      p3[k] = dst[4 * k + 3];
    }
  }
  for (int phase = 0; phase < 4; ++phase) {  // B^T d, per column phase
    const float* __restrict d0 = split + phase * plane;
    const float* __restrict d1 = d0 + 4 * plane;
    const float* __restrict d2 = d1 + 4 * plane;
    const float* __restrict d3 = d2 + 4 * plane;
    float* __restrict out = comb + phase * plane;
#pragma GCC ivdep
    for (int64_t f = 0; f < n; ++f)
      InputRows4(d0[f], d1[f], d2[f], d3[f], d0[f + pw], d1[f + pw], out + f, 4 * plane);
  }
  for (int i = 0; i < 6; ++i) {  // (B^T d) B; column k == tw of each row is never used
    const float* __restrict c0 = comb + 4 * i * plane;
    const float* __restrict c1 = c0 + plane;
    const float* __restrict c2 = c1 + plane;
    const float* __restrict c3 = c2 + plane;
    float* __restrict out = e + 6 * i * plane;
#pragma GCC ivdep
    for (int64_t f = 0; f < n; ++f)
      InputRows4(c0[f], c1[f], c2[f], c3[f], c0[f + 1], c1[f + 1], out + f, plane);
  }
  WriteTilesToPanels<36>(e, pw, plane, rows, tw, mr, g.C, c, g.a_floats, v);
}

void InputTransform4Baseline(const float* x, int64_t c0, int64_t c1, const InputGeometry4& g,
                             float* v, float* scratch) {
  for (int64_t c = c0; c < c1; ++c) InputTransformChannel4(x + c * g.H * g.W, c, g, v, scratch);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void InputTransform4Avx512(const float* x, int64_t c0, int64_t c1,
                                                const InputGeometry4& g, float* v, float* scratch) {
  for (int64_t c = c0; c < c1; ++c) InputTransformChannel4(x + c * g.H * g.W, c, g, v, scratch);
}
#endif

// A^T's four rows applied to q0..q5.
[[gnu::always_inline]] inline void OutputRows4(float q0, float q1, float q2, float q3, float q4,
                                               float q5, float& r0, float& r1, float& r2,
                                               float& r3) {
  const float a = q1 + q2, b = q1 - q2, c = q3 + q4, d = q3 - q4;
  r0 = (q0 + a) + c;
  r1 = b + 2.0f * d;
  r2 = a + 4.0f * c;
  r3 = (b + 8.0f * d) + q5;
}

// Output transform of tiles [t0, t1), as OutputTransformTiles above with 36 products and 4x4
// tiles. o: 16 * M floats of scratch.
[[gnu::always_inline]] inline void OutputTransformTiles4(const float* prod, int64_t t0, int64_t t1,
                                                         const OutputGeometry& g, const float* bias,
                                                         const float* addend,
                                                         const Activation& activation, float* y,
                                                         float* o) {
  const int64_t M = g.M, step = g.step, OH = g.OH, OW = g.OW;
  for (int64_t t = t0; t < t1; ++t) {
    const float* __restrict p = prod + (t - g.first_tile) * M;
    float* __restrict out = o;
    for (int64_t m = 0; m < M; ++m) {
      float s[6][4];  // A^T applied along each of the tile's 6 rows
      for (int i = 0; i < 6; ++i) {
        const float* q = p + 6 * i * step + m;
        OutputRows4(q[0], q[step], q[2 * step], q[3 * step], q[4 * step], q[5 * step], s[i][0],
                    s[i][1], s[i][2], s[i][3]);
      }
      const float b = bias ? bias[m] : 0.0f;
      for (int j = 0; j < 4; ++j) {  // then down each column
        float r[4];
        OutputRows4(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], r[0], r[1], r[2], r[3]);
        for (int i = 0; i < 4; ++i) out[(i * 4 + j) * M + m] = r[i] + b;
      }
    }
    const int64_t oh = (t / g.tw) * 4, ow = (t % g.tw) * 4;
    const int64_t rows = std::min<int64_t>(4, OH - oh), cols = std::min<int64_t>(4, OW - ow);
    if (addend) {
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          float* oij = out + (i * 4 + j) * M;
          const float* a = addend + (oh + i) * OW + ow + j;
          for (int64_t m = 0; m < M; ++m) oij[m] += a[m * OH * OW];
        }
    }
    if (activation.kind == ActivationKind::kRelu) {  // inline: the common case
      for (int64_t m = 0; m < 16 * M; ++m) o[m] = o[m] < 0.0f ? 0.0f : o[m];  // as ApplyActivation
    } else {
      ApplyActivationInline(activation, o, 16 * M);
    }
    for (int64_t m = 0; m < M; ++m) {
      float* ym = y + m * OH * OW + oh * OW + ow;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) ym[i * OW + j] = out[(i * 4 + j) * M + m];
    }
  }
}

void OutputTransform4Baseline(const float* prod, int64_t t0, int64_t t1, const OutputGeometry& g,
                              const float* bias, const float* addend, const Activation& activation,
                              float* y, float* o) {
  OutputTransformTiles4(prod, t0, t1, g, bias, addend, activation, y, o);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void OutputTransform4Avx512(const float* prod, int64_t t0, int64_t t1,
                                                 const OutputGeometry& g, const float* bias,
                                                 const float* addend, const Activation& activation,
                                                 float* y, float* o) {
  OutputTransformTiles4(prod, t0, t1, g, bias, addend, activation, y, o);
}
#endif

}  // namespace

// When the U operands fit in L2 beside them, blocks of tile rows whose operands and products
// ((tile + 2)^2 x tiles x (C + M) floats) fit in about 512 KiB are done start to end, a block per
// task: the transforms' streams then stay in L2 instead of going out to L3 and back. Otherwise
// (many channels, few tiles) the whole image is one block, each step split across the threads
// (the GEMMs over output channels, so U is read once).
int64_t WinogradConv3x3::DefaultBlockRows(int64_t C, int64_t M, int64_t OH, int64_t OW, int threads,
                                          int tile) {
  const int64_t positions = (tile + 2) * (tile + 2);
  const int64_t th = (OH + tile - 1) / tile, tw = (OW + tile - 1) / tile;
  const int64_t u_bytes = positions * C * M * 4;
  const int64_t rows_per_block = std::max<int64_t>(1, (512 << 10) / (positions * (C + M) * 4 * tw));
  const int64_t blocks = (th + rows_per_block - 1) / rows_per_block;
  return u_bytes <= (512 << 10) && blocks >= 2 * threads ? rows_per_block : -1;
}

void WinogradConv3x3::Run(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t pad_left,
                          int64_t OH, int64_t OW, const float* bias, float* y, ThreadPool& pool,
                          const Activation& activation, const float* addend,
                          const GemmTuning* tuning, int64_t block_rows) const {
  const int64_t tile = tile_, positions = Positions();
  const int64_t th = (OH + tile - 1) / tile, tw = (OW + tile - 1) / tile;
  const int mr = ActiveGemmBlocking().mr;
  const bool wide = UseAvx512Loops();
  // Tile rows [tr0, tr1): input transform (channels [c0, c1) of it), the GEMMs, output transform.
  // The operands (and products) are written and read as parallel streams: their strides are
  // staggered so the streams do not all map to the same L1 sets (C * mr floats is often a
  // multiple of 4 KiB, which made every store of the input transform a conflict miss).
  struct Block {
    int64_t tr0, tr1, T, a_floats, step;
    float *v, *prod;
  };
  auto block_of = [&](int64_t tr0, int64_t tr1) {
    Block b{tr0, tr1, (tr1 - tr0) * tw, 0, 0, nullptr, nullptr};
    b.a_floats = StaggeredStride((b.T + mr - 1) / mr * C_ * mr);  // one transformed-input operand
    b.step = StaggeredStride(b.T * M_);                           // one product, T x M
    b.v = ThreadScratch(ScratchSlot::kConvPack, static_cast<size_t>(positions * b.a_floats));
    b.prod = ThreadScratch(ScratchSlot::kGemmA, static_cast<size_t>(positions * b.step));
    return b;
  };
  auto input = [&](const Block& b, int64_t c0, int64_t c1) {
    if (tile == 4) {
      const InputGeometry4 in{H, W, pad_top, pad_left, b.tr0, b.tr1, tw, C_, mr, b.a_floats};
      std::vector<float> scratch(static_cast<size_t>(in.scratch()));
#if HETRUN_CPU_AVX2_CLONES
      if (wide) return InputTransform4Avx512(x, c0, c1, in, b.v, scratch.data());
#endif
      return InputTransform4Baseline(x, c0, c1, in, b.v, scratch.data());
    }
    const InputGeometry in{H, W, pad_top, pad_left, b.tr0, b.tr1, tw, C_, mr, b.a_floats};
    std::vector<float> scratch(static_cast<size_t>(in.scratch()));
#if HETRUN_CPU_AVX2_CLONES
    if (wide) return InputTransformAvx512(x, c0, c1, in, b.v, scratch.data());
#endif
    InputTransformBaseline(x, c0, c1, in, b.v, scratch.data());
  };
  auto gemms = [&](const Block& b) {  // prod[xi] (T x M) = V[xi] (T x C) * U[xi]^T (C x M)
    for (int64_t xi = 0; xi < positions; ++xi) {
      const PackedMatrix a{b.v + xi * b.a_floats, b.T, C_, mr};
      GemmPacked(a, u_[static_cast<size_t>(xi)].view, 1.0f, 0.0f, b.prod + xi * b.step, M_, pool,
                 nullptr, tuning);
    }
  };
  auto output = [&](const Block& b, int64_t t0, int64_t t1) {
    const OutputGeometry out{OH, OW, tw, M_, b.step, b.tr0 * tw};
    std::vector<float> o(static_cast<size_t>(tile * tile * M_));
    if (tile == 4) {
#if HETRUN_CPU_AVX2_CLONES
      if (wide)
        return OutputTransform4Avx512(b.prod, t0, t1, out, bias, addend, activation, y, o.data());
#endif
      return OutputTransform4Baseline(b.prod, t0, t1, out, bias, addend, activation, y, o.data());
    }
#if HETRUN_CPU_AVX2_CLONES
    if (wide)
      return OutputTransformAvx512(b.prod, t0, t1, out, bias, addend, activation, y, o.data());
#endif
    OutputTransformBaseline(b.prod, t0, t1, out, bias, addend, activation, y, o.data());
  };

  const int64_t rows_per_block =
      block_rows != 0 ? block_rows : DefaultBlockRows(C_, M_, OH, OW, pool.threads(), tile_);
  if (rows_per_block > 0) {
    const int64_t blocks = (th + rows_per_block - 1) / rows_per_block;
    pool.ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi) {
        const int64_t tr0 = bi * rows_per_block, tr1 = std::min(th, tr0 + rows_per_block);
        const Block b = block_of(tr0, tr1);
        input(b, 0, C_);
        gemms(b);  // inside a pool task: runs on this thread
        output(b, tr0 * tw, tr1 * tw);
      }
    });
    return;
  }
  const Block b = block_of(0, th);
  pool.ParallelFor(C_, 1, [&](int64_t c0, int64_t c1) { input(b, c0, c1); });
  gemms(b);
  pool.ParallelFor(b.T, std::max<int64_t>(1, 1024 / (tile * tile / 4 * M_)),
                   [&](int64_t t0, int64_t t1) { output(b, t0, t1); });
}

}  // namespace hetrun::cpu
