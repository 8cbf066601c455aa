// The executor (Executable) with fake kernels: memory planning (liveness, in-place reuse, part
// outputs kept apart), errors carrying the node's name, and query_support's answers.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "executable.h"
#include "fake_kernels.h"
#include "graph_builder.h"
#include "handles.h"
#include "query_support.h"

namespace hetrun::cpu {
namespace {

using test::GraphBuilder;
constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;
constexpr int64_t kN = 1000;  // 4000 bytes: one arena block is 4032 bytes
constexpr uint64_t kBlock = 4032;

// A buffer handle as the plugin hands them out, owned by the test.
struct TestBuffer {
  explicit TestBuffer(const std::vector<float>& values) : handle(new hetrun_buffer_s) {
    handle->buffer = Buffer::Allocate(values.size() * sizeof(float));
    std::memcpy(handle->buffer->data(), values.data(), values.size() * sizeof(float));
  }
  std::vector<float> values(size_t n) const {
    std::vector<float> v(n);
    std::memcpy(v.data(), handle->buffer->data(), n * sizeof(float));
    return v;
  }
  hetrun_tensor_arg arg(int64_t n) const {
    hetrun_tensor_arg a{};
    a.buffer = handle.get();
    a.dtype = kF32;
    a.rank = 1;
    a.dims[0] = n;
    return a;
  }
  std::unique_ptr<hetrun_buffer_s> handle;
};

std::vector<float> Ramp(int64_t n, float scale = 1) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * scale;
  return v;
}

class Executor : public ::testing::Test {
 protected:
  void SetUp() override { fake::g_in_place_runs = 0; }

  // Builds a chain graph "v0 -op1-> v1 -op2-> ... -> vK" over [kN] float32.
  static GraphBuilder Chain(const std::vector<std::string>& ops) {
    GraphBuilder g;
    g.Value("v0", kF32, {kN});
    for (size_t i = 1; i <= ops.size(); ++i) {
      g.Value("v" + std::to_string(i), kF32, {kN});
      g.Node("n" + std::to_string(i), ops[i - 1], {"v" + std::to_string(i - 1)},
             {"v" + std::to_string(i)});
    }
    return g;
  }

  // Runs `exe` on one input, into host buffers for every output.
  void Run(const Executable& exe, const TestBuffer& input, std::vector<TestBuffer*> outputs,
           std::vector<int64_t> output_sizes) {
    std::vector<hetrun_tensor_arg> ins = {input.arg(kN)};
    std::vector<hetrun_tensor_arg> outs;
    for (size_t j = 0; j < outputs.size(); ++j) outs.push_back(outputs[j]->arg(output_sizes[j]));
    const Executable::RunArgs args =
        exe.BindArguments(ins.data(), 1, outs.data(), static_cast<uint32_t>(outs.size()));
    exe.Run(args);
  }

  std::shared_ptr<Device> device_ = std::make_shared<Device>(2, 10.0);
};

TEST_F(Executor, AChainRunsInPlaceInOneBlock) {
  GraphBuilder g = Chain({"Inc", "Inc", "Inc", "Inc"});
  g.Inputs({"v0"}).Outputs({"v4"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(std::vector<float>(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Ramp(kN)) << "shifted by 4";  // placeholder, replaced below
}

}  // namespace
}  // namespace hetrun::cpu
