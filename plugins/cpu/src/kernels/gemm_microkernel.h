// The register-tiled inner kernels of the GEMM, one per instruction set. Each computes one full
// mr x nr tile of C from a packed A panel (kc x mr) and a packed B panel (kc x nr):
//   C = epilogue(alpha * (A * B) + (accumulate ? C : 0)).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace hetrun::cpu {

// The common epilogues (GemmEpilogue with no activation or Relu), applied in registers as the
// last pass stores a full tile, in ApplyEpilogue's order: (C + (column + row bias)) + addend
// (absent terms are not added), then max(0, .), which keeps NaN and -0 as `x < 0 ? 0 : x` does.
struct TileEpilogue {
  const float* row_bias;     // mr values
  const float* column_bias;  // nr values
  const float* addend;       // mr x nr, row stride addend_ld
  int64_t addend_ld;
  bool relu;
};

// `ep` may be null (no epilogue); kernels without a register epilogue have null
// `epilogue_in_kernel` in their GemmIsa and are never passed one.
using GemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 float alpha, bool accumulate, const TileEpilogue* ep);

// One row of A times packed B: c[p * nr + j] = sum over k of a[k * a_stride] * panel_p[k][j] for
// the B panels [p0, p1) (depth K); the GEMM's path for a single row against pre-packed weights.
using GemvFn = void (*)(int64_t K, const float* a, int64_t a_stride, const float* b, int64_t p0,
                        int64_t p1, float* c);

struct GemmIsa {
  GemmBlocking blocking;
  GemmMicroKernel kernel;
  bool register_epilogue;  // the kernel applies a TileEpilogue itself
  GemvFn gemv = nullptr;   // null: a single row goes through `kernel` like any other
};

// Packs 8 full rows of a row-major matrix (row stride rs, contiguous along k) into one panel laid
// out [k][8]; null when this build or CPU has no vector version.
using PackRows8Fn = void (*)(const float* s, int64_t rs, int64_t depth, float* d);
PackRows8Fn PackRows8();

// Null when this build or CPU lacks the instruction set.
const GemmIsa* GemmIsaAvx512();
const GemmIsa* GemmIsaAvx2();
const GemmIsa& GemmIsaGeneric();

}  // namespace hetrun::cpu
