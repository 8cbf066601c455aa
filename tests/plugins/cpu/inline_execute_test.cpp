// execute() on the caller's thread: once a part without control flow is known to be quick, an
// execute() on an idle device runs it at once and returns a signalled event. Everything else (a
// part's first run, a slow part, control flow, a busy queue) still goes through the submission
// queue, so timeouts and the device's submission order hold.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "graph_builder.h"
#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;
constexpr hetrun_dtype_t kI64 = HETRUN_DTYPE_INT64;
constexpr hetrun_dtype_t kBool = HETRUN_DTYPE_BOOL;

// A chain of `nodes` Neg ops over a [-1] float32 tensor.
GraphBuilder NegChain(int nodes) {
  GraphBuilder g;
  g.Value("v0", kF32, {-1});
  for (int i = 1; i <= nodes; ++i) {
    g.Value(Numbered("v", i), kF32, {-1});
    g.Node(Numbered("neg", i), "Neg", {Numbered("v", i - 1)}, {Numbered("v", i)});
  }
  g.Inputs({"v0"}).Outputs({Numbered("v", nodes)});
  return g;
}

std::vector<float> Ramp(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i % 1000);
  return v;
}

class CpuInlineExecute : public CpuPluginTest {
 protected:
  hetrun_event_t Execute(hetrun_executable_t exe, const std::vector<hetrun_tensor_arg>& inputs,
                         std::vector<hetrun_tensor_arg>& outputs) {
    hetrun_event_t event = nullptr;
    Status status(p_->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()),
                              outputs.data(), static_cast<uint32_t>(outputs.size()), nullptr, 0,
                              &event));
    EXPECT_TRUE(status.ok()) << status.message();
    return event;
  }
  bool Done(hetrun_event_t event) {
    uint8_t done = 7;
    Status status(p_->event_query(dev_, event, &done));
    EXPECT_TRUE(status.ok()) << status.message();
    return done == 1;
  }
  // Runs `exe` until an execute() returns a signalled event (the run before was timed as quick;
  // a loaded machine may stretch the first ones past the limit). Returns whether one did.
  bool WarmUntilInline(hetrun_executable_t exe, const std::vector<hetrun_tensor_arg>& inputs,
                       std::vector<hetrun_tensor_arg>& outputs) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      hetrun_event_t event = Execute(exe, inputs, outputs);
      const bool done = Done(event);
      Status status(p_->event_wait(dev_, event, UINT64_MAX));
      EXPECT_TRUE(status.ok()) << status.message();
      p_->event_release(dev_, event);
      if (done) return true;
    }
    return false;
  }
  hetrun_buffer_t UploadBytes(const void* data, uint64_t bytes) {
    hetrun_buffer_t buffer = Allocate(bytes);
    Status status(p_->buffer_write(dev_, buffer, 0, data, bytes));
    EXPECT_TRUE(status.ok()) << status.message();
    return buffer;
  }
};

TEST_F(CpuInlineExecute, AQuickPartRunsAtOnceFromItsSecondRun) {
  GraphBuilder g = NegChain(3);
  hetrun_executable_t exe = CompileOk(g.view());
  const std::vector<float> x = Ramp(16, -5);
  hetrun_buffer_t in = Upload(x);
  hetrun_buffer_t out = Allocate(16 * sizeof(float));
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(out, kF32, {16})};
  // Queued work would rarely be done the moment execute() returns; inline work always is (bar a
  // run that a loaded machine stretched past the limit, after which the next one is queued).
  std::vector<float> expect(x);
  for (float& v : expect) v = -v;
  int signalled_on_return = 0;
  constexpr int kRuns = 50;
  for (int run = 0; run < kRuns; ++run) {
    HT_ASSERT_OK(p_->buffer_write(dev_, out, 0, std::vector<float>(16, 99).data(), 64));
    hetrun_event_t event = Execute(exe, {TensorArg(in, kF32, {16})}, outputs);
    signalled_on_return += Done(event);
    HT_EXPECT_OK(p_->event_wait(dev_, event, UINT64_MAX));
    p_->event_release(dev_, event);
    EXPECT_EQ(Download(out, 16), expect) << "run " << run;
  }
  EXPECT_GE(signalled_on_return, kRuns / 4);
}

TEST_F(CpuInlineExecute, ErrorsOfAnInlineRunComeBackThroughTheEvent) {
  GraphBuilder g = NegChain(1);
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t in = Upload(Ramp(8, 0));
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(Allocate(32), kF32, {8})};
  ASSERT_TRUE(WarmUntilInline(exe, {TensorArg(in, kF32, {8})}, outputs));

  // The output buffer is too small for 8 floats: only the run finds out, and execute() itself
  // still succeeds whether the run happened inline or not.
  std::vector<hetrun_tensor_arg> too_small = {TensorArg(Allocate(4), kF32, {8})};
  hetrun_event_t event = Execute(exe, {TensorArg(in, kF32, {8})}, too_small);
  ASSERT_NE(event, nullptr);
  Status failed(p_->event_wait(dev_, event, UINT64_MAX));
  EXPECT_EQ(failed.code(), HETRUN_STATUS_INVALID_ARGUMENT) << failed.message();
  EXPECT_NE(failed.message().find("'v1'"), std::string::npos) << failed.message();
  p_->event_release(dev_, event);
}

TEST_F(CpuInlineExecute, ASlowPartStaysOnTheQueueSoWaitsCanTimeOut) {
  GraphBuilder g = NegChain(8);
  hetrun_executable_t exe = CompileOk(g.view());
  // 64 MiB in, 64 MiB out: several milliseconds even with the chain fused into one pass, well
  // above the inline limit of 1 ms.
  constexpr int64_t kN = 1 << 24;
  hetrun_buffer_t in = Upload(Ramp(kN, 0));
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(Allocate(kN * sizeof(float)), kF32, {kN})};
  HT_ASSERT_OK(Run(exe, {TensorArg(in, kF32, {kN})}, outputs));

  hetrun_event_t event = Execute(exe, {TensorArg(in, kF32, {kN})}, outputs);
  Status timed_out(p_->event_wait(dev_, event, 0));
  EXPECT_EQ(timed_out.code(), HETRUN_STATUS_TIMEOUT) << timed_out.message();
  HT_EXPECT_OK(p_->event_wait(dev_, event, UINT64_MAX));
  p_->event_release(dev_, event);
}

TEST_F(CpuInlineExecute, ControlFlowStaysOnTheQueueSoAnEndlessLoopTimesOut) {
  // s = s0 + M: a Loop adding one per iteration, M from the caller.
  GraphBuilder body, top;
  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("s_in", kF32, {1});
  body.Constant("one", {1}, {1.0f}).Value("s_out", kF32, {1}).Value("c_out", kBool, {});
  body.Node("inc", "Add", {"s_in", "one"}, {"s_out"}).Node("keep", "Identity", {"c"}, {"c_out"});
  body.Inputs({"i", "c", "s_in"}).Outputs({"c_out", "s_out"});
  top.Value("M", kI64, {}).Value("cond", kBool, {}).Value("s0", kF32, {1}).Value("s", kF32, {1});
  top.Node("loop", "Loop", {"M", "cond", "s0"}, {"s"}).GraphAttr("body", body);
  top.Inputs({"M", "cond", "s0"}).Outputs({"s"});
  hetrun_executable_t exe = CompileOk(top.view());

  const uint8_t yes = 1;
  hetrun_buffer_t cond = UploadBytes(&yes, 1);
  hetrun_buffer_t s0 = Upload({0});
  hetrun_buffer_t s = Allocate(sizeof(float));
  auto run_with = [&](int64_t trips) {
    std::vector<hetrun_tensor_arg> outputs = {TensorArg(s, kF32, {1})};
    return Execute(exe,
                   {TensorArg(UploadBytes(&trips, sizeof trips), kI64, {}),
                    TensorArg(cond, kBool, {}), TensorArg(s0, kF32, {1})},
                   outputs);
  };
  hetrun_event_t quick = run_with(3);  // fast, so only the Loop keeps the next run off the caller
  HT_ASSERT_OK(p_->event_wait(dev_, quick, UINT64_MAX));
  p_->event_release(dev_, quick);
  EXPECT_EQ(Download(s, 1), std::vector<float>{3});

  hetrun_event_t endless = run_with(int64_t{1} << 62);  // must return: the loop runs elsewhere
  Status timed_out(p_->event_wait(dev_, endless, 20));
  EXPECT_EQ(timed_out.code(), HETRUN_STATUS_TIMEOUT) << timed_out.message();
  p_->event_release(dev_, endless);  // closing the device at TearDown cancels the loop
}

TEST_F(CpuInlineExecute, AQuickPartWaitsForWorkQueuedBeforeIt) {
  // slow: y = x through 16 Neg ops (queued: its first run); quick reads y's first 16 values and
  // must see slow's result, not the stale contents, although nothing orders them but the queue.
  GraphBuilder slow_graph = NegChain(16);
  GraphBuilder quick_graph = NegChain(1);
  hetrun_executable_t slow = CompileOk(slow_graph.view());
  hetrun_executable_t quick = CompileOk(quick_graph.view());
  std::vector<hetrun_tensor_arg> warm_out = {TensorArg(Allocate(64), kF32, {16})};
  ASSERT_TRUE(WarmUntilInline(quick, {TensorArg(Upload(Ramp(16, 0)), kF32, {16})}, warm_out));

  constexpr int64_t kN = 1 << 20;
  const std::vector<float> x = Ramp(kN, -500);
  hetrun_buffer_t y = Upload(std::vector<float>(kN, 12345));  // stale contents
  hetrun_buffer_t z = Allocate(16 * sizeof(float));
  std::vector<hetrun_tensor_arg> slow_out = {TensorArg(y, kF32, {kN})};
  std::vector<hetrun_tensor_arg> quick_out = {TensorArg(z, kF32, {16})};
  hetrun_event_t e1 = Execute(slow, {TensorArg(Upload(x), kF32, {kN})}, slow_out);
  hetrun_event_t e2 = Execute(quick, {TensorArg(y, kF32, {16})}, quick_out);
  HT_ASSERT_OK(p_->event_wait(dev_, e2, UINT64_MAX));
  EXPECT_TRUE(Done(e1)) << "the later submission finished before the earlier one";
  HT_ASSERT_OK(p_->event_wait(dev_, e1, UINT64_MAX));
  p_->event_release(dev_, e1);
  p_->event_release(dev_, e2);
  std::vector<float> expect(x.begin(), x.begin() + 16);
  for (float& v : expect) v = -v;
  EXPECT_EQ(Download(z, 16), expect);
}

TEST_F(CpuInlineExecute, ConcurrentExecutesOfAQuickPartAreEachCorrect) {
  GraphBuilder g = NegChain(2);  // y = x
  hetrun_executable_t exe = CompileOk(g.view());
  constexpr int kThreads = 4;
  constexpr int64_t kN = 256;
  std::vector<hetrun_buffer_t> ins, outs;
  for (int t = 0; t < kThreads; ++t) {
    ins.push_back(Upload(Ramp(kN, static_cast<float>(t * 1000))));
    outs.push_back(Allocate(kN * sizeof(float)));
  }
  std::vector<hetrun_tensor_arg> warm = {TensorArg(outs[0], kF32, {kN})};
  HT_ASSERT_OK(Run(exe, {TensorArg(ins[0], kF32, {kN})}, warm));

  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> got(kN);
      const std::vector<float> expect = Ramp(kN, static_cast<float>(t * 1000));
      for (int run = 0; run < 200; ++run) {
        std::vector<hetrun_tensor_arg> outputs = {TensorArg(outs[t], kF32, {kN})};
        hetrun_event_t event = nullptr;
        const hetrun_tensor_arg input = TensorArg(ins[t], kF32, {kN});
        Status status(p_->execute(exe, &input, 1, outputs.data(), 1, nullptr, 0, &event));
        if (status.ok()) status = Status(p_->event_wait(dev_, event, UINT64_MAX));
        if (event) p_->event_release(dev_, event);
        failed += !status.ok();
        Status read(p_->buffer_read(dev_, outs[t], 0, got.data(), kN * sizeof(float)));
        wrong += !read.ok() || got != expect;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace hetrun::test
