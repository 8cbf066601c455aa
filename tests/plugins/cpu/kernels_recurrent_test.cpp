// CPU kernels for RNN, GRU and LSTM. Expected values are from numpy, written from the ONNX
// operator equations (gate orders: GRU z, r, h; LSTM i, o, f, c).
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

TEST(RecurrentKernels, RnnBidirectionalWithSequenceLens) {
  // seq 3, batch 2, input 2, hidden 2; batch entry 1 has length 2.
  auto out =
      NodeTest("RNN", 14)
          .Attr("hidden_size", int64_t{2})
          .Attr("direction", std::string("bidirectional"))
          .Input(Floats({3, 2, 2}, {0.10f, 0.43f, 0.21f, 0.09f, -0.15f, 0.29f, -0.12f, 0.78f, 0.93f,
                                    -0.23f, 0.58f, 0.06f}))
          .Const(Floats({2, 2, 2}, {0.14f, 0.85f, -0.86f, -0.83f, -0.96f, 0.67f, 0.56f, 0.74f}))
          .Const(Floats({2, 2, 2}, {0.96f, 0.60f, -0.08f, 0.56f, -0.76f, 0.28f, -0.71f, 0.89f}))
          .Const(Floats({2, 4}, {0.04f, -0.17f, -0.47f, 0.55f, -0.09f, 0.14f, -0.96f, 0.24f}))
          .Input(Int64s({2}, {3, 2}))
          .Outputs({true, true})
          .Run();
  EXPECT_EQ(out[0].dims, (std::vector<int64_t>{3, 2, 2, 2}));
  ExpectClose(
      out[0].values<float>(),
      {-0.050457f, -0.062817f, -0.313209f, 0.124058f,  -0.631782f, 0.896116f, -0.601473f, 0.900429f,
       -0.282714f, 0.232810f,  -0.010046f, -0.069558f, 0.197632f,  0.941868f, -0.390339f, 0.711394f,
       -0.555996f, -0.075764f, 0.0f,       0.0f,       -0.970271f, 0.623432f, 0.0f,       0.0f},
      1e-4f, 1e-5f);
  ExpectClose(out[1].values<float>(),
              {-0.555996f, -0.075764f, -0.010046f, -0.069558f, -0.631782f, 0.896116f, -0.601473f,
               0.900429f},
              1e-4f, 1e-5f);
}

TEST(RecurrentKernels, GruWithInitialStateBothResetModes) {
  const std::vector<float> expected_y[2] = {
      {-0.193803f, -0.438052f, -0.220018f, -0.675906f, -0.352258f, -0.397061f, -0.293067f,
       -0.398834f, -0.512107f, -0.547908f, -0.387342f, -0.234699f},
      {-0.116602f, -0.556282f, -0.107511f, -0.764481f, -0.233569f, -0.528475f, -0.113994f,
       -0.495237f, -0.367780f, -0.637132f, -0.191755f, -0.322110f}};
  for (int64_t lbr : {0, 1}) {
    auto out = NodeTest("GRU", 14)
                   .Attr("hidden_size", int64_t{2})
                   .Attr("linear_before_reset", lbr)
                   .Input(Floats({3, 2, 2}, {0.22f, 0.23f, 0.89f, 0.36f, -0.28f, -0.13f, 0.40f,
                                             -0.88f, 0.33f, 0.34f, -0.58f, -0.74f}))
                   .Const(Floats({1, 6, 2}, {-0.37f, -0.27f, 0.14f, -0.12f, 0.98f, -0.80f, -0.58f,
                                             -0.68f, 0.31f, -0.49f, -0.07f, -0.51f}))
                   .Const(Floats({1, 6, 2}, {-0.68f, -0.78f, 0.31f, -0.72f, -0.61f, -0.26f, 0.64f,
                                             -0.81f, 0.68f, -0.81f, 0.95f, -0.06f}))
                   .Const(Floats({1, 12}, {0.95f, 0.21f, 0.48f, -0.92f, -0.43f, -0.76f, -0.41f,
                                           -0.76f, -0.36f, -0.17f, -0.87f, 0.38f}))
                   .NoInput()
                   .Input(Floats({1, 2, 2}, {0.13f, -0.47f, 0.05f, -0.81f}))
                   .Outputs({true, true})
                   .Run();
    const std::vector<float>& y = expected_y[lbr];
    ExpectClose(out[0].values<float>(), y, 1e-4f, 1e-5f);
    ExpectClose(out[1].values<float>(), std::vector<float>(y.end() - 4, y.end()), 1e-4f, 1e-5f);
  }
}

TEST(RecurrentKernels, LstmReverseWithPeepholes) {
  auto out =
      NodeTest("LSTM", 14)
          .Attr("hidden_size", int64_t{2})
          .Attr("direction", std::string("reverse"))
          .Input(Floats({3, 2, 2}, {0.15f, 0.86f, -0.36f, 0.33f, -0.74f, 0.43f, -0.42f, -0.63f,
                                    0.17f, -0.96f, 0.66f, -0.99f}))
          .Const(Floats({1, 8, 2}, {0.36f, -0.46f, 0.47f, 0.92f, -0.50f, 0.15f, 0.18f, 0.14f,
                                    -0.55f, 0.91f, -0.11f, 0.69f, 0.40f, -0.41f, 0.63f, -0.21f}))
          .Const(Floats({1, 8, 2}, {0.76f, 0.16f, 0.76f, 0.39f, 0.45f, 0.00f, 0.91f, 0.29f, -0.15f,
                                    0.21f, -0.96f, -0.40f, 0.32f, -0.42f, 0.24f, -0.14f}))
          .Const(Floats({1, 16}, {-0.73f, -0.40f, 0.14f, 0.18f, 0.15f, 0.31f, 0.30f, -0.14f, 0.79f,
                                  -0.26f, -0.13f, 0.78f, 0.61f, 0.41f, -0.80f, 0.84f}))
          .NoInput()
          .Input(Floats({1, 2, 2}, {-0.75f, 0.70f, 0.61f, 0.14f}))
          .Input(Floats({1, 2, 2}, {-0.19f, -0.86f, 0.39f, -0.09f}))
          .Const(Floats({1, 6}, {0.43f, 1.00f, -0.70f, 0.74f, -0.68f, 0.23f}))
          .Outputs({true, true, true})
          .Run();
  ExpectClose(out[0].values<float>(),
              {-0.355336f, -0.044248f, -0.213653f, 0.263266f, -0.343423f, -0.187004f, -0.036671f,
               0.200691f, -0.148758f, -0.214784f, 0.133863f, 0.200887f},
              1e-4f, 1e-5f);
  ExpectClose(out[1].values<float>(), {-0.355336f, -0.044248f, -0.213653f, 0.263266f}, 1e-4f,
              1e-5f);
  ExpectClose(out[2].values<float>(), {-0.686732f, -0.066508f, -0.361343f, 0.354466f}, 1e-4f,
              1e-5f);
}

TEST(RecurrentKernels, DeclinesUnsupportedActivationParameters) {
  EXPECT_NE(NodeTest("RNN", 14)
                .Attr("hidden_size", int64_t{2})
                .Attr("activation_alpha", std::vector<float>{0.5f})
                .Input(Floats({1, 1, 2}, {0, 0}))
                .Const(Floats({1, 2, 2}, {0, 0, 0, 0}))
                .Const(Floats({1, 2, 2}, {0, 0, 0, 0}))
                .Error(),
            "");
}

}  // namespace
}  // namespace hetrun::test
