// Ops that only change a tensor's shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout at
// inference) — their output may alias the input, so the executor can skip the copy — and the ops
// that read a shape (Shape, Size).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/packed_values.h"
#include "kernels/registry.h"
#include "kernels/training_mode.h"

namespace hetrun::cpu {
namespace {

// Output 0 is input 0's bytes under new dims.
class ViewKernel : public Kernel {
 public:
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    CopyIfDistinct(*in[0], *out[0]);
  }
  bool AliasesInput(size_t o, size_t i) const override { return o == 0 && i == 0; }
};

void RequireDataType(const KernelBuildContext& ctx) {
  const hetrun_dtype_t t = ctx.input(0).dtype;
  if (t == HETRUN_DTYPE_STRING || plugin::DTypeSize(t) == 0)
    ThrowUnimplemented(std::string(OpName(ctx)) + ": dtype " + plugin::DTypeName(t) +
                       " not supported");
}

class ReshapeKernel final : public ViewKernel {
 public:
  explicit ReshapeKernel(const KernelBuildContext& ctx) {
    RequireDataType(ctx);
    if (ctx.node.opset < 5) {
      attr_shape_ = true;
      shape_ = plugin::AttrInts(ctx.node, "shape");
    } else {
      RequireInput(ctx, 1, "shape");
    }
    allowzero_ = plugin::AttrInt(ctx.node, "allowzero", 0) != 0;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> shape = attr_shape_ ? shape_ : ReadInts(*in[1], "Reshape", "shape");
    const auto& d = in[0]->dims;
    std::vector<int64_t> out(shape.size());
    int64_t known = 1, infer = -1;
    auto fail = [&](const std::string& why) {
      ThrowInvalid("Reshape: cannot reshape " + DimsToString(d) + " to " + DimsToString(shape) +
                   ": " + why);
    };
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t s = shape[i];
      if (s == 0 && !allowzero_) {
        if (i >= d.size()) fail("0 copies a dimension the input does not have");
        s = d[i];
      }
      if (s == -1) {
        if (infer >= 0) fail("more than one -1");
        infer = static_cast<int64_t>(i);
        continue;
      }
      if (s < 0) fail("negative dimension");
      out[i] = s;
      known *= s;
    }
    const int64_t n = NumElements(d);
    if (infer >= 0) {
      if (known == 0 || n % known != 0) fail("the element count does not divide");
      out[static_cast<size_t>(infer)] = n / known;
    } else if (known != n) {
      fail("element counts differ");
    }
    return {OutputSpec{in[0]->dtype, out}};
  }

 private:
  bool attr_shape_ = false, allowzero_ = false;
  std::vector<int64_t> shape_;
};

class FlattenKernel final : public ViewKernel {
 public:
  explicit FlattenKernel(const KernelBuildContext& ctx)
      : axis_(plugin::AttrInt(ctx.node, "axis", 1)) {
    RequireDataType(ctx);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    const int64_t r = static_cast<int64_t>(d.size());
    if (axis_ < -r || axis_ > r)
      ThrowInvalid("Flatten: axis " + std::to_string(axis_) + " out of range for rank " +
                   std::to_string(r));
    const size_t a = static_cast<size_t>(axis_ < 0 ? axis_ + r : axis_);
    return {OutputSpec{in[0]->dtype, {ProductOf(d, 0, a), ProductOf(d, a, d.size())}}};
  }

 private:
  int64_t axis_;
};

// Squeeze and Unsqueeze: axes from the attribute before opset 13, from input 1 after.
class SqueezeKernel final : public ViewKernel {
 public:
  SqueezeKernel(const KernelBuildContext& ctx, bool unsqueeze) : unsqueeze_(unsqueeze) {
    RequireDataType(ctx);
    if (ctx.node.opset < 13) {
      axes_ = plugin::AttrInts(ctx.node, "axes");
      attr_axes_ = true;
    } else if (unsqueeze) {
      RequireInput(ctx, 1, "axes");
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const char* op = unsqueeze_ ? "Unsqueeze" : "Squeeze";
    std::vector<int64_t> axes = axes_;
    if (!attr_axes_ && in.size() > 1 && in[1]) axes = ReadInts(*in[1], op, "axes");
    const auto& d = in[0]->dims;
    if (unsqueeze_) {
      const int64_t r = static_cast<int64_t>(d.size() + axes.size());
      std::vector<bool> inserted(static_cast<size_t>(r), false);
      for (int64_t a : axes) {
        const size_t k = static_cast<size_t>(NormalizeAxis(a, r, op));
        if (inserted[k]) ThrowInvalid("Unsqueeze: axis " + std::to_string(a) + " repeated");
        inserted[k] = true;
      }
      std::vector<int64_t> out;
      size_t src = 0;
      for (int64_t k = 0; k < r; ++k)
        out.push_back(inserted[static_cast<size_t>(k)] ? 1 : d[src++]);
      return {OutputSpec{in[0]->dtype, out}};
    }
    std::vector<bool> drop(d.size(), false);
    if (axes.empty()) {
      for (size_t k = 0; k < d.size(); ++k) drop[k] = d[k] == 1;
    }
    for (int64_t a : axes) {
      const size_t k = static_cast<size_t>(NormalizeAxis(a, static_cast<int64_t>(d.size()), op));
      if (d[k] != 1)
        ThrowInvalid("Squeeze: axis " + std::to_string(a) + " of " + DimsToString(d) + " is not 1");
      drop[k] = true;
    }
    std::vector<int64_t> out;
    for (size_t k = 0; k < d.size(); ++k)
      if (!drop[k]) out.push_back(d[k]);
    return {OutputSpec{in[0]->dtype, out}};
  }

 private:
  bool unsqueeze_, attr_axes_ = false;
  std::vector<int64_t> axes_;
};

class IdentityKernel final : public ViewKernel {
 public:
  explicit IdentityKernel(const KernelBuildContext& ctx) {
    // A packed value (sequence, optional or string tensor) is copied like any bytes.
    if (!IsPackedDType(ctx.input(0).dtype)) RequireDataType(ctx);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
};

// Dropout at inference is the identity; the optional mask is all ones (true). A training_mode input
// (opset >= 12) that is not a constant false goes to the training kernel instead.
bool DropoutMayTrain(const KernelBuildContext& ctx) {
  if (!ctx.has_input(2)) return false;
  const hetrun_value& t = ctx.input(2);
  return !(t.flags & HETRUN_VALUE_CONSTANT) || !t.data || t.data_bytes < 1 ||
         *static_cast<const uint8_t*>(t.data) != 0;
}

class DropoutKernel final : public ViewKernel {
 public:
  explicit DropoutKernel(const KernelBuildContext& ctx) {
    RequireDataType(ctx);
    if (ctx.node.opset < 7 && plugin::AttrInt(ctx.node, "is_test", 0) == 0 && ctx.has_output(1))
      ThrowUnimplemented("Dropout: training mode (is_test=0) not supported");
    mask_dtype_ = ctx.node.opset >= 10 ? HETRUN_DTYPE_BOOL : ctx.input(0).dtype;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}, OutputSpec{mask_dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    ViewKernel::Run(in, out, pool);
    if (out.size() < 2 || !out[1]) return;
    TensorRef& mask = *out[1];
    const int64_t n = mask.numel();
    if (mask_dtype_ == HETRUN_DTYPE_BOOL) {
      std::memset(mask.data, 1, static_cast<size_t>(n));
      return;
    }
    Dispatch<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t,
             uint64_t>(mask_dtype_, "Dropout",
                       [&]<typename T>() { std::fill_n(mask.as<T>(), n, T(1)); });
  }

 private:
  hetrun_dtype_t mask_dtype_;
};

class ShapeKernel final : public Kernel {
 public:
  explicit ShapeKernel(const KernelBuildContext& ctx)
      : start_(plugin::AttrInt(ctx.node, "start", 0)),
        end_(plugin::AttrInt(ctx.node, "end", INT64_MAX)) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto [b, e] = Range(in[0]->dims.size());
    return {OutputSpec{HETRUN_DTYPE_INT64, {e - b}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto [b, e] = Range(in[0]->dims.size());
    std::copy(in[0]->dims.begin() + b, in[0]->dims.begin() + e, out[0]->as<int64_t>());
  }

 private:
  // [start, end) after the opset-15 rules: negative counts from the back, then clamp.
  std::pair<int64_t, int64_t> Range(size_t rank) const {
    const int64_t r = static_cast<int64_t>(rank);
    auto clamp = [r](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t{0}, r); };
    const int64_t b = clamp(start_), e = clamp(end_);
    return {b, std::max(b, e)};
  }
  int64_t start_, end_;
};

class SizeKernel final : public Kernel {
 public:
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>&) override {
    return {OutputSpec{HETRUN_DTYPE_INT64, {}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    *out[0]->as<int64_t>() = in[0]->numel();
  }
};

std::unique_ptr<Kernel> MakeReshape(const KernelBuildContext& c) {
  return std::make_unique<ReshapeKernel>(c);
}
std::unique_ptr<Kernel> MakeFlatten(const KernelBuildContext& c) {
  return std::make_unique<FlattenKernel>(c);
}
std::unique_ptr<Kernel> MakeSqueeze(const KernelBuildContext& c) {
  return std::make_unique<SqueezeKernel>(c, false);
}
std::unique_ptr<Kernel> MakeUnsqueeze(const KernelBuildContext& c) {
  return std::make_unique<SqueezeKernel>(c, true);
}
std::unique_ptr<Kernel> MakeIdentity(const KernelBuildContext& c) {
  return std::make_unique<IdentityKernel>(c);
}
std::unique_ptr<Kernel> MakeDropout(const KernelBuildContext& c) {
  if (DropoutMayTrain(c)) return MakeTrainingDropout(c);
  return std::make_unique<DropoutKernel>(c);
}
std::unique_ptr<Kernel> MakeShape(const KernelBuildContext& c) {
  return std::make_unique<ShapeKernel>(c);
}
std::unique_ptr<Kernel> MakeSize(const KernelBuildContext&) {
  return std::make_unique<SizeKernel>();
}

// Views cost nothing when the executor aliases them; charge the dispatch only.
double ViewCost(const KernelBuildContext&, const CostModel&) {
  return 0.2;
}

}  // namespace

void RegisterShapeKernels(KernelTable& t) {
  t.Add("Reshape", MakeReshape, ViewCost);
  t.Add("Flatten", MakeFlatten, ViewCost);
  t.Add("Squeeze", MakeSqueeze, ViewCost);
  t.Add("Unsqueeze", MakeUnsqueeze, ViewCost);
  t.Add("Identity", MakeIdentity, ViewCost);
  t.Add("Dropout", MakeDropout, ViewCost);
  t.Add("Shape", MakeShape, ViewCost);
  t.Add("Size", MakeSize, ViewCost);
}

}  // namespace hetrun::cpu
