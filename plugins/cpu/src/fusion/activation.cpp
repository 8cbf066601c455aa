// ApplyActivation: the loops of activation_loops.h. The plugin is built for baseline x86-64, so on
// x86 the function is also compiled for AVX2 and AVX-512 and the loader picks the widest the CPU
// has (Gelu's rational erf is compute bound).
#include "fusion/activation.h"

#include "fusion/activation_loops.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HETRUN_WIDEST_VECTORS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HETRUN_WIDEST_VECTORS
#endif

namespace hetrun::cpu {

HETRUN_WIDEST_VECTORS void ApplyActivation(const Activation& act, float* x, int64_t n) {
  ApplyActivationInline(act, x, n);
}

const char* ActivationName(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kNone: return "none";
    case ActivationKind::kRelu: return "Relu";
    case ActivationKind::kLeakyRelu: return "LeakyRelu";
    case ActivationKind::kClip: return "Clip";
    case ActivationKind::kSigmoid: return "Sigmoid";
    case ActivationKind::kHardSigmoid: return "HardSigmoid";
    case ActivationKind::kHardSwish: return "HardSwish";
    case ActivationKind::kTanh: return "Tanh";
    case ActivationKind::kGelu: return "Gelu";
  }
  return "?";
}

}  // namespace hetrun::cpu
