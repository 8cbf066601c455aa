// MaxPool's fast path (pool.cpp, MaxPlaneUndilated): the columns whose window lies wholly inside
// the input run as one vectorised pass per tap, the edge columns one window at a time. Checked
// against a window-by-window loop with the same NaN rule (a window's first element is taken as
// is, later ones only when greater) for strides 1, 2 and 3, with and without padding, widths that
// leave no interior column, and NaNs both first in a window and later in it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

struct Case {
  int64_t H, W, KH, KW, S, pad;
};

std::vector<float> WindowByWindow(const Case& c, const std::vector<float>& x, int64_t planes,
                                  int64_t OH, int64_t OW) {
  std::vector<float> y;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        bool seen = false;
        float m = std::numeric_limits<float>::lowest();
        for (int64_t kh = 0; kh < c.KH; ++kh)
          for (int64_t kw = 0; kw < c.KW; ++kw) {
            const int64_t ih = oh * c.S - c.pad + kh, iw = ow * c.S - c.pad + kw;
            if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
            const float v = x[static_cast<size_t>((p * c.H + ih) * c.W + iw)];
            if (!seen || v > m) m = v;
            seen = true;
          }
        y.push_back(m);
      }
  return y;
}

TEST(MaxPoolColumns, MatchWindowByWindow) {
  const Case cases[] = {{2, 48, 2, 2, 2, 0}, {3, 17, 3, 3, 1, 1}, {5, 40, 3, 3, 2, 1},
                        {4, 23, 2, 3, 3, 0}, {6, 2, 2, 2, 1, 0},  {3, 3, 3, 3, 1, 1},
                        {7, 64, 3, 2, 2, 1}};
  uint32_t seed = 7;
  for (const Case& c : cases) {
    const int64_t planes = 3;
    const int64_t OH = (c.H + 2 * c.pad - c.KH) / c.S + 1, OW = (c.W + 2 * c.pad - c.KW) / c.S + 1;
    std::vector<float> x = RandomFloats(static_cast<size_t>(planes * c.H * c.W), seed++);
    // NaNs: one at the very start (first in its windows), one in the middle (later in some).
    x[0] = std::nanf("");
    x[x.size() / 2 + 1] = std::nanf("");
    const std::vector<float> want = WindowByWindow(c, x, planes, OH, OW);
    const HostTensor y = NodeTest("MaxPool")
                             .Attr("kernel_shape", std::vector<int64_t>{c.KH, c.KW})
                             .Attr("strides", std::vector<int64_t>{c.S, c.S})
                             .Attr("pads", std::vector<int64_t>{c.pad, c.pad, c.pad, c.pad})
                             .Input(Floats({1, planes, c.H, c.W}, x))
                             .Run1();
    ASSERT_EQ(y.dims, (std::vector<int64_t>{1, planes, OH, OW}));
    const std::vector<float> got = y.values<float>();
    for (size_t i = 0; i < want.size(); ++i) {
      const std::string what = "case " + std::to_string(c.H) + "x" + std::to_string(c.W) + " k " +
                               std::to_string(c.KH) + "x" + std::to_string(c.KW) + " s " +
                               std::to_string(c.S) + " pad " + std::to_string(c.pad) +
                               ", element " + std::to_string(i);
      if (std::isnan(want[i]))
        EXPECT_TRUE(std::isnan(got[i])) << what << ": got " << got[i];
      else
        EXPECT_EQ(got[i], want[i]) << what;
    }
  }
}

}  // namespace
}  // namespace hetrun::test
