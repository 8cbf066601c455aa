#include "kernels/gemm_tunables.h"

#include <algorithm>
#include <initializer_list>

#include "hetrun/plugin.h"

namespace hetrun::cpu {
namespace {

// Adds `value` to t.values unless a value already there has the same effect (`effect` maps a
// value to what the GEMM actually uses, e.g. kc capped at K).
template <typename Effect>
void AddDistinct(Tunable& t, int64_t value, Effect effect) {
  for (int64_t v : t.values)
    if (v == value || effect(v) == effect(value)) return;
  t.values.push_back(value);
}

}  // namespace

void AddGemmTunables(int64_t M, int64_t N, int64_t K, std::vector<Tunable>& out) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  const GemmBlocking& bl = ActiveGemmBlocking();
  // A pass over more than K is one pass over K. Deeper passes than the default paid on products
  // of few rows or columns over a deep K (the late 3x3 Convs of a ResNet: 7x7 outputs, K of
  // 2304-4608, or Winograd's 16 tiles x 512 channels): fewer read-modify-write sweeps over C.
  Tunable kc{"kc", "depth of one GEMM pass (rows of packed B per micro-panel)", {bl.kc}, bl.kc};
  auto kc_effect = [K](int64_t v) { return std::min(v, K); };
  for (int64_t v : {64, 128, 384, 512, 768, 1024, 1536, 2048, 4096}) AddDistinct(kc, v, kc_effect);
  if (kc.values.size() > 1) out.push_back(std::move(kc));
}

GemmTuning GemmTuningFor(const KernelBuildContext& ctx) {
  return GemmTuning{ctx.Tuned("kc", 0)};
}

}  // namespace hetrun::cpu
