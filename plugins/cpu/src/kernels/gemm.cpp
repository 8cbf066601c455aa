// GEMM driver: operand packing, cache blocking and the parallel split over tiles of C. The
// micro-kernels live in gemm_kernel_x86.cpp (and the portable one below).
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

#include "fusion/activation_loops.h"
#include "kernels/avx2_clone.h"
#include "kernels/gemm_microkernel.h"

namespace hetrun::cpu {
namespace {

// Portable 4 x 8 tile: plain loops over a small accumulator array, which compilers keep in vector
// registers at the baseline x86-64 (SSE2) level or on any other target.
void MicroGeneric(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                  bool accumulate, const TileEpilogue* /*ep: never given, see GemmIsa*/) {
  constexpr int MR = 4, NR = 8;
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      const float av = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      const float v = alpha * acc[i][j];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + v : v;
    }
}

const GemmIsa& SelectIsa() {
  // HETRUN_CPU_GEMM_ISA=generic|avx2|avx512 forces a narrower kernel (tests use it to cover all).
  const char* env = secure_getenv("HETRUN_CPU_GEMM_ISA");
  const std::string_view want = env ? env : "";
  if (want != "generic" && want != "avx2")
    if (const GemmIsa* isa = GemmIsaAvx512()) return *isa;
  if (want != "generic")
    if (const GemmIsa* isa = GemmIsaAvx2()) return *isa;
  return GemmIsaGeneric();
}

const GemmIsa& Isa() {
  static const GemmIsa& isa = SelectIsa();
  return isa;
}

// Packs `extent` x `depth` elements x(r, k) = src[r * rs + k * ks] into panels of `width`.
void PackPanels(const float* src, int64_t rs, int64_t ks, int64_t extent, int64_t depth, int width,
                float* dst, ThreadPool* pool) {
  const int64_t panels = (extent + width - 1) / width;
  static const PackRows8Fn pack_rows8 = PackRows8();
  auto pack = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* d = dst + p * depth * width;
      const int64_t r0 = p * width;
      const int64_t rows = std::min<int64_t>(width, extent - r0);
      const float* s = src + r0 * rs;
      if (rs == 1) {  // panel rows are contiguous in the source: copy runs of `rows` floats
        for (int64_t k = 0; k < depth; ++k, d += width) {
          std::memcpy(d, s + k * ks, static_cast<size_t>(rows) * sizeof(float));
          for (int64_t r = rows; r < width; ++r) d[r] = 0.0f;
        }
      } else if (ks == 1 && rows == 8 && width == 8 && pack_rows8) {  // 8x8 register transposes
        pack_rows8(s, rs, depth, d);
      } else {  // transpose as we go: read each source row along k, write strided
        if (rows < width) std::memset(d, 0, static_cast<size_t>(depth * width) * sizeof(float));
        for (int64_t r = 0; r < rows; ++r) {
          const float* sr = s + r * rs;
          for (int64_t k = 0; k < depth; ++k) d[k * width + r] = sr[k * ks];
        }
      }
    }
  };
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, depth * width));
  if (pool)
    pool->ParallelFor(panels, grain, pack);
  else
    pack(0, panels);
}

}  // namespace

const GemmIsa& GemmIsaGeneric() {
  static const GemmIsa isa{{4, 8, 256, 128, 4096, "generic"}, MicroGeneric, false};
  return isa;
}

const GemmBlocking& ActiveGemmBlocking() {
  return Isa().blocking;
}

PackedMatrix PackA(bool trans, int64_t M, int64_t K, const float* A, int64_t lda, float* dst,
                   ThreadPool* pool) {
  const int mr = Isa().blocking.mr;
  PackPanels(A, trans ? 1 : lda, trans ? lda : 1, M, K, mr, dst, pool);
  return PackedMatrix{dst, M, K, mr};
}

PackedMatrix PackB(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb, float* dst,
                   ThreadPool* pool) {
  const int nr = Isa().blocking.nr;
  PackPanels(B, trans ? ldb : 1, trans ? 1 : ldb, N, K, nr, dst, pool);
  return PackedMatrix{dst, N, K, nr};
}

OwnedPackedMatrix PackAOwned(bool trans, int64_t M, int64_t K, const float* A, int64_t lda) {
  OwnedPackedMatrix m;
  float* dst = m.storage.Reserve(
      static_cast<size_t>(std::max<int64_t>(1, PackedMatrix::FloatsFor(M, K, Isa().blocking.mr))));
  m.view = PackA(trans, M, K, A, lda, dst, nullptr);
  return m;
}

OwnedPackedMatrix PackBOwned(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb) {
  OwnedPackedMatrix m;
  float* dst = m.storage.Reserve(
      static_cast<size_t>(std::max<int64_t>(1, PackedMatrix::FloatsFor(N, K, Isa().blocking.nr))));
  m.view = PackB(trans, K, N, B, ldb, dst, nullptr);
  return m;
}

namespace {

// The epilogue on the mv x nv block of C at (i, j), just stored: biases, the addend, then the
// activation, one row at a time while the block is in L1.
[[gnu::always_inline]] inline void ApplyEpilogueBody(const GemmEpilogue& ep, float* c, int64_t ldc,
                                                     int64_t i, int64_t j, int64_t mv, int64_t nv) {
  // Conv's common case (row bias, optional residual, Relu or nothing) in one pass per row, with
  // no call per row: the activation call showed up in profiles at 32 floats a row.
  const bool relu = ep.activation.kind == ActivationKind::kRelu;
  if (!ep.column_bias && (relu || ep.activation.none())) {
    for (int64_t r = 0; r < mv; ++r) {
      float* row = c + r * ldc;
      const float rb = ep.row_bias ? ep.row_bias[i + r] : 0.0f;
      const float* ar = ep.addend ? ep.addend + (i + r) * ep.addend_ld + j : nullptr;
      const float floor = relu ? 0.0f : -std::numeric_limits<float>::infinity();
      if (ar)
        for (int64_t q = 0; q < nv; ++q) row[q] = std::max(row[q] + rb + ar[q], floor);
      else
        for (int64_t q = 0; q < nv; ++q) row[q] = std::max(row[q] + rb, floor);
    }
    return;
  }
  for (int64_t r = 0; r < mv; ++r) {
    float* row = c + r * ldc;
    const float rb = ep.row_bias ? ep.row_bias[i + r] : 0.0f;
    if (ep.column_bias) {
      const float* cb = ep.column_bias + j;
      for (int64_t q = 0; q < nv; ++q) row[q] += cb[q] + rb;
    } else if (ep.row_bias) {
      for (int64_t q = 0; q < nv; ++q) row[q] += rb;
    }
    if (ep.addend) {
      const float* ar = ep.addend + (i + r) * ep.addend_ld + j;
      for (int64_t q = 0; q < nv; ++q) row[q] += ar[q];
    }
    ApplyActivationInline(ep.activation, row, nv);
  }
}

// Compiled for baseline x86-64 and for AVX-512 (avx2_clone.h; no FMA, so the same bits), picked
// once: at baseline width the epilogue took 11% of a 7x7 convolution.
void ApplyEpilogueBaseline(const GemmEpilogue& ep, float* c, int64_t ldc, int64_t i, int64_t j,
                           int64_t mv, int64_t nv) {
  ApplyEpilogueBody(ep, c, ldc, i, j, mv, nv);
}
#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void ApplyEpilogueAvx512(const GemmEpilogue& ep, float* c, int64_t ldc,
                                              int64_t i, int64_t j, int64_t mv, int64_t nv) {
  ApplyEpilogueBody(ep, c, ldc, i, j, mv, nv);
}
#endif

void ApplyEpilogue(const GemmEpilogue& ep, float* c, int64_t ldc, int64_t i, int64_t j, int64_t mv,
                   int64_t nv) {
#if HETRUN_CPU_AVX2_CLONES
  if (UseAvx512Loops()) return ApplyEpilogueAvx512(ep, c, ldc, i, j, mv, nv);
#endif
  ApplyEpilogueBaseline(ep, c, ldc, i, j, mv, nv);
}

// B as the driver sees it: already packed, or packed per block by a callback.
struct BSource {
  const PackedMatrix* packed = nullptr;
  const PackBPanelsFn* pack = nullptr;
};

// The blocked, parallel loop nest shared by both entries (BLIS order): tasks own a range of
// B panels (and of A panels when M must be split too); within a task, per depth block kc, B's
// block is packed once (when not pre-packed), then each B micro-panel stays in L1 while the
// micro-kernel sweeps the A panels of one mc block, which stays in L2.
void GemmDriver(const PackedMatrix& a, int64_t N, const BSource& b_in, float alpha, float beta,
                float* C, int64_t ldc, ThreadPool& pool, const GemmEpilogue* epilogue,
                const GemmTuning& tuning) {
  const GemmIsa& isa = Isa();
  const GemmBlocking& bl = isa.blocking;
  const int64_t M = a.extent, K = a.depth;
  if (M == 0 || N == 0) return;
  if (beta != 0.0f && beta != 1.0f) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] *= beta;
  }
  if (epilogue && epilogue->empty()) epilogue = nullptr;
  if (K == 0) {  // alpha * (empty product) = 0
    if (beta == 0.0f)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    if (epilogue) ApplyEpilogue(*epilogue, C, ldc, 0, 0, M, N);
    return;
  }
  const bool keep_c = beta != 0.0f;
  const int mr = bl.mr, nr = bl.nr;
  const int64_t pm = a.panels(), pn = (N + nr - 1) / nr;

  // One row times pre-packed B (a batch-1 fully connected layer): a GEMV over the panels, which
  // is memory-bound, instead of 8-row tiles seven of whose rows are padding.
  if (M == 1 && b_in.packed && isa.gemv && !keep_c) {
    float* row = ThreadScratch(ScratchSlot::kGemmTileB, static_cast<size_t>(pn * nr));
    pool.ParallelFor((pn + 3) / 4, 1, [&](int64_t g0, int64_t g1) {
      const int64_t p0 = 4 * g0, p1 = std::min(pn, 4 * g1);
      isa.gemv(K, a.panel(0), mr, b_in.packed->data, p0, p1, row);
      const int64_t j0 = p0 * nr, j1 = std::min(N, p1 * nr);
      for (int64_t j = j0; j < j1; ++j) C[j] = alpha * row[j];
      if (epilogue) ApplyEpilogue(*epilogue, C + j0, ldc, 0, j0, 1, j1 - j0);
    });
    return;
  }

  // Split the panels into tm x tn tasks: enough for every thread (twice over, to even out ragged
  // edges), none below ~0.25 MFLOP, N split first (splitting M repacks B once per M part).
  int64_t tm = 1, tn = std::max<int64_t>(1, (N + bl.nc - 1) / bl.nc);
  const double flops =
      2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const int64_t max_tasks = std::max<int64_t>(1, static_cast<int64_t>(flops / 2.5e5));
  const int64_t want = std::min<int64_t>(pool.threads() > 1 ? 2 * pool.threads() : 1, max_tasks);
  while (tm * tn < want && (tn < pn || tm < pm)) {
    if (tn < pn && (pn / tn >= 4 || tm >= pm))
      ++tn;
    else
      ++tm;
  }
  const int64_t mc_panels = std::max<int64_t>(1, bl.mc / mr);
  const int64_t kc_max = tuning.kc > 0 ? tuning.kc : bl.kc;
  // B packed on the fly would be packed again by every M part: when M is split and B is small
  // (a strided convolution's few output pixels), pack it whole once, in parallel, and share it.
  BSource b = b_in;
  PackedMatrix shared_b;
  if (!b.packed && tm > 1 && K * pn * nr <= (2 << 20)) {
    float* dst = ThreadScratch(ScratchSlot::kGemmSharedB, static_cast<size_t>(K * pn * nr));
    pool.ParallelFor(pn, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) (*b.pack)(0, K, p, p + 1, dst + p * K * nr);
    });
    shared_b = PackedMatrix{dst, N, K, nr};
    b = BSource{&shared_b, nullptr};
  }
  // B packed on the fly goes in chunks of panels that stay in L2 (about 256 KiB) until every A
  // panel has used them: a task's whole range (up to nc columns) was written out to L3 first.
  const int64_t chunk_panels =
      b.packed ? pn : std::max<int64_t>(1, (256 << 10) / (std::min(kc_max, K) * nr * 4));
  // Epilogues without an activation or with Relu are applied by the micro-kernel in registers.
  const bool in_kernel =
      epilogue && isa.register_epilogue &&
      (epilogue->activation.none() || epilogue->activation.kind == ActivationKind::kRelu);

  pool.ParallelFor(tm * tn, 1, [&](int64_t t0, int64_t t1) {
    alignas(64) float edge[16 * 64];  // one partial tile (mr * nr <= 16 * 64)
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t im = t / tn, in = t % tn;
      const int64_t ip0 = im * pm / tm, ip1 = (im + 1) * pm / tm;
      const int64_t jp0 = in * pn / tn, jp1 = (in + 1) * pn / tn;
      float* local = nullptr;
      if (!b.packed)
        local = ThreadScratch(
            ScratchSlot::kGemmTileB,
            static_cast<size_t>(std::min(chunk_panels, jp1 - jp0) * std::min(kc_max, K) * nr));
      for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, K - k0);
        const bool accumulate = keep_c || k0 > 0;
        const GemmEpilogue* ep = k0 + kc == K ? epilogue : nullptr;  // C's last store
        for (int64_t jc0 = jp0; jc0 < jp1; jc0 += chunk_panels) {
          const int64_t jc1 = std::min(jp1, jc0 + chunk_panels);
          if (local) (*b.pack)(k0, kc, jc0, jc1, local);
          for (int64_t ib = ip0; ib < ip1; ib += mc_panels) {
            const int64_t ie = std::min(ip1, ib + mc_panels);
            for (int64_t jp = jc0; jp < jc1; ++jp) {
              const float* bp =
                  local ? local + (jp - jc0) * kc * nr : b.packed->panel(jp) + k0 * nr;
              const int64_t j = jp * nr;
              const int64_t nv = std::min<int64_t>(nr, N - j);
              for (int64_t ip = ib; ip < ie; ++ip) {
                const float* ap = a.panel(ip) + k0 * mr;
                const int64_t i = ip * mr;
                const int64_t mv = std::min<int64_t>(mr, M - i);
                float* c = C + i * ldc + j;
                if (mv == mr && nv == nr) {
                  if (ep && in_kernel) {
                    const TileEpilogue te{ep->row_bias ? ep->row_bias + i : nullptr,
                                          ep->column_bias ? ep->column_bias + j : nullptr,
                                          ep->addend ? ep->addend + i * ep->addend_ld + j : nullptr,
                                          ep->addend_ld,
                                          ep->activation.kind == ActivationKind::kRelu};
                    isa.kernel(kc, ap, bp, c, ldc, alpha, accumulate, &te);
                    continue;
                  }
                  isa.kernel(kc, ap, bp, c, ldc, alpha, accumulate, nullptr);
                } else {
                  isa.kernel(kc, ap, bp, edge, nr, alpha, false, nullptr);
                  for (int64_t r = 0; r < mv; ++r)
                    for (int64_t q = 0; q < nv; ++q)
                      c[r * ldc + q] =
                          accumulate ? c[r * ldc + q] + edge[r * nr + q] : edge[r * nr + q];
                }
                if (ep) ApplyEpilogue(*ep, c, ldc, i, j, mv, nv);
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace

void PackBPanelsFromMatrix(bool trans, const float* B, int64_t ldb, int64_t N, int64_t k0,
                           int64_t kc, int64_t p0, int64_t p1, float* dst) {
  const int nr = Isa().blocking.nr;
  const int64_t rs = trans ? ldb : 1, ks = trans ? 1 : ldb;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j0 = p * nr;
    PackPanels(B + j0 * rs + k0 * ks, rs, ks, std::min<int64_t>(nr, N - j0), kc, nr,
               dst + (p - p0) * kc * nr, nullptr);
  }
}

void GemmPacked(const PackedMatrix& a, const PackedMatrix& b, float alpha, float beta, float* C,
                int64_t ldc, ThreadPool& pool, const GemmEpilogue* epilogue,
                const GemmTuning* tuning) {
  GemmDriver(a, b.extent, BSource{&b, nullptr}, alpha, beta, C, ldc, pool, epilogue,
             tuning ? *tuning : GemmTuning{});
}

void GemmPackedA(const PackedMatrix& a, int64_t N, const PackBPanelsFn& pack_b, float alpha,
                 float beta, float* C, int64_t ldc, ThreadPool& pool, const GemmEpilogue* epilogue,
                 const GemmTuning* tuning) {
  GemmDriver(a, N, BSource{nullptr, &pack_b}, alpha, beta, C, ldc, pool, epilogue,
             tuning ? *tuning : GemmTuning{});
}

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
           ThreadPool& pool, const PackedMatrix* packed_a, const PackedMatrix* packed_b,
           const GemmEpilogue* epilogue, const GemmTuning* tuning) {
  if (M == 0 || N == 0) return;
  const GemmBlocking& bl = Isa().blocking;
  PackedMatrix pa;
  if (packed_a) {
    pa = *packed_a;
  } else {
    // A is packed whole up front (every task reads all of it); only large ones use threads.
    ThreadPool* pack_pool = 2.0 * M * N * K > 1e6 ? &pool : nullptr;
    float* dst = ThreadScratch(ScratchSlot::kGemmA,
                               static_cast<size_t>(PackedMatrix::FloatsFor(M, K, bl.mr)) + 1);
    pa = PackA(trans_a, M, K, A, lda, dst, pack_pool);
  }
  if (packed_b) {
    GemmPacked(pa, *packed_b, alpha, beta, C, ldc, pool, epilogue, tuning);
    return;
  }
  // B is packed block by block inside the tasks that use it.
  const PackBPanelsFn pack = [&](int64_t k0, int64_t kc, int64_t p0, int64_t p1, float* dst) {
    PackBPanelsFromMatrix(trans_b, B, ldb, N, k0, kc, p0, p1, dst);
  };
  GemmPackedA(pa, N, pack, alpha, beta, C, ldc, pool, epilogue, tuning);
}

}  // namespace hetrun::cpu
