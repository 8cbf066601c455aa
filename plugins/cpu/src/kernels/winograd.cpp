#include "kernels/winograd.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compile_cache.h"
#include "kernels/aligned_buffer.h"

namespace hetrun::cpu {

// F(2x2, 3x3):  U = G g G^T,  V = B^T d B,  Y = A^T (U . V) A with
//   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
namespace {

// --cache-dir: the packed U operands depend only on the weights, the shape and the GEMM's panel
// width, so the transform (the costliest part of compiling a ResNet block) is done once per cache.
std::string CacheKey(const float* w, int64_t M, int64_t C) {
  const GemmBlocking& blocking = ActiveGemmBlocking();
  return "winograd3x3 v1 M=" + std::to_string(M) + " C=" + std::to_string(C) +
         " nr=" + std::to_string(blocking.nr) + " isa=" + blocking.isa +
         " weights=" + CacheHashHex(CacheHash64(w, static_cast<size_t>(M * C * 9) * sizeof(float)));
}

// A stride of at least `floats`, a whole number of 64-byte lines and an odd number of them, so
// 16 streams that far apart fall into 16 different L1 sets.
int64_t StaggeredStride(int64_t floats) {
  const int64_t lines = (floats + 15) / 16;
  return (lines | 1) * 16;
}

}  // namespace

WinogradConv3x3::WinogradConv3x3(const float* w, int64_t M, int64_t C) : M_(M), C_(C) {
  CompileCache& cache = CompileCache::Get();
  const std::string key = cache.enabled() ? CacheKey(w, M, C) : std::string();
  const int nr = ActiveGemmBlocking().nr;
  const auto floats = static_cast<size_t>(std::max<int64_t>(1, PackedMatrix::FloatsFor(M, C, nr)));
  if (!key.empty()) {
    if (std::shared_ptr<const CacheBlob> blob = cache.Load("winograd", key);
        blob && blob->payload().size() == 16 * floats * sizeof(float)) {
      // Used in place: the payload is 64-byte aligned like AlignedBuffer's storage.
      const auto* data = reinterpret_cast<const float*>(blob->payload().data());
      for (int xi = 0; xi < 16; ++xi) {
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
    payload.reserve(16 * floats * sizeof(float));
    for (const OwnedPackedMatrix& m : u_)
      payload.append(reinterpret_cast<const char*>(m.view.data), floats * sizeof(float));
    cache.Store("winograd", key, payload);
  }
}

void WinogradConv3x3::Transform(const float* w) {
  const int64_t M = M_, C = C_;
  static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  std::vector<float> u(static_cast<size_t>(16 * C * M));  // [xi][c][m]
  for (int64_t m = 0; m < M; ++m)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (m * C + c) * 9;
      double t[4][3];  // G g
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          u[static_cast<size_t>(((i * 4 + j) * C + c) * M + m)] =
              static_cast<float>(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
  for (int xi = 0; xi < 16; ++xi) u_.push_back(PackBOwned(false, C, M, u.data() + xi * C * M, M));
}

void WinogradConv3x3::Run(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t pad_left,
                          int64_t OH, int64_t OW, const float* bias, float* y, ThreadPool& pool,
                          const Activation& activation, const float* addend) const {
  const int64_t th = (OH + 1) / 2, tw = (OW + 1) / 2, T = th * tw;
  const int mr = ActiveGemmBlocking().mr;
  const int64_t panels = (T + mr - 1) / mr;
  // The 16 operands (and products) are written and read as 16 parallel streams: stagger their
  // strides so the streams do not all map to the same L1 sets (C * mr floats is often a multiple
  // of 4 KiB, which made every store of the input transform a conflict miss).
  const int64_t a_floats = StaggeredStride(panels * C_ * mr);  // one transformed-input operand
  const int64_t step = StaggeredStride(T * M_);                // one product, T x M
  float* v = ThreadScratch(ScratchSlot::kConvPack, static_cast<size_t>(16 * a_floats));
  float* prod = ThreadScratch(ScratchSlot::kGemmA, static_cast<size_t>(16 * step));

  // Input transform, straight into A panels: V[xi] row t (tile), column c. One tile row at a
  // time: its 4 input rows are copied zero-padded into a small buffer, the transform runs across
  // the row's tiles (stride-2 loads the compiler vectorises, no bounds checks), and each of the
  // 16 results goes to the panels as contiguous runs.
  const int64_t row_w = 2 * tw + 2;  // padded input row: every tile of a tile row reads inside it
  pool.ParallelFor(C_, 1, [&](int64_t c0, int64_t c1) {
    std::vector<float> buffer(static_cast<size_t>(4 * row_w + 16 * tw));
    float* rows = buffer.data();  // [i][row_w]: input rows ih0 + i, zero-padded
    float* e = rows + 4 * row_w;  // [xi][tw]: B^T d B per tile of the row
    const int64_t lo = std::min(pad_left, row_w), hi = std::clamp(W + pad_left, lo, row_w);
    for (int64_t c = c0; c < c1; ++c) {
      const float* xc = x + c * H * W;
      for (int64_t tr = 0; tr < th; ++tr) {
        for (int i = 0; i < 4; ++i) {
          float* r = rows + i * row_w;
          const int64_t ih = tr * 2 - pad_top + i;
          if (ih < 0 || ih >= H) {
            std::fill(r, r + row_w, 0.0f);
            continue;
          }
          std::fill(r, r + lo, 0.0f);
          std::memcpy(r + lo, xc + ih * W + (lo - pad_left),
                      static_cast<size_t>(hi - lo) * sizeof(float));
          std::fill(r + hi, r + row_w, 0.0f);
        }
        const float *d0 = rows, *d1 = rows + row_w, *d2 = rows + 2 * row_w, *d3 = rows + 3 * row_w;
        for (int64_t col = 0; col < tw; ++col) {
          const int64_t at = 2 * col;
          float r[4][4];  // B^T d
          for (int j = 0; j < 4; ++j) {
            r[0][j] = d0[at + j] - d2[at + j];
            r[1][j] = d1[at + j] + d2[at + j];
            r[2][j] = d2[at + j] - d1[at + j];
            r[3][j] = d1[at + j] - d3[at + j];
          }
          for (int i = 0; i < 4; ++i) {  // (B^T d) B
            e[(i * 4 + 0) * tw + col] = r[i][0] - r[i][2];
            e[(i * 4 + 1) * tw + col] = r[i][1] + r[i][2];
            e[(i * 4 + 2) * tw + col] = r[i][2] - r[i][1];
            e[(i * 4 + 3) * tw + col] = r[i][1] - r[i][3];
          }
        }
        // Tile t = tr * tw + col is lane t % mr of panel t / mr.
        for (int64_t t = tr * tw, end = t + tw; t < end;) {
          const int64_t lane = t % mr, n = std::min<int64_t>(mr - lane, end - t);
          float* dst = v + ((t / mr) * C_ + c) * mr + lane;
          const float* src = e + (t - tr * tw);
          for (int xi = 0; xi < 16; ++xi)  // runs of at most mr floats: no memcpy call
            for (int64_t q = 0; q < n; ++q) dst[xi * a_floats + q] = src[xi * tw + q];
          t += n;
        }
      }
      if (const int64_t used = T % mr; used > 0) {  // the last panel's lanes past T stay zero
        float* dst = v + ((panels - 1) * C_ + c) * mr;
        for (int xi = 0; xi < 16; ++xi)
          std::fill(dst + xi * a_floats + used, dst + xi * a_floats + mr, 0.0f);
      }
    }
  });

  // 16 GEMMs: prod[xi] (T x M) = V[xi] (T x C) * U[xi]^T (C x M).
  for (int xi = 0; xi < 16; ++xi) {
    const PackedMatrix a{v + xi * a_floats, T, C_, mr};
    GemmPacked(a, u_[static_cast<size_t>(xi)].view, 1.0f, 0.0f, prod + xi * step, M_, pool);
  }

  // Output transform: Y = act(A^T P A + bias + addend) per tile and output channel. The arithmetic
  // runs across output channels (contiguous in prod), then the 2x2 results go to their planes.
  pool.ParallelFor(T, std::max<int64_t>(1, 1024 / M_), [&](int64_t t0, int64_t t1) {
    std::vector<float> o(static_cast<size_t>(4 * M_));
    float* __restrict o00 = o.data();
    float* __restrict o01 = o00 + M_;
    float* __restrict o10 = o01 + M_;
    float* __restrict o11 = o10 + M_;
    for (int64_t t = t0; t < t1; ++t) {
      // A^T P A, with the row sums shared: s_j = P[j] + P[4 + j] + P[8 + j] (rows 0-2 of column
      // j), d_j = P[4 + j] - P[8 + j] - P[12 + j]. Plain loops over m that the compiler
      // vectorises: every P[k] row is contiguous across output channels.
      const float* __restrict p = prod + t * M_;
      for (int64_t m = 0; m < M_; ++m) {
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
      const int64_t oh = (t / tw) * 2, ow = (t % tw) * 2;
      const bool right = ow + 1 < OW, bottom = oh + 1 < OH;
      if (addend) {
        for (int64_t m = 0; m < M_; ++m) {
          const float* am = addend + m * OH * OW + oh * OW + ow;
          o00[m] += am[0];
          if (right) o01[m] += am[1];
          if (bottom) {
            o10[m] += am[OW];
            if (right) o11[m] += am[OW + 1];
          }
        }
      }
      ApplyActivation(activation, o.data(), 4 * M_);
      for (int64_t m = 0; m < M_; ++m) {
        float* ym = y + m * OH * OW + oh * OW + ow;
        ym[0] = o00[m];
        if (right) ym[1] = o01[m];
        if (bottom) {
          ym[OW] = o10[m];
          if (right) ym[OW + 1] = o11[m];
        }
      }
    }
  });
}

}  // namespace hetrun::cpu
