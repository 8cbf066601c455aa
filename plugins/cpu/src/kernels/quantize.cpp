// Linear (de)quantization: QuantizeLinear, DequantizeLinear (per tensor or per axis) and
// DynamicQuantizeLinear (uint8, scale and zero point from the input's range).
#include "kernels/quantize.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {

QuantParam ReadQuantParam(const TensorRef* t, std::string_view op, std::string_view what) {
  QuantParam p;
  if (!t || t->numel() == 0) {
    p.values = {0.0f};
    return p;
  }
  p.values.resize(static_cast<size_t>(t->numel()));
  for (size_t i = 0; i < p.values.size(); ++i) {
    switch (t->dtype) {
      case HETRUN_DTYPE_FLOAT32: p.values[i] = t->as<const float>()[i]; break;
      case HETRUN_DTYPE_UINT8: p.values[i] = t->as<const uint8_t>()[i]; break;
      case HETRUN_DTYPE_INT8: p.values[i] = t->as<const int8_t>()[i]; break;
      case HETRUN_DTYPE_INT32: p.values[i] = static_cast<float>(t->as<const int32_t>()[i]); break;
      default:
        ThrowInvalid(std::string(op) + ": " + std::string(what) + " has unsupported dtype " +
                     plugin::DTypeName(t->dtype));
    }
  }
  return p;
}

void CheckQuantParamShape(const TensorRef* t, int64_t channels, std::string_view op,
                          std::string_view what) {
  if (!t || t->numel() == 1) return;
  if (t->dims.size() != 1 || t->dims[0] != channels)
    ThrowInvalid(std::string(op) + ": " + std::string(what) + " must be a scalar or have " +
                 std::to_string(channels) + " elements, got " + DimsToString(t->dims));
}

namespace {

// Splits dims as [outer, n, inner] around the quantization axis (per-tensor: n = 1).
struct AxisSplit {
  int64_t n = 1, inner = 1;
};
AxisSplit SplitForParams(const TensorRef& x, const TensorRef* scale, int64_t axis,
                         std::string_view op) {
  AxisSplit s;
  if (scale->numel() == 1 && scale->dims.size() <= 1) return s;
  const size_t a =
      static_cast<size_t>(NormalizeAxis(axis, static_cast<int64_t>(x.dims.size()), op));
  s.n = x.dims[a];
  s.inner = ProductOf(x.dims, a + 1, x.dims.size());
  return s;
}

class QuantizeLinearKernel final : public Kernel {
 public:
  explicit QuantizeLinearKernel(const KernelBuildContext& ctx)
      : axis_(plugin::AttrInt(ctx.node, "axis", 1)) {
    RequireInput(ctx, 1, "y_scale");
    RequireDType("QuantizeLinear", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_INT32},
                 "float32, int32");
    RequireDType("QuantizeLinear", ctx.input(1).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 scale");
    if (plugin::AttrInt(ctx.node, "block_size", 0) != 0)
      ThrowUnimplemented("QuantizeLinear: blocked quantization not supported");
    out_ = ctx.has_input(2) ? ctx.input(2).dtype
                            : static_cast<hetrun_dtype_t>(
                                  plugin::AttrInt(ctx.node, "output_dtype", HETRUN_DTYPE_UINT8));
    if (out_ == HETRUN_DTYPE_UNDEFINED) out_ = HETRUN_DTYPE_UINT8;
    RequireDType("QuantizeLinear", out_, {HETRUN_DTYPE_UINT8, HETRUN_DTYPE_INT8}, "uint8, int8");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const AxisSplit s = SplitForParams(*in[0], in[1], axis_, "QuantizeLinear");
    CheckQuantParamShape(in[1], s.n, "QuantizeLinear", "y_scale");
    CheckQuantParamShape(in.size() > 2 ? in[2] : nullptr, s.n, "QuantizeLinear", "y_zero_point");
    return {OutputSpec{out_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const AxisSplit s = SplitForParams(*in[0], in[1], axis_, "QuantizeLinear");
    const QuantParam scale = ReadQuantParam(in[1], "QuantizeLinear", "y_scale");
    const QuantParam zp = ReadQuantParam(in.size() > 2 ? in[2] : nullptr, "QuantizeLinear", "zp");
    const int64_t n = in[0]->numel();
    Dispatch<uint8_t, int8_t>(out_, "QuantizeLinear", [&]<typename Q>() {
      Q* y = out[0]->as<Q>();
      for (int64_t e = 0; e < n; ++e) {
        const int64_t c = (e / s.inner) % s.n;
        const float x = in[0]->dtype == HETRUN_DTYPE_FLOAT32
                            ? in[0]->as<const float>()[e]
                            : static_cast<float>(in[0]->as<const int32_t>()[e]);
        // Zero point added after rounding, as the spec's saturate(round(x / scale) + zp).
        y[e] = SaturateRound<Q>(std::nearbyint(x / scale.At(c)) + zp.At(c));
      }
    });
  }

 private:
  int64_t axis_;
  hetrun_dtype_t out_;
};

class DequantizeLinearKernel final : public Kernel {
 public:
  explicit DequantizeLinearKernel(const KernelBuildContext& ctx)
      : axis_(plugin::AttrInt(ctx.node, "axis", 1)) {
    RequireInput(ctx, 1, "x_scale");
    RequireDType("DequantizeLinear", ctx.input(0).dtype,
                 {HETRUN_DTYPE_UINT8, HETRUN_DTYPE_INT8, HETRUN_DTYPE_INT32}, "uint8, int8, int32");
    RequireDType("DequantizeLinear", ctx.input(1).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 scale");
    if (plugin::AttrInt(ctx.node, "block_size", 0) != 0)
      ThrowUnimplemented("DequantizeLinear: blocked quantization not supported");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const AxisSplit s = SplitForParams(*in[0], in[1], axis_, "DequantizeLinear");
    CheckQuantParamShape(in[1], s.n, "DequantizeLinear", "x_scale");
    CheckQuantParamShape(in.size() > 2 ? in[2] : nullptr, s.n, "DequantizeLinear", "x_zero_point");
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const AxisSplit s = SplitForParams(*in[0], in[1], axis_, "DequantizeLinear");
    const QuantParam scale = ReadQuantParam(in[1], "DequantizeLinear", "x_scale");
    const QuantParam zp = ReadQuantParam(in.size() > 2 ? in[2] : nullptr, "DequantizeLinear", "zp");
    const int64_t n = in[0]->numel();
    Dispatch<uint8_t, int8_t, int32_t>(in[0]->dtype, "DequantizeLinear", [&]<typename Q>() {
      const Q* x = in[0]->as<const Q>();
      float* y = out[0]->as<float>();
      for (int64_t e = 0; e < n; ++e) {
        const int64_t c = (e / s.inner) % s.n;
        // Subtract in integers (exact), then scale, as (x - zp) * scale.
        y[e] = static_cast<float>(static_cast<int64_t>(x[e]) - static_cast<int64_t>(zp.At(c))) *
               scale.At(c);
      }
    });
  }

 private:
  int64_t axis_;
};

class DynamicQuantizeLinearKernel final : public Kernel {
 public:
  explicit DynamicQuantizeLinearKernel(const KernelBuildContext& ctx) {
    RequireDType("DynamicQuantizeLinear", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{HETRUN_DTYPE_UINT8, in[0]->dims}, OutputSpec{HETRUN_DTYPE_FLOAT32, {}},
            OutputSpec{HETRUN_DTYPE_UINT8, {}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const float* x = in[0]->as<const float>();
    const int64_t n = in[0]->numel();
    // The range always includes 0 so that 0 is exactly representable.
    float lo = 0, hi = 0;
    for (int64_t e = 0; e < n; ++e) lo = std::min(lo, x[e]), hi = std::max(hi, x[e]);
    const float scale = (hi - lo) / 255.0f;
    const uint8_t zp = scale == 0 ? 0 : SaturateRound<uint8_t>(0 - lo / scale);
    if (out[0]) {
      uint8_t* y = out[0]->as<uint8_t>();
      for (int64_t e = 0; e < n; ++e)
        y[e] = scale == 0 ? zp : SaturateRound<uint8_t>(std::nearbyint(x[e] / scale) + zp);
    }
    if (out.size() > 1 && out[1]) *out[1]->as<float>() = scale;
    if (out.size() > 2 && out[2]) *out[2]->as<uint8_t>() = zp;
  }
};

std::unique_ptr<Kernel> MakeQuantizeLinear(const KernelBuildContext& c) {
  return std::make_unique<QuantizeLinearKernel>(c);
}
std::unique_ptr<Kernel> MakeDequantizeLinear(const KernelBuildContext& c) {
  return std::make_unique<DequantizeLinearKernel>(c);
}
std::unique_ptr<Kernel> MakeDynamicQuantizeLinear(const KernelBuildContext& c) {
  return std::make_unique<DynamicQuantizeLinearKernel>(c);
}

}  // namespace

void RegisterQuantizeKernels(KernelTable& t) {
  t.Add("QuantizeLinear", MakeQuantizeLinear, nullptr, 2);
  t.Add("DequantizeLinear", MakeDequantizeLinear, nullptr, 2);
  t.Add("DynamicQuantizeLinear", MakeDynamicQuantizeLinear);
  RegisterQuantizedLinalgKernels(t);
}

}  // namespace hetrun::cpu
