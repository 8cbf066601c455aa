// The packed SGEMM's epilogue (row bias, column bias, activation applied as C's tiles are stored)
// against a naive reference: odd shapes that leave partial tiles, depths past one K block, both
// packed-B and pack-as-you-go entries, beta 0 and 1, 1 and 2 threads. Runs once per micro-kernel
// (the Gemm* filter in kernels.cmake forces AVX2 and generic too).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernel_harness.h"
#include "kernels/gemm.h"

namespace hetrun::test {
namespace {

using cpu::Activation;
using cpu::ActivationKind;

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

float Activate(const Activation& act, float x) {
  switch (act.kind) {
    case ActivationKind::kNone: return x;
    case ActivationKind::kRelu: return std::max(0.0f, x);
    case ActivationKind::kLeakyRelu: return x >= 0 ? x : act.a * x;
    case ActivationKind::kClip: return std::min(act.b, std::max(act.a, x));
    case ActivationKind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case ActivationKind::kHardSigmoid: return std::clamp(act.a * x + act.b, 0.0f, 1.0f);
    case ActivationKind::kHardSwish: return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
    case ActivationKind::kTanh: return std::tanh(x);
    case ActivationKind::kGelu: return static_cast<float>(0.5 * x * (1.0 + std::erf(x / act.a)));
  }
  return x;
}

const std::vector<Activation>& AllActivations() {
  static const std::vector<Activation> acts = {
      {ActivationKind::kNone, 0, 0},          {ActivationKind::kRelu, 0, 0},
      {ActivationKind::kLeakyRelu, 0.1f, 0},  {ActivationKind::kClip, -0.5f, 0.75f},
      {ActivationKind::kSigmoid, 0, 0},       {ActivationKind::kHardSigmoid, 0.3f, 0.4f},
      {ActivationKind::kHardSwish, 0, 0},     {ActivationKind::kTanh, 0, 0},
      {ActivationKind::kGelu, 1.41421356f, 0}};
  return acts;
}

struct Case {
  int64_t M, N, K;
};

// C = act(A * B + beta * C0 + row_bias + column_bias), computed in double.
std::vector<float> Reference(const Case& c, const std::vector<float>& a,
                             const std::vector<float>& b, float beta, const std::vector<float>& c0,
                             const float* row_bias, const float* column_bias,
                             const Activation& act) {
  std::vector<float> out(static_cast<size_t>(c.M * c.N));
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < c.K; ++k) s += double(a[i * c.K + k]) * b[k * c.N + j];
      if (beta != 0.0f) s += beta * c0[i * c.N + j];
      if (row_bias) s += row_bias[i];
      if (column_bias) s += column_bias[j];
      out[i * c.N + j] = Activate(act, static_cast<float>(s));
    }
  return out;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 2e-5f * (1.0f + std::abs(want[i]))) << what << " at " << i;
}

// Every activation with each bias kind, beta 0 and 1, on the given entry (packed B or not).
void CheckAll(const Case& c, bool packed_b, int threads) {
  const std::vector<float> a = Random(static_cast<size_t>(c.M * c.K), 1),
                           b = Random(static_cast<size_t>(c.K * c.N), 2),
                           c0 = Random(static_cast<size_t>(c.M * c.N), 3),
                           row_bias = Random(static_cast<size_t>(c.M), 4),
                           column_bias = Random(static_cast<size_t>(c.N), 5);
  const cpu::OwnedPackedMatrix pb = cpu::PackBOwned(false, c.K, c.N, b.data(), c.N);
  for (const Activation& act : AllActivations())
    for (int bias_kind = 0; bias_kind < 4; ++bias_kind)
      for (float beta : {0.0f, 1.0f}) {
        const float* rb = bias_kind & 1 ? row_bias.data() : nullptr;
        const float* cb = bias_kind & 2 ? column_bias.data() : nullptr;
        const cpu::GemmEpilogue epilogue{rb, cb, act};
        std::vector<float> out = c0;
        cpu::Sgemm(false, false, c.M, c.N, c.K, 1.0f, a.data(), c.K, b.data(), c.N, beta,
                   out.data(), c.N, TestPool(threads), nullptr, packed_b ? &pb.view : nullptr,
                   &epilogue);
        ExpectNear(out, Reference(c, a, b, beta, c0, rb, cb, act),
                   std::string(cpu::ActivationName(act.kind)) + " bias kind " +
                       std::to_string(bias_kind) + " beta " + std::to_string(beta) +
                       " M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) +
                       " K=" + std::to_string(c.K) + " threads " + std::to_string(threads));
        if (::testing::Test::HasFatalFailure()) return;
      }
}

// Partial tiles in both directions, one-element products, and a depth past one K block (the
// epilogue must run on the last block only, after all accumulation).
const Case kCases[] = {{1, 1, 1}, {7, 13, 5}, {19, 45, 300}, {67, 129, 33}, {3, 5, 0}};

TEST(GemmEpilogue, PackAsYouGoOneThread) {
  for (const Case& c : kCases) {
    CheckAll(c, false, 1);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(GemmEpilogue, PackAsYouGoTwoThreads) {
  for (const Case& c : kCases) {
    CheckAll(c, false, 2);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(GemmEpilogue, PrepackedBOneThread) {
  for (const Case& c : kCases) {
    CheckAll(c, true, 1);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(GemmEpilogue, PrepackedBTwoThreads) {
  for (const Case& c : kCases) {
    CheckAll(c, true, 2);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A large product, split over tasks in both M and N with 2 threads: every tile gets its epilogue
// exactly once (applying it twice would, e.g., add the bias twice).
TEST(GemmEpilogue, LargeProductEachTileOnce) {
  const Case c{200, 300, 270};
  const std::vector<float> a = Random(static_cast<size_t>(c.M * c.K), 7),
                           b = Random(static_cast<size_t>(c.K * c.N), 8),
                           rb = Random(static_cast<size_t>(c.M), 9),
                           cb = Random(static_cast<size_t>(c.N), 10);
  const Activation act{ActivationKind::kLeakyRelu, 0.25f, 0};
  const cpu::GemmEpilogue epilogue{rb.data(), cb.data(), act};
  std::vector<float> out(static_cast<size_t>(c.M * c.N), 123.0f);
  cpu::Sgemm(false, false, c.M, c.N, c.K, 1.0f, a.data(), c.K, b.data(), c.N, 0.0f, out.data(), c.N,
             TestPool(2), nullptr, nullptr, &epilogue);
  ExpectNear(out, Reference(c, a, b, 0.0f, out, rb.data(), cb.data(), act), "large");
}

}  // namespace
}  // namespace hetrun::test
