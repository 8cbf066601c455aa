// Generators for spectral analysis (opset 17). HannWindow, HammingWindow and BlackmanWindow are
// generalised cosine windows a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D), with D = size for
// periodic windows and size - 1 for symmetric ones; MelWeightMatrix is a bank of triangular
// filters. All are evaluated in double and cast to output_datatype.
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/half_float.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

struct CosineWindow {
  double a0, a1, a2;
};

class WindowKernel final : public Kernel {
 public:
  WindowKernel(const KernelBuildContext& ctx, CosineWindow w)
      : w_(w),
        periodic_(plugin::AttrInt(ctx.node, "periodic", 1) != 0),
        dtype_(static_cast<hetrun_dtype_t>(
            plugin::AttrInt(ctx.node, "output_datatype", HETRUN_DTYPE_FLOAT32))) {
    if (!InList(NumericTypes{}, dtype_))
      ThrowUnimplemented(std::string(OpName(ctx)) + ": output_datatype " +
                         plugin::DTypeName(dtype_) + " not supported");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{dtype_, {Size(*in[0])}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t n = Size(*in[0]);
    const double denom = static_cast<double>(periodic_ ? n : n - 1);
    DispatchList(NumericTypes{}, dtype_, "Window", [&]<typename T>() {
      T* y = out[0]->as<T>();
      for (int64_t i = 0; i < n; ++i) {
        // A 1-point symmetric window has D = 0; its value is 1 (the limit), as in numpy.
        const double t = denom > 0 ? 2 * std::numbers::pi * static_cast<double>(i) / denom : 0;
        y[i] = static_cast<T>(w_.a0 - w_.a1 * std::cos(t) + w_.a2 * std::cos(2 * t));
      }
    });
  }

 private:
  static int64_t Size(const TensorRef& t) {
    if (t.numel() != 1) ThrowInvalid("Window: size must be a scalar");
    const int64_t n = ReadInts(t, "Window", "size")[0];
    if (n < 0) ThrowInvalid("Window: size must not be negative");
    return n;
  }
  CosineWindow w_;
  bool periodic_;
  hetrun_dtype_t dtype_;
};

// MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz):
// [dft_length / 2 + 1, num_mel_bins] weights. As ONNX's reference defines it: num_mel_bins + 2
// edges equally spaced on the mel scale mel(f) = 2595 log10(1 + f / 700) from lower to upper
// (step (upper - lower) / (num_mel_bins + 2) in mel), each mapped to the spectrogram bin
// floor((dft_length + 1) f / sample_rate); filter i rises linearly from edge i to a peak of 1 at
// edge i + 1 and falls to edge i + 2.
class MelWeightMatrixKernel final : public Kernel {
 public:
  explicit MelWeightMatrixKernel(const KernelBuildContext& ctx)
      : dtype_(static_cast<hetrun_dtype_t>(
            plugin::AttrInt(ctx.node, "output_datatype", HETRUN_DTYPE_FLOAT32))) {
    RequireDType(
        "MelWeightMatrix", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_FLOAT16, HETRUN_DTYPE_BFLOAT16},
        "output_datatype float32, float64, float16, bfloat16");
    for (size_t i = 3; i < 5; ++i)
      RequireDType(
          "MelWeightMatrix", ctx.input(i).dtype,
          {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_FLOAT16, HETRUN_DTYPE_BFLOAT16},
          "edge frequencies float32, float64, float16, bfloat16");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{dtype_, {Int(*in[1], "dft_length") / 2 + 1, Int(*in[0], "num_mel_bins")}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t mels = Int(*in[0], "num_mel_bins"), dft_length = Int(*in[1], "dft_length");
    const int64_t sample_rate = Int(*in[2], "sample_rate"), bins = dft_length / 2 + 1;
    if (mels < 0 || dft_length < 1 || sample_rate < 1)
      ThrowInvalid("MelWeightMatrix: num_mel_bins, dft_length and sample_rate must be positive");
    auto mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
    const double low = mel(Float(*in[3])), high = mel(Float(*in[4]));
    const double step = (high - low) / static_cast<double>(mels + 2);
    std::vector<int64_t> edge(static_cast<size_t>(mels + 2));
    for (int64_t i = 0; i < mels + 2; ++i) {
      const double hz = 700 * (std::pow(10.0, (static_cast<double>(i) * step + low) / 2595) - 1);
      edge[i] = static_cast<int64_t>(
          std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate)));
      // The last edge only bounds the last filter (exclusively); the others index bins.
      if (edge[i] < 0 || edge[i] >= bins + (i == mels + 1 ? 1 : 0))
        ThrowInvalid("MelWeightMatrix: the band edge at " + std::to_string(hz) +
                     " Hz falls outside the " + std::to_string(bins) + " spectrogram bins");
    }
    std::vector<double> w(static_cast<size_t>(bins * mels), 0.0);
    for (int64_t i = 0; i < mels; ++i) {
      const int64_t left = edge[i], center = edge[i + 1], right = edge[i + 2];
      if (center == left) {
        w[center * mels + i] = 1;
      } else {
        for (int64_t j = left; j <= center; ++j)
          w[j * mels + i] = static_cast<double>(j - left) / static_cast<double>(center - left);
      }
      for (int64_t j = center; j < right; ++j)
        w[j * mels + i] = static_cast<double>(right - j) / static_cast<double>(right - center);
    }
    Dispatch<float, double, Half, BFloat16>(dtype_, "MelWeightMatrix", [&]<typename T>() {
      T* y = out[0]->as<T>();
      for (size_t k = 0; k < w.size(); ++k) {
        if constexpr (std::is_same_v<T, Half>)
          y[k] = Half{FloatToHalf(static_cast<float>(w[k]))};
        else if constexpr (std::is_same_v<T, BFloat16>)
          y[k] = BFloat16{FloatToBFloat16(static_cast<float>(w[k]))};
        else
          y[k] = static_cast<T>(w[k]);
      }
    });
  }

 private:
  static int64_t Int(const TensorRef& t, const char* what) {
    if (t.numel() != 1) ThrowInvalid(std::string("MelWeightMatrix: ") + what + " must be a scalar");
    return ReadInts(t, "MelWeightMatrix", what)[0];
  }
  static double Float(const TensorRef& t) {
    if (t.numel() != 1) ThrowInvalid("MelWeightMatrix: edge frequencies must be scalars");
    const uint16_t bits = t.dtype == HETRUN_DTYPE_FLOAT16 || t.dtype == HETRUN_DTYPE_BFLOAT16
                              ? *t.as<const uint16_t>()
                              : 0;
    if (t.dtype == HETRUN_DTYPE_FLOAT16) return HalfToFloat(bits);
    if (t.dtype == HETRUN_DTYPE_BFLOAT16) return BFloat16ToFloat(bits);
    return ScalarAsDouble(t.data, t.dtype);
  }
  hetrun_dtype_t dtype_;
};

std::unique_ptr<Kernel> MakeHann(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{0.5, 0.5, 0});
}
std::unique_ptr<Kernel> MakeHamming(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{25.0 / 46, 21.0 / 46, 0});
}
std::unique_ptr<Kernel> MakeBlackman(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{0.42, 0.5, 0.08});
}
std::unique_ptr<Kernel> MakeMelWeightMatrix(const KernelBuildContext& c) {
  return std::make_unique<MelWeightMatrixKernel>(c);
}

}  // namespace

void RegisterWindowKernels(KernelTable& t) {
  t.Add("HannWindow", MakeHann);
  t.Add("HammingWindow", MakeHamming);
  t.Add("BlackmanWindow", MakeBlackman);
  t.Add("MelWeightMatrix", MakeMelWeightMatrix, nullptr, 5);
}

}  // namespace hetrun::cpu
