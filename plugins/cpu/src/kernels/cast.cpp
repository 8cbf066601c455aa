// Cast between the numeric dtypes, bool and float16 (strings: string_cast.h). Float-to-integer
// casts truncate toward zero and saturate at the target's range (NaN gives 0) instead of invoking
// undefined behaviour.
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/half_float.h"
#include "kernels/registry.h"
#include "kernels/string_cast.h"

namespace hetrun::cpu {
namespace {

template <typename T>
constexpr bool kIsHalfLike = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <typename From>
double ToDouble(From v) {
  if constexpr (std::is_same_v<From, Half>)
    return HalfToFloat(v.bits);
  else if constexpr (std::is_same_v<From, BFloat16>)
    return BFloat16ToFloat(v.bits);
  else if constexpr (std::is_same_v<From, Bool>)
    return v.v ? 1.0 : 0.0;
  else
    return static_cast<double>(v);
}

template <typename To, typename From>
To Convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, Bool>) {
    return Bool{static_cast<uint8_t>(ToDouble(v) != 0.0)};
  } else if constexpr (std::is_same_v<To, Half>) {
    if constexpr (std::is_same_v<From, float>)
      return Half{FloatToHalf(v)};
    else
      return Half{FloatToHalf(static_cast<float>(ToDouble(v)))};
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    if constexpr (std::is_same_v<From, float>)
      return BFloat16{FloatToBFloat16(v)};
    else
      return BFloat16{FloatToBFloat16(static_cast<float>(ToDouble(v)))};
  } else if constexpr (std::is_floating_point_v<To>) {
    if constexpr (kIsHalfLike<From> || std::is_same_v<From, Bool>)
      return static_cast<To>(ToDouble(v));
    else
      return static_cast<To>(v);
  } else if constexpr (std::is_floating_point_v<From> || kIsHalfLike<From>) {
    const double d = ToDouble(v);
    if (std::isnan(d)) return To(0);
    if (d <= static_cast<double>(std::numeric_limits<To>::lowest()))
      return std::numeric_limits<To>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else if constexpr (std::is_same_v<From, Bool>) {
    return static_cast<To>(v.v ? 1 : 0);
  } else {
    return static_cast<To>(v);  // integer to integer: wraps, like C and ONNX Runtime
  }
}

#define HETRUN_CAST_TYPES                                                                        \
  float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, Bool, \
      Half, BFloat16

class CastKernel final : public Kernel {
 public:
  explicit CastKernel(const KernelBuildContext& ctx) : from_(ctx.input(0).dtype) {
    if (std::string_view(OpName(ctx)) == "CastLike") {  // the target dtype is input 1's
      RequireInput(ctx, 1, "target_type");
      to_ = ctx.input(1).dtype;
    } else {
      const hetrun_attribute* to = plugin::FindAttr(ctx.node, "to");
      if (!to || to->type != HETRUN_ATTR_INT)
        ThrowUnimplemented("Cast: attribute 'to' is required");
      to_ = static_cast<hetrun_dtype_t>(to->i);
    }
    for (hetrun_dtype_t t : {from_, to_})
      if (!DTypeIn<HETRUN_CAST_TYPES>(t))
        ThrowUnimplemented(std::string("Cast: dtype ") + plugin::DTypeName(t) + " not supported");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{to_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    if (from_ == to_) {
      CopyIfDistinct(*in[0], *out[0]);
      return;
    }
    const int64_t n = in[0]->numel();
    Dispatch<HETRUN_CAST_TYPES>(from_, "Cast", [&]<typename From>() {
      Dispatch<HETRUN_CAST_TYPES>(to_, "Cast", [&]<typename To>() {
        const From* x = in[0]->as<const From>();
        To* y = out[0]->as<To>();
        pool.ParallelFor(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
          for (int64_t i = s; i < e; ++i) y[i] = Convert<To>(x[i]);
        });
      });
    });
  }

 private:
  hetrun_dtype_t from_, to_;
};

std::unique_ptr<Kernel> MakeCast(const KernelBuildContext& c) {
  const hetrun_dtype_t from = c.input(0).dtype;
  hetrun_dtype_t to = HETRUN_DTYPE_UNDEFINED;
  if (std::string_view(OpName(c)) == "CastLike") {
    RequireInput(c, 1, "target_type");
    to = c.input(1).dtype;
  } else {
    to = static_cast<hetrun_dtype_t>(plugin::AttrInt(c.node, "to", HETRUN_DTYPE_UNDEFINED));
  }
  if (from == HETRUN_DTYPE_STRING || to == HETRUN_DTYPE_STRING) return MakeStringCast(c, from, to);
  return std::make_unique<CastKernel>(c);
}

}  // namespace

void RegisterCastKernels(KernelTable& t) {
  t.Add("Cast", MakeCast);
  t.Add("CastLike", MakeCast);
}

}  // namespace hetrun::cpu
