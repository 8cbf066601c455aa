// The register-tiled inner kernels of the GEMM, one per instruction set. Each computes one full
// mr x nr tile of C from a packed A panel (kc x mr) and a packed B panel (kc x nr):
//   C = alpha * (A * B) + (accumulate ? C : 0).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace hetrun::cpu {

using GemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 float alpha, bool accumulate);

struct GemmIsa {
  GemmBlocking blocking;
  GemmMicroKernel kernel;
};

// Null when this build or CPU lacks the instruction set.
const GemmIsa* GemmIsaAvx512();
const GemmIsa* GemmIsaAvx2();
const GemmIsa& GemmIsaGeneric();

}  // namespace hetrun::cpu
