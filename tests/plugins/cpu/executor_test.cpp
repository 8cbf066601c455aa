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
using test::Numbered;
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

std::vector<float> Zeros(int64_t n) {
  return std::vector<float>(static_cast<size_t>(n), 0.0f);
}

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
      g.Value(Numbered("v", i), kF32, {kN});
      g.Node(Numbered("n", i), ops[i - 1], {Numbered("v", i - 1)}, {Numbered("v", i)});
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

std::vector<float> Plus(std::vector<float> v, float delta) {
  for (float& x : v) x += delta;
  return v;
}

TEST_F(Executor, AChainRunsInPlaceInOneBlock) {
  // v1 cannot take the caller's input; v2 and v3 take over their dying input's block; v4 is the
  // part output and goes straight into the caller's buffer.
  GraphBuilder g = Chain({"Inc", "Inc", "Inc", "Inc"});
  g.Inputs({"v0"}).Outputs({"v4"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN), 4));
  EXPECT_EQ(x.values(kN), Ramp(kN)) << "the caller's input must not be written";
  EXPECT_EQ(fake::g_in_place_runs.load(), 2);
  EXPECT_EQ(exe->last_peak_arena_bytes(), kBlock);
}

TEST_F(Executor, WithoutAliasingLivenessKeepsTwoBlocks) {
  GraphBuilder g = Chain({"IncCopy", "IncCopy", "IncCopy", "IncCopy", "IncCopy"});
  g.Inputs({"v0"}).Outputs({"v5"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN), 5));
  EXPECT_EQ(fake::g_in_place_runs.load(), 0);
  EXPECT_EQ(exe->last_peak_arena_bytes(), 2 * kBlock);
}

TEST_F(Executor, AValueReadLaterIsNotOverwrittenInPlace) {
  // t feeds u and v: only its last reader (v) may take its block; Sum then takes u's.
  GraphBuilder g;
  for (const char* name : {"x", "t", "u", "v", "w", "out"}) g.Value(name, kF32, {kN});
  g.Node("t", "Inc", {"x"}, {"t"}).Node("u", "Inc", {"t"}, {"u"}).Node("v", "Inc", {"t"}, {"v"});
  g.Node("w", "Sum", {"u", "v"}, {"w"}).Node("out", "Inc", {"w"}, {"out"});
  g.Inputs({"x"}).Outputs({"out"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN, 2), 5));  // (x+2) + (x+2) + 1
  EXPECT_EQ(fake::g_in_place_runs.load(), 2);
  EXPECT_EQ(exe->last_peak_arena_bytes(), 2 * kBlock);
}

TEST_F(Executor, ALargerOutputDoesNotTakeASmallerBlock) {
  GraphBuilder g = Chain({"Inc", "Double"});
  g.Value("out", kF32, {2 * kN}).Node("last", "IncCopy", {"v2"}, {"out"});
  g.Inputs({"v0"}).Outputs({"out"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(Zeros(2 * kN));
  Run(*exe, x, {&out}, {2 * kN});
  const std::vector<float> got = out.values(2 * kN);
  for (int64_t i = 0; i < 2 * kN; ++i) ASSERT_EQ(got[i], static_cast<float>(i % kN) + 2) << i;
}

TEST_F(Executor, PartOutputsAreNeverReused) {
  // y is an output and also read by the next node: it lives in the caller's buffer and keeps
  // its value while later nodes run.
  GraphBuilder g = Chain({"Inc", "Inc", "Inc"});
  g.Inputs({"v0"}).Outputs({"v1", "v3"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), y(Zeros(kN)), out(Zeros(kN));
  Run(*exe, x, {&y, &out}, {kN, kN});
  EXPECT_EQ(y.values(kN), Plus(Ramp(kN), 1));
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN), 3));
  EXPECT_EQ(fake::g_in_place_runs.load(), 0);
  EXPECT_EQ(exe->last_peak_arena_bytes(), kBlock);
}

TEST_F(Executor, ConstantsAreReadInPlaceAndNeverWritten) {
  GraphBuilder g;
  g.Constant("c", {kN}, Ramp(kN, 10)).Value("x", kF32, {kN}).Value("s", kF32, {kN});
  g.Value("out", kF32, {kN});
  g.Node("s", "Sum", {"c", "x"}, {"s"}).Node("out", "Inc", {"s"}, {"out"});
  g.Inputs({"x"}).Outputs({"out"});
  const hetrun_graph_view* view = g.view();
  const auto* constant = static_cast<const float*>(view->values[0].data);
  auto exe = Executable::Compile(device_, *view);
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN, 11), 1));
  EXPECT_EQ(std::vector<float>(constant, constant + kN), Ramp(kN, 10));
  EXPECT_EQ(fake::g_in_place_runs.load(), 0);
}

TEST_F(Executor, UnreadAndOmittedOutputsAreHandled) {
  // TwoOutputs' second output is unread (freed at once); in the second node it is omitted.
  GraphBuilder g;
  for (const char* name : {"x", "p", "q", "r", "out"}) g.Value(name, kF32, {kN});
  g.Node("two", "TwoOutputs", {"x"}, {"p", "q"}).Node("again", "TwoOutputs", {"p"}, {"r", ""});
  g.Node("out", "IncCopy", {"r"}, {"out"});
  g.Inputs({"x"}).Outputs({"out"});
  auto exe = Executable::Compile(device_, *g.view());
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN), 3));
  EXPECT_EQ(exe->last_peak_arena_bytes(), 2 * kBlock);
}

// The plugin::Error `body` throws, or a failure.
template <typename Body>
plugin::Error ErrorFrom(Body body) {
  try {
    body();
  } catch (const plugin::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no plugin::Error thrown";
  return plugin::Error(HETRUN_STATUS_OK, "");
}

TEST_F(Executor, ErrorsNameTheNodeAndKeepTheirCode) {
  GraphBuilder bomb = Chain({"Inc", "Bomb"});
  bomb.Inputs({"v0"}).Outputs({"v2"});
  plugin::Error compile = ErrorFrom([&] { Executable::Compile(device_, *bomb.view()); });
  EXPECT_EQ(compile.code(), HETRUN_STATUS_INTERNAL);
  EXPECT_STREQ(compile.what(), "node 'n2' (Bomb): boom");

  GraphBuilder unknown = Chain({"Nope"});
  unknown.Inputs({"v0"}).Outputs({"v1"});
  EXPECT_EQ(ErrorFrom([&] { Executable::Compile(device_, *unknown.view()); }).code(),
            HETRUN_STATUS_UNIMPLEMENTED);

  struct Case {
    const char* op;
    hetrun_status_code_t code;
    const char* message;
  };
  for (const Case& c :
       {Case{"FailShape", HETRUN_STATUS_INVALID_ARGUMENT, "node 'n2' (FailShape): bad shape"},
        Case{"WrongDType", HETRUN_STATUS_INTERNAL,
             "node 'n2' (WrongDType): the kernel produces int32 for 'v2', the graph declares "
             "float32"},
        Case{"ThrowInRun", HETRUN_STATUS_INTERNAL, "node 'n2' (ThrowInRun): kernel bug"}}) {
    GraphBuilder g = Chain({"Inc", c.op, "Inc"});
    g.Inputs({"v0"}).Outputs({"v3"});
    auto exe = Executable::Compile(device_, *g.view());
    TestBuffer x(Ramp(kN)), out(Zeros(kN));
    plugin::Error run = ErrorFrom([&] { Run(*exe, x, {&out}, {kN}); });
    EXPECT_EQ(run.code(), c.code) << c.op;
    EXPECT_STREQ(run.what(), c.message);
  }

  // The device's pool survived the throwing kernel.
  GraphBuilder ok = Chain({"Inc"});
  ok.Inputs({"v0"}).Outputs({"v1"});
  auto exe = Executable::Compile(device_, *ok.view());
  TestBuffer x(Ramp(kN)), out(Zeros(kN));
  Run(*exe, x, {&out}, {kN});
  EXPECT_EQ(out.values(kN), Plus(Ramp(kN), 1));
}

TEST_F(Executor, CompileRejectsMalformedParts) {
  GraphBuilder twice = Chain({"Inc"});
  twice.Node("again", "Inc", {"v0"}, {"v1"}).Inputs({"v0"}).Outputs({"v1"});
  EXPECT_EQ(ErrorFrom([&] { Executable::Compile(device_, *twice.view()); }).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);

  GraphBuilder no_producer = Chain({"Inc"});
  no_producer.Value("stray", kF32, {kN}).Inputs({"v0"}).Outputs({"stray"});
  plugin::Error e = ErrorFrom([&] { Executable::Compile(device_, *no_producer.view()); });
  EXPECT_NE(std::string(e.what()).find("'stray'"), std::string::npos) << e.what();

  GraphBuilder short_constant;
  short_constant.Constant("c", {kN}, {1, 2, 3}).Value("y", kF32, {kN});
  short_constant.Node("inc", "Inc", {"c"}, {"y"}).Outputs({"y"});
  e = ErrorFrom([&] { Executable::Compile(device_, *short_constant.view()); });
  EXPECT_NE(std::string(e.what()).find("constant 'c'"), std::string::npos) << e.what();
}

TEST(QuerySupport, AnswersPerNodeAndTruncatesReasonsOnCharacterBoundaries) {
  std::string op = "x";
  for (int i = 0; i < 200; ++i) op += "\u00c9";  // two bytes each in UTF-8
  GraphBuilder g;
  g.Value("a", kF32, {4}).Value("b", kF32, {4}).Value("c", kF32, {4}).Value("d", kF32, {4});
  g.Node("inc", "Inc", {"a"}, {"b"}).Node("copy", "IncCopy", {"b"}, {"c"});
  g.Node("odd", op, {"c"}, {"d"});
  std::vector<hetrun_node_support> answers(3);
  for (auto& a : answers) a.struct_size = sizeof a;
  QuerySupport(*g.view(), 4, 100, answers.data());
  EXPECT_EQ(answers[0].supported, 1);
  EXPECT_EQ(answers[0].cost_us, 0) << "a throwing estimate means no estimate";
  EXPECT_EQ(answers[1].supported, 1);
  EXPECT_DOUBLE_EQ(answers[1].cost_us, 2.5);
  EXPECT_EQ(answers[2].supported, 0);
  // "op x" + 251 bytes would cut a two-byte character: the reason stops before it.
  const std::string reason = answers[2].reason;
  EXPECT_EQ(reason.size(), 254u);
  EXPECT_EQ(reason.rfind("op x\u00c9", 0), 0u);
  EXPECT_EQ(static_cast<unsigned char>(reason.back()), 0x89);
}

}  // namespace
}  // namespace hetrun::cpu
