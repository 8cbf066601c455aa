// Direct convolution for strided, undilated, ungrouped Convs: no im2col matrix. Each tile of 8
// output pixels x 32 output channels accumulates over K = C * KH * KW in 16 AVX-512 registers,
// broadcasting each input value straight from the phase-split input (phase_split.h: zero-padded,
// so every tap of every pixel is in bounds) at a per-tap offset, against the weights packed once
// as 32-channel panels. ONNX Runtime's NCHWc kernels do the same; the im2col path spent a third of
// a stride-2 3x3 convolution's time packing and splitting its input.
#pragma once

#include <cstdint>

#include "fusion/activation.h"
#include "kernels/depthwise_conv.h"
#include "kernels/gemm.h"
#include "kernels/phase_split.h"
#include "thread_pool.h"

namespace hetrun::cpu {

class DirectConv {
 public:
  // Whether this host runs it: the AVX-512 micro-kernel is the only one (the GEMM's 32-wide B
  // panels are its weight layout).
  static bool Available();

  // w: M x K row-major (K = C * KH * KW).
  DirectConv(const float* w, int64_t M, int64_t K);

  // One image: x's phase-split copy `phased` (each channel laid out as `l`, MakeIm2colSource's)
  // to y (M x OH x OW) = act(conv + bias + addend); bias and addend may be null.
  void Run(const float* phased, const PhaseSplitLayout& l, const DepthwiseGeometry& g,
           const float* bias, const float* addend, const Activation& act, float* y,
           ThreadPool& pool) const;

 private:
  int64_t M_, K_;
  OwnedPackedMatrix weights_;  // W^T as B panels: K x 32 output channels each
};

}  // namespace hetrun::cpu
