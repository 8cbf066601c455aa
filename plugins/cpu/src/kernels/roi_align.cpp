// RoiAlign (opset 10 and 16), average mode: each region of interest is split into
// output_height x output_width bins, each bin sampled on a regular grid by bilinear interpolation
// and averaged (Mask R-CNN; the sampling and border rules of ONNX's reference and ONNX Runtime).
// Max mode is declined: the spec's text (interpolate, then pool) and ONNX's reference (the largest
// weighted corner of each sample) disagree (onnx/onnx#4764), so no answer would be the right one.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

// Bilinear sample of one H x W plane at (y, x); zero outside [-1, H] x [-1, W], clamped to the
// plane's edge within that margin.
template <typename T>
double Bilinear(const T* plane, int64_t height, int64_t width, double y, double x) {
  if (y < -1.0 || y > static_cast<double>(height) || x < -1.0 || x > static_cast<double>(width))
    return 0;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1, x1;
  if (y0 >= height - 1) {
    y0 = y1 = height - 1;
    y = static_cast<double>(y0);
  } else {
    y1 = y0 + 1;
  }
  if (x0 >= width - 1) {
    x0 = x1 = width - 1;
    x = static_cast<double>(x0);
  } else {
    x1 = x0 + 1;
  }
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  const double hy = 1 - ly, hx = 1 - lx;
  return hy * hx * plane[y0 * width + x0] + hy * lx * plane[y0 * width + x1] +
         ly * hx * plane[y1 * width + x0] + ly * lx * plane[y1 * width + x1];
}

class RoiAlignKernel final : public Kernel {
 public:
  explicit RoiAlignKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype),
        out_h_(plugin::AttrInt(ctx.node, "output_height", 1)),
        out_w_(plugin::AttrInt(ctx.node, "output_width", 1)),
        sampling_ratio_(plugin::AttrInt(ctx.node, "sampling_ratio", 0)),
        spatial_scale_(plugin::AttrFloat(ctx.node, "spatial_scale", 1.0f)) {
    RequireDType("RoiAlign", dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
    if (ctx.input(1).dtype != dtype_) ThrowUnimplemented("RoiAlign: rois must have X's dtype");
    RequireDType("RoiAlign", ctx.input(2).dtype, {HETRUN_DTYPE_INT64, HETRUN_DTYPE_INT32},
                 "batch_indices int64 (or int32)");
    const std::string mode = plugin::AttrString(ctx.node, "mode", "avg");
    if (mode == "max")
      ThrowUnimplemented(
          "RoiAlign: mode 'max' not supported (the spec and ONNX's reference disagree on it, "
          "onnx/onnx#4764)");
    if (mode != "avg") ThrowUnimplemented("RoiAlign: unknown mode '" + mode + "'");
    // Opset 10 has no attribute and behaves as output_half_pixel; opset 16 defaults to half_pixel.
    const std::string transform =
        plugin::AttrString(ctx.node, "coordinate_transformation_mode",
                           ctx.node.opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (transform != "half_pixel" && transform != "output_half_pixel")
      ThrowUnimplemented("RoiAlign: coordinate_transformation_mode '" + transform +
                         "' not supported (half_pixel, output_half_pixel)");
    half_pixel_ = transform == "half_pixel";
    if (out_h_ < 1 || out_w_ < 1 || sampling_ratio_ < 0)
      ThrowUnimplemented(
          "RoiAlign: output_height, output_width must be positive and "
          "sampling_ratio non-negative");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto &x = in[0]->dims, &rois = in[1]->dims;
    if (x.size() != 4) ThrowInvalid("RoiAlign: X must have rank 4, got " + DimsToString(x));
    if (rois.size() != 2 || rois[1] != 4)
      ThrowInvalid("RoiAlign: rois must be [num_rois, 4], got " + DimsToString(rois));
    if (in[2]->numel() != rois[0])
      ThrowInvalid("RoiAlign: batch_indices must have one entry per roi");
    return {OutputSpec{dtype_, {rois[0], x[1], out_h_, out_w_}}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const int64_t N = d[0], C = d[1], H = d[2], W = d[3], num_rois = in[1]->dims[0];
    const std::vector<int64_t> batch = ReadInts(*in[2], "RoiAlign", "batch_indices");
    for (int64_t b : batch)
      if (b < 0 || b >= N)
        ThrowInvalid("RoiAlign: batch index " + std::to_string(b) + " out of range [0, " +
                     std::to_string(N) + ")");
    const double offset = half_pixel_ ? 0.5 : 0.0;
    Dispatch<float, double>(dtype_, "RoiAlign", [&]<typename T>() {
      const T *x = in[0]->as<const T>(), *rois = in[1]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(num_rois * C, 1, [&](int64_t s, int64_t e) {
        for (int64_t t = s; t < e; ++t) {
          const int64_t r = t / C, c = t % C;
          const T* roi = rois + r * 4;  // x1, y1, x2, y2
          const double x0 = roi[0] * spatial_scale_ - offset, y0 = roi[1] * spatial_scale_ - offset;
          double roi_w = roi[2] * spatial_scale_ - offset - x0;
          double roi_h = roi[3] * spatial_scale_ - offset - y0;
          if (!half_pixel_) {  // the older behaviour forces at least one pixel
            roi_w = std::max(roi_w, 1.0);
            roi_h = std::max(roi_h, 1.0);
          }
          const double bin_h = roi_h / static_cast<double>(out_h_);
          const double bin_w = roi_w / static_cast<double>(out_w_);
          const int64_t grid_h =
              sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(bin_h));
          const int64_t grid_w =
              sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(bin_w));
          const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
          const T* plane = x + (batch[r] * C + c) * H * W;
          T* yp = y + t * out_h_ * out_w_;
          for (int64_t ph = 0; ph < out_h_; ++ph)
            for (int64_t pw = 0; pw < out_w_; ++pw) {
              double sum = 0;
              for (int64_t iy = 0; iy < grid_h; ++iy) {
                const double sy =
                    y0 + static_cast<double>(ph) * bin_h +
                    (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
                for (int64_t ix = 0; ix < grid_w; ++ix) {
                  const double sx =
                      x0 + static_cast<double>(pw) * bin_w +
                      (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
                  sum += Bilinear(plane, H, W, sy, sx);
                }
              }
              yp[ph * out_w_ + pw] = static_cast<T>(sum / count);
            }
        }
      });
    });
  }

 private:
  hetrun_dtype_t dtype_;
  int64_t out_h_, out_w_, sampling_ratio_;
  double spatial_scale_;
  bool half_pixel_ = true;
};

std::unique_ptr<Kernel> MakeRoiAlign(const KernelBuildContext& c) {
  return std::make_unique<RoiAlignKernel>(c);
}

}  // namespace

void RegisterRoiAlignKernels(KernelTable& t) {
  t.Add("RoiAlign", MakeRoiAlign, nullptr, 3);
}

}  // namespace hetrun::cpu
