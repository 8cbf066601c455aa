// GridSample (2-D, float32): bilinear/linear, nearest and bicubic/cubic sampling with zeros,
// border and reflection padding, align_corners either way. The arithmetic is PyTorch's
// grid_sampler_2d, which the ONNX tests' expected values come from: bilinear and nearest apply
// the padding mode to the source coordinate, bicubic to each of its 16 taps.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

enum class Interp { kLinear, kNearest, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

class GridSampleKernel final : public Kernel {
 public:
  explicit GridSampleKernel(const KernelBuildContext& ctx) {
    RequireDType("GridSample", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    RequireDType("GridSample", ctx.input(1).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 grid only");
    const std::string mode = plugin::AttrString(ctx.node, "mode", "bilinear");
    if (mode == "bilinear" || mode == "linear")
      interp_ = Interp::kLinear;
    else if (mode == "nearest")
      interp_ = Interp::kNearest;
    else if (mode == "bicubic" || mode == "cubic")
      interp_ = Interp::kCubic;
    else
      ThrowUnimplemented("GridSample: mode " + mode + " not supported");
    const std::string pad = plugin::AttrString(ctx.node, "padding_mode", "zeros");
    if (pad == "zeros")
      padding_ = Padding::kZeros;
    else if (pad == "border")
      padding_ = Padding::kBorder;
    else if (pad == "reflection")
      padding_ = Padding::kReflection;
    else
      ThrowUnimplemented("GridSample: padding_mode " + pad + " not supported");
    align_corners_ = plugin::AttrInt(ctx.node, "align_corners", 0) != 0;
    const int32_t rank = ctx.input(0).rank;
    if (rank >= 0 && rank != 4) ThrowUnimplemented("GridSample: only 2-D (rank-4) input supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto &xd = in[0]->dims, &gd = in[1]->dims;
    if (xd.size() != 4 || gd.size() != 4 || gd[0] != xd[0] || gd[3] != 2)
      ThrowInvalid("GridSample: X " + DimsToString(xd) + " and grid " + DimsToString(gd) +
                   " must be (N, C, H, W) and (N, H_out, W_out, 2)");
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, {xd[0], xd[1], gd[1], gd[2]}}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    InferOutputs(in);
    const auto &xd = in[0]->dims, &gd = in[1]->dims;
    const int64_t N = xd[0], C = xd[1], H = xd[2], W = xd[3], OH = gd[1], OW = gd[2];
    const float* x = in[0]->as<const float>();
    const float* grid = in[1]->as<const float>();
    float* y = out[0]->as<float>();
    const int64_t pixels = OH * OW;
    pool.ParallelFor(N * pixels, std::max<int64_t>(1, 1024 / std::max<int64_t>(1, C)),
                     [&](int64_t p0, int64_t p1) {
                       for (int64_t p = p0; p < p1; ++p) {
                         const int64_t n = p / pixels, pix = p % pixels;
                         const float gx = grid[p * 2], gy = grid[p * 2 + 1];
                         for (int64_t c = 0; c < C; ++c)
                           y[(n * C + c) * pixels + pix] =
                               Sample(x + (n * C + c) * H * W, H, W, gx, gy);
                       }
                     });
  }

 private:
  double Unnormalize(double coord, int64_t size) const {
    return align_corners_ ? (coord + 1) / 2 * static_cast<double>(size - 1)
                          : ((coord + 1) * static_cast<double>(size) - 1) / 2;
  }

  // Reflects `in` into [twice_low / 2, twice_high / 2] (PyTorch's reflect_coordinates).
  static double Reflect(double in, int64_t twice_low, int64_t twice_high) {
    if (twice_low == twice_high) return 0;
    const double lo = static_cast<double>(twice_low) / 2;
    const double span = static_cast<double>(twice_high - twice_low) / 2;
    in = std::fabs(in - lo);
    const double extra = std::fmod(in, span);
    const int64_t flips = static_cast<int64_t>(std::floor(in / span));
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
  }

  // Applies the padding mode to a source coordinate (PyTorch's compute_coordinates).
  double ApplyPadding(double coord, int64_t size) const {
    const double hi = static_cast<double>(size - 1);
    if (padding_ == Padding::kBorder) return std::clamp(coord, 0.0, hi);
    if (padding_ == Padding::kReflection) {
      coord = align_corners_ ? Reflect(coord, 0, 2 * (size - 1)) : Reflect(coord, -1, 2 * size - 1);
      return std::clamp(coord, 0.0, hi);
    }
    return coord;
  }

  static float At(const float* x, int64_t H, int64_t W, int64_t ix, int64_t iy) {
    return ix >= 0 && ix < W && iy >= 0 && iy < H ? x[iy * W + ix] : 0.0f;
  }

  static void CubicCoeffs(double t, double* c) {
    constexpr double A = -0.75;
    auto near = [](double v) { return ((A + 2) * v - (A + 3)) * v * v + 1; };
    auto far = [](double v) { return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A; };
    c[0] = far(t + 1);
    c[1] = near(t);
    c[2] = near(1 - t);
    c[3] = far(2 - t);
  }

  float Sample(const float* x, int64_t H, int64_t W, float gx, float gy) const {
    double ix = Unnormalize(gx, W), iy = Unnormalize(gy, H);
    if (interp_ == Interp::kCubic) {
      const double fx = std::floor(ix), fy = std::floor(iy);
      double cx[4], cy[4];
      CubicCoeffs(ix - fx, cx);
      CubicCoeffs(iy - fy, cy);
      double sum = 0;
      for (int j = 0; j < 4; ++j) {
        const double ty = ApplyPadding(fy - 1 + j, H);
        double row = 0;
        for (int i = 0; i < 4; ++i) {
          const double tx = ApplyPadding(fx - 1 + i, W);
          row += cx[i] * At(x, H, W, static_cast<int64_t>(tx), static_cast<int64_t>(ty));
        }
        sum += cy[j] * row;
      }
      return static_cast<float>(sum);
    }
    ix = ApplyPadding(ix, W);
    iy = ApplyPadding(iy, H);
    if (interp_ == Interp::kNearest)
      return At(x, H, W, static_cast<int64_t>(std::nearbyint(ix)),
                static_cast<int64_t>(std::nearbyint(iy)));
    const double fx = std::floor(ix), fy = std::floor(iy);
    const double tx = ix - fx, ty = iy - fy;
    const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
    return static_cast<float>(
        (1 - tx) * (1 - ty) * At(x, H, W, x0, y0) + tx * (1 - ty) * At(x, H, W, x0 + 1, y0) +
        (1 - tx) * ty * At(x, H, W, x0, y0 + 1) + tx * ty * At(x, H, W, x0 + 1, y0 + 1));
  }

  Interp interp_ = Interp::kLinear;
  Padding padding_ = Padding::kZeros;
  bool align_corners_ = false;
};

std::unique_ptr<Kernel> MakeGridSample(const KernelBuildContext& ctx) {
  return std::make_unique<GridSampleKernel>(ctx);
}

}  // namespace

void RegisterGridSampleKernels(KernelTable& t) {
  t.Add("GridSample", MakeGridSample, nullptr, 2);
}

}  // namespace hetrun::cpu
