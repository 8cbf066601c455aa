#include "kernels/winograd.h"

#include <algorithm>
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
                          const Activation& activation) const {
  const int64_t th = (OH + 1) / 2, tw = (OW + 1) / 2, T = th * tw;
  const int mr = ActiveGemmBlocking().mr;
  const int64_t panels = (T + mr - 1) / mr;
  const int64_t a_floats = panels * C_ * mr;  // one transformed-input operand, packed
  float* v = ThreadScratch(ScratchSlot::kConvPack, static_cast<size_t>(16 * a_floats));
  float* prod = ThreadScratch(ScratchSlot::kGemmA, static_cast<size_t>(16 * T * M_));

  // Input transform, straight into A panels: V[xi] row t (tile), column c.
  pool.ParallelFor(C_, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* xc = x + c * H * W;
      for (int64_t t = 0; t < panels * mr; ++t) {
        float d[4][4] = {};
        if (t < T) {
          const int64_t ih0 = (t / tw) * 2 - pad_top, iw0 = (t % tw) * 2 - pad_left;
          if (ih0 >= 0 && ih0 + 3 < H && iw0 >= 0 && iw0 + 3 < W) {  // interior: no checks
            const float* src = xc + ih0 * W + iw0;
            for (int i = 0; i < 4; ++i)
              for (int j = 0; j < 4; ++j) d[i][j] = src[i * W + j];
          } else {
            for (int i = 0; i < 4; ++i) {
              const int64_t ih = ih0 + i;
              if (ih < 0 || ih >= H) continue;
              for (int j = 0; j < 4; ++j) {
                const int64_t iw = iw0 + j;
                if (iw >= 0 && iw < W) d[i][j] = xc[ih * W + iw];
              }
            }
          }
        }
        float r[4][4];  // B^T d
        for (int j = 0; j < 4; ++j) {
          r[0][j] = d[0][j] - d[2][j];
          r[1][j] = d[1][j] + d[2][j];
          r[2][j] = d[2][j] - d[1][j];
          r[3][j] = d[1][j] - d[3][j];
        }
        float* dst = v + ((t / mr) * C_ + c) * mr + t % mr;
        for (int i = 0; i < 4; ++i) {  // (B^T d) B
          const float e[4] = {r[i][0] - r[i][2], r[i][1] + r[i][2], r[i][2] - r[i][1],
                              r[i][1] - r[i][3]};
          for (int j = 0; j < 4; ++j) dst[(i * 4 + j) * a_floats] = e[j];
        }
      }
    }
  });

  // 16 GEMMs: prod[xi] (T x M) = V[xi] (T x C) * U[xi]^T (C x M).
  for (int xi = 0; xi < 16; ++xi) {
    const PackedMatrix a{v + xi * a_floats, T, C_, mr};
    GemmPacked(a, u_[static_cast<size_t>(xi)].view, 1.0f, 0.0f, prod + xi * T * M_, M_, pool);
  }

  // Output transform: Y = act(A^T P A + bias) per tile and output channel. The arithmetic runs
  // across output channels (contiguous in prod), then the 2x2 results go to their planes.
  pool.ParallelFor(T, std::max<int64_t>(1, 1024 / M_), [&](int64_t t0, int64_t t1) {
    std::vector<float> o(static_cast<size_t>(4 * M_));
    float *o00 = o.data(), *o01 = o00 + M_, *o10 = o01 + M_, *o11 = o10 + M_;
    for (int64_t t = t0; t < t1; ++t) {
      const float* pt = prod + t * M_;
      const int64_t step = T * M_;
      for (int64_t m = 0; m < M_; ++m) {
        float p[16];
        for (int k = 0; k < 16; ++k) p[k] = pt[k * step + m];
        float r[2][4];  // A^T p
        for (int j = 0; j < 4; ++j) {
          r[0][j] = p[j] + p[4 + j] + p[8 + j];
          r[1][j] = p[4 + j] - p[8 + j] - p[12 + j];
        }
        const float b = bias ? bias[m] : 0.0f;
        o00[m] = r[0][0] + r[0][1] + r[0][2] + b;
        o01[m] = r[0][1] - r[0][2] - r[0][3] + b;
        o10[m] = r[1][0] + r[1][1] + r[1][2] + b;
        o11[m] = r[1][1] - r[1][2] - r[1][3] + b;
      }
      ApplyActivation(activation, o.data(), 4 * M_);
      const int64_t oh = (t / tw) * 2, ow = (t % tw) * 2;
      const bool right = ow + 1 < OW, bottom = oh + 1 < OH;
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
