#include "kernels/phase_split.h"

#include <algorithm>
#include <cstring>

#include "kernels/avx2_clone.h"

namespace hetrun::cpu {

PhaseSplitLayout PhaseSplitLayoutFor(const DepthwiseGeometry& g) {
  PhaseSplitLayout l{};
  l.width = g.OW + (g.KW - 1) * g.DW / g.SW;
  l.block_rows = g.OH + (g.KH - 1) * g.DH / g.SH;
  l.block = l.width * l.block_rows;
  l.floats = l.block * g.SH * g.SW;
  return l;
}

namespace {

// Compiled for baseline and AVX-512 (copies only: the same result), picked at run time: the
// stride-2 gather was scalar at baseline width.
[[gnu::always_inline]] inline void FillPhaseSplitBody(const float* xc, const DepthwiseGeometry& g,
                                                      const PhaseSplitLayout& l, float* dst) {
  // Phases r % SH of the rows kh DH some tap reads: all of them, or a prefix when the window is
  // shorter than the stride (a superset when dilated).
  const int64_t row_phases = std::min(g.SH, (g.KH - 1) * g.DH + 1);
  const int64_t col_phases = std::min(g.SW, (g.KW - 1) * g.DW + 1);
  for (int64_t rp = 0; rp < row_phases; ++rp)
    for (int64_t i = 0; i < l.block_rows; ++i) {
      const int64_t ih = i * g.SH + rp - g.PH;
      const bool row_in = ih >= 0 && ih < g.H;
      const float* src = xc + ih * g.W;
      for (int64_t cp = 0; cp < col_phases; ++cp) {
        float* d = dst + (rp * g.SW + cp) * l.block + i * l.width;
        if (!row_in) {
          std::fill(d, d + l.width, 0.0f);
          continue;
        }
        // Block column j holds input column j * SW + cp - PW: in range for lo <= j < hi.
        const int64_t first = cp - g.PW;
        const int64_t lo = std::min(l.width, first >= 0 ? 0 : (-first + g.SW - 1) / g.SW);
        const int64_t hi =
            std::clamp(g.W - first <= 0 ? 0 : (g.W - first + g.SW - 1) / g.SW, lo, l.width);
        std::fill(d, d + lo, 0.0f);
        if (g.SW == 1)
          std::memcpy(d + lo, src + lo + first, static_cast<size_t>(hi - lo) * sizeof(float));
        else if (g.SW == 2)  // a constant stride, which vectorises
          for (int64_t j = lo; j < hi; ++j) d[j] = src[2 * j + first];
        else
          for (int64_t j = lo; j < hi; ++j) d[j] = src[j * g.SW + first];
        std::fill(d + hi, d + l.width, 0.0f);
      }
    }
}

#if HETRUN_CPU_AVX2_CLONES
HETRUN_TARGET_AVX512 void FillPhaseSplitAvx512(const float* xc, const DepthwiseGeometry& g,
                                               const PhaseSplitLayout& l, float* dst) {
  FillPhaseSplitBody(xc, g, l, dst);
}
#endif

}  // namespace

void FillPhaseSplit(const float* xc, const DepthwiseGeometry& g, const PhaseSplitLayout& l,
                    float* dst) {
#if HETRUN_CPU_AVX2_CLONES
  if (UseAvx512Loops()) return FillPhaseSplitAvx512(xc, g, l, dst);
#endif
  FillPhaseSplitBody(xc, g, l, dst);
}

}  // namespace hetrun::cpu
