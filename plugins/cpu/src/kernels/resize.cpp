// Resize (opset 10-19 input layouts; not antialias, axes or keep_aspect_ratio_policy) and Upsample
// (float32, any rank): nearest (every nearest_mode), linear and cubic interpolation with every
// coordinate_transformation_mode of opset 19. The arithmetic follows the ONNX reference
// implementation (interpolate_1d_with_x): each output coordinate of each axis is mapped to a source
// coordinate, which gives a few input taps and weights along that axis; an output element is the
// tensor product of its axes' taps. Axes whose taps reduce to a single weight-1 tap (e.g. N and C)
// cost nothing extra.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfCropAndResize
};
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct Tap {
  int64_t offset;  // input index times the axis' stride
  float weight;
};

// The taps of one output coordinate along one axis; `outside` marks tf_crop_and_resize
// extrapolation (the whole output element then takes extrapolation_value).
struct AxisTaps {
  std::vector<int64_t> begin;  // per output coordinate, index into taps; size out + 1
  std::vector<Tap> taps;
  std::vector<char> outside;
};

class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(const KernelBuildContext& ctx) {
    const std::string op = OpName(ctx) == std::string_view("Upsample") ? "Upsample" : "Resize";
    RequireDType(op, ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    const std::string mode = plugin::AttrString(ctx.node, "mode", "nearest");
    if (mode == "nearest")
      mode_ = Mode::kNearest;
    else if (mode == "linear" || mode == "bilinear" || mode == "trilinear")
      mode_ = Mode::kLinear;
    else if (mode == "cubic")
      mode_ = Mode::kCubic;
    else
      ThrowUnimplemented(op + ": mode " + mode + " not supported");
    // Upsample and opset-10 Resize (two inputs: X, scales) are asymmetric; their nearest is the
    // floor of the source coordinate (Upsample's repeat).
    if (op == "Upsample" || ctx.num_inputs() == 2) {
      scales_input_ = 1;
      attr_scales_ = plugin::AttrFloats(ctx.node, "scales");  // Upsample-7 takes an attribute
      coord_ = Coord::kAsymmetric;
      nearest_ = Nearest::kFloor;
      return;
    }
    roi_input_ = 1;
    scales_input_ = 2;
    sizes_input_ = 3;
    if (plugin::AttrInt(ctx.node, "antialias", 0) != 0)
      ThrowUnimplemented("Resize: antialias not supported");
    if (plugin::AttrString(ctx.node, "keep_aspect_ratio_policy", "stretch") != "stretch")
      ThrowUnimplemented("Resize: keep_aspect_ratio_policy not supported");
    if (!plugin::AttrInts(ctx.node, "axes").empty())
      ThrowUnimplemented("Resize: axes not supported");
    const std::string ct =
        plugin::AttrString(ctx.node, "coordinate_transformation_mode", "half_pixel");
    if (ct == "half_pixel")
      coord_ = Coord::kHalfPixel;
    else if (ct == "half_pixel_symmetric")
      coord_ = Coord::kHalfPixelSymmetric;
    else if (ct == "pytorch_half_pixel")
      coord_ = Coord::kPytorchHalfPixel;
    else if (ct == "align_corners")
      coord_ = Coord::kAlignCorners;
    else if (ct == "asymmetric")
      coord_ = Coord::kAsymmetric;
    else if (ct == "tf_crop_and_resize")
      coord_ = Coord::kTfCropAndResize;
    else
      ThrowUnimplemented("Resize: coordinate_transformation_mode " + ct + " not supported");
    const std::string nm = plugin::AttrString(ctx.node, "nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor")
      nearest_ = Nearest::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil")
      nearest_ = Nearest::kRoundPreferCeil;
    else if (nm == "floor")
      nearest_ = Nearest::kFloor;
    else if (nm == "ceil")
      nearest_ = Nearest::kCeil;
    else
      ThrowUnimplemented("Resize: nearest_mode " + nm + " not supported");
    cubic_a_ = plugin::AttrFloat(ctx.node, "cubic_coeff_a", -0.75f);
    exclude_outside_ = plugin::AttrInt(ctx.node, "exclude_outside", 0) != 0;
    extrapolation_ = plugin::AttrFloat(ctx.node, "extrapolation_value", 0.0f);
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<double> scales;
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, OutputDims(in, &scales)}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    std::vector<double> scales;
    const std::vector<int64_t> od = OutputDims(in, &scales);
    const std::vector<int64_t>& id = in[0]->dims;
    const size_t rank = id.size();
    if (NumElements(od) == 0) return;
    if (NumElements(id) == 0)
      ThrowInvalid("Resize: cannot resize an empty input to a non-empty one");
    std::vector<double> roi;
    if (coord_ == Coord::kTfCropAndResize) {
      if (!Present(in, roi_input_)) ThrowInvalid("Resize: tf_crop_and_resize needs roi");
      roi = ReadFloats(*in[roi_input_]);
      if (roi.size() != 2 * rank)
        ThrowInvalid("Resize: roi has " + std::to_string(roi.size()) + " entries, expected " +
                     std::to_string(2 * rank));
    }
    std::vector<AxisTaps> axes(rank);
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      axes[d] = BuildAxis(id[d], od[d], scales[d], stride, roi.empty() ? 0.0 : roi[d],
                          roi.empty() ? 1.0 : roi[d + rank]);
      stride *= id[d];
    }
    const float* x = in[0]->as<const float>();
    float* y = out[0]->as<float>();
    const int64_t inner = od[rank - 1], rows = NumElements(od) / inner;
    pool.ParallelFor(rows, std::max<int64_t>(1, 4096 / inner), [&](int64_t r0, int64_t r1) {
      std::vector<int64_t> coord(rank, 0);
      for (int64_t r = r0; r < r1; ++r) {
        // Output coordinate of the row's first element.
        int64_t rem = r;
        for (size_t d = rank - 1; d-- > 0;) {
          coord[d] = rem % od[d];
          rem /= od[d];
        }
        for (int64_t j = 0; j < inner; ++j) {
          coord[rank - 1] = j;
          y[r * inner + j] = Interpolate(x, axes, coord, 0, 0);
        }
      }
    });
  }

 private:
  static bool Present(const std::vector<const TensorRef*>& in, size_t i) {
    return i > 0 && i < in.size() && in[i] && in[i]->numel() > 0;
  }

  static std::vector<double> ReadFloats(const TensorRef& t) {
    std::vector<double> v(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
      if (t.dtype == HETRUN_DTYPE_FLOAT32)
        v[i] = t.as<const float>()[i];
      else if (t.dtype == HETRUN_DTYPE_FLOAT64)
        v[i] = t.as<const double>()[i];
      else
        ThrowInvalid("Resize: roi/scales must be float32 or float64");
    }
    return v;
  }

  // Output dims and the per-axis scale factors the coordinate transforms use (as the reference:
  // sizes give scale = out / in; scales give out = floor(in * scale)).
  std::vector<int64_t> OutputDims(const std::vector<const TensorRef*>& in,
                                  std::vector<double>* scales) const {
    const std::vector<int64_t>& id = in[0]->dims;
    const std::string op = scales_input_ == 1 ? "Upsample" : "Resize";
    if (id.empty()) ThrowInvalid(op + ": input must have rank >= 1");
    std::vector<int64_t> od(id.size());
    scales->assign(id.size(), 1.0);
    if (sizes_input_ > 0 && Present(in, sizes_input_)) {
      const std::vector<int64_t> sizes = ReadInts(*in[sizes_input_], op, "sizes");
      if (sizes.size() != id.size()) ThrowInvalid(op + ": sizes must have one entry per axis");
      for (size_t d = 0; d < id.size(); ++d) {
        od[d] = sizes[d];
        (*scales)[d] = id[d] > 0 ? static_cast<double>(sizes[d]) / static_cast<double>(id[d]) : 1;
      }
    } else if (Present(in, scales_input_) || !attr_scales_.empty()) {
      const std::vector<double> s =
          Present(in, scales_input_)
              ? ReadFloats(*in[scales_input_])
              : std::vector<double>(attr_scales_.begin(), attr_scales_.end());
      if (s.size() != id.size()) ThrowInvalid(op + ": scales must have one entry per axis");
      for (size_t d = 0; d < id.size(); ++d) {
        if (!(s[d] > 0)) ThrowInvalid(op + ": scales must be positive");
        (*scales)[d] = s[d];
        od[d] = static_cast<int64_t>(s[d] * static_cast<double>(id[d]));
      }
    } else {
      ThrowInvalid(op + ": one of scales and sizes must be given");
    }
    for (int64_t v : od)
      if (v < 0) ThrowInvalid(op + ": negative output size");
    return od;
  }

  // Interpolation weights for the fractional part `ratio` (the reference's *_coeffs).
  int Coeffs(double ratio, bool integral, double* c) const {
    switch (mode_) {
      case Mode::kNearest: {
        bool upper = true;  // an integral coordinate picks itself, the upper of its two taps
        if (!integral) {
          switch (nearest_) {
            case Nearest::kRoundPreferFloor: upper = ratio > 0.5; break;
            case Nearest::kRoundPreferCeil: upper = ratio >= 0.5; break;
            case Nearest::kFloor: upper = false; break;
            case Nearest::kCeil: upper = true; break;
          }
        }
        c[0] = upper ? 0 : 1;
        c[1] = upper ? 1 : 0;
        return 2;
      }
      case Mode::kLinear:
        c[0] = 1 - ratio;
        c[1] = ratio;
        return 2;
      case Mode::kCubic: {
        const double A = cubic_a_, r1 = ratio + 1, s = 1 - ratio, s1 = s + 1;
        c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
        c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
        c[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
        c[3] = ((A * s1 - 5 * A) * s1 + 8 * A) * s1 - 4 * A;
        return 4;
      }
    }
    return 0;
  }

  AxisTaps BuildAxis(int64_t in, int64_t out, double scale, int64_t stride, double roi_start,
                     double roi_end) const {
    AxisTaps a;
    a.begin.reserve(static_cast<size_t>(out) + 1);
    a.outside.assign(static_cast<size_t>(out), 0);
    // The reference uses scale * in, not the integer output size, as the output width.
    const double in_w = static_cast<double>(in), out_w = scale * in_w;
    for (int64_t o = 0; o < out; ++o) {
      a.begin.push_back(static_cast<int64_t>(a.taps.size()));
      const double xo = static_cast<double>(o);
      double x = 0;
      switch (coord_) {
        case Coord::kHalfPixel: x = (xo + 0.5) / scale - 0.5; break;
        case Coord::kHalfPixelSymmetric: {
          // Centres the rounded-down output on the input (ONNX opset 19).
          const double adjustment = static_cast<double>(out) / out_w;
          x = in_w / 2 * (1 - adjustment) + (xo + 0.5) / scale - 0.5;
          break;
        }
        case Coord::kPytorchHalfPixel: x = out_w == 1 ? -0.5 : (xo + 0.5) / scale - 0.5; break;
        case Coord::kAlignCorners: x = out_w == 1 ? 0.0 : xo * (in_w - 1) / (out_w - 1); break;
        case Coord::kAsymmetric: x = xo / scale; break;
        case Coord::kTfCropAndResize:
          x = out_w == 1 ? (roi_end - roi_start) * (in_w - 1) / 2
                         : xo * (roi_end - roi_start) * (in_w - 1) / (out_w - 1);
          x += roi_start * (in_w - 1);
          if (x < 0 || x > in_w - 1) {
            a.outside[static_cast<size_t>(o)] = 1;
            continue;
          }
          break;
      }
      const double fl = std::floor(x);
      const bool integral = fl == x;
      // The reference takes ratio 1 at integral coordinates, with the taps one step lower.
      const double ratio = integral ? 1.0 : x - fl;
      double c[4];
      const int n = Coeffs(ratio, integral, c);
      // The n nearest indices of the edge-padded axis (pad ceil(n/2)), smaller ones preferred.
      const int64_t pad = (n + 1) / 2;
      int64_t first = static_cast<int64_t>(fl) - n / 2 + 1 - (integral ? 1 : 0);
      first = std::clamp(first, -pad, in + pad - n);
      if (exclude_outside_) {
        double sum = 0;
        for (int k = 0; k < n; ++k) {
          const int64_t idx = first + k;
          if (idx < 0 || idx >= in) c[k] = 0;
          sum += c[k];
        }
        for (int k = 0; k < n; ++k) c[k] = sum != 0 ? c[k] / sum : 0;
      }
      for (int k = 0; k < n; ++k) {
        if (c[k] == 0) continue;
        const int64_t idx = std::clamp<int64_t>(first + k, 0, in - 1);
        a.taps.push_back(Tap{idx * stride, static_cast<float>(c[k])});
      }
    }
    a.begin.push_back(static_cast<int64_t>(a.taps.size()));
    return a;
  }

  // Sum over the taps of axes d.. of the output element at `coord`, starting at input `base`.
  float Interpolate(const float* x, const std::vector<AxisTaps>& axes,
                    const std::vector<int64_t>& coord, size_t d, int64_t base) const {
    const AxisTaps& a = axes[d];
    const size_t o = static_cast<size_t>(coord[d]);
    if (a.outside[o]) return extrapolation_;
    const bool last = d + 1 == axes.size();
    double sum = 0;
    for (int64_t t = a.begin[o]; t < a.begin[o + 1]; ++t) {
      const Tap& tap = a.taps[static_cast<size_t>(t)];
      const float v =
          last ? x[base + tap.offset] : Interpolate(x, axes, coord, d + 1, base + tap.offset);
      sum += static_cast<double>(tap.weight) * v;
    }
    return static_cast<float>(sum);
  }

  Mode mode_ = Mode::kNearest;
  Coord coord_ = Coord::kHalfPixel;
  Nearest nearest_ = Nearest::kRoundPreferFloor;
  float cubic_a_ = -0.75f;
  bool exclude_outside_ = false;
  float extrapolation_ = 0.0f;
  std::vector<float> attr_scales_;
  size_t roi_input_ = 0, scales_input_ = 0, sizes_input_ = 0;  // 0: the layout has no such input
};

std::unique_ptr<Kernel> MakeResize(const KernelBuildContext& ctx) {
  return std::make_unique<ResizeKernel>(ctx);
}

}  // namespace

void RegisterResizeKernels(KernelTable& t) {
  t.Add("Resize", MakeResize);
  t.Add("Upsample", MakeResize);
}

}  // namespace hetrun::cpu
