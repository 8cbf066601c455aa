#include "kernels/conv_algorithm.h"

#include <algorithm>

#include "kernels/common.h"
#include "kernels/direct_conv.h"
#include "kernels/gemm.h"
#include "kernels/gemm_tunables.h"
#include "kernels/winograd.h"

namespace hetrun::cpu {
namespace {

// 3x3, undilated, ungrouped, stride 1 (auto_pad only changes the pads, which Winograd takes).
bool WinogradApplies(const hetrun_value& w, const WindowAttrs& attrs, int64_t group) {
  auto all_one = [](const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](int64_t e) { return e == 1; });
  };
  return group == 1 && w.rank == 4 && w.dims[2] == 3 && w.dims[3] == 3 && all_one(attrs.strides) &&
         all_one(attrs.dilations);
}

// Strided, undilated, ungrouped, with an AVX-512 host: the direct kernel's domain. A 1x1 kernel
// reads a quarter of a stride-2 input (the GEMM's subsampled copy does as well).
bool DirectApplies(const hetrun_value& w, const WindowAttrs& attrs, int64_t group) {
  auto all_one = [](const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](int64_t e) { return e == 1; });
  };
  return group == 1 && w.rank >= 3 && !all_one(attrs.strides) && all_one(attrs.dilations) &&
         DirectConv::Available();
}

// Output pixels per image and channel when the output's size is static, else 0.
int64_t OutputPixels(const KernelBuildContext& ctx, int64_t M) {
  if (!ctx.has_output(0)) return 0;
  const hetrun_value& y = ctx.output(0);
  if (y.rank < 3 || StaticNumel(y) <= 0) return 0;
  return StaticNumel(y) / (y.dims[0] * M);
}

// The transposed path needs the output's size at compile time and keeps Y^T (P x M floats, at
// most 4 MiB) in scratch.
bool TransposedApplies(const KernelBuildContext& ctx, int64_t M) {
  const int64_t P = OutputPixels(ctx, M);
  return P > 0 && P * M <= (1 << 20);
}

// With few output pixels P (a strided convolution late in a network: 7x7 = 49), Y = W * col
// rounds P up to the GEMM's 32-wide tile (64: 31% wasted) while Y^T = col^T * W^T rounds it up
// to the 8-row one (56). Chosen at compile time when the output's size is static, that saves
// at least a tenth of the multiply-adds, and those (M K per saved pixel) outweigh the final
// transpose (M per pixel) by far: not for 1x1 kernels over few channels, measured slower. The
// weights are then packed only as W^T.
bool TransposedPays(const KernelBuildContext& ctx, int64_t M, int64_t K) {
  if (!TransposedApplies(ctx, M)) return false;
  const int64_t P = OutputPixels(ctx, M);
  const GemmBlocking& bl = ActiveGemmBlocking();
  const int64_t direct = (P + bl.nr - 1) / bl.nr * bl.nr;
  const int64_t transposed = (P + bl.mr - 1) / bl.mr * bl.mr;
  return transposed * 10 <= direct * 9 && (direct - transposed) * K >= 64 * P;
}

// Winograd's blocking (WinogradConv3x3::DefaultBlockRows): the whole image (-1) or blocks of
// 1 to 8 rows of tiles, fewer rows than the image has (one block would leave threads idle).
void AddBlockRowsTunable(const KernelBuildContext& ctx, int64_t M, int64_t C, int threads,
                         std::vector<Tunable>& out) {
  if (!ctx.has_output(0)) return;
  const hetrun_value& y = ctx.output(0);
  if (y.rank != 4 || StaticNumel(y) <= 0) return;
  const int64_t OH = y.dims[2], OW = y.dims[3], th = (OH + 1) / 2;
  Tunable t{"block_rows",
            "Winograd: rows of output tiles per task (L2-sized blocks), -1 the whole image",
            {WinogradConv3x3::DefaultBlockRows(C, M, OH, OW, threads)},
            0};
  t.default_value = t.values.front();
  const auto blocks = [th](int64_t v) { return v < 0 ? int64_t{0} : (th + v - 1) / v; };
  for (int64_t r : {-1, 1, 2, 3, 4, 6, 8}) {
    if (r >= th || blocks(r) == 1) continue;
    bool distinct = true;
    for (int64_t v : t.values) distinct = distinct && blocks(v) != blocks(r);
    if (distinct) t.values.push_back(r);
  }
  if (t.values.size() > 1) out.push_back(std::move(t));
}

}  // namespace

std::vector<ConvAlgorithm> ConvAlgorithms(const KernelBuildContext& ctx, const WindowAttrs& attrs,
                                          int64_t group) {
  const hetrun_value& w = ctx.input(1);
  if (!(w.flags & HETRUN_VALUE_CONSTANT) || !w.data || w.rank < 3 || StaticNumel(w) <= 0 ||
      w.dims[0] % group != 0 || (w.dims[1] == 1 && group > 1))
    return {};
  const int64_t M = w.dims[0], Cg = w.dims[1], K = StaticNumel(w) / M;
  const bool winograd = WinogradApplies(w, attrs, group);
  const bool transposed = group == 1 && TransposedApplies(ctx, M);
  const bool direct = DirectApplies(w, attrs, group);
  std::vector<ConvAlgorithm> out;
  // Strided convolutions went direct once it measured faster on all of resnet_block's (stem,
  // 3x3 and 1x1 of stride 2), at 1 and 2 threads (docs/performance.md).
  if (direct && K > 1)
    out.push_back(ConvAlgorithm::kDirect);
  else if (winograd && WinogradConv3x3::Worthwhile(M, Cg))
    out.push_back(ConvAlgorithm::kWinograd);
  else if (transposed && TransposedPays(ctx, M, K))
    out.push_back(ConvAlgorithm::kTransposedGemm);
  for (ConvAlgorithm a :
       {ConvAlgorithm::kIm2colGemm, ConvAlgorithm::kWinograd, ConvAlgorithm::kTransposedGemm,
        ConvAlgorithm::kWinogradF4, ConvAlgorithm::kDirect}) {
    const bool applies =
        a == ConvAlgorithm::kIm2colGemm || (a == ConvAlgorithm::kTransposedGemm ? transposed
                                            : a == ConvAlgorithm::kDirect       ? direct
                                                                                : winograd);
    if (applies && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
}

std::vector<Tunable> ConvTunables(const KernelBuildContext& ctx, int threads) {
  std::vector<Tunable> out;
  if (ctx.input(0).dtype != HETRUN_DTYPE_FLOAT32) return out;
  const WindowAttrs attrs = ReadWindowAttrs(ctx.node);
  const int64_t group = plugin::AttrInt(ctx.node, "group", 1);
  if (group < 1) return out;
  const std::vector<ConvAlgorithm> algorithms = ConvAlgorithms(ctx, attrs, group);
  if (algorithms.empty()) return out;
  if (algorithms.size() > 1) {
    Tunable t{"algorithm",
              "0 im2col + GEMM, 1 Winograd F(2x2, 3x3), 2 transposed GEMM, 3 Winograd F(4x4, "
              "3x3), 4 direct",
              {},
              0};
    for (ConvAlgorithm a : algorithms) t.values.push_back(static_cast<int64_t>(a));
    t.default_value = t.values.front();
    out.push_back(std::move(t));
  }
  const hetrun_value& w = ctx.input(1);
  const int64_t M = w.dims[0], K = StaticNumel(w) / M, P = OutputPixels(ctx, M);
  switch (algorithms.front()) {
    case ConvAlgorithm::kIm2colGemm: AddGemmTunables(M / group, P, K, out); break;
    case ConvAlgorithm::kTransposedGemm: AddGemmTunables(P, M, K, out); break;
    case ConvAlgorithm::kWinograd:  // 16 GEMMs of (2x2 tiles) x C x M
      AddGemmTunables(P > 0 ? (P + 3) / 4 : 0, M, w.dims[1], out);
      AddBlockRowsTunable(ctx, M, w.dims[1], threads, out);
      break;
    case ConvAlgorithm::kWinogradF4: break;  // never the default
    case ConvAlgorithm::kDirect: break;      // no blocking parameters
  }
  const double images = P > 0 ? static_cast<double>(ctx.output(0).dims[0]) : 0.0;
  AddThreadsTunable(threads, 2.0 * images * static_cast<double>(M * K * P), out);
  return out;
}

}  // namespace hetrun::cpu
