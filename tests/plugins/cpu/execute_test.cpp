// compile + execute of small graphs: host-given and plugin-allocated outputs, dynamic dims,
// argument checking, unsupported ops, memory reuse, and the JIT'd elementwise paths.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;

std::vector<float> RandomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4, 4);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// out = Relu(x + y) * c, c a constant of shape [3] broadcast over rows.
GraphBuilder AddReluMul(std::vector<int64_t> dims) {
  GraphBuilder g;
  g.Value("x", kF32, dims)
      .Value("y", kF32, dims)
      .Constant("c", {3}, {0.5f, -2.0f, 3.0f})
      .Value("sum", kF32, dims)
      .Value("act", kF32, dims)
      .Value("out", kF32, dims)
      .Node("add", "Add", {"x", "y"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"act"})
      .Node("mul", "Mul", {"act", "c"}, {"out"})
      .Inputs({"x", "y"})
      .Outputs({"out"});
  return g;
}

std::vector<float> AddReluMulReference(const std::vector<float>& x, const std::vector<float>& y) {
  const float c[3] = {0.5f, -2.0f, 3.0f};
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float s = x[i] + y[i];
    out[i] = (s < 0 ? 0.0f : s) * c[i % 3];
  }
  return out;
}

using CpuExecute = CpuPluginTest;

TEST_F(CpuExecute, ThreeNodeGraphIntoHostBuffers) {
  GraphBuilder g = AddReluMul({2, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  ASSERT_NE(exe, nullptr);
  const std::vector<float> x = {1, -2, 3, -4, 5, -6}, y = {0.5f, 1, -4, 2, -5, 7};
  hetrun_buffer_t out = Allocate(6 * sizeof(float));
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(out, kF32, {2, 3})};
  HT_ASSERT_OK(
      Run(exe, {TensorArg(Upload(x), kF32, {2, 3}), TensorArg(Upload(y), kF32, {2, 3})}, outputs));
  EXPECT_EQ(Download(out, 6), AddReluMulReference(x, y));
  EXPECT_EQ(outputs[0].buffer, out) << "a host-given output entry is left as it was";
}

TEST_F(CpuExecute, OutputAtAnOffsetInALargerBuffer) {
  GraphBuilder g = AddReluMul({2, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  const std::vector<float> x = RandomFloats(6, 1), y = RandomFloats(6, 2);
  hetrun_buffer_t out = Upload(std::vector<float>(10, -1));
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(out, kF32, {2, 3}, 4 * sizeof(float))};
  HT_ASSERT_OK(
      Run(exe, {TensorArg(Upload(x), kF32, {2, 3}), TensorArg(Upload(y), kF32, {2, 3})}, outputs));
  const std::vector<float> all = Download(out, 10);
  EXPECT_EQ(std::vector<float>(all.begin(), all.begin() + 4), std::vector<float>(4, -1));
  EXPECT_EQ(std::vector<float>(all.begin() + 4, all.end()), AddReluMulReference(x, y));
}

TEST_F(CpuExecute, ThreeNodeGraphIntoPluginAllocatedOutputs) {
  GraphBuilder g = AddReluMul({4, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  const std::vector<float> x = RandomFloats(12, 3), y = RandomFloats(12, 4);
  std::vector<hetrun_tensor_arg> outputs(1);  // all zero: buffer NULL
  HT_ASSERT_OK(
      Run(exe, {TensorArg(Upload(x), kF32, {4, 3}), TensorArg(Upload(y), kF32, {4, 3})}, outputs));
  ASSERT_NE(outputs[0].buffer, nullptr);
  Adopt(outputs[0].buffer);
  EXPECT_EQ(outputs[0].dtype, kF32);
  EXPECT_EQ(outputs[0].rank, 2u);
  EXPECT_EQ(outputs[0].dims[0], 4);
  EXPECT_EQ(outputs[0].dims[1], 3);
  EXPECT_EQ(outputs[0].offset, 0u);
  EXPECT_EQ(Download(outputs[0].buffer, 12), AddReluMulReference(x, y));
}

TEST_F(CpuExecute, DynamicDimsResolveFromTheInputs) {
  GraphBuilder g = AddReluMul({-1, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  for (int64_t rows : {5, 1, 17, 0}) {
    const auto n = static_cast<size_t>(rows * 3);
    const std::vector<float> x = RandomFloats(n, 10 + rows), y = RandomFloats(n, 20 + rows);
    std::vector<hetrun_tensor_arg> outputs(1);
    HT_ASSERT_OK(Run(exe,
                     {TensorArg(Upload(x), kF32, {rows, 3}), TensorArg(Upload(y), kF32, {rows, 3})},
                     outputs));
    ASSERT_NE(outputs[0].buffer, nullptr);
    Adopt(outputs[0].buffer);
    ASSERT_EQ(outputs[0].rank, 2u);
    EXPECT_EQ(outputs[0].dims[0], rows);
    EXPECT_EQ(outputs[0].dims[1], 3);
    EXPECT_EQ(Download(outputs[0].buffer, n), AddReluMulReference(x, y)) << rows << " rows";
  }
}

TEST_F(CpuExecute, UnknownRankIsAcceptedAsGiven) {
  GraphBuilder g;
  g.UnrankedValue("x", kF32).UnrankedValue("y", kF32).Node("relu", "Relu", {"x"}, {"y"});
  g.Inputs({"x"}).Outputs({"y"});
  hetrun_executable_t exe = CompileOk(g.view());
  std::vector<hetrun_tensor_arg> outputs(1);
  HT_ASSERT_OK(Run(exe, {TensorArg(Upload({-1, 2, -3, 4}), kF32, {2, 1, 2})}, outputs));
  Adopt(outputs[0].buffer);
  ASSERT_EQ(outputs[0].rank, 3u);
  EXPECT_EQ(Download(outputs[0].buffer, 4), (std::vector<float>{0, 2, 0, 4}));
}

// The error of an execute() call, whether execute() itself or event_wait() reports it.
Status RunExpectingError(const hetrun_plugin_v1* p, hetrun_device_t dev, hetrun_executable_t exe,
                         const std::vector<hetrun_tensor_arg>& inputs,
                         std::vector<hetrun_tensor_arg>& outputs) {
  hetrun_event_t event = nullptr;
  Status status(p->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()), outputs.data(),
                           static_cast<uint32_t>(outputs.size()), nullptr, 0, &event));
  if (!status.ok()) {
    EXPECT_EQ(event, nullptr);
    return status;
  }
  Status waited(p->event_wait(dev, event, UINT64_MAX));
  p->event_release(dev, event);
  return waited;
}

TEST_F(CpuExecute, WrongInputDtypeIsAnErrorNamingTheInput) {
  GraphBuilder g = AddReluMul({2, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t x = Upload(RandomFloats(12, 5));  // large enough for 6 int64
  hetrun_buffer_t y = Upload(RandomFloats(6, 6));
  std::vector<hetrun_tensor_arg> outputs(1);
  Status status = RunExpectingError(
      p_, dev_, exe, {TensorArg(x, HETRUN_DTYPE_INT64, {2, 3}), TensorArg(y, kF32, {2, 3})},
      outputs);
  EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(status.message().find("'x'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("int64"), std::string::npos) << status.message();
  EXPECT_EQ(outputs[0].buffer, nullptr);
}

TEST_F(CpuExecute, InputsAreCheckedAgainstTheDeclaredShapeAndTheirBuffer) {
  GraphBuilder g = AddReluMul({-1, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t small = Upload(RandomFloats(6, 7));
  hetrun_buffer_t y = Upload(RandomFloats(12, 8));
  struct Case {
    hetrun_tensor_arg x;
    const char* expect;
  };
  const Case cases[] = {
      {TensorArg(small, kF32, {2, 4}), "'x'"},     // known dim 3 given as 4
      {TensorArg(small, kF32, {6}), "'x'"},        // rank 1, declared 2
      {TensorArg(small, kF32, {4, 3}), "'x'"},     // 48 bytes in a 24-byte buffer
      {TensorArg(small, kF32, {2, 3}, 4), "'x'"},  // shifted past the end
      {TensorArg(small, kF32, {2, 3}, 2), "'x'"},  // misaligned for float32
      {TensorArg(small, kF32, {-2, 3}), "'x'"},    // negative dim
      {TensorArg(nullptr, kF32, {2, 3}), "'x'"},   // no buffer
  };
  for (const Case& c : cases) {
    std::vector<hetrun_tensor_arg> outputs(1);
    Status status = RunExpectingError(
        p_, dev_, exe, {c.x, TensorArg(y, kF32, {c.x.rank ? c.x.dims[0] : 1, 3})}, outputs);
    EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT) << status.message();
    EXPECT_NE(status.message().find(c.expect), std::string::npos) << status.message();
  }
  // Wrong argument counts.
  std::vector<hetrun_tensor_arg> outputs(1);
  EXPECT_EQ(RunExpectingError(p_, dev_, exe, {TensorArg(small, kF32, {2, 3})}, outputs).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuExecute, HostOutputMustMatchTheInferredShapeAndFitItsBuffer) {
  GraphBuilder g = AddReluMul({-1, 3});
  hetrun_executable_t exe = CompileOk(g.view());
  const std::vector<hetrun_tensor_arg> inputs = {
      TensorArg(Upload(RandomFloats(6, 9)), kF32, {2, 3}),
      TensorArg(Upload(RandomFloats(6, 10)), kF32, {2, 3})};
  hetrun_buffer_t small = Allocate(5 * sizeof(float));
  hetrun_buffer_t big = Allocate(64 * sizeof(float));
  for (hetrun_tensor_arg out : {TensorArg(small, kF32, {2, 3}),   // too small for 6 floats
                                TensorArg(big, kF32, {3, 2}),     // wrong dims
                                TensorArg(big, kF32, {2, 3, 1}),  // wrong rank
                                TensorArg(big, HETRUN_DTYPE_INT32, {2, 3})}) {
    std::vector<hetrun_tensor_arg> outputs = {out};
    Status status = RunExpectingError(p_, dev_, exe, inputs, outputs);
    EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT) << status.message();
    EXPECT_NE(status.message().find("'out'"), std::string::npos) << status.message();
  }
}

TEST_F(CpuExecute, UnknownOpIsUnsupportedWithAReasonAndDoesNotCompile) {
  GraphBuilder g;
  g.Value("x", kF32, {4}).Value("y", kF32, {4}).Value("z", kF32, {4});
  g.Node("relu", "Relu", {"x"}, {"y"}).Node("frob_1", "FrobnicateOp", {"y"}, {"z"});
  g.Inputs({"x"}).Outputs({"z"});

  std::vector<hetrun_node_support> support(2);
  for (auto& s : support) s.struct_size = sizeof s;
  HT_ASSERT_OK(p_->query_support(dev_, g.view(), support.data()));
  EXPECT_EQ(support[0].supported, 1);
  EXPECT_GT(support[0].cost_us, 0);
  EXPECT_EQ(support[1].supported, 0);
  EXPECT_NE(std::string(support[1].reason).find("FrobnicateOp"), std::string::npos)
      << support[1].reason;

  hetrun_executable_t exe = reinterpret_cast<hetrun_executable_t>(0x1);
  Status status(p_->compile(dev_, g.view(), &exe));
  EXPECT_EQ(status.code(), HETRUN_STATUS_UNIMPLEMENTED) << status.message();
  EXPECT_EQ(status.message().rfind("node 'frob_1' (FrobnicateOp): ", 0), 0u) << status.message();
  EXPECT_EQ(exe, reinterpret_cast<hetrun_executable_t>(0x1));
}

TEST_F(CpuExecute, QuerySupportStepsByTheHostsStructSize) {
  // A newer host whose hetrun_node_support has grown by 40 bytes.
  constexpr size_t kStride = sizeof(hetrun_node_support) + 40;
  GraphBuilder g;
  g.Value("x", kF32, {4}).Value("y", kF32, {4}).Value("z", kF32, {4}).Value("w", kF32, {4});
  g.Node("a", "Nope", {"x"}, {"y"})
      .Node("b", "Relu", {"y"}, {"z"})
      .Node("c", "Nope2", {"z"}, {"w"});
  std::vector<unsigned char> bytes(3 * kStride, 0);
  for (int k = 0; k < 3; ++k) {
    auto* s = reinterpret_cast<hetrun_node_support*>(bytes.data() + k * kStride);
    s->struct_size = kStride;
  }
  HT_ASSERT_OK(
      p_->query_support(dev_, g.view(), reinterpret_cast<hetrun_node_support*>(bytes.data())));
  auto at = [&](int k) {
    return reinterpret_cast<hetrun_node_support*>(bytes.data() + k * kStride);
  };
  EXPECT_EQ(at(0)->supported, 0);
  EXPECT_EQ(at(1)->supported, 1);
  EXPECT_EQ(at(2)->supported, 0);
  EXPECT_NE(std::string(at(2)->reason).find("Nope2"), std::string::npos);
  // The grown tail of each entry is not ours to write.
  for (int k = 0; k < 3; ++k) {
    const unsigned char* tail = bytes.data() + k * kStride + sizeof(hetrun_node_support);
    EXPECT_TRUE(std::all_of(tail, tail + 40, [](unsigned char b) { return b == 0; }));
  }
  // Too small a struct_size is refused.
  hetrun_node_support tiny{};
  tiny.struct_size = 8;
  EXPECT_EQ(Status(p_->query_support(dev_, g.view(), &tiny)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuExecute, LongReasonsAreTruncatedAndTerminated) {
  const std::string op(600, 'Q');
  GraphBuilder g;
  g.Value("x", kF32, {1}).Value("y", kF32, {1}).Node("n", op, {"x"}, {"y"});
  hetrun_node_support support{};
  support.struct_size = sizeof support;
  std::memset(support.reason, 'X', sizeof support.reason);
  HT_ASSERT_OK(p_->query_support(dev_, g.view(), &support));
  EXPECT_EQ(support.supported, 0);
  const size_t length = strnlen(support.reason, sizeof support.reason);
  EXPECT_EQ(length, sizeof support.reason - 1);
}

TEST_F(CpuExecute, CompileRejectsValuesNothingProduces) {
  GraphBuilder g;
  g.Value("x", kF32, {4}).Value("ghost", kF32, {4}).Value("y", kF32, {4});
  g.Node("add", "Add", {"x", "ghost"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  hetrun_executable_t exe = nullptr;
  Status status(p_->compile(dev_, g.view(), &exe));
  EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(status.message().find("node 'add' (Add)"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("'ghost'"), std::string::npos) << status.message();
}

TEST_F(CpuExecute, OutputsMayBeInputsOrRepeated) {
  // y = Relu(x); outputs: (y, x, y). x passes through; y is written twice.
  GraphBuilder g;
  g.Value("x", kF32, {3}).Value("y", kF32, {3}).Node("relu", "Relu", {"x"}, {"y"});
  g.Inputs({"x"}).Outputs({"y", "x", "y"});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t second = Allocate(3 * sizeof(float));
  std::vector<hetrun_tensor_arg> outputs = {hetrun_tensor_arg{}, TensorArg(second, kF32, {3}),
                                            hetrun_tensor_arg{}};
  HT_ASSERT_OK(Run(exe, {TensorArg(Upload({-1, 0.5f, 2}), kF32, {3})}, outputs));
  Adopt(outputs[0].buffer);
  Adopt(outputs[2].buffer);
  EXPECT_EQ(Download(outputs[0].buffer, 3), (std::vector<float>{0, 0.5f, 2}));
  EXPECT_EQ(Download(second, 3), (std::vector<float>{-1, 0.5f, 2}));
  EXPECT_EQ(Download(outputs[2].buffer, 3), (std::vector<float>{0, 0.5f, 2}));
  EXPECT_NE(outputs[0].buffer, outputs[2].buffer);
}

TEST_F(CpuExecute, LongChainReusesIntermediateMemory) {
  // x -> Neg -> Neg -> Relu -> Neg ... (20 nodes): at most two intermediates live at once.
  constexpr int64_t kN = 10000;
  constexpr int kNodes = 20;
  auto op_of = [](int i) { return i % 3 == 0 ? "Relu" : "Neg"; };
  GraphBuilder g;
  g.Value("v0", kF32, {kN});
  for (int i = 1; i <= kNodes; ++i) {
    g.Value(Numbered("v", i), kF32, {kN});
    g.Node(Numbered("n", i), op_of(i), {Numbered("v", i - 1)}, {Numbered("v", i)});
  }
  g.Inputs({"v0"}).Outputs({Numbered("v", kNodes)});
  hetrun_executable_t exe = CompileOk(g.view());
  const std::vector<float> x = RandomFloats(kN, 11);
  ClearLog();
  std::vector<hetrun_tensor_arg> outputs(1);
  HT_ASSERT_OK(Run(exe, {TensorArg(Upload(x), kF32, {kN})}, outputs));
  Adopt(outputs[0].buffer);
  std::vector<float> expect(x);
  for (int i = 1; i <= kNodes; ++i) {
    for (float& v : expect) v = i % 3 == 0 ? (v < 0 ? 0.0f : v) : -v;
  }
  EXPECT_EQ(Download(outputs[0].buffer, kN), expect);

  // The run logs its peak arena bytes at DEBUG level.
  uint64_t peak = 0;
  for (const std::string& line : LoggedLines()) {
    const size_t at = line.find("peak arena ");
    if (line.rfind("0: ", 0) == 0 && at != std::string::npos) {
      peak = std::stoull(line.substr(at + 11));
    }
  }
  EXPECT_GT(peak, 0u);
  EXPECT_LE(peak, 2 * (kN * sizeof(float) + 64)) << "intermediates were not reused";
}

TEST_F(CpuExecute, JitElementwiseOpsAreExactAtEverySize) {
  // Relu(a) and Add(a, b) through the plugin for sizes around the vector width and a large odd one.
  GraphBuilder g;
  g.Value("a", kF32, {-1}).Value("b", kF32, {-1}).Value("r", kF32, {-1}).Value("s", kF32, {-1});
  g.Node("relu", "Relu", {"a"}, {"r"}).Node("add", "Add", {"a", "b"}, {"s"});
  g.Inputs({"a", "b"}).Outputs({"r", "s"});
  hetrun_executable_t exe = CompileOk(g.view());
  for (int64_t n : {0, 1, 7, 13, 1000003}) {
    const auto count = static_cast<size_t>(n);
    const std::vector<float> a = RandomFloats(count, 30), b = RandomFloats(count, 31);
    std::vector<hetrun_tensor_arg> outputs(2);
    HT_ASSERT_OK(
        Run(exe, {TensorArg(Upload(a), kF32, {n}), TensorArg(Upload(b), kF32, {n})}, outputs));
    Adopt(outputs[0].buffer);
    Adopt(outputs[1].buffer);
    const std::vector<float> r = Download(outputs[0].buffer, count);
    const std::vector<float> s = Download(outputs[1].buffer, count);
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i) {
      wrong += r[i] != (a[i] < 0 ? 0.0f : a[i]);
      wrong += s[i] != a[i] + b[i];
    }
    EXPECT_EQ(wrong, 0u) << "n = " << n;
  }
}

}  // namespace
}  // namespace hetrun::test
