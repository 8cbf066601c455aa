// Ops that produce data from attributes or shapes: Constant, ConstantOfShape, Range.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

// A constant held by the kernel (copied from the attribute at creation).
struct HeldTensor {
  hetrun_dtype_t dtype = HETRUN_DTYPE_FLOAT32;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

HeldTensor FromAttrTensor(const hetrun_attribute& a, std::string_view op) {
  const hetrun_value* v = a.tensor;
  if (!v || !v->data || v->rank < 0)
    ThrowUnimplemented(std::string(op) + ": tensor attribute without data");
  if (v->dtype == HETRUN_DTYPE_STRING || plugin::DTypeSize(v->dtype) == 0)
    ThrowUnimplemented(std::string(op) + ": dtype " + plugin::DTypeName(v->dtype) +
                       " not supported");
  HeldTensor t;
  t.dtype = v->dtype;
  t.dims.assign(v->dims, v->dims + v->rank);
  const size_t bytes = static_cast<size_t>(NumElements(t.dims)) * plugin::DTypeSize(v->dtype);
  if (v->data_bytes < bytes)
    ThrowUnimplemented(std::string(op) + ": tensor attribute is truncated");
  const auto* p = static_cast<const uint8_t*>(v->data);
  t.bytes.assign(p, p + bytes);
  return t;
}

template <typename T>
HeldTensor FromValues(hetrun_dtype_t dtype, std::vector<int64_t> dims, const std::vector<T>& v) {
  HeldTensor t{dtype, std::move(dims), std::vector<uint8_t>(v.size() * sizeof(T))};
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

class ConstantKernel final : public Kernel {
 public:
  explicit ConstantKernel(const KernelBuildContext& ctx) {
    const hetrun_node& n = ctx.node;
    if (const hetrun_attribute* a = plugin::FindAttr(n, "value");
        a && a->type == HETRUN_ATTR_TENSOR) {
      value_ = FromAttrTensor(*a, "Constant");
    } else if (const hetrun_attribute* f = plugin::FindAttr(n, "value_float")) {
      value_ = FromValues<float>(HETRUN_DTYPE_FLOAT32, {}, {f->f});
    } else if (plugin::FindAttr(n, "value_floats")) {
      const std::vector<float> v = plugin::AttrFloats(n, "value_floats");
      value_ = FromValues<float>(HETRUN_DTYPE_FLOAT32, {static_cast<int64_t>(v.size())}, v);
    } else if (const hetrun_attribute* i = plugin::FindAttr(n, "value_int")) {
      value_ = FromValues<int64_t>(HETRUN_DTYPE_INT64, {}, {i->i});
    } else if (plugin::FindAttr(n, "value_ints")) {
      const std::vector<int64_t> v = plugin::AttrInts(n, "value_ints");
      value_ = FromValues<int64_t>(HETRUN_DTYPE_INT64, {static_cast<int64_t>(v.size())}, v);
    } else {
      ThrowUnimplemented("Constant: only value, value_float(s) and value_int(s) are supported");
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>&) override {
    return {OutputSpec{value_.dtype, value_.dims}};
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    if (!value_.bytes.empty()) std::memcpy(out[0]->data, value_.bytes.data(), value_.bytes.size());
  }

 private:
  HeldTensor value_;
};

class ConstantOfShapeKernel final : public Kernel {
 public:
  explicit ConstantOfShapeKernel(const KernelBuildContext& ctx) {
    const hetrun_attribute* a = plugin::FindAttr(ctx.node, "value");
    value_ = a && a->type == HETRUN_ATTR_TENSOR
                 ? FromAttrTensor(*a, "ConstantOfShape")
                 : FromValues<float>(HETRUN_DTYPE_FLOAT32, {1}, {0.0f});
    if (NumElements(value_.dims) != 1)
      ThrowUnimplemented("ConstantOfShape: value must have one element");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> shape = ReadInts(*in[0], "ConstantOfShape", "shape");
    for (int64_t d : shape)
      if (d < 0) ThrowInvalid("ConstantOfShape: negative dimension in " + DimsToString(shape));
    return {OutputSpec{value_.dtype, shape}};
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const int64_t n = out[0]->numel();
    DispatchBySize(value_.bytes.size(), "ConstantOfShape", [&]<typename U>() {
      U v;
      std::memcpy(&v, value_.bytes.data(), sizeof(U));
      U* y = out[0]->as<U>();
      pool.ParallelFor(n, kElementwiseGrain,
                       [&](int64_t s, int64_t e) { std::fill(y + s, y + e, v); });
    });
  }

 private:
  HeldTensor value_;
};

class RangeKernel final : public Kernel {
 public:
  explicit RangeKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("Range", dtype_,
                 {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT16,
                  HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
                 "float32, float64, int16, int32, int64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    int64_t n = 0;
    Dispatch<float, double, int16_t, int32_t, int64_t>(dtype_, "Range",
                                                       [&]<typename T>() { n = Count<T>(in); });
    return {OutputSpec{dtype_, {n}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    Dispatch<float, double, int16_t, int32_t, int64_t>(dtype_, "Range", [&]<typename T>() {
      const T start = *in[0]->as<const T>(), delta = *in[2]->as<const T>();
      const int64_t n = out[0]->numel();
      T* y = out[0]->as<T>();
      T v = start;  // accumulated like the ONNX reference and ONNX Runtime
      for (int64_t i = 0; i < n; ++i, v = static_cast<T>(v + delta)) y[i] = v;
    });
  }

 private:
  template <typename T>
  static int64_t Count(const std::vector<const TensorRef*>& in) {
    for (int k = 0; k < 3; ++k)
      if (in[k]->numel() != 1) ThrowInvalid("Range: start, limit and delta must be scalars");
    const T start = *in[0]->as<const T>(), limit = *in[1]->as<const T>(),
            delta = *in[2]->as<const T>();
    if (delta == T(0)) ThrowInvalid("Range: delta must not be 0");
    if constexpr (std::is_integral_v<T>) {
      const int64_t span = static_cast<int64_t>(limit) - static_cast<int64_t>(start), d = delta;
      const int64_t n = span / d + ((span % d != 0) && ((span < 0) == (d < 0)) ? 1 : 0);
      return std::max<int64_t>(0, n);
    } else {
      return std::max<int64_t>(
          0, static_cast<int64_t>(std::ceil((static_cast<double>(limit) - start) / delta)));
    }
  }
  hetrun_dtype_t dtype_;
};

std::unique_ptr<Kernel> MakeConstant(const KernelBuildContext& c) {
  return std::make_unique<ConstantKernel>(c);
}
std::unique_ptr<Kernel> MakeConstantOfShape(const KernelBuildContext& c) {
  return std::make_unique<ConstantOfShapeKernel>(c);
}
std::unique_ptr<Kernel> MakeRange(const KernelBuildContext& c) {
  return std::make_unique<RangeKernel>(c);
}

}  // namespace

void RegisterGeneratorKernels(KernelTable& t) {
  t.Add("Constant", MakeConstant, nullptr, 0);
  t.Add("ConstantOfShape", MakeConstantOfShape);
  t.Add("Range", MakeRange, nullptr, 3);
}

}  // namespace hetrun::cpu
