// Single-precision GEMM shared by Gemm, MatMul and Conv: C = alpha * op(A) * op(B) + beta * C,
// row-major, optionally followed by an epilogue (bias, activation) applied to each tile of C as it
// is stored for the last time. Operands are packed into panels the size of a register-tiled
// micro-kernel (AVX-512, AVX2+FMA or portable, chosen once at run time from the CPU's features),
// blocked for the caches and parallelised over tiles of C. Constant operands (weights) can be
// packed once, ahead of time.
#pragma once

#include <cstdint>
#include <functional>

#include "fusion/activation.h"
#include "kernels/aligned_buffer.h"
#include "thread_pool.h"

namespace hetrun::cpu {

// Register tile and cache blocking of the selected micro-kernel.
struct GemmBlocking {
  int mr;      // rows of C per micro-tile (panel width of packed A)
  int nr;      // columns of C per micro-tile (panel width of packed B)
  int64_t kc;  // depth per pass: a packed-B micro-panel (kc x nr) stays in L1
  int64_t mc;  // rows per tile: a packed-A block (mc x kc) stays in L2
  int64_t nc;  // columns per tile
  const char* isa;
};
const GemmBlocking& ActiveGemmBlocking();

// Per-call overrides of the blocking, chosen by compile_tuned (tunables.h); zero keeps the
// micro-kernel's default. It changes speed, not results (up to the order of the additions over K).
struct GemmTuning {
  int64_t kc = 0;  // depth per pass
};

// An operand in panel-major layout: panel p holds `width` consecutive rows of op(A) (or columns of
// op(B)) for the whole depth K, as [k][width], zero-padded past `extent`.
struct PackedMatrix {
  const float* data = nullptr;
  int64_t extent = 0;  // M for A, N for B
  int64_t depth = 0;   // K
  int width = 0;       // mr for A, nr for B
  int64_t panels() const { return (extent + width - 1) / width; }
  const float* panel(int64_t p) const { return data + p * depth * width; }
  static int64_t FloatsFor(int64_t extent, int64_t depth, int width) {
    return (extent + width - 1) / width * depth * width;
  }
};

// Packs op(A) (M x K; A is K x M when trans) into `dst` (PackedMatrix::FloatsFor(M, K, mr)).
PackedMatrix PackA(bool trans, int64_t M, int64_t K, const float* A, int64_t lda, float* dst,
                   ThreadPool* pool);
// Packs op(B) (K x N; B is N x K when trans) into `dst` (PackedMatrix::FloatsFor(N, K, nr)).
PackedMatrix PackB(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb, float* dst,
                   ThreadPool* pool);

// A packed operand that owns its storage, for weights packed at kernel creation.
struct OwnedPackedMatrix {
  AlignedBuffer storage;
  PackedMatrix view;
};
OwnedPackedMatrix PackAOwned(bool trans, int64_t M, int64_t K, const float* A, int64_t lda);
OwnedPackedMatrix PackBOwned(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb);

// What the GEMM applies to C once the product is complete, while each tile is still in cache:
//   C[i][j] = act(alpha * (A * B)[i][j] + beta * C[i][j] + row_bias[i] + column_bias[j]
//                 + addend[i * addend_ld + j]).
// Null biases / addends are zero. Conv's per-channel bias is a row bias; Gemm's / MatMul + Add's a
// column one; a residual Add fused into Conv is the addend (an M x N matrix, never C itself).
struct GemmEpilogue {
  const float* row_bias = nullptr;     // M values
  const float* column_bias = nullptr;  // N values
  Activation activation;
  const float* addend = nullptr;  // M x N, row stride addend_ld
  int64_t addend_ld = 0;

  bool empty() const { return !row_bias && !column_bias && !addend && activation.none(); }
};

// C (M x N, leading dim ldc) = alpha * A * B + beta * C from packed operands, then `epilogue` if
// given. beta == 0 never reads C. Uses `pool` for parallelism (runs inline when called from inside
// a pool task).
void GemmPacked(const PackedMatrix& a, const PackedMatrix& b, float alpha, float beta, float* C,
                int64_t ldc, ThreadPool& pool, const GemmEpilogue* epilogue = nullptr,
                const GemmTuning* tuning = nullptr);

// Packs rows [k0, k0 + kc) of op(B) for the column panels [p0, p1) into `dst`, laid out as
// [panel - p0][k - k0][nr] and zero-padded past N. Called from several threads at once.
using PackBPanelsFn =
    std::function<void(int64_t k0, int64_t kc, int64_t p0, int64_t p1, float* dst)>;

// A PackBPanelsFn body for a row-major op(B) (B is N x K when trans).
void PackBPanelsFromMatrix(bool trans, const float* B, int64_t ldb, int64_t N, int64_t k0,
                           int64_t kc, int64_t p0, int64_t p1, float* dst);

// As GemmPacked, but B (K x N) is packed block by block as the tiles need it, so each block is
// still in cache when the micro-kernel reads it and no full packed copy of B is ever written.
// Conv uses this to fuse im2col into the GEMM.
void GemmPackedA(const PackedMatrix& a, int64_t N, const PackBPanelsFn& pack_b, float alpha,
                 float beta, float* C, int64_t ldc, ThreadPool& pool,
                 const GemmEpilogue* epilogue = nullptr, const GemmTuning* tuning = nullptr);

// The general entry: operands given as row-major matrices (lda/ldb = row strides), or already
// packed (packed_a / packed_b non-null, which then override A / B).
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
           ThreadPool& pool, const PackedMatrix* packed_a = nullptr,
           const PackedMatrix* packed_b = nullptr, const GemmEpilogue* epilogue = nullptr,
           const GemmTuning* tuning = nullptr);

}  // namespace hetrun::cpu
