// The broadcasting loop behind every binary elementwise op: out = op(a, b) with numpy broadcasting,
// with flat fast paths for same-shape and scalar operands.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/avx2_clone.h"
#include "kernels/broadcast.h"
#include "kernels/common.h"
#include "thread_pool.h"

namespace hetrun::cpu {

// One inner row: strides are 0 (broadcast) or 1; each case is its own loop so it vectorises.
template <typename TA, typename TB, typename TO, typename Op>
[[gnu::always_inline]] inline void BinaryRowLoops(const TA* a, int64_t sa, const TB* b, int64_t sb,
                                                  TO* o, int64_t n, const Op& op) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i) o[i] = op(a[i], b[i]);
  } else if (sa) {
    const TB bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = op(a[i], bv);
  } else if (sb) {
    const TA av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = op(av, b[i]);
  } else {
    const TO v = op(*a, *b);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  }
}

template <typename TA, typename TB, typename TO, typename Op>
HETRUN_TARGET_AVX2 void BinaryRowAvx2(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* o,
                                      int64_t n, const Op& op) {
  BinaryRowLoops(a, sa, b, sb, o, n, op);
}
template <typename TA, typename TB, typename TO, typename Op>
HETRUN_TARGET_AVX512 void BinaryRowAvx512(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* o,
                                          int64_t n, const Op& op) {
  BinaryRowLoops(a, sa, b, sb, o, n, op);
}

template <typename TA, typename TB, typename TO, typename Op>
inline void BinaryRow(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* o, int64_t n,
                      const Op& op) {
  // float only: the ops the models spend their elementwise time in; other types stay single.
  if constexpr (HETRUN_CPU_AVX2_CLONES && std::is_same_v<TA, float> && std::is_same_v<TB, float>) {
    if (CpuHasAvx512()) return BinaryRowAvx512(a, sa, b, sb, o, n, op);
    if (CpuHasAvx2()) return BinaryRowAvx2(a, sa, b, sb, o, n, op);
  }
  BinaryRowLoops(a, sa, b, sb, o, n, op);
}

// out (dims `od`) = op(a (dims `ad`), b (dims `bd`)); a and b must broadcast to od. `out` may
// alias `a` or `b` when that operand has the output's shape.
template <typename TA, typename TB, typename TO, typename Op>
void BroadcastBinary(const TA* a, const std::vector<int64_t>& ad, const TB* b,
                     const std::vector<int64_t>& bd, TO* out, const std::vector<int64_t>& od,
                     const Op& op, ThreadPool& pool) {
  const int64_t n = NumElements(od), na = NumElements(ad), nb = NumElements(bd);
  if (n == 0) return;
  if ((na == n || na == 1) && (nb == n || nb == 1)) {
    const int64_t sa = na == n ? 1 : 0, sb = nb == n ? 1 : 0;
    pool.ParallelFor(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
      BinaryRow(a + s * sa, sa, b + s * sb, sb, out + s, e - s, op);
    });
    return;
  }
  const BroadcastPlan plan = MakeBroadcastPlan(od, {&ad, &bd});
  const int64_t inner = plan.inner(), sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  ForEachBroadcastRow(plan, pool, [&](const int64_t* offs, int64_t o) {
    BinaryRow(a + offs[0], sa, b + offs[1], sb, out + o, inner, op);
  });
}

}  // namespace hetrun::cpu
