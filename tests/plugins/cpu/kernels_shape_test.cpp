// CPU kernels that move or generate data: Reshape/Flatten/Squeeze/Unsqueeze (incl. their
// opset-dependent forms), Shape, Transpose, Concat, Split, Slice, Gather, Expand, Tile, Pad,
// Constant, ConstantOfShape, Range, Cast, Dropout. Expected values are from numpy.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

std::vector<int64_t> Seq(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

const HostTensor kX = Int64s({2, 3, 4}, Seq(24));

TEST(ShapeKernels, ReshapeZeroAndMinusOne) {
  HostTensor y = NodeTest("Reshape", 13).Input(kX).Const(Int64s({3}, {0, -1, 2})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 6, 2}));
  EXPECT_EQ(y.values<int64_t>(), Seq(24));
  y = NodeTest("Reshape", 13).Input(kX).Input(Int64s({2}, {-1, 4})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{6, 4}));
  // allowzero=1 (opset 14): 0 is a real zero-sized dim.
  y = NodeTest("Reshape", 14)
          .Attr("allowzero", int64_t{1})
          .Input(Int64s({0, 3}, {}))
          .Input(Int64s({3}, {3, 0, 5}))
          .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{3, 0, 5}));
  // Opset 1-4: shape attribute.
  y = NodeTest("Reshape", 4).Attr("shape", std::vector<int64_t>{4, -1}).Input(kX).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{4, 6}));
  const std::string err = NodeTest("Reshape", 13).Input(kX).Input(Int64s({2}, {5, -1})).Error();
  EXPECT_NE(err.find("Reshape: cannot reshape [2,3,4] to [5,-1]"), std::string::npos) << err;
}

TEST(ShapeKernels, FlattenSqueezeUnsqueeze) {
  EXPECT_EQ(NodeTest("Flatten").Attr("axis", int64_t{-1}).Input(kX).Run1().dims,
            (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(NodeTest("Flatten").Attr("axis", int64_t{0}).Input(kX).Run1().dims,
            (std::vector<int64_t>{1, 24}));
  EXPECT_EQ(NodeTest("Flatten").Input(kX).Run1().dims, (std::vector<int64_t>{2, 12}));
  const HostTensor s = Floats({1, 3, 1, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(NodeTest("Squeeze", 11).Attr("axes", std::vector<int64_t>{0}).Input(s).Run1().dims,
            (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(NodeTest("Squeeze", 13).Input(s).Const(Int64s({1}, {-2})).Run1().dims,
            (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(NodeTest("Squeeze", 13).Input(s).Run1().dims, (std::vector<int64_t>{3, 2}));
  EXPECT_NE(NodeTest("Squeeze", 13).Input(s).Const(Int64s({1}, {1})).Error().find("is not 1"),
            std::string::npos);
  EXPECT_EQ(
      NodeTest("Unsqueeze", 11).Attr("axes", std::vector<int64_t>{0, 3}).Input(kX).Run1().dims,
      (std::vector<int64_t>{1, 2, 3, 1, 4}));
  EXPECT_EQ(NodeTest("Unsqueeze", 13).Input(kX).Const(Int64s({2}, {-1, 1})).Run1().dims,
            (std::vector<int64_t>{2, 1, 3, 4, 1}));
  const HostTensor sh = NodeTest("Shape", 15).Attr("start", int64_t{1}).Input(kX).Run1();
  EXPECT_EQ(sh.values<int64_t>(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(NodeTest("Shape", 15).Attr("end", int64_t{-1}).Input(kX).Run1().values<int64_t>(),
            (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(NodeTest("Shape").Input(kX).Run1().values<int64_t>(), (std::vector<int64_t>{2, 3, 4}));
}

TEST(DataMovementKernels, Transpose) {
  EXPECT_EQ(NodeTest("Transpose").Input(kX).Run1().values<int64_t>(),
            (std::vector<int64_t>{0, 12, 4, 16, 8,  20, 1, 13, 5, 17, 9,  21,
                                  2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23}));
  const HostTensor y =
      NodeTest("Transpose").Attr("perm", std::vector<int64_t>{0, 2, 1}).Input(kX).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 4, 3}));
  EXPECT_EQ(y.values<int64_t>(),
            (std::vector<int64_t>{0,  4,  8,  1,  5,  9,  2,  6,  10, 3,  7,  11,
                                  12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23}));
  // Large 4-D float transpose (BSHD -> BHSD) against index math.
  const std::vector<float> x = RandomFloats(2 * 33 * 4 * 16, 3);
  const HostTensor t = NodeTest("Transpose")
                           .Attr("perm", std::vector<int64_t>{0, 2, 1, 3})
                           .Input(Floats({2, 33, 4, 16}, x))
                           .Run1();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t s = 0; s < 33; ++s)
        for (int64_t d = 0; d < 16; ++d)
          ASSERT_EQ(t.data<float>()[((b * 4 + h) * 33 + s) * 16 + d],
                    x[static_cast<size_t>(((b * 33 + s) * 4 + h) * 16 + d)]);
}

TEST(DataMovementKernels, ConcatAndSplit) {
  const HostTensor a = Floats({2, 1}, {1, 2}), b = Floats({2, 2}, {3, 4, 5, 6});
  const HostTensor y = NodeTest("Concat").Attr("axis", int64_t{-1}).Input(a).Input(b).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 3}));
  ExpectClose(y.values<float>(), {1, 3, 4, 2, 5, 6});
  const std::vector<HostTensor> parts = NodeTest("Split", 13)
                                            .Attr("axis", int64_t{1})
                                            .Input(y)
                                            .Const(Int64s({2}, {2, 1}))
                                            .Outputs({true, true})
                                            .Run();
  ExpectClose(parts[0].values<float>(), {1, 3, 2, 5});
  ExpectClose(parts[1].values<float>(), {4, 6});
  const std::vector<HostTensor> halves = NodeTest("Split", 11)
                                             .Attr("split", std::vector<int64_t>{1, 1})
                                             .Input(y)
                                             .Outputs({true, true})
                                             .Run();
  ExpectClose(halves[1].values<float>(), {2, 5, 6});
  const std::vector<HostTensor> even =
      NodeTest("Split", 13).Input(Floats({4}, {1, 2, 3, 4})).Outputs({true, true}).Run();
  ExpectClose(even[1].values<float>(), {3, 4});
}

TEST(DataMovementKernels, SliceAttributeAndInputForms) {
  // x[:, 1:, ::-2]
  HostTensor y = NodeTest("Slice", 13)
                     .Input(kX)
                     .Const(Int64s({2}, {1, -1}))
                     .Const(Int64s({2}, {INT64_MAX, INT64_MIN}))
                     .Const(Int64s({2}, {1, 2}))
                     .Const(Int64s({2}, {1, -2}))
                     .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{7, 5, 11, 9, 19, 17, 23, 21}));
  // x[:, 2:0:-1, :] with run-time (non-constant) inputs.
  y = NodeTest("Slice", 13)
          .Input(kX)
          .Input(Int64s({1}, {-1}))
          .Input(Int64s({1}, {0}))
          .Input(Int64s({1}, {1}))
          .Input(Int64s({1}, {-1}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(),
            (std::vector<int64_t>{8, 9, 10, 11, 4, 5, 6, 7, 20, 21, 22, 23, 16, 17, 18, 19}));
  // Opset 1-9: attributes, clamped ends.
  y = NodeTest("Slice", 9)
          .Attr("starts", std::vector<int64_t>{1, 0})
          .Attr("ends", std::vector<int64_t>{1000, 2})
          .Attr("axes", std::vector<int64_t>{0, 2})
          .Input(kX)
          .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{12, 13, 16, 17, 20, 21}));
  // Empty result.
  y = NodeTest("Slice", 13).Input(kX).Const(Int64s({1}, {3})).Const(Int64s({1}, {1})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{0, 3, 4}));
}

TEST(DataMovementKernels, Gather) {
  HostTensor y =
      NodeTest("Gather").Attr("axis", int64_t{1}).Input(kX).Const(Int64s({3}, {2, -1, 0})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(y.values<int64_t>(),
            (std::vector<int64_t>{8,  9,  10, 11, 8,  9,  10, 11, 0,  1,  2,  3,
                                  20, 21, 22, 23, 20, 21, 22, 23, 12, 13, 14, 15}));
  y = NodeTest("Gather").Input(kX).Input(Tensor<int32_t>({2, 1}, {1, 0})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 1, 3, 4}));
  EXPECT_EQ(y.values<int64_t>()[0], 12);
  y = NodeTest("Gather").Input(Floats({3}, {5, 6, 7})).Input(Int64s({}, {-1})).Run1();
  EXPECT_TRUE(y.dims.empty());
  ExpectClose(y.values<float>(), {7});
  const std::string err = NodeTest("Gather").Input(kX).Input(Int64s({1}, {2})).Error();
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
}

TEST(ExpandPadKernels, ExpandTilePad) {
  HostTensor y =
      NodeTest("Expand").Input(Int64s({3, 1}, {1, 2, 3})).Const(Int64s({3}, {2, 1, 4})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                                       1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  y = NodeTest("Tile").Input(Int64s({2, 2}, {1, 2, 3, 4})).Const(Int64s({2}, {2, 3})).Run1();
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
                                                       1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  const HostTensor a = Int64s({2, 3}, {1, 2, 3, 4, 5, 6});
  y = NodeTest("Pad", 13).Input(a).Const(Int64s({4}, {1, 2, 0, 1})).Const(Int64s({}, {9})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(y.values<int64_t>(),
            (std::vector<int64_t>{9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9}));
  y = NodeTest("Pad", 13)
          .Attr("mode", std::string("reflect"))
          .Input(a)
          .Const(Int64s({4}, {1, 2, 1, 2}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1,
                                                       6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1}));
  y = NodeTest("Pad", 13)
          .Attr("mode", std::string("edge"))
          .Input(a)
          .Const(Int64s({4}, {0, 1, 1, 2}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(),
            (std::vector<int64_t>{1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 6, 6, 4, 4, 5, 6, 6, 6}));
  // Opset 2-10: pads and value attributes.
  const HostTensor f = NodeTest("Pad", 2)
                           .Attr("pads", std::vector<int64_t>{0, 1, 0, 1})
                           .Attr("value", 0.5f)
                           .Input(Floats({1, 2}, {1, 2}))
                           .Run1();
  ExpectClose(f.values<float>(), {0.5f, 1, 2, 0.5f});
}

TEST(GeneratorKernels, ConstantConstantOfShapeRange) {
  HostTensor y = NodeTest("Constant").AttrTensor("value", Floats({2}, {1.5f, 2.5f})).Run1();
  ExpectClose(y.values<float>(), {1.5f, 2.5f});
  y = NodeTest("Constant").Attr("value_ints", std::vector<int64_t>{4, 5}).Run1();
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{4, 5}));
  y = NodeTest("Constant").Attr("value_float", 3.0f).Run1();
  EXPECT_TRUE(y.dims.empty());
  ExpectClose(y.values<float>(), {3});
  y = NodeTest("ConstantOfShape")
          .AttrTensor("value", Int64s({1}, {7}))
          .Input(Int64s({2}, {2, 3}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(), std::vector<int64_t>(6, 7));
  y = NodeTest("ConstantOfShape").Input(Int64s({1}, {3})).Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_FLOAT32);
  ExpectClose(y.values<float>(), {0, 0, 0});
  y = NodeTest("Range")
          .Input(Floats({}, {1}))
          .Input(Floats({}, {2}))
          .Input(Floats({}, {0.3f}))
          .Run1();
  ExpectClose(y.values<float>(),
              {1.0f, 1.2999999523162842f, 1.5999999046325684f, 1.8999998569488525f});
  y = NodeTest("Range")
          .Input(Int64s({}, {10}))
          .Input(Int64s({}, {2}))
          .Input(Int64s({}, {-3}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{10, 7, 4}));
}

TEST(CastKernel, NumericBoolAndHalf) {
  HostTensor y = NodeTest("Cast")
                     .Attr("to", int64_t{HETRUN_DTYPE_INT32})
                     .Input(Floats({4}, {1.7f, -1.7f, 0, 300.5f}))
                     .Run1();
  EXPECT_EQ(y.values<int32_t>(), (std::vector<int32_t>{1, -1, 0, 300}));
  y = NodeTest("Cast")
          .Attr("to", int64_t{HETRUN_DTYPE_FLOAT16})
          .Input(Floats({5}, {0.1f, 65504, 1e-7f, -2.5f, 70000}))
          .Run1();
  EXPECT_EQ(y.values<uint16_t>(), (std::vector<uint16_t>{11878, 31743, 2, 49408, 31744}));
  y = NodeTest("Cast")
          .Attr("to", int64_t{HETRUN_DTYPE_FLOAT32})
          .Input(Tensor<uint16_t>({5}, {0x3c00, 0xc000, 0x0001, 0x7bff, 0x3555}))
          .Run1();
  ExpectClose(y.values<float>(), {1.0f, -2.0f, 5.960464477539063e-08f, 65504.0f, 0.333251953125f},
              0, 0);
  y = NodeTest("Cast")
          .Attr("to", int64_t{HETRUN_DTYPE_BOOL})
          .Input(Floats({3}, {0, -0.5f, 2}))
          .Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_BOOL);
  EXPECT_EQ(y.values<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  y = NodeTest("Cast").Attr("to", int64_t{HETRUN_DTYPE_INT64}).Input(Bools({2}, {1, 0})).Run1();
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{1, 0}));
  y = NodeTest("Cast")
          .Attr("to", int64_t{HETRUN_DTYPE_FLOAT64})
          .Input(Int64s({2}, {-3, 1LL << 40}))
          .Run1();
  EXPECT_EQ(y.values<double>(), (std::vector<double>{-3.0, 1099511627776.0}));
  // Strings are packed values (kernels_string_test.cpp); only floats and integers convert.
  EXPECT_NE(NodeTest("Cast")
                .Attr("to", int64_t{HETRUN_DTYPE_STRING})
                .Input(Bools({1}, {1}))
                .Error()
                .find("between string and bool is not supported"),
            std::string::npos);
}

TEST(ShapeKernels, DropoutIsIdentityWithMask) {
  const std::vector<HostTensor> y = NodeTest("Dropout", 13)
                                        .Input(Floats({3}, {1, 2, 3}))
                                        .Const(Floats({}, {0.5f}))
                                        .Outputs({true, true})
                                        .Run();
  ExpectClose(y[0].values<float>(), {1, 2, 3});
  EXPECT_EQ(y[1].dtype, HETRUN_DTYPE_BOOL);
  EXPECT_EQ(y[1].values<uint8_t>(), (std::vector<uint8_t>{1, 1, 1}));
}

TEST(ShapeKernels, DropoutWithRunTimeTrainingMode) {
  const HostTensor x = Floats({64}, std::vector<float>(64, 3.0f));
  auto run = [&](float ratio, bool training) {
    return NodeTest("Dropout", 13)
        .Attr("seed", int64_t{7})
        .Input(x)
        .Input(Floats({}, {ratio}))
        .Input(Bools({}, {static_cast<uint8_t>(training)}))
        .Outputs({true, true})
        .Run();
  };
  for (const auto& [ratio, training] : {std::pair{0.0f, true}, std::pair{0.5f, false}}) {
    const std::vector<HostTensor> y = run(ratio, training);
    ExpectClose(y[0].values<float>(), std::vector<float>(64, 3.0f));
    EXPECT_EQ(y[1].values<uint8_t>(), std::vector<uint8_t>(64, 1));
  }
  // Training with ratio 0.5: kept elements are scaled by 2, dropped ones are 0, as the mask says.
  const std::vector<HostTensor> y = run(0.5f, true);
  const std::vector<float> v = y[0].values<float>();
  const std::vector<uint8_t> mask = y[1].values<uint8_t>();
  int kept = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i], mask[i] ? 6.0f : 0.0f) << i;
    kept += mask[i];
  }
  EXPECT_GT(kept, 8);
  EXPECT_LT(kept, 56);
}

}  // namespace
}  // namespace hetrun::test
