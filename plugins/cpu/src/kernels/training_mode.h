// Kernels for ops run in training mode, which their inference kernels hand over to: Dropout with a
// training_mode input that is not a constant false, BatchNormalization with training_mode=1.
#pragma once

#include <memory>

#include "kernel.h"

namespace hetrun::cpu {

std::unique_ptr<Kernel> MakeTrainingDropout(const KernelBuildContext& ctx);
std::unique_ptr<Kernel> MakeTrainingBatchNorm(const KernelBuildContext& ctx);

}  // namespace hetrun::cpu
