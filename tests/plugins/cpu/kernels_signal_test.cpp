// CPU kernels for signal processing: DFT, STFT and MelWeightMatrix. Expected values are from
// numpy.fft and ONNX's reference MelWeightMatrix (pasted).
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

using I64 = std::vector<int64_t>;

TEST(SignalKernels, DftRealComplexInverseOnesidedAndLength) {
  // np.fft.fft([1, 2, 0, -1, 3]): a length the radix-2 path cannot take.
  HostTensor y = NodeTest("DFT", 17).Input(Floats({1, 5, 1}, {1, 2, 0, -1, 3})).Run1();
  EXPECT_EQ(y.dims, (I64{1, 5, 2}));
  ExpectClose(y.values<float>(), {5, 0, 3.354102f, 0.363271f, -3.354102f, 1.538842f, -3.354102f,
                                  -1.538842f, 3.354102f, -0.363271f});
  // One-sided over the power-of-two length 8.
  y = NodeTest("DFT", 17)
          .Attr("onesided", int64_t{1})
          .Input(Floats({1, 8, 1}, {1, 2, 0, -1, 3, 0.5f, -2, 4}))
          .Run1();
  EXPECT_EQ(y.dims, (I64{1, 5, 2}));
  ExpectClose(y.values<float>(),
              {7.5f, 0, 2.596194f, 0.474874f, 6, 0.5f, -6.596194f, 4.474874f, -3.5f, 0});
  // dft_length 8 zero-pads the length-5 signal (np.fft.fft(x, 8)[:3]).
  y = NodeTest("DFT", 17).Input(Floats({1, 5, 1}, {1, 2, 0, -1, 3})).Input(Int64s({}, {8})).Run1();
  EXPECT_EQ(y.dims, (I64{1, 8, 2}));
  const std::vector<float> padded = y.values<float>();
  ExpectClose(std::vector<float>(padded.begin(), padded.begin() + 6),
              {5, 0, 0.12132f, -0.707107f, 4, -3});
  // Inverse of a complex signal, along axis 2 of [1, 1, 3, 2] (np.fft.ifft).
  y = NodeTest("DFT", 17)
          .Attr("inverse", int64_t{1})
          .Attr("axis", int64_t{2})
          .Input(Floats({1, 1, 3, 2}, {1, 2, -1, 0.5f, 3, -1}))
          .Run1();
  ExpectClose(y.values<float>(), {1, 0.5f, -0.433013f, -0.404701f, 0.433013f, 1.904701f});
  const std::string err = NodeTest("DFT", 17)
                              .Attr("onesided", int64_t{1})
                              .Input(Floats({1, 2, 2}, {1, 2, 3, 4}))
                              .Error();
  EXPECT_NE(err.find("complex"), std::string::npos) << err;
}

TEST(SignalKernels, StftWithWindow) {
  // Frames of 4 every 3 samples of 0..9, times the window; np.fft.fft(frame * window)[:3].
  std::vector<float> signal(10);
  for (size_t i = 0; i < signal.size(); ++i) signal[i] = static_cast<float>(i);
  const HostTensor y = NodeTest("STFT", 17)
                           .Input(Floats({1, 10, 1}, signal))
                           .Input(Int64s({}, {3}))
                           .Input(Floats({4}, {0.5f, 1, 1, 0.5f}))
                           .Run1();
  EXPECT_EQ(y.dims, (I64{1, 3, 3, 2}));
  ExpectClose(y.values<float>(), {4.5f, 0, -2, 0.5f, -0.5f, 0, 13.5f, 0, -3.5f, -1, -0.5f, 0, 22.5f,
                                  0, -5, -2.5f, -0.5f, 0});
  const std::string err =
      NodeTest("STFT", 17).Input(Floats({1, 10, 1}, signal)).Input(Int64s({}, {3})).Error();
  EXPECT_NE(err.find("window or a frame_length"), std::string::npos) << err;
}

TEST(SignalKernels, MelWeightMatrixMatchesOnnxReference) {
  // 3 mel bins, dft_length 32, 1600 Hz, 50..800 Hz: edges at bins 1, 3, 5, 9, 12.
  const HostTensor y = NodeTest("MelWeightMatrix", 17)
                           .Input(Int64s({}, {3}))
                           .Input(Int64s({}, {32}))
                           .Input(Int64s({}, {1600}))
                           .Input(Floats({}, {50}))
                           .Input(Floats({}, {800}))
                           .Run1();
  EXPECT_EQ(y.dims, (I64{17, 3}));
  std::vector<float> want(17 * 3, 0.0f);
  const std::vector<std::vector<float>> rows = {
      {0.5f, 0, 0},    {1, 0, 0},         {0.5f, 0.5f, 0}, {0, 1, 0},        {0, 0.75f, 0.25f},
      {0, 0.5f, 0.5f}, {0, 0.25f, 0.75f}, {0, 0, 1},       {0, 0, 2.0f / 3}, {0, 0, 1.0f / 3}};
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < 3; ++c) want[(r + 2) * 3 + c] = rows[r][c];
  ExpectClose(y.values<float>(), want);
}

}  // namespace
}  // namespace hetrun::test
