// CPU kernels for resampling and transposed/unpooling ops: Resize, ConvTranspose, GridSample,
// RoiAlign, MaxUnpool, LRN and MaxPool's Indices. Expected values are from the ONNX reference
// (numpy, pasted) or naive loops written here.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

// 0.5 * i - 1 for a 1x1x3x4 input, with element (1, 2) set to 7.
std::vector<float> ResizeInput(bool bump) {
  std::vector<float> v(12);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5f * static_cast<float>(i) - 1.0f;
  if (bump) v[6] = 7.0f;
  return v;
}

}  // namespace

TEST(ResizeKernels, LinearHalfPixelScales) {
  const HostTensor y = NodeTest("Resize", 13)
                           .Attr("mode", std::string("linear"))
                           .Input(Floats({1, 1, 3, 4}, ResizeInput(false)))
                           .NoInput()
                           .Const(Floats({4}, {1, 1, 2, 1.5f}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 6, 6}));
  ExpectClose(
      y.values<float>(),
      {-1,        -0.75, -0.4166667, -0.08333334, 0.25, 0.5,      -0.5,     -0.25, 0.08333334,
       0.4166667, 0.75,  1,          0.5,         0.75, 1.083333, 1.416667, 1.75,  2,
       1.5,       1.75,  2.083333,   2.416667,    2.75, 3,        2.5,      2.75,  3.083333,
       3.416667,  3.75,  4,          3,           3.25, 3.583333, 3.916667, 4.25,  4.5},
      1e-5f, 1e-5f);
}

TEST(ResizeKernels, CubicExcludeOutsideSizes) {
  const HostTensor y = NodeTest("Resize", 13)
                           .Attr("mode", std::string("cubic"))
                           .Attr("cubic_coeff_a", -0.5f)
                           .Attr("exclude_outside", int64_t{1})
                           .Input(Floats({1, 1, 3, 4}, ResizeInput(true)))
                           .NoInput()
                           .NoInput()
                           .Input(Int64s({4}, {1, 1, 2, 3}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 2, 3}));
  ExpectClose(y.values<float>(),
              {-0.6243911f, 0.6811131f, 0.9163539f, 2.704076f, 4.00958f, 4.244821f}, 1e-5f, 1e-5f);
}

TEST(ResizeKernels, NearestRoundPreferCeilAsymmetric) {
  const HostTensor y = NodeTest("Resize", 13)
                           .Attr("mode", std::string("nearest"))
                           .Attr("nearest_mode", std::string("round_prefer_ceil"))
                           .Attr("coordinate_transformation_mode", std::string("asymmetric"))
                           .Input(Floats({1, 1, 3, 4}, ResizeInput(false)))
                           .NoInput()
                           .NoInput()
                           .Const(Int64s({4}, {1, 1, 5, 7}))
                           .Run1();
  const std::vector<float> row0{-1, -0.5, -0.5, 0, 0, 0.5, 0.5};
  const std::vector<float> row1{1, 1.5, 1.5, 2, 2, 2.5, 2.5};
  const std::vector<float> row2{3, 3.5, 3.5, 4, 4, 4.5, 4.5};
  std::vector<float> expected;
  for (const auto* r : {&row0, &row1, &row1, &row2, &row2})
    expected.insert(expected.end(), r->begin(), r->end());
  ExpectClose(y.values<float>(), expected);
}

TEST(ResizeKernels, TfCropAndResizeExtrapolates) {
  const HostTensor y =
      NodeTest("Resize", 13)
          .Attr("mode", std::string("linear"))
          .Attr("coordinate_transformation_mode", std::string("tf_crop_and_resize"))
          .Attr("extrapolation_value", 10.0f)
          .Input(Floats({1, 1, 3, 4}, ResizeInput(true)))
          .Input(Floats({8}, {0, 0, 0.2f, -0.1f, 1, 1, 0.9f, 0.8f}))
          .NoInput()
          .Input(Int64s({4}, {1, 1, 3, 3}))
          .Run1();
  ExpectClose(y.values<float>(), {10, 0.425f, 2.2f, 10, 1.95f, 5.1f, 10, 3.175f, 4.4f}, 1e-5f,
              1e-5f);
}

TEST(ResizeKernels, UpsampleScalesAttributeRepeats) {
  const HostTensor y = NodeTest("Upsample", 7)
                           .Attr("scales", std::vector<float>{1, 1, 2, 3})
                           .Input(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 4, 6}));
  ExpectClose(y.values<float>(),
              {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

// Naive transposed convolution: every input pixel scatters its weighted kernel.
TEST(ConvTransposeKernels, MatchesNaiveScatter) {
  const int64_t C = 4, group = 2, Mg = 3, H = 3, W = 4, KH = 2, KW = 3;
  const int64_t SH = 2, SW = 1, DH = 1, DW = 2, PT = 1, PL = 0, PB = 0, PR = 1, OPH = 1;
  const int64_t OH = SH * (H - 1) + OPH + (KH - 1) * DH + 1 - PT - PB;
  const int64_t OW = SW * (W - 1) + (KW - 1) * DW + 1 - PL - PR;
  const std::vector<float> x = RandomFloats(static_cast<size_t>(2 * C * H * W), 1);
  const std::vector<float> w = RandomFloats(static_cast<size_t>(C * Mg * KH * KW), 2);
  const std::vector<float> b = RandomFloats(static_cast<size_t>(group * Mg), 3);
  const HostTensor y = NodeTest("ConvTranspose")
                           .Attr("group", group)
                           .Attr("strides", std::vector<int64_t>{SH, SW})
                           .Attr("dilations", std::vector<int64_t>{DH, DW})
                           .Attr("pads", std::vector<int64_t>{PT, PL, PB, PR})
                           .Attr("output_padding", std::vector<int64_t>{OPH, 0})
                           .Input(Floats({2, C, H, W}, x))
                           .Const(Floats({C, Mg, KH, KW}, w))
                           .Input(Floats({group * Mg}, b))
                           .Run1();
  const int64_t M = group * Mg;
  ASSERT_EQ(y.dims, (std::vector<int64_t>{2, M, OH, OW}));
  std::vector<float> expected(static_cast<size_t>(2 * M * OH * OW));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < OH * OW; ++i)
        expected[static_cast<size_t>((n * M + m) * OH * OW + i)] = b[m];
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < Mg; ++m)
        for (int64_t ih = 0; ih < H; ++ih)
          for (int64_t iw = 0; iw < W; ++iw)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t oh = ih * SH + kh * DH - PT, ow = iw * SW + kw * DW - PL;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const int64_t om = (c / (C / group)) * Mg + m;
                expected[static_cast<size_t>(((n * M + om) * OH + oh) * OW + ow)] +=
                    x[static_cast<size_t>(((n * C + c) * H + ih) * W + iw)] *
                    w[static_cast<size_t>(((c * Mg + m) * KH + kh) * KW + kw)];
              }
  ExpectClose(y.values<float>(), expected, 1e-4f, 1e-5f);
}

TEST(GridSampleKernels, AlignCornersIdentityAndBorder) {
  // With align_corners, grid points -1, 0, 1 hit pixel centres exactly; the last point lies
  // beyond the right edge and is clamped by border padding.
  const std::vector<float> x{1, 2, 3, 4, 5, 6};  // 1x1x2x3
  const HostTensor y = NodeTest("GridSample", 16)
                           .Attr("align_corners", int64_t{1})
                           .Attr("padding_mode", std::string("border"))
                           .Input(Floats({1, 1, 2, 3}, x))
                           .Input(Floats({1, 1, 4, 2}, {-1, -1, 0, 1, 0.5f, 0, 3, -1}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 1, 4}));
  // (0.5, 0) maps to x = 1.5, y = 0.5: mean of 2, 3, 5, 6.
  ExpectClose(y.values<float>(), {1, 5, 4, 3});
}

TEST(GridSampleKernels, NearestZerosPadding) {
  const HostTensor y = NodeTest("GridSample", 16)
                           .Attr("mode", std::string("nearest"))
                           .Input(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))
                           .Input(Floats({1, 1, 3, 2}, {-0.5f, -0.5f, 0.5f, 0.5f, 1.5f, 0}))
                           .Run1();
  ExpectClose(y.values<float>(), {1, 4, 0});
}

TEST(PoolKernels, MaxPoolIndicesRowAndColumnMajor) {
  std::vector<float> x(25);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  for (int64_t order : {0, 1}) {
    const std::vector<HostTensor> out = NodeTest("MaxPool")
                                            .Attr("kernel_shape", std::vector<int64_t>{2, 2})
                                            .Attr("strides", std::vector<int64_t>{2, 2})
                                            .Attr("storage_order", order)
                                            .Input(Floats({1, 1, 5, 5}, x))
                                            .Outputs({true, true})
                                            .Run();
    ExpectClose(out[0].values<float>(), {6, 8, 16, 18});
    EXPECT_EQ(out[1].values<int64_t>(),
              order ? (std::vector<int64_t>{6, 16, 8, 18}) : (std::vector<int64_t>{6, 8, 16, 18}));
  }
}

TEST(PoolKernels, ThreeDimensionalAverage) {
  std::vector<float> x(2 * 3 * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  const HostTensor y = NodeTest("AveragePool")
                           .Attr("kernel_shape", std::vector<int64_t>{2, 2, 2})
                           .Input(Floats({1, 1, 2, 3, 4}, x))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 1, 2, 3}));
  // Window (0..1, h..h+1, w..w+1): mean of x = 12 d + 4 h + w over the corners.
  ExpectClose(y.values<float>(), {8.5f, 9.5f, 10.5f, 12.5f, 13.5f, 14.5f});
}

TEST(MaxUnpoolKernels, ScattersToIndices) {
  const HostTensor y = NodeTest("MaxUnpool", 11)
                           .Attr("kernel_shape", std::vector<int64_t>{2, 2})
                           .Attr("strides", std::vector<int64_t>{2, 2})
                           .Input(Floats({1, 1, 2, 2}, {5, 6, 7, 8}))
                           .Input(Int64s({1, 1, 2, 2}, {5, 7, 13, 15}))
                           .Input(Int64s({4}, {1, 1, 5, 5}))
                           .Run1();
  // Indices count in MaxPool's 4x4 input, which output_shape pads to 5x5 at the ends.
  std::vector<float> expected(25, 0.0f);
  expected[6] = 5;
  expected[8] = 6;
  expected[16] = 7;
  expected[18] = 8;
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 5, 5}));
  ExpectClose(y.values<float>(), expected);
}

TEST(LrnKernels, MatchesNaiveWindow) {
  const int64_t C = 5, S = 3, size = 4;
  const float alpha = 0.3f, beta = 0.6f, bias = 1.5f;
  const std::vector<float> x = RandomFloats(static_cast<size_t>(2 * C * S), 7);
  const HostTensor y = NodeTest("LRN")
                           .Attr("size", size)
                           .Attr("alpha", alpha)
                           .Attr("beta", beta)
                           .Attr("bias", bias)
                           .Input(Floats({2, C, S}, x))
                           .Run1();
  std::vector<float> expected(x.size());
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        double sq = 0;
        for (int64_t k = c - (size - 1) / 2; k <= c + size / 2; ++k)
          if (k >= 0 && k < C) sq += std::pow(x[static_cast<size_t>((n * C + k) * S + s)], 2);
        const size_t i = static_cast<size_t>((n * C + c) * S + s);
        expected[i] = static_cast<float>(x[i] / std::pow(bias + alpha / size * sq, beta));
      }
  ExpectClose(y.values<float>(), expected, 1e-5f, 1e-6f);
}

TEST(RoiAlignKernel, AveragesBilinearSamplesOfALinearPlane) {
  // X[h][w] = 4h + w is linear, so bilinear samples are exact and each bin's average is the value
  // at its centre. The roi (0.5, 0.5)-(2.5, 2.5) has bins of 1 pixel: centres 0.5 and 1.5 after
  // half_pixel's -0.5 shift, 1 and 2 without it.
  std::vector<float> plane(16);
  for (size_t i = 0; i < plane.size(); ++i) plane[i] = static_cast<float>(i);
  auto run = [&](const std::string& mode) {
    return NodeTest("RoiAlign", 16)
        .Attr("output_height", int64_t{2})
        .Attr("output_width", int64_t{2})
        .Attr("sampling_ratio", int64_t{2})
        .Attr("coordinate_transformation_mode", mode)
        .Input(Floats({1, 1, 4, 4}, plane))
        .Input(Floats({1, 4}, {0.5f, 0.5f, 2.5f, 2.5f}))
        .Input(Int64s({1}, {0}))
        .Run1();
  };
  HostTensor y = run("half_pixel");
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 2, 2}));
  ExpectClose(y.values<float>(), {2.5f, 3.5f, 6.5f, 7.5f});
  ExpectClose(run("output_half_pixel").values<float>(), {5, 6, 9, 10});
  const std::string err = NodeTest("RoiAlign", 16)
                              .Attr("mode", std::string("max"))
                              .Input(Floats({1, 1, 4, 4}, plane))
                              .Input(Floats({1, 4}, {0, 0, 1, 1}))
                              .Input(Int64s({1}, {0}))
                              .Error();
  EXPECT_NE(err.find("mode 'max'"), std::string::npos) << err;
}

}  // namespace hetrun::test
