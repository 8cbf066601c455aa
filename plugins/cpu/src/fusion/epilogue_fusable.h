// The interface a kernel implements (next to Kernel) when it can finish its output with an
// epilogue: the work of the nodes fused into it at compile time (fusion_plan.h), done while each
// block of the output is still in cache, so their intermediate tensors never exist.
#pragma once

#include <cstdint>

#include "fusion/activation.h"

namespace hetrun::cpu {

// What the absorbed nodes compute, in order: output += column_bias (one value per element of the
// output's last dim, i.e. an Add of a constant vector), output += residual (an Add of a tensor of
// the output's own shape, e.g. a ResNet shortcut), then the activation.
struct Epilogue {
  const float* column_bias = nullptr;  // a constant's data: valid for the executable's lifetime
  int64_t column_bias_size = 0;
  // The residual is a run-time value: the executable passes it to the leader as one more input,
  // after the leader's own inputs (padded with omitted slots to kResidualInput).
  bool residual = false;
  Activation activation;
};

// The input slot of a fused residual addend (after Conv's X, W and optional B).
constexpr size_t kResidualInput = 3;

class EpilogueFusable {
 public:
  virtual ~EpilogueFusable() = default;
  // Takes `epilogue` for every later Run, or returns false (and changes nothing) when this kernel
  // cannot apply it (e.g. Conv and a column bias). Called once, at compile time.
  virtual bool FuseEpilogue(const Epilogue& epilogue) = 0;
};

}  // namespace hetrun::cpu
