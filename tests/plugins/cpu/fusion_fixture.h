// What the fusion tests share: compile a graph with fusion on or off (the fused groups and the
// node count read from the plugin's compile log), run it, and check the fused run against the
// unfused one.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "plugin_fixture.h"

namespace hetrun::test {

inline constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;

inline std::vector<float> Random(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

inline int64_t Numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

struct Tensor {
  std::vector<float> data;
  std::vector<int64_t> dims;
};

class FusionTest : public CpuPluginTest {
 protected:
  struct Compiled {
    hetrun_executable_t exe = nullptr;
    int nodes = -1;                  // from "compiled a part of N nodes"
    std::vector<std::string> fused;  // "node 'a+b' (Conv+Relu)" per fused group
  };

  Compiled Compile(GraphBuilder& g, bool fusion) {
    setenv("HETRUN_CPU_FUSION", fusion ? "1" : "0", 1);
    ClearLog();
    Compiled c;
    c.exe = CompileOk(g.view());
    unsetenv("HETRUN_CPU_FUSION");
    for (const std::string& line : LoggedLines()) {
      if (const size_t at = line.find("fused "); at != std::string::npos)
        c.fused.push_back(line.substr(at + 6));
      if (const size_t at = line.find("compiled a part of "); at != std::string::npos)
        c.nodes = std::stoi(line.substr(at + 19));
    }
    return c;
  }

  // Runs `exe` with one float32 output per entry of `out_dims`; returns every output.
  std::vector<std::vector<float>> Execute(hetrun_executable_t exe, const std::vector<Tensor>& in,
                                          const std::vector<std::vector<int64_t>>& out_dims) {
    std::vector<hetrun_tensor_arg> inputs, outputs;
    for (const Tensor& t : in) inputs.push_back(TensorArg(Upload(t.data), kF32, t.dims));
    std::vector<hetrun_buffer_t> buffers;
    for (const auto& dims : out_dims) {
      buffers.push_back(Allocate(static_cast<uint64_t>(Numel(dims)) * sizeof(float)));
      outputs.push_back(TensorArg(buffers.back(), kF32, dims));
    }
    Status status = Run(exe, inputs, outputs);
    EXPECT_TRUE(status.ok()) << status.message();
    std::vector<std::vector<float>> results;
    for (size_t o = 0; o < out_dims.size(); ++o)
      results.push_back(Download(buffers[o], static_cast<size_t>(Numel(out_dims[o]))));
    return results;
  }

  // Compiles `g` fused and unfused, checks the fused one has `want_nodes` nodes and fused groups
  // `want_fused`, the unfused one no groups, and that both compute the same outputs (within
  // `tolerance` relative to 1 + |unfused|).
  void CheckAgainstUnfused(GraphBuilder& g, const std::vector<Tensor>& in,
                           const std::vector<std::vector<int64_t>>& out_dims, int want_nodes,
                           const std::vector<std::string>& want_fused, const std::string& what,
                           float tolerance) {
    const Compiled fused = Compile(g, true);
    const Compiled plain = Compile(g, false);
    ASSERT_TRUE(fused.exe && plain.exe) << what;
    EXPECT_EQ(fused.nodes, want_nodes) << what;
    EXPECT_EQ(fused.fused, want_fused) << what;
    EXPECT_TRUE(plain.fused.empty()) << what << ": HETRUN_CPU_FUSION=0 must not fuse";
    const auto got = Execute(fused.exe, in, out_dims);
    const auto want = Execute(plain.exe, in, out_dims);
    ASSERT_EQ(got.size(), want.size());
    for (size_t o = 0; o < got.size(); ++o)
      for (size_t i = 0; i < got[o].size(); ++i)
        ASSERT_NEAR(got[o][i], want[o][i], tolerance * (1.0f + std::abs(want[o][i])))
            << what << ": output " << o << " element " << i;
  }
};

}  // namespace hetrun::test
