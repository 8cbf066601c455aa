// Winograd convolution for 3x3, stride-1, undilated, ungrouped Conv with constant weights, in two
// tile sizes: F(2x2, 3x3) (4x4 input tiles, 16 GEMMs, 2.25x fewer multiplications than im2col +
// GEMM) and F(4x4, 3x3) (6x6 input tiles, 36 GEMMs, 4x fewer, with larger transforms and a
// rounding error 16-21x F(2x2)'s on ResNet layers, 1e-5 of the outputs' scale: winograd_test).
// The (tile + 2)^2 transformed positions become as many independent GEMMs (tiles x C) * (C x M)
// on the shared packed GEMM, whose A operands the input transform writes directly in panel form.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fusion/activation.h"
#include "kernels/gemm.h"
#include "thread_pool.h"

namespace hetrun::cpu {

class WinogradConv3x3 {
 public:
  // Worth it only with enough channels for the 16 GEMMs to dominate the transforms (whose cost
  // per output does not grow with C) and enough output channels to fill the GEMM's 32-wide tile.
  // Measured single-conv at 56x56, 1 thread, AVX-512 (ms, im2col -> Winograd): C16 M16 .28 -> .41,
  // C16 M32 .42 -> .58, C32 M16 .60 -> .70 (lose); C32 M32 .92 -> .83, C16 M64 .99 -> .85,
  // C64 M64 2.9 -> 2.0 (win).
  static bool Worthwhile(int64_t out_channels, int64_t in_channels) {
    return out_channels >= 32 && in_channels >= 16 && out_channels * in_channels >= 1024;
  }
  // Rows of 2x2 output tiles per block when an image is done block by block, a block per task
  // (its 16 operands and products then stay in L2 from the input transform to the output one), or
  // -1 when the whole image is one block and each step is split across the threads: Run's choice
  // for a C -> M convolution with OH x OW outputs on `threads` threads.
  static int64_t DefaultBlockRows(int64_t C, int64_t M, int64_t OH, int64_t OW, int threads,
                                  int tile = 2);

  // w: M x C x 3 x 3 (row-major); tile: the output tile's side, 2 or 4.
  WinogradConv3x3(const float* w, int64_t M, int64_t C, int tile = 2);
  int tile() const { return tile_; }

  // One image: x is C x H x W, y is M x OH x OW with OH = H + pad_top + pad_bottom - 2 (and W
  // likewise); bias and addend (M x OH x OW, a fused residual; not y) may be null; `activation`
  // is applied after both; `tuning` (may be null) is passed to the GEMMs; `block_rows` (0:
  // DefaultBlockRows) sets the blocking in rows of tiles (see there).
  void Run(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t pad_left, int64_t OH,
           int64_t OW, const float* bias, float* y, ThreadPool& pool,
           const Activation& activation = {}, const float* addend = nullptr,
           const GemmTuning* tuning = nullptr, int64_t block_rows = 0) const;

 private:
  void Transform(const float* w);  // fills u_ from the weights
  int Positions() const { return (tile_ + 2) * (tile_ + 2); }

  int64_t M_, C_;
  int tile_;
  std::vector<OwnedPackedMatrix> u_;  // (tile + 2)^2 B operands: U[xi]^T, C x M
  // --cache-dir: the mapped cache entry u_'s views point into (their own storage is then empty).
  std::shared_ptr<const void> cached_;
};

}  // namespace hetrun::cpu
