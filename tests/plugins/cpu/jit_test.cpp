// The LLVM JIT directly: every offered op against the plain C++ formula it replaces, at sizes
// around the vector width, in place, and from several threads at once.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "jit/elementwise_jit.h"

namespace hetrun::cpu {
namespace {

const int64_t kSizes[] = {0, 1, 7, 13, 16, 17, 1000003};

std::vector<float> Inputs(size_t n, uint32_t seed, bool positive = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(positive ? 0.0f : -50.0f, 50.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  // Edge values the formulas must agree on.
  const float specials[] = {0.0f,
                            -0.0f,
                            2.5f,
                            -2.5f,
                            1e-40f,
                            -1e-40f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  for (size_t i = 0; i < n && i < std::size(specials); ++i) v[i] = specials[i];
  return v;
}

// Bitwise equality, with any NaN equal to any NaN.
bool Same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

struct UnaryCase {
  const char* op;
  float (*reference)(float);
};
struct BinaryCase {
  const char* op;
  float (*reference)(float, float);
};

const UnaryCase kUnary[] = {
    {"Relu", [](float x) { return x < 0 ? 0.0f : x; }},
    {"Neg", [](float x) { return -x; }},
    {"Abs", [](float x) { return std::fabs(x); }},
    {"Sqrt", [](float x) { return std::sqrt(x); }},
    {"Floor", [](float x) { return std::floor(x); }},
    {"Ceil", [](float x) { return std::ceil(x); }},
    {"Reciprocal", [](float x) { return 1.0f / x; }},
};
const BinaryCase kBinary[] = {
    {"Add", [](float a, float b) { return a + b; }},
    {"Sub", [](float a, float b) { return a - b; }},
    {"Mul", [](float a, float b) { return a * b; }},
    {"Div", [](float a, float b) { return a / b; }},
    {"Max", [](float a, float b) { return a < b ? b : a; }},
    {"Min", [](float a, float b) { return b < a ? b : a; }},
};

TEST(ElementwiseJit, DescribesTheHost) {
  const std::string description = ElementwiseJit::Get().HostDescription();
  EXPECT_FALSE(description.empty());
  EXPECT_NE(description.find('('), std::string::npos) << description;
}

TEST(ElementwiseJit, UnaryOpsMatchTheirFormulaAtEverySize) {
  for (const UnaryCase& c : kUnary) {
    JitUnaryFn fn = ElementwiseJit::Get().Unary(c.op);
    ASSERT_NE(fn, nullptr) << c.op;
    for (int64_t n : kSizes) {
      const std::vector<float> in = Inputs(static_cast<size_t>(n), 1, c.op == std::string("Sqrt"));
      std::vector<float> out(in.size() + 1, 12345.0f);  // one guard element past the end
      fn(in.data(), out.data(), n);
      size_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) wrong += !Same(out[i], c.reference(in[i]));
      EXPECT_EQ(wrong, 0u) << c.op << " n=" << n;
      EXPECT_EQ(out[in.size()], 12345.0f) << c.op << " wrote past the end, n=" << n;
    }
  }
}

TEST(ElementwiseJit, BinaryOpsMatchTheirFormulaAtEverySize) {
  for (const BinaryCase& c : kBinary) {
    JitBinaryFn fn = ElementwiseJit::Get().Binary(c.op);
    ASSERT_NE(fn, nullptr) << c.op;
    for (int64_t n : kSizes) {
      const std::vector<float> a = Inputs(static_cast<size_t>(n), 2);
      const std::vector<float> b = Inputs(static_cast<size_t>(n), 3);
      std::vector<float> out(a.size() + 1, 12345.0f);
      fn(a.data(), b.data(), out.data(), n);
      size_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) wrong += !Same(out[i], c.reference(a[i], b[i]));
      EXPECT_EQ(wrong, 0u) << c.op << " n=" << n;
      EXPECT_EQ(out[a.size()], 12345.0f) << c.op << " wrote past the end, n=" << n;
    }
  }
}

TEST(ElementwiseJit, MaxAndMinTreatNaNLikeThePortableKernels) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float a[4] = {nan, 1, nan, 2}, b[4] = {1, nan, nan, 3};
  float out[4];
  ElementwiseJit::Get().Binary("Max")(a, b, out, 4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Same(out[i], a[i] < b[i] ? b[i] : a[i])) << i;
}

TEST(ElementwiseJit, WorksInPlace) {
  const std::vector<float> original = Inputs(1001, 4);
  std::vector<float> x = original;
  ElementwiseJit::Get().Unary("Relu")(x.data(), x.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_TRUE(Same(x[i], original[i] < 0 ? 0.0f : original[i]));
  std::vector<float> y = original;
  ElementwiseJit::Get().Binary("Add")(y.data(), original.data(), y.data(),
                                      static_cast<int64_t>(y.size()));
  for (size_t i = 0; i < y.size(); ++i) ASSERT_TRUE(Same(y[i], original[i] + original[i]));
}

TEST(ElementwiseJit, NegativeCountsDoNothing) {
  float in[2] = {1, 2}, out[2] = {7, 7};
  ElementwiseJit::Get().Unary("Neg")(in, out, -5);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(out[1], 7);
}

TEST(ElementwiseJit, UnknownOrInexactOpsAreNotOffered) {
  EXPECT_EQ(ElementwiseJit::Get().Unary("Frobnicate"), nullptr);
  EXPECT_EQ(ElementwiseJit::Get().Unary("Add"), nullptr);
  EXPECT_EQ(ElementwiseJit::Get().Binary("Relu"), nullptr);
  EXPECT_EQ(ElementwiseJit::Get().Binary("Pow"), nullptr);
  EXPECT_EQ(ElementwiseJit::Get().Unary("Exp"), nullptr);  // libm-exact only: not offered
}

TEST(ElementwiseJit, CompilesOnceForConcurrentRequests) {
  std::vector<JitBinaryFn> seen(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] { seen[t] = ElementwiseJit::Get().Binary("Sub"); });
  }
  for (std::thread& t : threads) t.join();
  for (JitBinaryFn fn : seen) {
    EXPECT_NE(fn, nullptr);
    EXPECT_EQ(fn, seen[0]);
  }
  EXPECT_EQ(ElementwiseJit::Get().Binary("Sub"), seen[0]);
}

}  // namespace
}  // namespace hetrun::cpu
