// DFT and STFT (opset 17). Signals are real ([..., 1]) or complex ([..., 2]: real, imaginary) in
// their last dim; outputs are complex. Both transform one 1-D signal at a time in double through
// FourierTransform.
#include <algorithm>
#include <complex>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/fourier.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

using Complex = std::complex<double>;

// Reads the optional scalar integer input `i` (e.g. dft_length), or returns `fallback`.
int64_t OptionalScalar(const std::vector<const TensorRef*>& in, size_t i, int64_t fallback,
                       std::string_view op, std::string_view what) {
  if (i >= in.size() || !in[i]) return fallback;
  if (in[i]->numel() != 1)
    ThrowInvalid(std::string(op) + ": " + std::string(what) + " must be a scalar");
  return ReadInts(*in[i], op, what)[0];
}

// Input 0's dtype must be float32/float64 and, when its last dim is known, 1 or 2; a complex
// signal cannot have a one-sided transform.
void CheckSignal(const KernelBuildContext& ctx, bool onesided, int64_t min_rank) {
  const std::string op(OpName(ctx));
  RequireDType(op, ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
               "float32, float64");
  const hetrun_value& x = ctx.input(0);
  if (x.rank >= 0 && x.rank < min_rank)
    ThrowUnimplemented(op + ": signal must have rank >= " + std::to_string(min_rank));
  const int64_t last = x.rank > 0 ? x.dims[x.rank - 1] : -1;
  if (last >= 0 && last != 1 && last != 2)
    ThrowUnimplemented(op + ": the signal's last dim must be 1 (real) or 2 (complex), got " +
                       std::to_string(last));
  if (onesided && last == 2)
    ThrowUnimplemented(op + ": onesided=1 is not defined for a complex signal");
}

void CheckSignalDims(std::string_view op, const std::vector<int64_t>& d, size_t min_rank,
                     bool onesided) {
  if (d.size() < min_rank || (d.back() != 1 && d.back() != 2))
    ThrowInvalid(std::string(op) + ": signal of shape " + DimsToString(d) +
                 " must end in 1 (real) or 2 (complex)");
  if (onesided && d.back() == 2)
    ThrowInvalid(std::string(op) + ": onesided=1 is not defined for a complex signal");
}

// Loads `count` complex values spaced `stride` elements apart (times the last dim), zero-filling
// the rest of `buf` up to its size; `window` (may be null) multiplies each sample.
template <typename T>
void LoadSignal(const T* x, int64_t stride, int64_t channels, int64_t count, const T* window,
                std::vector<Complex>& buf) {
  std::fill(buf.begin(), buf.end(), Complex(0));
  count = std::min<int64_t>(count, static_cast<int64_t>(buf.size()));
  for (int64_t j = 0; j < count; ++j) {
    const T* p = x + j * stride * channels;
    const double w = window ? static_cast<double>(window[j]) : 1.0;
    buf[j] = Complex(p[0] * w, channels == 2 ? p[1] * w : 0.0);
  }
}

class DftKernel final : public Kernel {
 public:
  explicit DftKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype),
        axis_(plugin::AttrInt(ctx.node, "axis", 1)),
        inverse_(plugin::AttrInt(ctx.node, "inverse", 0) != 0),
        onesided_(plugin::AttrInt(ctx.node, "onesided", 0) != 0) {
    CheckSignal(ctx, onesided_, 3);
    if (axis_ < 0)
      ThrowUnimplemented("DFT: negative axis not supported in opset 17 (axis counts from 0)");
    if (ctx.input(0).rank >= 0 && axis_ >= ctx.input(0).rank - 1)
      ThrowUnimplemented("DFT: axis " + std::to_string(axis_) + " is not a signal dim");
    if (onesided_ && inverse_)
      ThrowUnimplemented("DFT: onesided=1 with inverse=1 (complex-to-real) not supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<int64_t> d = in[0]->dims;
    CheckSignalDims("DFT", d, 3, onesided_);
    if (axis_ >= static_cast<int64_t>(d.size()) - 1)
      ThrowInvalid("DFT: axis " + std::to_string(axis_) + " out of range for " + DimsToString(d));
    const int64_t n = Length(in);
    d[axis_] = onesided_ ? n / 2 + 1 : n;
    d.back() = 2;
    return {OutputSpec{dtype_, d}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const std::vector<int64_t>& d = in[0]->dims;
    const size_t axis = static_cast<size_t>(axis_);
    const int64_t n = Length(in), n_in = d[axis], channels = d.back();
    const int64_t outer = ProductOf(d, 0, axis), inner = ProductOf(d, axis + 1, d.size() - 1);
    const int64_t n_out = out[0]->dims[axis];
    if (n == 0 || outer * inner == 0) return;
    const FourierTransform fft(n);
    Dispatch<float, double>(dtype_, "DFT", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(outer * inner, std::max<int64_t>(1, 4096 / n), [&](int64_t s, int64_t e) {
        std::vector<Complex> signal(static_cast<size_t>(n)), spectrum(static_cast<size_t>(n));
        for (int64_t t = s; t < e; ++t) {
          const int64_t o = t / inner, i = t % inner;
          LoadSignal(x + (o * n_in * inner + i) * channels, inner, channels, n_in,
                     static_cast<const T*>(nullptr), signal);
          fft.Run(signal.data(), spectrum.data(), inverse_);
          T* yp = y + (o * n_out * inner + i) * 2;
          for (int64_t k = 0; k < n_out; ++k) {
            yp[k * inner * 2] = static_cast<T>(spectrum[k].real());
            yp[k * inner * 2 + 1] = static_cast<T>(spectrum[k].imag());
          }
        }
      });
    });
  }

 private:
  int64_t Length(const std::vector<const TensorRef*>& in) const {
    const int64_t n = OptionalScalar(in, 1, in[0]->dims[axis_], "DFT", "dft_length");
    if (n < 1) ThrowInvalid("DFT: dft_length must be positive, got " + std::to_string(n));
    return n;
  }
  hetrun_dtype_t dtype_;
  int64_t axis_;
  bool inverse_, onesided_;
};

// STFT(signal [batch, length, 1|2], frame_step, window?, frame_length?): frames of frame_length
// samples every frame_step, each multiplied by the window and transformed; output
// [batch, frames, bins, 2] with bins = frame_length / 2 + 1 when onesided.
class StftKernel final : public Kernel {
 public:
  explicit StftKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype), onesided_(plugin::AttrInt(ctx.node, "onesided", 1) != 0) {
    CheckSignal(ctx, onesided_, 3);
    if (ctx.input(0).rank > 3) ThrowUnimplemented("STFT: signal must have rank 3");
    RequireInput(ctx, 1, "frame_step");
    if (!ctx.has_input(2) && !ctx.has_input(3))
      ThrowUnimplemented("STFT: needs a window or a frame_length");
    if (ctx.has_input(2) && ctx.input(2).dtype != dtype_)
      ThrowUnimplemented("STFT: window must have the signal's dtype");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const Geometry g = Measure(in);
    return {OutputSpec{dtype_, {in[0]->dims[0], g.frames, g.bins, 2}}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Geometry g = Measure(in);
    const int64_t batch = in[0]->dims[0], length = in[0]->dims[1], channels = in[0]->dims[2];
    if (batch * g.frames == 0) return;
    const FourierTransform fft(g.frame_length);
    Dispatch<float, double>(dtype_, "STFT", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      const T* window = in.size() > 2 && in[2] ? in[2]->as<const T>() : nullptr;
      T* y = out[0]->as<T>();
      pool.ParallelFor(
          batch * g.frames, std::max<int64_t>(1, 4096 / g.frame_length), [&](int64_t s, int64_t e) {
            std::vector<Complex> frame(static_cast<size_t>(g.frame_length)), spectrum(frame.size());
            for (int64_t t = s; t < e; ++t) {
              const int64_t b = t / g.frames, f = t % g.frames;
              LoadSignal(x + (b * length + f * g.step) * channels, 1, channels, g.frame_length,
                         window, frame);
              fft.Run(frame.data(), spectrum.data(), false);
              T* yp = y + t * g.bins * 2;
              for (int64_t k = 0; k < g.bins; ++k) {
                yp[2 * k] = static_cast<T>(spectrum[k].real());
                yp[2 * k + 1] = static_cast<T>(spectrum[k].imag());
              }
            }
          });
    });
  }

 private:
  struct Geometry {
    int64_t step, frame_length, frames, bins;
  };
  Geometry Measure(const std::vector<const TensorRef*>& in) const {
    CheckSignalDims("STFT", in[0]->dims, 3, onesided_);
    if (in[0]->dims.size() != 3) ThrowInvalid("STFT: signal must have rank 3");
    Geometry g;
    g.step = OptionalScalar(in, 1, 0, "STFT", "frame_step");
    const TensorRef* window = in.size() > 2 ? in[2] : nullptr;
    if (window && window->dims.size() != 1) ThrowInvalid("STFT: window must have rank 1");
    const int64_t window_length = window ? window->dims[0] : -1;
    g.frame_length = OptionalScalar(in, 3, window_length, "STFT", "frame_length");
    if (window && g.frame_length != window_length)
      ThrowInvalid("STFT: frame_length " + std::to_string(g.frame_length) +
                   " differs from the window's length " + std::to_string(window_length));
    const int64_t length = in[0]->dims[1];
    if (g.step < 1 || g.frame_length < 1 || g.frame_length > length)
      ThrowInvalid("STFT: frame_step " + std::to_string(g.step) + " and frame_length " +
                   std::to_string(g.frame_length) + " do not fit a signal of length " +
                   std::to_string(length));
    g.frames = (length - g.frame_length) / g.step + 1;
    g.bins = onesided_ ? g.frame_length / 2 + 1 : g.frame_length;
    return g;
  }
  hetrun_dtype_t dtype_;
  bool onesided_;
};

std::unique_ptr<Kernel> MakeDft(const KernelBuildContext& c) {
  return std::make_unique<DftKernel>(c);
}
std::unique_ptr<Kernel> MakeStft(const KernelBuildContext& c) {
  return std::make_unique<StftKernel>(c);
}

}  // namespace

void RegisterSpectralKernels(KernelTable& t) {
  t.Add("DFT", MakeDft);
  t.Add("STFT", MakeStft, nullptr, 2);
}

}  // namespace hetrun::cpu
