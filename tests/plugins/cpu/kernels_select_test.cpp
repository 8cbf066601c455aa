// CPU kernels that scatter, gather by index tuples, select by value or quantize: ScatterElements,
// ScatterND, GatherND, NonZero, Compress, ReverseSequence, Unique, NonMaxSuppression,
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, Einsum, Det, the window
// generators and MeanVarianceNormalization. Expected values are from numpy.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

using I64 = std::vector<int64_t>;

TEST(ScatterKernels, ScatterElementsAddWithDuplicates) {
  const HostTensor y = NodeTest("ScatterElements", 16)
                           .Attr("axis", int64_t{1})
                           .Attr("reduction", std::string("add"))
                           .Input(Floats({1, 5}, {1, 2, 3, 4, 5}))
                           .Input(Int64s({1, 3}, {1, 3, -4}))
                           .Input(Floats({1, 3}, {1.1f, 2.1f, 3.1f}))
                           .Run1();
  ExpectClose(y.values<float>(), {1.0f, 6.2f, 3.0f, 6.1f, 5.0f});
}

TEST(ScatterKernels, ScatterNDMulAndGatherNDBatchDims) {
  HostTensor y = NodeTest("ScatterND", 16)
                     .Attr("reduction", std::string("mul"))
                     .Input(Floats({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}))
                     .Input(Int64s({3, 1}, {1, 0, 1}))
                     .Input(Floats({3, 4}, {2, 2, 2, 2, 3, 3, 3, 3, 0.5f, 1, 1, 1}))
                     .Run1();
  ExpectClose(y.values<float>(), {3, 6, 9, 12, 5, 12, 14, 16});
  y = NodeTest("GatherND", 13)
          .Attr("batch_dims", int64_t{1})
          .Input(Int64s({2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
          .Input(Int64s({2, 2, 2}, {1, 0, 2, 1, 0, 1, 1, 1}))
          .Run1();
  EXPECT_EQ(y.dims, (I64{2, 2}));
  EXPECT_EQ(y.values<int64_t>(), (I64{2, 5, 7, 9}));
}

TEST(SelectKernels, NonZeroCompressReverseSequence) {
  HostTensor y = NodeTest("NonZero", 13).Input(Floats({2, 3}, {0, 1.5f, 0, 2, 0, -1})).Run1();
  EXPECT_EQ(y.dims, (I64{2, 3}));
  EXPECT_EQ(y.values<int64_t>(), (I64{0, 1, 1, 1, 0, 2}));
  const HostTensor x = Int64s({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  y = NodeTest("Compress", 11)
          .Attr("axis", int64_t{0})
          .Input(x)
          .Input(Bools({3}, {0, 1, 1}))
          .Run1();
  EXPECT_EQ(y.dims, (I64{2, 4}));
  EXPECT_EQ(y.values<int64_t>(), (I64{4, 5, 6, 7, 8, 9, 10, 11}));
  y = NodeTest("Compress", 11)
          .Attr("axis", int64_t{-1})
          .Input(x)
          .Input(Bools({4}, {1, 0, 1, 1}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(), (I64{0, 2, 3, 4, 6, 7, 8, 10, 11}));
  // Time-major: [time 4, batch 3].
  y = NodeTest("ReverseSequence", 10)
          .Input(Int64s({4, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
          .Input(Int64s({3}, {4, 2, 1}))
          .Run1();
  EXPECT_EQ(y.values<int64_t>(), (I64{9, 4, 2, 6, 1, 5, 3, 7, 8, 0, 10, 11}));
}

TEST(SelectKernels, UniqueSortedUnsortedAndAxis) {
  const HostTensor x = Floats({6}, {2, 1, 1, 3, 4, 3});
  std::vector<HostTensor> r =
      NodeTest("Unique", 11).Input(x).Outputs({true, true, true, true}).Run();
  EXPECT_EQ(r[0].values<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(r[1].values<int64_t>(), (I64{1, 0, 3, 4}));
  EXPECT_EQ(r[2].values<int64_t>(), (I64{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(r[3].values<int64_t>(), (I64{2, 1, 2, 1}));
  r = NodeTest("Unique", 11)
          .Attr("sorted", int64_t{0})
          .Input(x)
          .Outputs({true, true, true, true})
          .Run();
  EXPECT_EQ(r[0].values<float>(), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(r[1].values<int64_t>(), (I64{0, 1, 3, 4}));
  EXPECT_EQ(r[2].values<int64_t>(), (I64{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(r[3].values<int64_t>(), (I64{1, 2, 2, 1}));
  r = NodeTest("Unique", 11)
          .Attr("axis", int64_t{0})
          .Input(Int64s({3, 3}, {1, 0, 0, 1, 0, 0, 2, 3, 4}))
          .Outputs({true, true, true, true})
          .Run();
  EXPECT_EQ(r[0].dims, (I64{2, 3}));
  EXPECT_EQ(r[0].values<int64_t>(), (I64{1, 0, 0, 2, 3, 4}));
  EXPECT_EQ(r[1].values<int64_t>(), (I64{0, 2}));
  EXPECT_EQ(r[2].values<int64_t>(), (I64{0, 0, 1}));
  EXPECT_EQ(r[3].values<int64_t>(), (I64{2, 1}));
}

TEST(SelectKernels, NonMaxSuppressionFlippedBoxes) {
  // Boxes 0 and 1 overlap with IoU 0.81 (box 1 given with flipped corners); box 2 is separate.
  const HostTensor y = NodeTest("NonMaxSuppression", 11)
                           .Input(Floats({1, 3, 4}, {0, 0, 1, 1, 1, 1, 0.1f, 0.1f, 0, 10, 1, 11}))
                           .Input(Floats({1, 1, 3}, {0.9f, 0.95f, 0.3f}))
                           .Input(Int64s({1}, {3}))
                           .Input(Floats({1}, {0.5f}))
                           .Input(Floats({1}, {0.0f}))
                           .Run1();
  EXPECT_EQ(y.dims, (I64{2, 3}));
  EXPECT_EQ(y.values<int64_t>(), (I64{0, 0, 1, 0, 0, 2}));
}

TEST(QuantizeKernels, QuantizeDequantizeRoundingAndAxis) {
  HostTensor y = NodeTest("QuantizeLinear", 13)
                     .Input(Floats({7}, {-1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 300, -300}))
                     .Input(Floats({}, {1.0f}))
                     .Input(Tensor<int8_t>({}, {2}))
                     .Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_INT8);
  EXPECT_EQ(y.values<int8_t>(), (std::vector<int8_t>{0, 2, 2, 4, 4, 127, -128}));
  y = NodeTest("DequantizeLinear", 13)
          .Attr("axis", int64_t{0})
          .Input(Tensor<uint8_t>({2, 4}, {0, 3, 128, 255, 10, 20, 30, 40}))
          .Input(Floats({2}, {0.5f, 2}))
          .Input(Tensor<uint8_t>({2}, {128, 10}))
          .Run1();
  ExpectClose(y.values<float>(), {-64, -62.5f, 0, 63.5f, 0, 20, 40, 60});
  const std::vector<HostTensor> d = NodeTest("DynamicQuantizeLinear", 11)
                                        .Input(Floats({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f}))
                                        .Outputs({true, true, true})
                                        .Run();
  EXPECT_EQ(d[0].values<uint8_t>(), (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
  ExpectClose(d[1].values<float>(), {0.019607844f});
  EXPECT_EQ(d[2].values<uint8_t>(), (std::vector<uint8_t>{153}));
}

TEST(QuantizeKernels, MatMulIntegerZeroPoint) {
  const HostTensor y = NodeTest("MatMulInteger", 10)
                           .Input(Tensor<uint8_t>({4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}))
                           .Input(Tensor<uint8_t>({3, 2}, {1, 4, 2, 5, 3, 6}))
                           .Input(Tensor<uint8_t>({}, {12}))
                           .Input(Tensor<uint8_t>({}, {0}))
                           .Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_INT32);
  EXPECT_EQ(y.values<int32_t>(), (std::vector<int32_t>{-38, -83, -44, -98, -50, -113, -56, -128}));
}

TEST(LinalgMiscKernels, EinsumExplicitImplicitAndDiagonal) {
  const HostTensor a = Floats({2, 3}, {0, 1, 2, 3, 4, 5});
  HostTensor y = NodeTest("Einsum", 12)
                     .Attr("equation", std::string("ij,jk->ik"))
                     .Input(a)
                     .Input(Floats({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
                     .Run1();
  EXPECT_EQ(y.dims, (I64{2, 4}));
  ExpectClose(y.values<float>(), {20, 23, 26, 29, 56, 68, 80, 92});
  // Implicit output: subscripts in alphabetical order, so "ji" transposes.
  y = NodeTest("Einsum", 12).Attr("equation", std::string("ji")).Input(a).Run1();
  EXPECT_EQ(y.dims, (I64{3, 2}));
  ExpectClose(y.values<float>(), {0, 3, 1, 4, 2, 5});
  std::vector<float> x(18);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  y = NodeTest("Einsum", 12)
          .Attr("equation", std::string("...ii->...i"))
          .Input(Floats({2, 3, 3}, x))
          .Run1();
  EXPECT_EQ(y.dims, (I64{2, 3}));
  ExpectClose(y.values<float>(), {0, 4, 8, 9, 13, 17});
}

TEST(LinalgMiscKernels, DetWindowsAndMvn) {
  HostTensor y = NodeTest("Det", 11).Input(Floats({2, 2, 2}, {1, 2, 3, 4, 2, 0.5f, 1, 3})).Run1();
  EXPECT_EQ(y.dims, (I64{2}));
  ExpectClose(y.values<float>(), {-2, 5.5f});
  y = NodeTest("Det", 11).Input(Tensor<double>({3, 3}, {0, 2, 1, 3, -1, 2, 1, 1, 4})).Run1();
  EXPECT_NEAR(y.values<double>()[0], -16.0, 1e-12);
  y = NodeTest("HannWindow", 17).Input(Int64s({}, {5})).Run1();
  ExpectClose(y.values<float>(), {0, 0.3454915f, 0.9045085f, 0.9045085f, 0.3454915f});
  y = NodeTest("BlackmanWindow", 17)
          .Attr("periodic", int64_t{0})
          .Attr("output_datatype", int64_t{HETRUN_DTYPE_FLOAT64})
          .Input(Int64s({}, {5}))
          .Run1();
  EXPECT_EQ(y.dtype, HETRUN_DTYPE_FLOAT64);
  const std::vector<double> b = y.values<double>(), want{0, 0.34, 1, 0.34, 0};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(b[i], want[i], 1e-12) << i;
  y = NodeTest("MeanVarianceNormalization", 13)
          .Attr("axes", std::vector<int64_t>{1, 2})
          .Input(Floats({1, 2, 2}, {1, 2, 3, 5}))
          .Run1();
  ExpectClose(y.values<float>(), {-1.1832159f, -0.5070925f, 0.1690308f, 1.5212775f}, 1e-5f, 1e-6f);
}

}  // namespace
}  // namespace hetrun::test
