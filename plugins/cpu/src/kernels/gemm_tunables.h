// The tunables of kernels built on the packed GEMM (gemm.h): its depth blocking (kc) and the
// node's parallelism (tunables.h). Candidates are limited to values that change something for the
// node's shape. (Row blocking mc and the parallel split's axis were tried as well: no measurable
// gain on the bench models' nodes, so they are not offered.)
#pragma once

#include <cstdint>
#include <vector>

#include "kernel.h"
#include "kernels/gemm.h"
#include "kernels/threads_tunable.h"

namespace hetrun::cpu {

// Appends "kc" for a GEMM of M x N x K (one product of the node's kernel; the default is the
// micro-kernel's blocking) when K is deeper than the smallest candidate. Unknown dims (<= 0) list
// nothing.
void AddGemmTunables(int64_t M, int64_t N, int64_t K, std::vector<Tunable>& out);
// What the kernel's GEMM calls take: the values compile_tuned chose, zero for defaults.
GemmTuning GemmTuningFor(const KernelBuildContext& ctx);

}  // namespace hetrun::cpu
