// Depthwise convolution (float32, one input channel per group): each output channel m reads only
// input channel m / multiplier. Kept apart from the GEMM-based Conv paths because it is a direct
// loop with its own vectorisation (see depthwise_conv.cpp).
#pragma once

#include <cstdint>

#include "fusion/activation.h"
#include "thread_pool.h"

namespace hetrun::cpu {

// 2-D geometry (1-D convolutions use H = KH = OH = 1): input, output and kernel sizes, strides,
// dilations and the padding before the first row and column.
struct DepthwiseGeometry {
  int64_t H, W, OH, OW, KH, KW, SH, SW, DH, DW, PH, PW;
};

// y[n, m] = act(bias[m] + sum over taps of w[m, kh, kw] * x[n, m / multiplier, ...]) for the
// NCHW tensors x (batch x channels x H x W) and y (batch x channels*multiplier x OH x OW), weights
// (channels*multiplier x KH x KW); bias may be null. Splits channels over the pool's threads.
void DepthwiseConv(const float* x, const float* w, const float* bias, const Activation& act,
                   float* y, int64_t batch, int64_t channels, int64_t multiplier,
                   const DepthwiseGeometry& g, ThreadPool& pool);

}  // namespace hetrun::cpu
