// Unary elementwise ops and activations: out[i] = f(in[i]). Float32 loops use the LLVM JIT when it
// offers the op (attribute-free ops only); everything else is a portable loop the compiler
// vectorises.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "jit/elementwise_jit.h"
#include "kernels/avx2_clone.h"
#include "kernels/common.h"
#include "kernels/erf_float.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

// Each op: the element types it supports, whether the JIT may implement it (no attributes), and
// the scalar function. Formulas follow ONNX Runtime's so results match it closely.
struct Relu {
  using Types = SignedTypes;
  static constexpr bool kJit = true;
  explicit Relu(const hetrun_node&) {}
  template <typename T>
  T operator()(T x) const {
    return x < T(0) ? T(0) : x;
  }
};
struct Neg {
  using Types = SignedTypes;
  static constexpr bool kJit = true;
  explicit Neg(const hetrun_node&) {}
  template <typename T>
  T operator()(T x) const {
    return static_cast<T>(-x);
  }
};
struct Abs {
  using Types = NumericTypes;
  static constexpr bool kJit = true;
  explicit Abs(const hetrun_node&) {}
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>)
      return x;
    else
      return x < T(0) ? static_cast<T>(-x) : x;
  }
};
struct Sign {
  using Types = NumericTypes;
  static constexpr bool kJit = false;
  explicit Sign(const hetrun_node&) {}
  template <typename T>
  T operator()(T x) const {
    return static_cast<T>((T(0) < x) - (x < T(0)));
  }
};

#define HETRUN_FLOAT_UNARY(Name, jit, expr) \
  struct Name {                             \
    using Types = FloatTypes;               \
    static constexpr bool kJit = jit;       \
    explicit Name(const hetrun_node&) {}    \
    template <typename T>                   \
    T operator()(T x) const {               \
      return expr;                          \
    }                                       \
  };
HETRUN_FLOAT_UNARY(Sqrt, true, std::sqrt(x))
HETRUN_FLOAT_UNARY(Exp, true, std::exp(x))
HETRUN_FLOAT_UNARY(Log, true, std::log(x))
HETRUN_FLOAT_UNARY(Tanh, true, std::tanh(x))
HETRUN_FLOAT_UNARY(Sigmoid, true, T(1) / (T(1) + std::exp(-x)))
HETRUN_FLOAT_UNARY(Floor, true, std::floor(x))
HETRUN_FLOAT_UNARY(Ceil, true, std::ceil(x))
HETRUN_FLOAT_UNARY(Round, false, std::nearbyint(x))  // half to even, like numpy/ONNX
HETRUN_FLOAT_UNARY(Reciprocal, true, T(1) / x)
HETRUN_FLOAT_UNARY(Sin, false, std::sin(x))
HETRUN_FLOAT_UNARY(Cos, false, std::cos(x))
HETRUN_FLOAT_UNARY(Tan, false, std::tan(x))
HETRUN_FLOAT_UNARY(Asin, false, std::asin(x))
HETRUN_FLOAT_UNARY(Acos, false, std::acos(x))
HETRUN_FLOAT_UNARY(Atan, false, std::atan(x))
HETRUN_FLOAT_UNARY(Sinh, false, std::sinh(x))
HETRUN_FLOAT_UNARY(Cosh, false, std::cosh(x))
HETRUN_FLOAT_UNARY(Asinh, false, std::asinh(x))
HETRUN_FLOAT_UNARY(Acosh, false, std::acosh(x))
HETRUN_FLOAT_UNARY(Atanh, false, std::atanh(x))
HETRUN_FLOAT_UNARY(Softsign, false, x / (T(1) + std::abs(x)))
HETRUN_FLOAT_UNARY(Softplus, false,
                   x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))
HETRUN_FLOAT_UNARY(HardSwish, false, x* std::max(T(0), std::min(T(1), x* T(1.0 / 6.0) + T(0.5))))
#undef HETRUN_FLOAT_UNARY

// float32 through ErfFloatRow (many lanes at a time) rather than the JIT (which calls libm's erff
// per element); float64 keeps std::erf.
struct Erf {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  explicit Erf(const hetrun_node&) {}
  float operator()(float x) const { return ErfFloat(x); }
  double operator()(double x) const { return std::erf(x); }
  static void FloatRow(const float* x, float* y, int64_t n) { ErfFloatRow(x, y, n); }
};

struct HardSigmoid {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha, beta;
  explicit HardSigmoid(const hetrun_node& n)
      : alpha(plugin::AttrFloat(n, "alpha", 0.2f)), beta(plugin::AttrFloat(n, "beta", 0.5f)) {}
  template <typename T>
  T operator()(T x) const {
    return std::max(T(0), std::min(T(1), T(alpha) * x + T(beta)));
  }
};
struct LeakyRelu {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha;
  explicit LeakyRelu(const hetrun_node& n) : alpha(plugin::AttrFloat(n, "alpha", 0.01f)) {}
  template <typename T>
  T operator()(T x) const {
    return x >= T(0) ? x : T(alpha) * x;
  }
};
struct Elu {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha;
  explicit Elu(const hetrun_node& n) : alpha(plugin::AttrFloat(n, "alpha", 1.0f)) {}
  template <typename T>
  T operator()(T x) const {
    return x >= T(0) ? x : T(alpha) * (std::exp(x) - T(1));
  }
};
struct Selu {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha, gamma;
  explicit Selu(const hetrun_node& n)
      : alpha(plugin::AttrFloat(n, "alpha", 1.67326319217681884765625f)),
        gamma(plugin::AttrFloat(n, "gamma", 1.05070102214813232421875f)) {}
  template <typename T>
  T operator()(T x) const {
    return x > T(0) ? T(gamma) * x : T(gamma) * (T(alpha) * std::exp(x) - T(alpha));
  }
};
struct Celu {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha;
  explicit Celu(const hetrun_node& n) : alpha(plugin::AttrFloat(n, "alpha", 1.0f)) {}
  template <typename T>
  T operator()(T x) const {
    return std::max(T(0), x) + std::min(T(0), T(alpha) * (std::exp(x / T(alpha)) - T(1)));
  }
};
struct ThresholdedRelu {
  using Types = FloatTypes;
  static constexpr bool kJit = false;
  float alpha;
  explicit ThresholdedRelu(const hetrun_node& n) : alpha(plugin::AttrFloat(n, "alpha", 1.0f)) {}
  template <typename T>
  T operator()(T x) const {
    return x > T(alpha) ? x : T(0);
  }
};
struct Shrink {
  using Types = NumericTypes;
  static constexpr bool kJit = false;
  float lambd, bias;
  explicit Shrink(const hetrun_node& n)
      : lambd(plugin::AttrFloat(n, "lambd", 0.5f)), bias(plugin::AttrFloat(n, "bias", 0.0f)) {}
  template <typename T>
  T operator()(T x) const {
    const double v = static_cast<double>(x);
    if (v < -lambd) return static_cast<T>(v + bias);
    if (v > lambd) return static_cast<T>(v - bias);
    return T(0);
  }
};
struct Not {
  using Types = TypeList<uint8_t>;  // bool, stored as bytes
  static constexpr bool kJit = false;
  explicit Not(const hetrun_node&) {}
  template <typename T>
  T operator()(T x) const {
    return static_cast<T>(x == 0);
  }
};

template <typename T, typename Op>
[[gnu::always_inline]] inline void UnaryRange(const T* in, T* out, int64_t n, const Op& op) {
  for (int64_t i = 0; i < n; ++i) out[i] = op(in[i]);
}
template <typename T, typename Op>
HETRUN_TARGET_AVX2 void UnaryRangeAvx2(const T* in, T* out, int64_t n, const Op& op) {
  UnaryRange(in, out, n, op);
}

template <typename T, typename Op>
void UnaryLoop(const T* in, T* out, int64_t n, const Op& op, ThreadPool& pool) {
  // An op with its own vectorised float row.
  if constexpr (std::is_same_v<T, float> && requires { Op::FloatRow(in, out, n); }) {
    pool.ParallelFor(n, kElementwiseGrain,
                     [&](int64_t b, int64_t e) { Op::FloatRow(in + b, out + b, e - b); });
    return;
  }
  const bool avx2 = std::is_same_v<T, float> && CpuHasAvx2();
  pool.ParallelFor(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    if (avx2)
      UnaryRangeAvx2(in + b, out + b, e - b, op);
    else
      UnaryRange(in + b, out + b, e - b, op);
  });
}

template <typename Op>
class UnaryKernel final : public Kernel {
 public:
  UnaryKernel(const KernelBuildContext& ctx, hetrun_dtype_t dtype)
      : op_(ctx.node), name_(ctx.node.op_type), dtype_(dtype) {
    if constexpr (Op::kJit) {
      if (dtype == HETRUN_DTYPE_FLOAT32) jit_ = ElementwiseJit::Get().Unary(name_);
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const int64_t n = in[0]->numel();
    if (jit_) {
      const float* x = in[0]->as<float>();
      float* y = out[0]->as<float>();
      JitUnaryFn fn = jit_;
      pool.ParallelFor(n, kElementwiseGrain,
                       [&](int64_t b, int64_t e) { fn(x + b, y + b, e - b); });
      return;
    }
    const hetrun_dtype_t dt = dtype_ == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : dtype_;
    DispatchList(typename Op::Types{}, dt, name_, [&]<typename T>() {
      UnaryLoop(in[0]->as<const T>(), out[0]->as<T>(), n, op_, pool);
    });
  }
  // Each element is read before it is written, so the output may reuse the input's memory.
  bool AliasesInput(size_t, size_t i) const override { return i == 0; }

 private:
  Op op_;
  std::string name_;
  hetrun_dtype_t dtype_;
  JitUnaryFn jit_ = nullptr;
};

const char* TypesText(FloatTypes) {
  return "float32, float64";
}
const char* TypesText(SignedTypes) {
  return "float32, float64, signed integers";
}
const char* TypesText(NumericTypes) {
  return "float32, float64, integers";
}
const char* TypesText(TypeList<uint8_t>) {
  return "bool only";
}

template <typename Op>
std::unique_ptr<Kernel> MakeUnary(const KernelBuildContext& ctx) {
  hetrun_dtype_t dt = ctx.input(0).dtype;
  const hetrun_dtype_t check = dt == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : dt;
  const bool is_not = std::is_same_v<typename Op::Types, TypeList<uint8_t>>;
  if (!InList(typename Op::Types{}, check) || (is_not != (dt == HETRUN_DTYPE_BOOL)))
    ThrowUnimplemented(std::string(OpName(ctx)) + ": dtype " + plugin::DTypeName(dt) +
                       " not supported (" + TypesText(typename Op::Types{}) + ")");
  return std::make_unique<UnaryKernel<Op>>(ctx, dt);
}

//===-- IsNaN / IsInf: float in, bool out
//------------------------------------------------------===//

class FloatClassKernel final : public Kernel {
 public:
  explicit FloatClassKernel(const KernelBuildContext& ctx)
      : nan_(std::string_view(OpName(ctx)) == "IsNaN"), dtype_(ctx.input(0).dtype) {
    RequireDType(OpName(ctx), dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64},
                 "float32, float64");
    detect_negative_ = plugin::AttrInt(ctx.node, "detect_negative", 1) != 0;
    detect_positive_ = plugin::AttrInt(ctx.node, "detect_positive", 1) != 0;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{HETRUN_DTYPE_BOOL, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    Dispatch<float, double>(dtype_, "IsNaN/IsInf", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      uint8_t* y = out[0]->as<uint8_t>();
      pool.ParallelFor(in[0]->numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const T v = x[i];
          y[i] =
              nan_ ? std::isnan(v)
                   : std::isinf(v) && ((v > 0 && detect_positive_) || (v < 0 && detect_negative_));
        }
      });
    });
  }

 private:
  bool nan_;
  hetrun_dtype_t dtype_;
  bool detect_negative_ = true, detect_positive_ = true;
};

std::unique_ptr<Kernel> MakeFloatClass(const KernelBuildContext& ctx) {
  return std::make_unique<FloatClassKernel>(ctx);
}

//===-- Clip: min/max from attributes (opset < 11) or optional scalar inputs
//--------------------===//

template <typename T>
struct ClipOp {
  T lo, hi;
  T operator()(T x) const {
    const T v = x < lo ? lo : x;
    return v > hi ? hi : v;
  }
};

class ClipKernel final : public Kernel {
 public:
  explicit ClipKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType("Clip", dtype_,
                 {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT8, HETRUN_DTYPE_UINT8,
                  HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
                 "float32, float64, int8, uint8, int32, int64");
    if (ctx.node.opset < 11) {
      attr_form_ = true;
      attr_min_ = plugin::AttrFloat(ctx.node, "min", std::numeric_limits<float>::lowest());
      attr_max_ = plugin::AttrFloat(ctx.node, "max", std::numeric_limits<float>::max());
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    for (size_t i = 1; i < in.size() && i < 3; ++i)
      if (in[i] && in[i]->numel() != 1)
        ThrowInvalid("Clip: min/max must be scalars, got shape " + DimsToString(in[i]->dims));
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    Dispatch<float, double, int8_t, uint8_t, int32_t, int64_t>(dtype_, "Clip", [&]<typename T>() {
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (attr_form_) {
        lo = static_cast<T>(attr_min_);
        hi = static_cast<T>(attr_max_);
      } else {
        if (in.size() > 1 && in[1]) lo = *in[1]->as<const T>();
        if (in.size() > 2 && in[2]) hi = *in[2]->as<const T>();
      }
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      // Same order as ONNX Runtime: max with min first, then min with max.
      const ClipOp<T> op{lo, hi};
      const bool avx2 = std::is_same_v<T, float> && CpuHasAvx2();
      pool.ParallelFor(in[0]->numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        if (avx2)
          UnaryRangeAvx2(x + b, y + b, e - b, op);
        else
          UnaryRange(x + b, y + b, e - b, op);
      });
    });
  }

 private:
  hetrun_dtype_t dtype_;
  bool attr_form_ = false;
  float attr_min_ = 0, attr_max_ = 0;
};

std::unique_ptr<Kernel> MakeClip(const KernelBuildContext& ctx) {
  return std::make_unique<ClipKernel>(ctx);
}

// Transcendental ops cost a few times a plain memory pass.
double TranscendentalCost(const KernelBuildContext& ctx, const CostModel& model) {
  const double n = StaticBytes(ctx.output(0)) / 4;
  return MemoryBoundCostUs(ctx, model) + n * 20 / (model.peak_gflops * 1e3);
}

}  // namespace

void RegisterUnaryKernels(KernelTable& t) {
  t.Add("Relu", MakeUnary<Relu>);
  t.Add("Neg", MakeUnary<Neg>);
  t.Add("Abs", MakeUnary<Abs>);
  t.Add("Sign", MakeUnary<Sign>);
  t.Add("Sqrt", MakeUnary<Sqrt>);
  t.Add("Exp", MakeUnary<Exp>, TranscendentalCost);
  t.Add("Log", MakeUnary<Log>, TranscendentalCost);
  t.Add("Tanh", MakeUnary<Tanh>, TranscendentalCost);
  t.Add("Sigmoid", MakeUnary<Sigmoid>, TranscendentalCost);
  t.Add("Erf", MakeUnary<Erf>, TranscendentalCost);
  t.Add("Floor", MakeUnary<Floor>);
  t.Add("Ceil", MakeUnary<Ceil>);
  t.Add("Round", MakeUnary<Round>);
  t.Add("Reciprocal", MakeUnary<Reciprocal>);
  t.Add("Sin", MakeUnary<Sin>, TranscendentalCost);
  t.Add("Cos", MakeUnary<Cos>, TranscendentalCost);
  t.Add("Tan", MakeUnary<Tan>, TranscendentalCost);
  t.Add("Asin", MakeUnary<Asin>, TranscendentalCost);
  t.Add("Acos", MakeUnary<Acos>, TranscendentalCost);
  t.Add("Atan", MakeUnary<Atan>, TranscendentalCost);
  t.Add("Sinh", MakeUnary<Sinh>, TranscendentalCost);
  t.Add("Cosh", MakeUnary<Cosh>, TranscendentalCost);
  t.Add("Asinh", MakeUnary<Asinh>, TranscendentalCost);
  t.Add("Acosh", MakeUnary<Acosh>, TranscendentalCost);
  t.Add("Atanh", MakeUnary<Atanh>, TranscendentalCost);
  t.Add("Shrink", MakeUnary<Shrink>);
  t.Add("IsNaN", MakeFloatClass);
  t.Add("IsInf", MakeFloatClass);
  t.Add("Softsign", MakeUnary<Softsign>);
  t.Add("Softplus", MakeUnary<Softplus>, TranscendentalCost);
  t.Add("HardSwish", MakeUnary<HardSwish>);
  t.Add("HardSigmoid", MakeUnary<HardSigmoid>);
  t.Add("LeakyRelu", MakeUnary<LeakyRelu>);
  t.Add("Elu", MakeUnary<Elu>, TranscendentalCost);
  t.Add("Selu", MakeUnary<Selu>, TranscendentalCost);
  t.Add("Celu", MakeUnary<Celu>, TranscendentalCost);
  t.Add("ThresholdedRelu", MakeUnary<ThresholdedRelu>);
  t.Add("Not", MakeUnary<Not>);
  t.Add("Clip", MakeClip);
}

}  // namespace hetrun::cpu
