// The differential-test fixture: one vulkan and one cpu session, random shapes and values, and
// ExpectSame, which runs a graph on both plugins and compares every output.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "graph.h"
#include "plugin_session.h"

namespace hetrun::test {

using Dims = std::vector<int64_t>;

inline size_t Count(const Dims& dims) {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vulkan_ = new Session("vulkan");
    cpu_ = new Session("cpu");
  }
  static void TearDownTestSuite() {
    delete vulkan_;
    delete cpu_;
  }
  void SetUp() override {
    ASSERT_TRUE(vulkan_->ok() && cpu_->ok());
    rng_.seed(1234u + static_cast<unsigned>(
                          ::testing::UnitTest::GetInstance()->current_test_info()->line()));
  }

  std::vector<float> Random(const Dims& dims, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(Count(dims));
    for (float& x : v) x = dist(rng_);
    return v;
  }
  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  float Uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng_); }
  Dims RandomDims(int min_rank, int max_rank, int64_t max_dim = 6) {
    Dims dims(static_cast<size_t>(Int(min_rank, max_rank)));
    for (int64_t& d : dims) d = Int(1, max_dim);
    return dims;
  }
  // `out` with some leading dims dropped and some dims set to 1: broadcasts back to `out`.
  Dims BroadcastFrom(const Dims& out) {
    Dims dims(out.begin() + Int(0, static_cast<int64_t>(out.size())), out.end());
    for (int64_t& d : dims)
      if (Int(0, 2) == 0) d = 1;
    return dims;
  }

  // Runs `graph` on both plugins and compares every output.
  void ExpectSame(Graph& graph, const std::vector<std::vector<float>>& inputs, double rtol,
                  double atol, const std::string& what) {
    std::vector<std::vector<float>> want, got;
    std::vector<Dims> want_dims, got_dims;
    Status cpu = cpu_->RunGraph(graph.view(), inputs, &want, &want_dims);
    ASSERT_TRUE(cpu.ok()) << what << ": cpu: " << cpu.message();
    Status vk = vulkan_->RunGraph(graph.view(), inputs, &got, &got_dims);
    ASSERT_TRUE(vk.ok()) << what << ": vulkan: " << vk.message();
    ASSERT_EQ(got_dims, want_dims) << what;
    for (size_t o = 0; o < want.size(); ++o) {
      for (size_t i = 0; i < want[o].size(); ++i) {
        const double a = got[o][i], b = want[o][i];
        if (std::isnan(a) && std::isnan(b)) continue;
        ASSERT_LE(std::fabs(a - b), atol + rtol * std::fabs(b))
            << what << ": output " << o << " element " << i << ": vulkan " << a << ", cpu " << b;
      }
    }
  }

  inline static Session* vulkan_ = nullptr;
  inline static Session* cpu_ = nullptr;
  std::mt19937 rng_;
};

}  // namespace hetrun::test
