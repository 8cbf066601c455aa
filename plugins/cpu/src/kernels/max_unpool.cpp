// MaxUnpool (float32, any number of spatial dims): the inverse of MaxPool with Indices. The
// output is zero except where MaxPool's flat indices (into its whole input tensor) say each value
// came from.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/spatial.h"

namespace hetrun::cpu {
namespace {

class MaxUnpoolKernel final : public Kernel {
 public:
  explicit MaxUnpoolKernel(const KernelBuildContext& ctx) : attrs_(ReadWindowAttrs(ctx.node)) {
    RequireDType("MaxUnpool", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    RequireDType("MaxUnpool", ctx.input(1).dtype, {HETRUN_DTYPE_INT64}, "int64 indices only");
    if (attrs_.kernel.empty()) ThrowUnimplemented("MaxUnpool: kernel_shape is required");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> def = DefaultDims(in);
    if (in.size() > 2 && in[2]) {
      std::vector<int64_t> shape = ReadInts(*in[2], "MaxUnpool", "output_shape");
      if (shape.size() != def.size() || shape[0] != def[0] || shape[1] != def[1])
        ThrowInvalid("MaxUnpool: output_shape " + DimsToString(shape) + " does not fit X " +
                     DimsToString(in[0]->dims));
      return {OutputSpec{HETRUN_DTYPE_FLOAT32, shape}};
    }
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, def}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& /*pool*/) override {
    const float* x = in[0]->as<const float>();
    const int64_t* idx = in[1]->as<const int64_t>();
    float* y = out[0]->as<float>();
    const std::vector<int64_t> def = DefaultDims(in);
    const std::vector<int64_t>& od = out[0]->dims;
    const int64_t n = in[0]->numel(), total = NumElements(def);
    std::fill(y, y + out[0]->numel(), 0.0f);
    // Indices count in MaxPool's input shape (the default output); a larger or smaller
    // output_shape pads or crops that at the end of each spatial dim, as the ONNX reference does.
    for (int64_t i = 0; i < n; ++i) {
      if (idx[i] < 0 || idx[i] >= total)
        ThrowInvalid("MaxUnpool: index " + std::to_string(idx[i]) + " out of range");
      if (od == def) {
        y[idx[i]] = x[i];
        continue;
      }
      int64_t rem = idx[i], pos = 0, step = 1;
      bool inside = true;
      for (size_t d = def.size(); d-- > 0;) {
        const int64_t c = rem % def[d];
        rem /= def[d];
        inside = inside && c < od[d];
        pos += c * step;
        step *= od[d];
      }
      if (inside) y[pos] = x[i];
    }
  }

 private:
  // MaxPool's input shape: (out - 1) * stride + kernel - pads per spatial dim.
  std::vector<int64_t> DefaultDims(const std::vector<const TensorRef*>& in) const {
    const auto& xd = in[0]->dims;
    const size_t r = attrs_.kernel.size();
    if (xd.size() != r + 2)
      ThrowInvalid("MaxUnpool: input " + DimsToString(xd) + " does not match a " +
                   std::to_string(r) + "-D window");
    if (in[1]->dims != xd) ThrowInvalid("MaxUnpool: I must have X's shape");
    std::vector<int64_t> out{xd[0], xd[1]};
    for (size_t i = 0; i < r; ++i) {
      const int64_t s = attrs_.strides.empty() ? 1 : attrs_.strides[i];
      const int64_t pads = attrs_.pads.empty() ? 0 : attrs_.pads[i] + attrs_.pads[i + r];
      out.push_back((xd[2 + i] - 1) * s + attrs_.kernel[i] - pads);
    }
    return out;
  }

  WindowAttrs attrs_;
};

std::unique_ptr<Kernel> MakeMaxUnpool(const KernelBuildContext& ctx) {
  return std::make_unique<MaxUnpoolKernel>(ctx);
}

}  // namespace

void RegisterMaxUnpoolKernels(KernelTable& t) {
  t.Add("MaxUnpool", MakeMaxUnpool, nullptr, 2);
}

}  // namespace hetrun::cpu
