// The differential-test fixture: opencl and cpu sessions, random shapes and half-representable
// values, and ExpectSame, which builds a graph for float32 and float16, runs it on the opencl
// plugin, runs the float32 graph on the cpu plugin, and compares every output.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "graph.h"
#include "half.h"
#include "plugin_session.h"

namespace hetrun::test {

using Dims = std::vector<int64_t>;
// Builds the graph under test with its float tensors in `dtype`.
using Builder = std::function<void(Graph&, hetrun_dtype_t dtype)>;

inline size_t Count(const Dims& dims) {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    opencl_ = new Session("opencl");
    cpu_ = new Session("cpu");
  }
  static void TearDownTestSuite() {
    delete opencl_;
    delete cpu_;
  }
  void SetUp() override {
    ASSERT_TRUE(opencl_->ok()) << opencl_->error();
    ASSERT_TRUE(cpu_->ok()) << cpu_->error();
    rng_.seed(4321u + static_cast<unsigned>(
                          ::testing::UnitTest::GetInstance()->current_test_info()->line()));
  }

  // Values exactly representable in float16, so both dtypes see the same inputs.
  std::vector<float> Random(const Dims& dims, float lo = -1, float hi = 1) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(Count(dims));
    for (float& x : v) x = RoundToHalf(dist(rng_));
    return v;
  }
  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  float Uniform(float lo, float hi) {
    return RoundToHalf(std::uniform_real_distribution<float>(lo, hi)(rng_));
  }
  Dims RandomDims(int min_rank, int max_rank, int64_t max_dim = 5) {
    Dims dims(static_cast<size_t>(Int(min_rank, max_rank)));
    for (int64_t& d : dims) d = Int(1, max_dim);
    return dims;
  }
  // `out` with some leading dims dropped and some set to 1: broadcasts back to `out`.
  Dims BroadcastFrom(const Dims& out) {
    Dims dims(out.begin() + Int(0, static_cast<int64_t>(out.size())), out.end());
    for (int64_t& d : dims)
      if (Int(0, 2) == 0) d = 1;
    return dims;
  }

  // Runs the graph in float32 and float16 on opencl against float32 on cpu. float16 results are
  // rounded once more (and intermediate sums are float), hence the looser float16 tolerance.
  void ExpectSame(const Builder& build, const std::vector<std::vector<float>>& inputs,
                  const std::string& what, double rtol = 1e-4, double atol = 1e-5) {
    Graph reference;
    build(reference, HETRUN_DTYPE_FLOAT32);
    std::vector<std::vector<float>> want;
    std::vector<Dims> want_dims;
    Status cpu = cpu_->RunGraph(reference.view(), inputs, &want, &want_dims);
    ASSERT_TRUE(cpu.ok()) << what << ": cpu: " << cpu.message();
    for (hetrun_dtype_t dtype : {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT16}) {
      const bool half = dtype == HETRUN_DTYPE_FLOAT16;
      Graph graph;
      build(graph, dtype);
      std::vector<std::vector<float>> got;
      std::vector<Dims> got_dims;
      Status run = opencl_->RunGraph(graph.view(), inputs, &got, &got_dims);
      const std::string label = what + (half ? " [float16]" : " [float32]");
      ASSERT_TRUE(run.ok()) << label << ": opencl: " << run.message();
      ASSERT_EQ(got_dims, want_dims) << label;
      const double r = half ? 2e-3 : rtol, a = half ? 2e-3 : atol;
      for (size_t o = 0; o < want.size(); ++o) {
        for (size_t i = 0; i < want[o].size(); ++i) {
          const double x = got[o][i], y = want[o][i];
          if (std::isnan(x) && std::isnan(y)) continue;
          ASSERT_LE(std::fabs(x - y), a + r * std::fabs(y))
              << label << ": output " << o << " element " << i << ": opencl " << x << ", cpu " << y;
        }
      }
    }
  }

  inline static Session* opencl_ = nullptr;
  inline static Session* cpu_ = nullptr;
  std::mt19937 rng_;
};

}  // namespace hetrun::test
