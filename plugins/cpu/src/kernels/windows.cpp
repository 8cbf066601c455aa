// Spectral window generators: HannWindow, HammingWindow and BlackmanWindow (opset 17). Each is a
// generalised cosine window a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D), with D = size for
// periodic windows and size - 1 for symmetric ones, evaluated in double and cast to
// output_datatype.
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
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

std::unique_ptr<Kernel> MakeHann(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{0.5, 0.5, 0});
}
std::unique_ptr<Kernel> MakeHamming(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{25.0 / 46, 21.0 / 46, 0});
}
std::unique_ptr<Kernel> MakeBlackman(const KernelBuildContext& c) {
  return std::make_unique<WindowKernel>(c, CosineWindow{0.42, 0.5, 0.08});
}

}  // namespace

void RegisterWindowKernels(KernelTable& t) {
  t.Add("HannWindow", MakeHann);
  t.Add("HammingWindow", MakeHamming);
  t.Add("BlackmanWindow", MakeBlackman);
}

}  // namespace hetrun::cpu
