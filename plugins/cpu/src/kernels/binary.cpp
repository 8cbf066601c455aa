// Binary elementwise ops (arithmetic, comparison, logic, BitShift), the variadic Max/Min/Sum/Mean,
// and Where, all with numpy multidirectional broadcasting. Same-shape float32
// Add/Sub/Mul/Div/Max/Min go to the LLVM JIT when it provides them.
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>

#include "jit/elementwise_jit.h"
#include "kernels/binary_loop.h"
#include "kernels/common.h"
#include "kernels/half_float.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

template <typename T>
constexpr bool kIsInt = std::is_integral_v<T>;

// Integers wrap around (two's complement) like ONNX Runtime's: they are computed in the unsigned
// type they promote to, because signed overflow (including int16/uint16 promoted to int) is UB.
template <typename T, bool = kIsInt<T>>
struct Wrap {
  using type = T;
};
template <typename T>
struct Wrap<T, true> {
  using type = std::make_unsigned_t<std::common_type_t<T, unsigned>>;
};
template <typename T>
using WrapType = typename Wrap<T>::type;

struct AddOp {
  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
  }
};
struct SubOp {
  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
  }
};
struct MulOp {
  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
  }
};
struct DivOp {
  // Integer division truncates toward zero (as ONNX Runtime does); x/0 gives 0 rather than a trap.
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsInt<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(a));
    }
    return static_cast<T>(a / b);
  }
};
struct MaxOp {
  template <typename T>
  T operator()(T a, T b) const {
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename T>
  T operator()(T a, T b) const {
    return b < a ? b : a;
  }
};
struct ModOp {
  bool fmod = false;
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsInt<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return 0;
        T r = static_cast<T>(a % b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    } else {
      return std::fmod(a, b);
    }
  }
};
// float16 operands computed in float and rounded back: exact for Max, Min and fmod, whose results
// are one of the operands or representable in the operands' precision.
template <typename Op>
struct HalfOp {
  Op op;
  Half operator()(Half a, Half b) const {
    return Half{FloatToHalf(op(HalfToFloat(a.bits), HalfToFloat(b.bits)))};
  }
};
using HalfTypes = TypeList<Half>;

// Pow's exponent may have another numeric dtype than its base (opset >= 12); the result has the
// base's. Integer powers are exact (wrapping) by squaring; anything involving a float goes through
// double, except float^float of one type, which stays in that type like ONNX Runtime.
struct PowOp {
  template <typename T, typename E>
  T operator()(T a, E b) const {
    if constexpr (kIsInt<T> && kIsInt<E>) {
      bool negative = false;
      if constexpr (std::is_signed_v<E>) negative = b < 0;
      if (negative) return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
      WrapType<T> r = 1, base = static_cast<WrapType<T>>(a);
      for (auto e = static_cast<std::make_unsigned_t<E>>(b); e; e >>= 1) {
        if (e & 1) r = static_cast<WrapType<T>>(r * base);
        base = static_cast<WrapType<T>>(base * base);
      }
      return static_cast<T>(r);
    } else if constexpr (std::is_same_v<T, E>) {
      return b == T(2) ? a * a : std::pow(a, b);  // x^2 is common (variance) and exact as x*x
    } else {
      return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    }
  }
};
// BitShift on unsigned integers; shifting by the bit width or more gives 0 (C++ leaves it
// undefined, ONNX does not say).
struct BitShiftOp {
  bool left = true;
  template <typename T>
  T operator()(T a, T b) const {
    if (static_cast<uint64_t>(b) >= sizeof(T) * 8) return 0;
    const auto w = static_cast<WrapType<T>>(a);
    return static_cast<T>(left ? w << b : w >> b);
  }
};
struct EqualOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return a == b;
  }
};
struct LessOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return a < b;
  }
};
struct LessOrEqualOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return a <= b;
  }
};
struct GreaterOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return a > b;
  }
};
struct GreaterOrEqualOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return a >= b;
  }
};
struct AndOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return (a != 0) & (b != 0);
  }
};
struct OrOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return (a != 0) | (b != 0);
  }
};
struct XorOp {
  template <typename T>
  uint8_t operator()(T a, T b) const {
    return (a != 0) ^ (b != 0);
  }
};

using BoolTypes = TypeList<uint8_t>;
using CompareTypes = NumericTypes;
using UnsignedTypes = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;

// Bool tensors are handled as uint8 by the loops.
inline hetrun_dtype_t LoopDType(hetrun_dtype_t t) {
  return t == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : t;
}

void CheckSameDType(std::string_view op, const TensorRef& a, const TensorRef& b) {
  if (a.dtype != b.dtype)
    ThrowInvalid(std::string(op) + ": input dtypes differ (" + plugin::DTypeName(a.dtype) + " vs " +
                 plugin::DTypeName(b.dtype) + ")");
}

// Which inputs certainly have the output's shape (from static dims): the output may overwrite
// those in place, because every loop reads an element before writing the same position.
std::array<bool, 2> InPlaceInputs(const KernelBuildContext& ctx) {
  std::array<bool, 2> ok{false, false};
  std::vector<int64_t> dims[2];
  for (size_t i = 0; i < 2; ++i) {
    if (!ctx.has_input(i) || StaticNumel(ctx.input(i)) < 0) return ok;
    dims[i].assign(ctx.input(i).dims, ctx.input(i).dims + ctx.input(i).rank);
  }
  for (size_t i = 0; i < 2; ++i) ok[i] = BroadcastsTo(dims[1 - i], dims[i]);
  return ok;
}

const char* JitName(std::string_view op) {
  for (const char* n : {"Add", "Sub", "Mul", "Div", "Max", "Min"})
    if (op == n) return n;
  return nullptr;
}

// Op applied to two tensors of one dtype; output of the same dtype or bool.
template <typename Op, typename Types, bool kBoolOut>
class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(const KernelBuildContext& ctx, Op op) : op_(op), name_(ctx.node.op_type) {
    dtype_ = ctx.input(0).dtype;
    if (!kBoolOut) in_place_ = InPlaceInputs(ctx);
    if (dtype_ == HETRUN_DTYPE_FLOAT32)
      if (const char* j = JitName(name_)) jit_ = ElementwiseJit::Get().Binary(j);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    CheckSameDType(name_, *in[0], *in[1]);
    return {OutputSpec{kBoolOut ? HETRUN_DTYPE_BOOL : in[0]->dtype,
                       BroadcastShapes(name_, {&in[0]->dims, &in[1]->dims})}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const TensorRef &a = *in[0], &b = *in[1];
    TensorRef& y = *out[0];
    if (jit_ && a.dims == b.dims) {
      const float *pa = a.as<const float>(), *pb = b.as<const float>();
      float* py = y.as<float>();
      JitBinaryFn fn = jit_;
      pool.ParallelFor(y.numel(), kElementwiseGrain,
                       [&](int64_t s, int64_t e) { fn(pa + s, pb + s, py + s, e - s); });
      return;
    }
    DispatchList(Types{}, LoopDType(dtype_), name_, [&]<typename T>() {
      using TO = std::conditional_t<kBoolOut, uint8_t, T>;
      BroadcastBinary(a.as<const T>(), a.dims, b.as<const T>(), b.dims, y.as<TO>(), y.dims, op_,
                      pool);
    });
  }
  bool AliasesInput(size_t, size_t i) const override { return i < 2 && in_place_[i]; }

 private:
  std::array<bool, 2> in_place_{false, false};
  Op op_;
  std::string name_;
  hetrun_dtype_t dtype_;
  JitBinaryFn jit_ = nullptr;
};

template <typename Types, typename Op>
const char* TypesText() {
  if constexpr (std::is_same_v<Types, BoolTypes>)
    return "bool only";
  else if constexpr (std::is_same_v<Types, UnsignedTypes>)
    return "uint8, uint16, uint32, uint64";
  else if constexpr (std::is_same_v<Types, FloatTypes>)
    return "float32, float64";
  else
    return std::is_same_v<Op, EqualOp> ? "numeric types and bool" : "numeric types";
}

template <typename Op, typename Types, bool kBoolOut>
std::unique_ptr<Kernel> MakeBinaryWith(const KernelBuildContext& ctx, Op op) {
  const hetrun_dtype_t dt = ctx.input(0).dtype;
  const bool bool_only = std::is_same_v<Types, BoolTypes>;
  const bool ok = bool_only ? dt == HETRUN_DTYPE_BOOL
                            : InList(Types{}, LoopDType(dt)) &&
                                  (dt != HETRUN_DTYPE_BOOL || std::is_same_v<Op, EqualOp>);
  if (!ok)
    ThrowUnimplemented(std::string(OpName(ctx)) + ": dtype " + plugin::DTypeName(dt) +
                       " not supported (" + TypesText<Types, Op>() + ")");
  return std::make_unique<BinaryKernel<Op, Types, kBoolOut>>(ctx, op);
}

template <typename Op, typename Types, bool kBoolOut = false>
std::unique_ptr<Kernel> MakeBinary(const KernelBuildContext& ctx) {
  return MakeBinaryWith<Op, Types, kBoolOut>(ctx, Op{});
}

std::unique_ptr<Kernel> MakeMod(const KernelBuildContext& ctx) {
  ModOp op;
  op.fmod = plugin::AttrInt(ctx.node, "fmod", 0) != 0;
  const hetrun_dtype_t dt = ctx.input(0).dtype;
  const bool is_float =
      dt == HETRUN_DTYPE_FLOAT32 || dt == HETRUN_DTYPE_FLOAT64 || dt == HETRUN_DTYPE_FLOAT16;
  if (!op.fmod && is_float)
    ThrowUnimplemented("Mod: fmod=0 is not defined for floating-point inputs");
  if (dt == HETRUN_DTYPE_FLOAT16)
    return MakeBinaryWith<HalfOp<ModOp>, HalfTypes, false>(ctx, HalfOp<ModOp>{op});
  return MakeBinaryWith<ModOp, NumericTypes, false>(ctx, op);
}

std::unique_ptr<Kernel> MakeBitShift(const KernelBuildContext& ctx) {
  BitShiftOp op;
  const std::string direction = plugin::AttrString(ctx.node, "direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    ThrowUnimplemented("BitShift: direction must be LEFT or RIGHT, got '" + direction + "'");
  op.left = direction == "LEFT";
  return MakeBinaryWith<BitShiftOp, UnsignedTypes, false>(ctx, op);
}

//===-- Pow: the exponent may have another numeric dtype (opset >= 12)
//--------------------------===//

class PowKernel final : public Kernel {
 public:
  explicit PowKernel(const KernelBuildContext& ctx)
      : base_(ctx.input(0).dtype), exp_(ctx.input(1).dtype) {
    if (!InList(PowBaseTypes{}, base_))
      ThrowUnimplemented(std::string("Pow: base dtype ") + plugin::DTypeName(base_) +
                         " not supported (float32, float64, int32, int64)");
    if (!InList(NumericTypes{}, exp_))
      ThrowUnimplemented(std::string("Pow: exponent dtype ") + plugin::DTypeName(exp_) +
                         " not supported (numeric types)");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, BroadcastShapes("Pow", {&in[0]->dims, &in[1]->dims})}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    DispatchList(PowBaseTypes{}, base_, "Pow", [&]<typename T>() {
      DispatchList(NumericTypes{}, exp_, "Pow", [&]<typename E>() {
        BroadcastBinary(in[0]->as<const T>(), in[0]->dims, in[1]->as<const E>(), in[1]->dims,
                        out[0]->as<T>(), out[0]->dims, PowOp{}, pool);
      });
    });
  }

 private:
  using PowBaseTypes = TypeList<float, double, int32_t, int64_t>;
  hetrun_dtype_t base_, exp_;
};

std::unique_ptr<Kernel> MakePow(const KernelBuildContext& ctx) {
  return std::make_unique<PowKernel>(ctx);
}

//===-- PRelu: slope broadcasts (unidirectionally) to X
//------------------------------------------===//

struct PReluOp {
  template <typename T>
  T operator()(T x, T slope) const {
    return x < T(0) ? static_cast<T>(slope * x) : x;
  }
};

class PReluKernel final : public Kernel {
 public:
  explicit PReluKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType(
        "PRelu", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    CheckSameDType("PRelu", *in[0], *in[1]);
    if (!BroadcastsTo(in[1]->dims, in[0]->dims))
      ThrowInvalid("PRelu: slope " + DimsToString(in[1]->dims) + " does not broadcast to X " +
                   DimsToString(in[0]->dims));
    return {OutputSpec{dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    Dispatch<float, double, int32_t, int64_t>(dtype_, "PRelu", [&]<typename T>() {
      BroadcastBinary(in[0]->as<const T>(), in[0]->dims, in[1]->as<const T>(), in[1]->dims,
                      out[0]->as<T>(), out[0]->dims, PReluOp{}, pool);
    });
  }
  bool AliasesInput(size_t, size_t i) const override { return i == 0; }

 private:
  hetrun_dtype_t dtype_;
};

std::unique_ptr<Kernel> MakePRelu(const KernelBuildContext& ctx) {
  return std::make_unique<PReluKernel>(ctx);
}

//===-- Variadic Max / Min / Sum / Mean
//---------------------------------------------------------===//

template <typename Op, typename Types, bool kMean>
class VariadicKernel final : public Kernel {
 public:
  explicit VariadicKernel(const KernelBuildContext& ctx)
      : name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    if (!InList(Types{}, dtype_))
      ThrowUnimplemented(name_ + ": dtype " + plugin::DTypeName(dtype_) + " not supported (" +
                         TypesText<Types, Op>() + ")");
    if (dtype_ == HETRUN_DTYPE_FLOAT32 && ctx.num_inputs() == 2)
      if (const char* j = JitName(name_)) jit_ = ElementwiseJit::Get().Binary(j);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<const std::vector<int64_t>*> shapes;
    for (const TensorRef* t : in) {
      CheckSameDType(name_, *in[0], *t);
      shapes.push_back(&t->dims);
    }
    return {OutputSpec{dtype_, BroadcastShapes(name_, shapes)}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    TensorRef& y = *out[0];
    if (jit_ && in[0]->dims == in[1]->dims) {
      const float *pa = in[0]->as<const float>(), *pb = in[1]->as<const float>();
      float* py = y.as<float>();
      JitBinaryFn fn = jit_;
      pool.ParallelFor(y.numel(), kElementwiseGrain,
                       [&](int64_t s, int64_t e) { fn(pa + s, pb + s, py + s, e - s); });
      return;
    }
    DispatchList(Types{}, dtype_, name_, [&]<typename T>() {
      T* py = y.as<T>();
      if (in.size() == 1) {
        CopyIfDistinct(*in[0], y);  // a lone input is its own broadcast
      } else {
        BroadcastBinary(in[0]->as<const T>(), in[0]->dims, in[1]->as<const T>(), in[1]->dims, py,
                        y.dims, Op{}, pool);
        for (size_t k = 2; k < in.size(); ++k)
          BroadcastBinary(static_cast<const T*>(py), y.dims, in[k]->as<const T>(), in[k]->dims, py,
                          y.dims, Op{}, pool);
      }
      if constexpr (kMean) {
        const T count = static_cast<T>(in.size());
        const int64_t n = y.numel();
        pool.ParallelFor(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
          for (int64_t i = s; i < e; ++i) py[i] /= count;
        });
      }
    });
  }

 private:
  std::string name_;
  hetrun_dtype_t dtype_;
  JitBinaryFn jit_ = nullptr;
};

template <typename Op, typename Types, bool kMean = false>
std::unique_ptr<Kernel> MakeVariadic(const KernelBuildContext& ctx) {
  return std::make_unique<VariadicKernel<Op, Types, kMean>>(ctx);
}

// Max and Min also take float16 (computed in float, exact).
template <typename Op>
std::unique_ptr<Kernel> MakeMinMax(const KernelBuildContext& ctx) {
  if (ctx.input(0).dtype == HETRUN_DTYPE_FLOAT16)
    return std::make_unique<VariadicKernel<HalfOp<Op>, HalfTypes, false>>(ctx);
  return std::make_unique<VariadicKernel<Op, NumericTypes, false>>(ctx);
}

//===-- Where(cond, X, Y)
//-----------------------------------------------------------------------===//

class WhereKernel final : public Kernel {
 public:
  explicit WhereKernel(const KernelBuildContext& ctx) {
    if (ctx.input(0).dtype != HETRUN_DTYPE_BOOL)
      ThrowUnimplemented("Where: condition must be bool");
    elem_ = plugin::DTypeSize(ctx.input(1).dtype);
    if (ctx.input(1).dtype == HETRUN_DTYPE_STRING || elem_ == 0 || elem_ > 8)
      ThrowUnimplemented(std::string("Where: dtype ") + plugin::DTypeName(ctx.input(1).dtype) +
                         " not supported");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    CheckSameDType("Where", *in[1], *in[2]);
    return {OutputSpec{in[1]->dtype,
                       BroadcastShapes("Where", {&in[0]->dims, &in[1]->dims, &in[2]->dims})}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const uint8_t* c = in[0]->as<const uint8_t>();
    DispatchBySize(elem_, "Where", [&]<typename U>() {
      const U *x = in[1]->as<const U>(), *yv = in[2]->as<const U>();
      U* o = out[0]->as<U>();
      const BroadcastPlan plan =
          MakeBroadcastPlan(out[0]->dims, {&in[0]->dims, &in[1]->dims, &in[2]->dims});
      const int64_t inner = plan.inner(), sc = plan.inner_stride(0), sx = plan.inner_stride(1),
                    sy = plan.inner_stride(2);
      ForEachBroadcastRow(plan, pool, [&](const int64_t* offs, int64_t oo) {
        const uint8_t* pc = c + offs[0];
        const U *px = x + offs[1], *py = yv + offs[2];
        U* po = o + oo;
        for (int64_t i = 0; i < inner; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
      });
    });
  }

 private:
  size_t elem_;
};

std::unique_ptr<Kernel> MakeWhere(const KernelBuildContext& ctx) {
  return std::make_unique<WhereKernel>(ctx);
}

}  // namespace

void RegisterBinaryKernels(KernelTable& t) {
  t.Add("Add", MakeBinary<AddOp, NumericTypes>, nullptr, 2);
  t.Add("Sub", MakeBinary<SubOp, NumericTypes>, nullptr, 2);
  t.Add("Mul", MakeBinary<MulOp, NumericTypes>, nullptr, 2);
  t.Add("Div", MakeBinary<DivOp, NumericTypes>, nullptr, 2);
  t.Add("Mod", MakeMod, nullptr, 2);
  t.Add("Pow", MakePow, nullptr, 2);
  t.Add("BitShift", MakeBitShift, nullptr, 2);
  t.Add("Equal", MakeBinary<EqualOp, CompareTypes, true>, nullptr, 2);
  t.Add("Less", MakeBinary<LessOp, CompareTypes, true>, nullptr, 2);
  t.Add("LessOrEqual", MakeBinary<LessOrEqualOp, CompareTypes, true>, nullptr, 2);
  t.Add("Greater", MakeBinary<GreaterOp, CompareTypes, true>, nullptr, 2);
  t.Add("GreaterOrEqual", MakeBinary<GreaterOrEqualOp, CompareTypes, true>, nullptr, 2);
  t.Add("And", MakeBinary<AndOp, BoolTypes, true>, nullptr, 2);
  t.Add("Or", MakeBinary<OrOp, BoolTypes, true>, nullptr, 2);
  t.Add("Xor", MakeBinary<XorOp, BoolTypes, true>, nullptr, 2);
  t.Add("Max", MakeMinMax<MaxOp>);
  t.Add("Min", MakeMinMax<MinOp>);
  t.Add("Sum", MakeVariadic<AddOp, NumericTypes>);
  t.Add("Mean", MakeVariadic<AddOp, FloatTypes, true>);
  t.Add("Where", MakeWhere, nullptr, 3);
  t.Add("PRelu", MakePRelu, nullptr, 2);
}

}  // namespace hetrun::cpu
