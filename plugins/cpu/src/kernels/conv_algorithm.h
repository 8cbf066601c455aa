// How Conv computes a node with constant weights: im2col + GEMM, Winograd F(2x2, 3x3) or
// F(4x4, 3x3), the transposed GEMM, or the direct kernel. compile() takes the default these
// heuristics pick (never F(4x4, 3x3), whose rounding error is several times F(2x2)'s: only a
// measurement that it pays picks it); compile_tuned may pick any other that applies (Conv's
// "algorithm" tunable), and the node's other tunables follow from the default.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel.h"
#include "kernels/spatial.h"

namespace hetrun::cpu {

// The "algorithm" tunable's values (fixed: they are stored in tuning results).
enum class ConvAlgorithm : int64_t {
  kIm2colGemm = 0,      // Y = W * im2col(X), im2col fused into the GEMM's packing
  kWinograd = 1,        // F(2x2, 3x3): 3x3, stride 1, undilated, ungrouped (winograd.h)
  kTransposedGemm = 2,  // Y^T = im2col(X)^T * W^T, then a transpose (ungrouped, static output)
  kWinogradF4 = 3,      // F(4x4, 3x3), where F(2x2, 3x3) applies
  kDirect = 4,          // direct from the phase-split input: strided, undilated (direct_conv.h)
};

// The algorithms that apply to the node, the default first; none when the weights are not
// constant or the node is depthwise (which have one path each).
std::vector<ConvAlgorithm> ConvAlgorithms(const KernelBuildContext& ctx, const WindowAttrs& attrs,
                                          int64_t group);

// list_tunables for a Conv: "algorithm" (when more than one applies), the default algorithm's GEMM
// depth "kc", Winograd's "block_rows" and, for small nodes, "threads".
std::vector<Tunable> ConvTunables(const KernelBuildContext& ctx, int threads);

}  // namespace hetrun::cpu
