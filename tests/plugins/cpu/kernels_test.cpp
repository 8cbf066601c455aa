// CPU kernels, elementwise families: unary ops and activations, binary ops with broadcasting,
// variadic ops, Where, Clip, and the registry's answers for unsupported ops. Expected values come
// from numpy (pasted) or from naive reference loops in this file.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

const std::vector<float> kX = {-2.5f, -1.0f, -0.3f, 0.0f, 0.4f, 1.7f, 3.0f};

HostTensor RunUnary(const std::string& op, const std::vector<float>& x) {
  return NodeTest(op).Input(Floats({static_cast<int64_t>(x.size())}, x)).Run1();
}

TEST(UnaryKernels, MatchNumpy) {
  struct Case {
    const char* op;
    std::vector<float> expected;
  };
  const Case cases[] = {
      {"Relu", {0.0f, 0.0f, 0.0f, 0.0f, 0.4f, 1.7f, 3.0f}},
      {"Sigmoid",
       {0.07585818320512772f, 0.2689414322376251f, 0.4255574941635132f, 0.5f, 0.5986876487731934f,
        0.8455347418785095f, 0.9525741338729858f}},
      {"Erf",
       {-0.9995930194854736f, -0.8427007794380188f, -0.3286267817020416f, 0.0f,
        0.42839235067367554f, 0.9837904572486877f, 0.9999778866767883f}},
      {"Tanh",
       {-0.9866142868995667f, -0.7615941762924194f, -0.29131263494491577f, 0.0f,
        0.3799489736557007f, 0.9354090690612793f, 0.9950547814369202f}},
      {"HardSigmoid",
       {0.0f, 0.30000001192092896f, 0.4399999976158142f, 0.5f, 0.5799999833106995f,
        0.8400000333786011f, 1.0f}},
      {"HardSwish",
       {-0.2083333283662796f, -0.3333333432674408f, -0.13500000536441803f, 0.0f,
        0.2266666740179062f, 1.3316667079925537f, 3.0f}},
      {"Elu",
       {-0.9179149866104126f, -0.6321205496788025f, -0.25918179750442505f, 0.0f, 0.4f, 1.7f, 3.0f}},
      {"Softplus",
       {0.07888973504304886f, 0.3132616877555847f, 0.554355263710022f, 0.6931471824645996f,
        0.9130152463912964f, 1.8677860498428345f, 3.0485873222351074f}},
      {"Exp",
       {0.08208499848842621f, 0.3678794503211975f, 0.740818202495575f, 1.0f, 1.491824746131897f,
        5.473947525024414f, 20.08553695678711f}},
      {"Neg", {2.5f, 1.0f, 0.3f, -0.0f, -0.4f, -1.7f, -3.0f}},
      {"Abs", {2.5f, 1.0f, 0.3f, 0.0f, 0.4f, 1.7f, 3.0f}},
      {"Floor", {-3.0f, -1.0f, -1.0f, 0.0f, 0.0f, 1.0f, 3.0f}},
      {"Ceil", {-2.0f, -1.0f, -0.0f, 0.0f, 1.0f, 2.0f, 3.0f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    ExpectClose(RunUnary(c.op, kX).values<float>(), c.expected);
  }
  const std::vector<float> pos = {0.25f, 1.0f, 2.0f, 9.0f, 0.5f};
  ExpectClose(
      RunUnary("Log", pos).values<float>(),
      {-1.3862943649291992f, 0.0f, 0.6931471824645996f, 2.1972246170043945f, -0.6931471824645996f});
  ExpectClose(RunUnary("Sqrt", pos).values<float>(),
              {0.5f, 1.0f, 1.4142135381698608f, 3.0f, 0.7071067690849304f});
  ExpectClose(RunUnary("Reciprocal", pos).values<float>(),
              {4.0f, 1.0f, 0.5f, 0.1111111119389534f, 2.0f});
}

TEST(UnaryKernels, Attributes) {
  const HostTensor leaky = NodeTest("LeakyRelu").Attr("alpha", 0.1f).Input(Floats({7}, kX)).Run1();
  ExpectClose(leaky.values<float>(), {-0.25f, -0.1f, -0.03f, 0.0f, 0.4f, 1.7f, 3.0f});
  const HostTensor hs = NodeTest("HardSigmoid")
                            .Attr("alpha", 0.5f)
                            .Attr("beta", 0.25f)
                            .Input(Floats({3}, {-1.0f, 0.5f, 2.0f}))
                            .Run1();
  ExpectClose(hs.values<float>(), {0.0f, 0.5f, 1.0f});
}

TEST(UnaryKernels, IntegerAndDoubleTypes) {
  const HostTensor r = NodeTest("Relu").Input(Tensor<int32_t>({4}, {-3, 0, 5, -1})).Run1();
  EXPECT_EQ(r.values<int32_t>(), (std::vector<int32_t>{0, 0, 5, 0}));
  const HostTensor a = NodeTest("Abs").Input(Tensor<int64_t>({3}, {-3, 0, 5})).Run1();
  EXPECT_EQ(a.values<int64_t>(), (std::vector<int64_t>{3, 0, 5}));
  const HostTensor e = NodeTest("Exp").Input(Tensor<double>({2}, {0.0, 1.0})).Run1();
  EXPECT_DOUBLE_EQ(e.values<double>()[1], std::exp(1.0));
  const HostTensor n = NodeTest("Not").Input(Bools({3}, {0, 1, 0})).Run1();
  EXPECT_EQ(n.dtype, HETRUN_DTYPE_BOOL);
  EXPECT_EQ(n.values<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(UnaryKernels, LargeTensorsUseEveryChunk) {
  // Far above the parallel grain, with an odd size, so chunking and the JIT tail are exercised.
  const size_t n = 100003;
  const std::vector<float> x = RandomFloats(n, 7);
  for (const char* op : {"Relu", "Neg", "Abs", "Sigmoid", "Tanh"}) {
    SCOPED_TRACE(op);
    const std::vector<float> y = RunUnary(op, x).values<float>();
    for (size_t i = 0; i < n; i += 997) {
      const float v = x[i];
      float want = 0;
      if (std::string(op) == "Relu") want = v < 0 ? 0 : v;
      if (std::string(op) == "Neg") want = -v;
      if (std::string(op) == "Abs") want = std::fabs(v);
      if (std::string(op) == "Sigmoid") want = 1.0f / (1.0f + std::exp(-v));
      if (std::string(op) == "Tanh") want = std::tanh(v);
      EXPECT_NEAR(y[i], want, 1e-6f);
    }
    EXPECT_EQ(y[n - 1], RunUnary(op, {x[n - 1]}).values<float>()[0]);
  }
}

TEST(UnaryKernels, UnsupportedDtypeIsDeclined) {
  const std::string err = NodeTest("Sigmoid").Input(Tensor<int32_t>({1}, {1})).Error();
  EXPECT_NE(err.find("Sigmoid: dtype int32 not supported"), std::string::npos) << err;
}

TEST(ClipKernel, AttributeFormBeforeOpset11) {
  const HostTensor y =
      NodeTest("Clip", 6).Attr("min", -1.0f).Attr("max", 2.0f).Input(Floats({7}, kX)).Run1();
  ExpectClose(y.values<float>(), {-1.0f, -1.0f, -0.3f, 0.0f, 0.4f, 1.7f, 2.0f});
  const HostTensor only_min = NodeTest("Clip", 6).Attr("min", 0.0f).Input(Floats({7}, kX)).Run1();
  ExpectClose(only_min.values<float>(), {0.0f, 0.0f, 0.0f, 0.0f, 0.4f, 1.7f, 3.0f});
}

TEST(ClipKernel, InputFormFromOpset11) {
  const HostTensor y = NodeTest("Clip", 13)
                           .Input(Floats({7}, kX))
                           .Const(Floats({}, {-1.0f}))
                           .Input(Floats({}, {2.0f}))
                           .Run1();
  ExpectClose(y.values<float>(), {-1.0f, -1.0f, -0.3f, 0.0f, 0.4f, 1.7f, 2.0f});
  // Omitted min, given max (Relu6-like upper bound only).
  const HostTensor hi =
      NodeTest("Clip", 13).Input(Floats({7}, kX)).NoInput().Input(Floats({}, {1.0f})).Run1();
  ExpectClose(hi.values<float>(), {-2.5f, -1.0f, -0.3f, 0.0f, 0.4f, 1.0f, 1.0f});
  // Attributes are ignored from opset 11 on: no bounds at all here.
  const HostTensor none = NodeTest("Clip", 11).Attr("min", 0.0f).Input(Floats({7}, kX)).Run1();
  ExpectClose(none.values<float>(), kX);
  const HostTensor ints = NodeTest("Clip", 13)
                              .Input(Tensor<int64_t>({4}, {-5, 0, 5, 10}))
                              .Input(Tensor<int64_t>({}, {0}))
                              .Input(Tensor<int64_t>({}, {6}))
                              .Run1();
  EXPECT_EQ(ints.values<int64_t>(), (std::vector<int64_t>{0, 0, 5, 6}));
}

//===-- Binary ops ----------------------------------------------------------------------------===//

TEST(BinaryKernels, BroadcastRowAndColumn) {
  const HostTensor y = NodeTest("Add")
                           .Input(Floats({2, 3}, {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}))
                           .Input(Floats({3}, {10, 20, 30}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 3}));
  ExpectClose(y.values<float>(), {9.0f, 19.5f, 30.0f, 10.5f, 21.0f, 31.5f});
  const HostTensor d =
      NodeTest("Sub").Input(Int64s({2, 1}, {1, 5})).Input(Int64s({1, 3}, {2, 4, 8})).Run1();
  EXPECT_EQ(d.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(d.values<int64_t>(), (std::vector<int64_t>{-1, -3, -7, 3, 1, -3}));
}

TEST(BinaryKernels, IntegerDivisionTruncates) {
  const HostTensor y = NodeTest("Div")
                           .Input(Tensor<int32_t>({5}, {-7, 7, -7, 7, 3}))
                           .Input(Tensor<int32_t>({5}, {2, 2, -2, -2, 0}))
                           .Run1();
  EXPECT_EQ(y.values<int32_t>(), (std::vector<int32_t>{-3, 3, 3, -3, 0}));
}

TEST(BinaryKernels, Pow) {
  const HostTensor sq =
      NodeTest("Pow").Input(Floats({3}, {1.5f, -2.0f, 3.0f})).Const(Floats({}, {2.0f})).Run1();
  ExpectClose(sq.values<float>(), {2.25f, 4.0f, 9.0f});
  const HostTensor root =
      NodeTest("Pow").Input(Floats({3}, {4.0f, 2.0f, 9.0f})).Input(Floats({1}, {0.5f})).Run1();
  ExpectClose(root.values<float>(), {2.0f, 1.4142135381698608f, 3.0f});
  const HostTensor mixed =
      NodeTest("Pow", 15).Input(Floats({3}, {1.5f, -2.0f, 3.0f})).Input(Int64s({}, {3})).Run1();
  EXPECT_EQ(mixed.dtype, HETRUN_DTYPE_FLOAT32);
  ExpectClose(mixed.values<float>(), {3.375f, -8.0f, 27.0f});
}

TEST(BinaryKernels, PowIntegerBaseAndExponentTypes) {
  // numpy: (int32 base ** float32 exponent in float64).astype(int32), float32 ** uint64, int64 **
  // int64.
  const HostTensor int_float = NodeTest("Pow", 15)
                                   .Input(Tensor<int32_t>({3}, {2, 3, 4}))
                                   .Input(Floats({3}, {0.5f, 2.0f, 1.5f}))
                                   .Run1();
  EXPECT_EQ(int_float.dtype, HETRUN_DTYPE_INT32);
  EXPECT_EQ(int_float.values<int32_t>(), (std::vector<int32_t>{1, 9, 8}));
  const HostTensor float_u64 = NodeTest("Pow", 15)
                                   .Input(Floats({3}, {1.5f, 2.0f, -3.0f}))
                                   .Input(Tensor<uint64_t>({3}, {2, 3, 3}, HETRUN_DTYPE_UINT64))
                                   .Run1();
  ExpectClose(float_u64.values<float>(), {2.25f, 8.0f, -27.0f});
  const HostTensor ints =
      NodeTest("Pow", 15).Input(Int64s({3}, {3, -2, 7})).Input(Int64s({3}, {5, 3, 0})).Run1();
  EXPECT_EQ(ints.values<int64_t>(), (std::vector<int64_t>{243, -8, 1}));
}

TEST(BinaryKernels, ModSignRulesAndUnsigned) {
  // numpy: np.mod (sign of divisor) for fmod=0, np.fmod (sign of dividend) for fmod=1.
  const auto a = Tensor<int16_t>({5}, {-7, 7, -7, 7, 5}, HETRUN_DTYPE_INT16);
  const auto b = Tensor<int16_t>({5}, {3, -3, -3, 3, -1}, HETRUN_DTYPE_INT16);
  EXPECT_EQ(NodeTest("Mod").Input(a).Input(b).Run1().values<int16_t>(),
            (std::vector<int16_t>{2, -2, -1, 1, 0}));
  EXPECT_EQ(NodeTest("Mod").Attr("fmod", int64_t{1}).Input(a).Input(b).Run1().values<int16_t>(),
            (std::vector<int16_t>{-1, 1, -1, 1, 0}));
  const HostTensor u = NodeTest("Mod")
                           .Input(Tensor<uint32_t>({2}, {4000000000u, 7}, HETRUN_DTYPE_UINT32))
                           .Input(Tensor<uint32_t>({2}, {7, 4000000000u}, HETRUN_DTYPE_UINT32))
                           .Run1();
  EXPECT_EQ(u.values<uint32_t>(), (std::vector<uint32_t>{3, 7}));
}

TEST(BinaryKernels, Float16MaxMinMod) {
  // Bits of a = {1.5, -2, 7.25, -7.25} and b = {-1, 3, 2, 2}; results are exact in float16.
  const auto a = Tensor<uint16_t>({4}, {0x3e00, 0xc000, 0x4740, 0xc740});
  const auto b = Tensor<uint16_t>({4}, {0xbc00, 0x4200, 0x4000, 0x4000});
  HostTensor y = NodeTest("Max", 13).Input(a).Input(b).Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_FLOAT16);
  EXPECT_EQ(y.values<uint16_t>(), (std::vector<uint16_t>{0x3e00, 0x4200, 0x4740, 0x4000}));
  y = NodeTest("Min", 13).Input(a).Input(b).Run1();
  EXPECT_EQ(y.values<uint16_t>(), (std::vector<uint16_t>{0xbc00, 0xc000, 0x4000, 0xc740}));
  // np.fmod: {0.5, -2, 1.25, -1.25}.
  y = NodeTest("Mod", 13).Attr("fmod", int64_t{1}).Input(a).Input(b).Run1();
  EXPECT_EQ(y.values<uint16_t>(), (std::vector<uint16_t>{0x3800, 0xc000, 0x3d00, 0xbd00}));
  const std::string err = NodeTest("Mod", 13).Input(a).Input(b).Error();
  EXPECT_NE(err.find("fmod=0"), std::string::npos) << err;
}

TEST(BinaryKernels, WideIntegerTypesWrapLikeNumpy) {
  const HostTensor add = NodeTest("Add")
                             .Input(Tensor<uint16_t>({2}, {65535, 100}, HETRUN_DTYPE_UINT16))
                             .Input(Tensor<uint16_t>({2}, {2, 5}, HETRUN_DTYPE_UINT16))
                             .Run1();
  EXPECT_EQ(add.dtype, HETRUN_DTYPE_UINT16);
  EXPECT_EQ(add.values<uint16_t>(), (std::vector<uint16_t>{1, 105}));
  const HostTensor mul = NodeTest("Mul")
                             .Input(Tensor<int16_t>({2}, {300, -2}, HETRUN_DTYPE_INT16))
                             .Input(Tensor<int16_t>({2}, {300, 3}, HETRUN_DTYPE_INT16))
                             .Run1();
  EXPECT_EQ(mul.values<int16_t>(), (std::vector<int16_t>{24464, -6}));
  const HostTensor mx =
      NodeTest("Max")
          .Input(Tensor<uint64_t>({3}, {1, 18446744073709551615ull, 5}, HETRUN_DTYPE_UINT64))
          .Input(Tensor<uint64_t>({3}, {2, 3, 5}, HETRUN_DTYPE_UINT64))
          .Run1();
  EXPECT_EQ(mx.values<uint64_t>(), (std::vector<uint64_t>{2, 18446744073709551615ull, 5}));
  const HostTensor mn = NodeTest("Min")
                            .Input(Tensor<int16_t>({2}, {-300, 200}, HETRUN_DTYPE_INT16))
                            .Input(Tensor<int16_t>({2}, {100, -32768}, HETRUN_DTYPE_INT16))
                            .Run1();
  EXPECT_EQ(mn.values<int16_t>(), (std::vector<int16_t>{-300, -32768}));
}

TEST(BinaryKernels, BitShift) {
  // numpy left_shift/right_shift on uint16; a shift by the bit width or more gives 0.
  const HostTensor left = NodeTest("BitShift", 11)
                              .Attr("direction", std::string("LEFT"))
                              .Input(Tensor<uint16_t>({3}, {1, 0x8001, 3}, HETRUN_DTYPE_UINT16))
                              .Input(Tensor<uint16_t>({3}, {3, 1, 15}, HETRUN_DTYPE_UINT16))
                              .Run1();
  EXPECT_EQ(left.values<uint16_t>(), (std::vector<uint16_t>{8, 2, 32768}));
  const HostTensor right = NodeTest("BitShift", 11)
                               .Attr("direction", std::string("RIGHT"))
                               .Input(Tensor<uint16_t>({3}, {0xffff, 16, 3}, HETRUN_DTYPE_UINT16))
                               .Input(Tensor<uint16_t>({3}, {4, 16, 1}, HETRUN_DTYPE_UINT16))
                               .Run1();
  EXPECT_EQ(right.values<uint16_t>(), (std::vector<uint16_t>{4095, 0, 1}));
  EXPECT_NE(NodeTest("BitShift", 11)
                .Attr("direction", std::string("UP"))
                .Input(Tensor<uint16_t>({1}, {1}, HETRUN_DTYPE_UINT16))
                .Input(Tensor<uint16_t>({1}, {1}, HETRUN_DTYPE_UINT16))
                .Error(),
            "");
}

TEST(BinaryKernels, ComparisonsGiveBool) {
  const HostTensor a = Floats({4}, {1, 2, 3, 4});
  const HostTensor b = Floats({1}, {2.5f});
  const HostTensor eq = NodeTest("Equal").Input(a).Input(Floats({4}, {1, 0, 3, 0})).Run1();
  EXPECT_EQ(eq.dtype, HETRUN_DTYPE_BOOL);
  EXPECT_EQ(eq.values<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(NodeTest("Less").Input(a).Input(b).Run1().values<uint8_t>(),
            (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(NodeTest("Greater").Input(a).Input(b).Run1().values<uint8_t>(),
            (std::vector<uint8_t>{0, 0, 1, 1}));
  EXPECT_EQ(NodeTest("Equal")
                .Input(Int64s({3}, {1, 2, 3}))
                .Input(Int64s({1}, {2}))
                .Run1()
                .values<uint8_t>(),
            (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(NodeTest("And")
                .Input(Bools({4}, {0, 0, 1, 1}))
                .Input(Bools({4}, {0, 1, 0, 1}))
                .Run1()
                .values<uint8_t>(),
            (std::vector<uint8_t>{0, 0, 0, 1}));
}

// Naive numpy broadcasting by explicit index arithmetic, as the reference.
std::vector<float> NaiveBroadcastAdd(const HostTensor& a, const HostTensor& b,
                                     const std::vector<int64_t>& out) {
  const size_t r = out.size();
  std::vector<float> y(static_cast<size_t>(HostTensor{HETRUN_DTYPE_FLOAT32, out, {}}.numel()));
  for (size_t flat = 0; flat < y.size(); ++flat) {
    std::vector<int64_t> idx(r);
    size_t rem = flat;
    for (size_t d = r; d-- > 0;) {
      idx[d] = static_cast<int64_t>(rem % static_cast<size_t>(out[d]));
      rem /= static_cast<size_t>(out[d]);
    }
    auto offset = [&](const HostTensor& t) {
      int64_t off = 0;
      const size_t shift = r - t.dims.size();
      for (size_t d = 0; d < t.dims.size(); ++d)
        off = off * t.dims[d] + (t.dims[d] == 1 ? 0 : idx[d + shift]);
      return off;
    };
    y[flat] = a.data<float>()[offset(a)] + b.data<float>()[offset(b)];
  }
  return y;
}

TEST(BinaryKernels, BroadcastMatchesNaiveIndexMath) {
  struct Case {
    std::vector<int64_t> a, b, out;
  };
  const Case cases[] = {
      {{2, 1, 4, 1, 3}, {3, 1, 5, 1}, {2, 3, 4, 5, 3}},
      {{1}, {7, 9}, {7, 9}},
      {{64, 1}, {1, 300}, {64, 300}},
      {{5, 1, 1}, {5, 6, 7}, {5, 6, 7}},
      {{8, 1024}, {8, 1024}, {8, 1024}},
      {{3, 1, 2}, {4, 1}, {3, 4, 2}},
      {{}, {2, 3}, {2, 3}},
      {{2, 0, 3}, {1, 3}, {2, 0, 3}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const HostTensor a =
        Floats(c.a, RandomFloats(static_cast<size_t>(HostTensor{0, c.a, {}}.numel()), seed++));
    const HostTensor b =
        Floats(c.b, RandomFloats(static_cast<size_t>(HostTensor{0, c.b, {}}.numel()), seed++));
    const HostTensor y = NodeTest("Add").Input(a).Input(b).Run1();
    EXPECT_EQ(y.dims, c.out);
    ExpectClose(y.values<float>(), NaiveBroadcastAdd(a, b, c.out), 0, 0);
  }
}

TEST(BinaryKernels, ShapeMismatchIsInvalidArgument) {
  const std::string err = NodeTest("Mul")
                              .Input(Floats({2, 3}, std::vector<float>(6)))
                              .Input(Floats({4}, std::vector<float>(4)))
                              .Error();
  EXPECT_NE(err.find("Mul: shapes [2,3] and [4] cannot be broadcast"), std::string::npos) << err;
}

TEST(VariadicKernels, MaxMinSumMean) {
  const HostTensor a = Floats({2, 2}, {1, 5, 3, 0});
  const HostTensor b = Floats({2}, {2, 2});
  const HostTensor c = Floats({1}, {4});
  ExpectClose(NodeTest("Max").Input(a).Input(b).Input(c).Run1().values<float>(), {4, 5, 4, 4});
  ExpectClose(NodeTest("Min").Input(a).Input(b).Input(c).Run1().values<float>(), {1, 2, 2, 0});
  ExpectClose(NodeTest("Sum").Input(a).Input(b).Input(c).Run1().values<float>(), {7, 11, 9, 6});
  ExpectClose(NodeTest("Mean").Input(a).Input(b).Run1().values<float>(), {1.5f, 3.5f, 2.5f, 1});
  ExpectClose(NodeTest("Max").Input(a).Run1().values<float>(), {1, 5, 3, 0});
}

TEST(WhereKernel, Broadcasts) {
  const HostTensor y = NodeTest("Where")
                           .Input(Bools({2, 1}, {1, 0}))
                           .Input(Floats({3}, {1, 2, 3}))
                           .Input(Floats({2, 3}, {-1, -2, -3, -4, -5, -6}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 3}));
  ExpectClose(y.values<float>(), {1, 2, 3, -4, -5, -6});
  const HostTensor i = NodeTest("Where")
                           .Input(Bools({3}, {0, 1, 0}))
                           .Input(Int64s({}, {7}))
                           .Input(Int64s({3}, {1, 2, 3}))
                           .Run1();
  EXPECT_EQ(i.values<int64_t>(), (std::vector<int64_t>{1, 7, 3}));
}

TEST(Registry, UnknownOpsAndDomainsAreDeclined) {
  std::string err = NodeTest("FooBar").Input(Floats({1}, {1})).Error();
  EXPECT_EQ(err, "op FooBar is not supported by the CPU plugin");
  err = NodeTest("Relu", 1, "com.microsoft").Input(Floats({1}, {1})).Error();
  EXPECT_NE(err.find("not supported"), std::string::npos) << err;
}

}  // namespace
}  // namespace hetrun::test

namespace hetrun::test {
namespace {

TEST(Registry, MissingRequiredInputIsDeclined) {
  const std::string err = NodeTest("Add").Input(Floats({1}, {1})).NoInput().Error();
  EXPECT_EQ(err, "Add: required input 1 is missing");
  const std::string slice =
      NodeTest("Slice", 13).Input(Floats({1}, {1})).NoInput().NoInput().Error();
  EXPECT_NE(slice.find("Slice: required input starts is missing"), std::string::npos) << slice;
}

TEST(Registry, CostEstimatesScaleWithWork) {
  auto gemm = [](int64_t m) {
    return NodeTest("Gemm")
        .Input(Floats({m, 1024}, std::vector<float>(static_cast<size_t>(m * 1024))))
        .Const(Floats({1024, 1024}, std::vector<float>(1 << 20)))
        .Cost(2, 100.0);
  };
  const double small = gemm(8), large = gemm(64);
  EXPECT_GT(small, 0);
  EXPECT_GT(large, 4 * small);
  // 64 x 1024 x 1024 at 100 GFLOP/s is about 1.3 ms of arithmetic.
  EXPECT_GT(large, 1000);
  EXPECT_LT(large, 10000);
  const double relu =
      NodeTest("Relu").Input(Floats({64, 1024}, std::vector<float>(65536))).Cost(2, 100.0);
  EXPECT_GT(relu, 0);
  EXPECT_LT(relu, large);
}

// In place: the executor may hand a kernel the same memory for output and input when the kernel
// says AliasesInput; the result must be the same as out of place.
TEST(InPlace, UnaryAndBinaryOverwriteTheirInput) {
  const std::vector<float> x = RandomFloats(70001, 5), b = RandomFloats(70001, 6);
  for (const char* op : {"Sigmoid", "Relu", "Add", "Mul"}) {
    SCOPED_TRACE(op);
    const bool binary = std::string(op) == "Add" || std::string(op) == "Mul";
    NodeTest t(op);
    t.Input(Floats({70001}, x));
    if (binary) t.Input(Floats({70001}, b));
    const std::vector<float> want = t.Run1().values<float>();
    std::unique_ptr<cpu::Kernel> k = t.Create();
    ASSERT_TRUE(k->AliasesInput(0, 0));
    std::vector<float> buf = x, other = b;
    cpu::TensorRef in0{HETRUN_DTYPE_FLOAT32, {70001}, buf.data()};
    cpu::TensorRef in1{HETRUN_DTYPE_FLOAT32, {70001}, other.data()};
    std::vector<const cpu::TensorRef*> ins{&in0};
    if (binary) ins.push_back(&in1);
    cpu::TensorRef out{HETRUN_DTYPE_FLOAT32, {70001}, buf.data()};
    k->Run(ins, {&out}, TestPool(2));
    EXPECT_EQ(buf, want);
  }
  // A broadcast operand never aliases the output.
  NodeTest t("Add");
  t.Input(Floats({2, 3}, std::vector<float>(6))).Input(Floats({3}, std::vector<float>(3)));
  std::unique_ptr<cpu::Kernel> k = t.Create();
  EXPECT_TRUE(k->AliasesInput(0, 0));
  EXPECT_FALSE(k->AliasesInput(0, 1));
}

}  // namespace
}  // namespace hetrun::test
