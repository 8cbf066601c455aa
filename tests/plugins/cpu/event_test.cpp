// Asynchronous execution: events, waits lists (also across two opened devices), timeouts, error
// propagation, concurrent execute() on one executable, and device_close draining queued work.
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

// A chain of `nodes` Neg ops over a [-1] float32 tensor; an even count gives back the input.
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

std::vector<float> Iota(size_t n, float start = 0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i % 1000) - 500;
  return v;
}

class CpuEvents : public CpuPluginTest {
 protected:
  hetrun_event_t Execute(hetrun_executable_t exe, const std::vector<hetrun_tensor_arg>& inputs,
                         std::vector<hetrun_tensor_arg>& outputs,
                         const std::vector<hetrun_event_t>& waits = {}) {
    hetrun_event_t event = nullptr;
    Status status(p_->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()),
                              outputs.data(), static_cast<uint32_t>(outputs.size()), waits.data(),
                              static_cast<uint32_t>(waits.size()), &event));
    EXPECT_TRUE(status.ok()) << status.message();
    return event;
  }
};

TEST_F(CpuEvents, WaitsListOrdersWorkAcrossTwoOpenedDevices) {
  // Device 1 computes y = -(-x) slowly; device 2 computes z = -y once y's event has signalled.
  hetrun_device_t dev2 = nullptr;
  HT_ASSERT_OK(p_->device_open(self_, 0, nullptr, &dev2));
  GraphBuilder slow = NegChain(16);
  GraphBuilder fast = NegChain(1);
  hetrun_executable_t exe1 = CompileOk(slow.view());
  hetrun_executable_t exe2 = nullptr;
  HT_ASSERT_OK(p_->compile(dev2, fast.view(), &exe2));

  constexpr int64_t kN = 1 << 20;
  const std::vector<float> x = Iota(kN);
  hetrun_buffer_t y = Upload(std::vector<float>(kN, 12345));  // stale contents
  hetrun_buffer_t z = Allocate(kN * sizeof(float));
  std::vector<hetrun_tensor_arg> out1 = {TensorArg(y, kF32, {kN})};
  std::vector<hetrun_tensor_arg> out2 = {TensorArg(z, kF32, {kN})};
  hetrun_event_t e1 = Execute(exe1, {TensorArg(Upload(x), kF32, {kN})}, out1);
  hetrun_event_t e2 = Execute(exe2, {TensorArg(y, kF32, {kN})}, out2, {e1});
  p_->event_release(dev_, e1);  // the queued work keeps what it waits on alive

  HT_ASSERT_OK(p_->event_wait(dev2, e2, UINT64_MAX));
  p_->event_release(dev2, e2);
  const std::vector<float> got = Download(z, kN);
  size_t wrong = 0;
  for (int64_t i = 0; i < kN; ++i) wrong += got[i] != -x[i];
  EXPECT_EQ(wrong, 0u);
  p_->executable_release(exe2);
  p_->device_close(dev2);
}

TEST_F(CpuEvents, AFailedWaitFailsTheWorkWaitingOnIt) {
  GraphBuilder g = NegChain(1);
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t x = Upload(Iota(8));
  hetrun_buffer_t too_small = Allocate(4);
  hetrun_buffer_t out = Upload(std::vector<float>(8, 7));
  std::vector<hetrun_tensor_arg> out1 = {TensorArg(too_small, kF32, {8})};
  std::vector<hetrun_tensor_arg> out2 = {TensorArg(out, kF32, {8})};
  hetrun_event_t e1 = Execute(exe, {TensorArg(x, kF32, {8})}, out1);
  hetrun_event_t e2 = Execute(exe, {TensorArg(x, kF32, {8})}, out2, {e1});

  Status first(p_->event_wait(dev_, e1, UINT64_MAX));
  EXPECT_EQ(first.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(first.message().find("'v1'"), std::string::npos) << first.message();
  Status second(p_->event_wait(dev_, e2, UINT64_MAX));
  EXPECT_EQ(second.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(second.message().find("waited-on event failed"), std::string::npos) << second.message();
  EXPECT_EQ(Download(out, 8), std::vector<float>(8, 7)) << "work after a failed wait must not run";

  // Every wait returns a fresh status that the host owns.
  Status again(p_->event_wait(dev_, e1, 0));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.get(), first.get());
  EXPECT_EQ(again.message(), first.message());
  p_->event_release(dev_, e1);
  p_->event_release(dev_, e2);
}

TEST_F(CpuEvents, TimeoutAndQueryDoNotBlock) {
  GraphBuilder g = NegChain(20);
  hetrun_executable_t exe = CompileOk(g.view());
  constexpr int64_t kN = 1 << 21;
  hetrun_buffer_t x = Upload(Iota(kN));
  std::vector<hetrun_buffer_t> outs;
  std::vector<hetrun_event_t> events;
  for (int i = 0; i < 4; ++i) {  // the last job starts after the first three
    outs.push_back(Allocate(kN * sizeof(float)));
    std::vector<hetrun_tensor_arg> out = {TensorArg(outs.back(), kF32, {kN})};
    events.push_back(Execute(exe, {TensorArg(x, kF32, {kN})}, out));
  }
  uint8_t done = 7;
  HT_ASSERT_OK(p_->event_query(dev_, events.back(), &done));
  EXPECT_EQ(done, 0);
  Status timed_out(p_->event_wait(dev_, events.back(), 0));
  EXPECT_EQ(timed_out.code(), HETRUN_STATUS_TIMEOUT) << timed_out.message();
  Status short_wait(p_->event_wait(dev_, events.back(), 1));
  EXPECT_TRUE(short_wait.ok() || short_wait.code() == HETRUN_STATUS_TIMEOUT);

  for (hetrun_event_t e : events) HT_EXPECT_OK(p_->event_wait(dev_, e, UINT64_MAX));
  for (hetrun_event_t e : events) {
    HT_EXPECT_OK(p_->event_query(dev_, e, &done));
    EXPECT_EQ(done, 1);
    HT_EXPECT_OK(p_->event_wait(dev_, e, 0));  // done: no timeout even with 0
    p_->event_release(dev_, e);
  }
  EXPECT_EQ(Download(outs.back(), 5), (std::vector<float>{-500, -499, -498, -497, -496}));
}

TEST_F(CpuEvents, WaitsMustBeEventsOfThisPlugin) {
  GraphBuilder g = NegChain(1);
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t x = Upload(Iota(4));
  std::vector<hetrun_tensor_arg> outputs(1);
  hetrun_event_t event = reinterpret_cast<hetrun_event_t>(0x1);
  std::vector<hetrun_tensor_arg> inputs = {TensorArg(x, kF32, {4})};
  Status null_array(p_->execute(exe, inputs.data(), 1, outputs.data(), 1, nullptr, 1, &event));
  EXPECT_EQ(null_array.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  const hetrun_event_t not_an_event[] = {reinterpret_cast<hetrun_event_t>(x)};
  Status wrong(p_->execute(exe, inputs.data(), 1, outputs.data(), 1, not_an_event, 1, &event));
  EXPECT_EQ(wrong.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(wrong.message().find("waits[0]"), std::string::npos) << wrong.message();
  EXPECT_EQ(event, reinterpret_cast<hetrun_event_t>(0x1));
  EXPECT_EQ(outputs[0].buffer, nullptr);
}

TEST_F(CpuEvents, ConcurrentExecuteOnOneExecutableGivesIdenticalResults) {
  GraphBuilder g;
  g.Value("x", kF32, {-1, 3}).Value("y", kF32, {-1, 3}).Constant("c", {3}, {0.5f, -2, 3});
  g.Value("s", kF32, {-1, 3}).Value("r", kF32, {-1, 3}).Value("out", kF32, {-1, 3});
  g.Node("add", "Add", {"x", "y"}, {"s"}).Node("relu", "Relu", {"s"}, {"r"});
  g.Node("mul", "Mul", {"r", "c"}, {"out"}).Inputs({"x", "y"}).Outputs({"out"});
  hetrun_executable_t exe = CompileOk(g.view());

  // Each thread has its own shape, so runs with different shapes interleave.
  auto run_once = [&](int64_t rows, std::vector<float>* result) {
    const size_t n = static_cast<size_t>(rows) * 3;
    hetrun_buffer_t x = nullptr, y = nullptr;
    Status a(p_->buffer_alloc(dev_, n * 4, &x)), b(p_->buffer_alloc(dev_, n * 4, &y));
    const std::vector<float> xv = Iota(n, 0.25f), yv = Iota(n, -0.75f);
    Status wa(p_->buffer_write(dev_, x, 0, xv.data(), n * 4));
    Status wb(p_->buffer_write(dev_, y, 0, yv.data(), n * 4));
    std::vector<hetrun_tensor_arg> inputs = {TensorArg(x, kF32, {rows, 3}),
                                             TensorArg(y, kF32, {rows, 3})};
    std::vector<hetrun_tensor_arg> outputs(1);
    hetrun_event_t event = nullptr;
    Status exec(p_->execute(exe, inputs.data(), 2, outputs.data(), 1, nullptr, 0, &event));
    Status waited(exec.ok() ? p_->event_wait(dev_, event, UINT64_MAX) : nullptr);
    p_->event_release(dev_, event);
    bool ok =
        a.ok() && b.ok() && wa.ok() && wb.ok() && exec.ok() && waited.ok() && outputs[0].buffer;
    if (ok) {
      result->resize(n);
      ok = Status(p_->buffer_read(dev_, outputs[0].buffer, 0, result->data(), n * 4)).ok();
    }
    p_->buffer_release(dev_, outputs[0].buffer);
    p_->buffer_release(dev_, x);
    p_->buffer_release(dev_, y);
    return ok;
  };

  constexpr int kThreads = 4;
  std::vector<std::vector<float>> reference(kThreads);
  for (int t = 0; t < kThreads; ++t) ASSERT_TRUE(run_once(1000 + 333 * t, &reference[t]));

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::vector<float> result;
        if (!run_once(1000 + 333 * t, &result) ||
            std::memcmp(result.data(), reference[t].data(), result.size() * 4) != 0) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(CpuEvents, DeviceCloseFinishesQueuedWork) {
  hetrun_device_t dev2 = nullptr;
  HT_ASSERT_OK(p_->device_open(self_, 0, nullptr, &dev2));
  GraphBuilder g = NegChain(8);
  hetrun_executable_t exe = nullptr;
  HT_ASSERT_OK(p_->compile(dev2, g.view(), &exe));

  // Results land in buffers of the main device (host memory either way), read after the close.
  constexpr int64_t kN = 1 << 18;
  std::vector<hetrun_buffer_t> results;
  for (int i = 0; i < 4; ++i) {
    hetrun_buffer_t x = nullptr;
    HT_ASSERT_OK(p_->buffer_alloc(dev2, kN * 4, &x));
    const std::vector<float> xv = Iota(kN, static_cast<float>(i));
    HT_ASSERT_OK(p_->buffer_write(dev2, x, 0, xv.data(), kN * 4));
    results.push_back(Allocate(kN * 4));
    std::vector<hetrun_tensor_arg> inputs = {TensorArg(x, kF32, {kN})};
    std::vector<hetrun_tensor_arg> outputs = {TensorArg(results.back(), kF32, {kN})};
    hetrun_event_t event = nullptr;
    HT_ASSERT_OK(p_->execute(exe, inputs.data(), 1, outputs.data(), 1, nullptr, 0, &event));
    // Released early: the queued work keeps its input buffer and event alive.
    p_->event_release(dev2, event);
    p_->buffer_release(dev2, x);
  }
  p_->device_close(dev2);  // returns once the queue has drained

  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Download(results[i], 3), Iota(3, static_cast<float>(i))) << "run " << i;
  }
  // Using an executable whose device is closed is a clear error, not a crash.
  std::vector<hetrun_tensor_arg> inputs = {TensorArg(results[0], kF32, {kN})};
  std::vector<hetrun_tensor_arg> outputs = {TensorArg(results[1], kF32, {kN})};
  hetrun_event_t event = nullptr;
  Status closed(p_->execute(exe, inputs.data(), 1, outputs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(closed.code(), HETRUN_STATUS_UNAVAILABLE) << closed.message();
  p_->executable_release(exe);
}

}  // namespace
}  // namespace hetrun::test
