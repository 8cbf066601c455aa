// The testdev plugin driven as the host drives it (loaded by the plugin registry, called through
// the C ABI only): its restricted op set and scaled costs, its own device memory that refuses
// foreign buffers, real results from the wrapped CPU kernels, and failures injected on request.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "graph_builder.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/plugin_api/plugin_registry.h"

namespace hetrun::test {
namespace {

using plugin_api::PluginLibrary;
using plugin_api::PluginRegistry;
using plugin_api::TakeStatus;

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;

Status Take(hetrun_status_t status) {
  return TakeStatus(status, "");
}

#define TD_ASSERT_OK(expr)                                \
  do {                                                    \
    const ::hetrun::Status td_status_ = Take(expr);       \
    ASSERT_TRUE(td_status_.ok()) << td_status_.message(); \
  } while (0)

hetrun_tensor_arg Arg(hetrun_buffer_t buffer, const std::vector<int64_t>& dims) {
  hetrun_tensor_arg arg{};
  arg.buffer = buffer;
  arg.dtype = kF32;
  arg.rank = static_cast<uint32_t>(dims.size());
  std::copy(dims.begin(), dims.end(), arg.dims);
  return arg;
}

// sum = x + y, both [2, 3].
GraphBuilder AddGraph() {
  GraphBuilder g;
  g.Value("x", kF32, {2, 3})
      .Value("y", kF32, {2, 3})
      .Value("sum", kF32, {2, 3})
      .Node("add", "Add", {"x", "y"}, {"sum"})
      .Inputs({"x", "y"})
      .Outputs({"sum"});
  return g;
}

// out = Relu(a) @ w, a [2, 3], w a constant [3, 2].
GraphBuilder ReluMatMulGraph() {
  GraphBuilder g;
  g.Value("a", kF32, {2, 3})
      .Constant("w", {3, 2}, {1, 2, 3, 4, 5, 6})
      .Value("r", kF32, {2, 3})
      .Value("out", kF32, {2, 2})
      .Node("relu", "Relu", {"a"}, {"r"})
      .Node("matmul", "MatMul", {"r", "w"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  return g;
}

// Add then Neg: Neg is outside the default op set.
GraphBuilder AddNegGraph() {
  GraphBuilder g;
  g.Value("x", kF32, {2, 3})
      .Value("y", kF32, {2, 3})
      .Value("sum", kF32, {2, 3})
      .Value("neg", kF32, {2, 3})
      .Node("add", "Add", {"x", "y"}, {"sum"})
      .Node("negate", "Neg", {"sum"}, {"neg"})
      .Inputs({"x", "y"})
      .Outputs({"neg"});
  return g;
}

const char* const kControls[] = {"HETRUN_TESTDEV_OPS", "HETRUN_TESTDEV_COST_SCALE",
                                 "HETRUN_TESTDEV_DEVICES", "HETRUN_TESTDEV_FAIL_EXECUTABLE"};

// A registry that loads testdev (and, when asked, the CPU plugin), with tracked handles released
// in the right order at the end.
class TestdevTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kControls) unsetenv(name);
    registry_ = std::make_unique<PluginRegistry>(std::vector<std::string>{HETRUN_TEST_PLUGIN_DIR});
    Result<PluginLibrary*> loaded = registry_->Load("testdev");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    lib_ = *loaded;
    p_ = &lib_->table();
  }

  void TearDown() override {
    for (auto& [device, event] : events_) p_->event_release(device, event);
    for (hetrun_executable_t exe : executables_) p_->executable_release(exe);
    for (auto& [device, buffer] : buffers_) p_->buffer_release(device, buffer);
    for (hetrun_device_t device : devices_) p_->device_close(device);
    registry_.reset();  // shuts the plugins down and unloads them
    for (const char* name : kControls) unsetenv(name);
  }

  hetrun_device_t Open(uint32_t index, uint32_t threads = 1) {
    hetrun_device_options options{sizeof options, threads};
    hetrun_device_t device = nullptr;
    const Status status = Take(p_->device_open(lib_->self(), index, &options, &device));
    EXPECT_TRUE(status.ok()) << status.message();
    if (device) devices_.push_back(device);
    return device;
  }

  hetrun_buffer_t Upload(hetrun_device_t device, const std::vector<float>& values) {
    hetrun_buffer_t buffer = nullptr;
    const uint64_t bytes = values.size() * sizeof(float);
    Status status = Take(p_->buffer_alloc(device, bytes, &buffer));
    EXPECT_TRUE(status.ok()) << status.message();
    if (!buffer) return nullptr;
    buffers_.emplace_back(device, buffer);
    status = Take(p_->buffer_write(device, buffer, 0, values.data(), bytes));
    EXPECT_TRUE(status.ok()) << status.message();
    return buffer;
  }

  std::vector<float> Download(hetrun_device_t device, hetrun_buffer_t buffer, size_t count) {
    std::vector<float> values(count);
    const Status status =
        Take(p_->buffer_read(device, buffer, 0, values.data(), count * sizeof(float)));
    EXPECT_TRUE(status.ok()) << status.message();
    return values;
  }

  hetrun_executable_t Compile(hetrun_device_t device, const hetrun_graph_view* part) {
    hetrun_executable_t exe = nullptr;
    const Status status = Take(p_->compile(device, part, &exe));
    EXPECT_TRUE(status.ok()) << status.message();
    if (exe) executables_.push_back(exe);
    return exe;
  }

  // execute(); the event is released at TearDown.
  hetrun_event_t Submit(hetrun_device_t device, hetrun_executable_t exe,
                        const std::vector<hetrun_tensor_arg>& inputs,
                        std::vector<hetrun_tensor_arg>& outputs,
                        const std::vector<hetrun_event_t>& waits = {}) {
    hetrun_event_t event = nullptr;
    const Status status =
        Take(p_->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()), outputs.data(),
                         static_cast<uint32_t>(outputs.size()), waits.data(),
                         static_cast<uint32_t>(waits.size()), &event));
    EXPECT_TRUE(status.ok()) << status.message();
    if (event) events_.emplace_back(device, event);
    return event;
  }

  // execute() then event_wait(forever): the first error of the two.
  Status Run(hetrun_device_t device, hetrun_executable_t exe,
             const std::vector<hetrun_tensor_arg>& inputs,
             std::vector<hetrun_tensor_arg>& outputs) {
    hetrun_event_t event = nullptr;
    Status status =
        Take(p_->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()), outputs.data(),
                         static_cast<uint32_t>(outputs.size()), nullptr, 0, &event));
    if (!status.ok()) return status;
    status = Take(p_->event_wait(device, event, UINT64_MAX));
    p_->event_release(device, event);
    return status;
  }

  // Takes ownership of a buffer the plugin allocated for an output.
  void Adopt(hetrun_device_t device, hetrun_buffer_t buffer) {
    if (buffer) buffers_.emplace_back(device, buffer);
  }

  std::unique_ptr<PluginRegistry> registry_;
  PluginLibrary* lib_ = nullptr;
  const hetrun_plugin_v1* p_ = nullptr;

 private:
  std::vector<hetrun_device_t> devices_;
  std::vector<std::pair<hetrun_device_t, hetrun_buffer_t>> buffers_;
  std::vector<hetrun_executable_t> executables_;
  std::vector<std::pair<hetrun_device_t, hetrun_event_t>> events_;
};

TEST_F(TestdevTest, LoadsAndReportsOneDeviceOrAsManyAsAsked) {
  EXPECT_EQ(lib_->name(), "testdev");
  uint32_t count = 0;
  TD_ASSERT_OK(p_->device_count(lib_->self(), &count));
  EXPECT_EQ(count, 1u);
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(Take(p_->device_info(lib_->self(), 1, &info)).code(), StatusCode::kNotFound);

  setenv("HETRUN_TESTDEV_DEVICES", "2", 1);  // read on every call, not at init
  TD_ASSERT_OK(p_->device_count(lib_->self(), &count));
  EXPECT_EQ(count, 2u);
  TD_ASSERT_OK(p_->device_info(lib_->self(), 1, &info));
  EXPECT_STREQ(info.name, "hetrun test device 1 (CPU-backed)");
  EXPECT_NE(Open(1), nullptr);

  setenv("HETRUN_TESTDEV_DEVICES", "two", 1);
  EXPECT_EQ(Take(p_->device_count(lib_->self(), &count)).code(), StatusCode::kInvalidArgument);
}

TEST_F(TestdevTest, DeviceIsNotHostMemoryAndHasASlowerLink) {
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  TD_ASSERT_OK(p_->device_info(lib_->self(), 0, &info));
  EXPECT_STREQ(info.name, "hetrun test device 0 (CPU-backed)");
  EXPECT_EQ(info.kind, HETRUN_DEVICE_OTHER);
  EXPECT_EQ(info.flags & HETRUN_DEVICE_HOST_MEMORY, 0u);
  EXPECT_EQ(info.memory_bytes, uint64_t{1} << 30);
  EXPECT_EQ(info.compute_units, 1u);
  EXPECT_GT(info.peak_gflops, 0);
  EXPECT_DOUBLE_EQ(info.host_link_gbps, 8);
  EXPECT_DOUBLE_EQ(info.host_link_latency_us, 10);
  EXPECT_EQ(p_->buffer_map, nullptr);
}

TEST_F(TestdevTest, QuerySupportNarrowsToTheOpSetAndScalesTheCpuCost) {
  Result<PluginLibrary*> cpu = registry_->Load("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  const hetrun_plugin_v1& c = (*cpu)->table();
  hetrun_device_options options{sizeof options, 1};
  hetrun_device_t cpu_device = nullptr;
  TD_ASSERT_OK(c.device_open((*cpu)->self(), 0, &options, &cpu_device));

  GraphBuilder g = AddNegGraph();
  auto query = [&](const hetrun_plugin_v1& plugin, hetrun_device_t device) {
    std::vector<hetrun_node_support> support(2);
    for (hetrun_node_support& s : support) s.struct_size = sizeof s;
    const Status status = Take(plugin.query_support(device, g.view(), support.data()));
    EXPECT_TRUE(status.ok()) << status.message();
    return support;
  };
  const std::vector<hetrun_node_support> on_cpu = query(c, cpu_device);
  ASSERT_TRUE(on_cpu[0].supported && on_cpu[1].supported);
  ASSERT_GT(on_cpu[0].cost_us, 0);

  hetrun_device_t device = Open(0, 1);
  std::vector<hetrun_node_support> on_testdev = query(*p_, device);
  EXPECT_EQ(on_testdev[0].supported, 1);
  EXPECT_DOUBLE_EQ(on_testdev[0].cost_us, 0.5 * on_cpu[0].cost_us);
  EXPECT_EQ(on_testdev[1].supported, 0);
  EXPECT_STREQ(on_testdev[1].reason, "testdev: op Neg is not in HETRUN_TESTDEV_OPS");

  // Compiling what it declined fails, as on a real accelerator.
  hetrun_executable_t exe = nullptr;
  const Status refused = Take(p_->compile(device, g.view(), &exe));
  EXPECT_EQ(refused.code(), StatusCode::kUnimplemented);
  EXPECT_NE(refused.message().find("'negate' (Neg) is not in HETRUN_TESTDEV_OPS"),
            std::string::npos)
      << refused.message();
  EXPECT_EQ(exe, nullptr);

  setenv("HETRUN_TESTDEV_OPS", "*", 1);
  setenv("HETRUN_TESTDEV_COST_SCALE", "2", 1);
  on_testdev = query(*p_, device);
  EXPECT_EQ(on_testdev[1].supported, 1);
  EXPECT_DOUBLE_EQ(on_testdev[1].cost_us, 2 * on_cpu[1].cost_us);

  setenv("HETRUN_TESTDEV_OPS", "Neg, Relu", 1);
  on_testdev = query(*p_, device);
  EXPECT_EQ(on_testdev[0].supported, 0);
  EXPECT_EQ(on_testdev[1].supported, 1);

  setenv("HETRUN_TESTDEV_OPS", "", 1);  // empty is unset: the default set again
  on_testdev = query(*p_, device);
  EXPECT_EQ(on_testdev[0].supported, 1);
  EXPECT_EQ(on_testdev[1].supported, 0);

  setenv("HETRUN_TESTDEV_COST_SCALE", "-1", 1);
  std::vector<hetrun_node_support> support(2);
  for (hetrun_node_support& s : support) s.struct_size = sizeof s;
  EXPECT_EQ(Take(p_->query_support(device, g.view(), support.data())).code(),
            StatusCode::kInvalidArgument);
  c.device_close(cpu_device);
}

TEST_F(TestdevTest, AddRunsEndToEndThroughDeviceMemory) {
  hetrun_device_t device = Open(0);
  GraphBuilder g = AddGraph();
  hetrun_executable_t exe = Compile(device, g.view());
  ASSERT_NE(exe, nullptr);
  hetrun_buffer_t x = Upload(device, {1, 2, 3, 4, 5, 6});
  hetrun_buffer_t y = Upload(device, {10, 20, 30, 40, 50, 60});
  hetrun_buffer_t sum = Upload(device, std::vector<float>(6, -1));
  std::vector<hetrun_tensor_arg> outputs = {Arg(sum, {2, 3})};
  ASSERT_TRUE(Run(device, exe, {Arg(x, {2, 3}), Arg(y, {2, 3})}, outputs).ok());
  EXPECT_EQ(Download(device, sum, 6), (std::vector<float>{11, 22, 33, 44, 55, 66}));
}

TEST_F(TestdevTest, ReluMatMulAllocatesItsOutputAsATestdevBuffer) {
  hetrun_device_t device = Open(0);
  GraphBuilder g = ReluMatMulGraph();
  hetrun_executable_t exe = Compile(device, g.view());
  ASSERT_NE(exe, nullptr);
  hetrun_buffer_t a = Upload(device, {1, -2, 3, -4, 5, 6});
  std::vector<hetrun_tensor_arg> outputs(1);  // NULL buffer: the plugin allocates it
  hetrun_event_t done = Submit(device, exe, {Arg(a, {2, 3})}, outputs);
  ASSERT_NE(done, nullptr);
  TD_ASSERT_OK(p_->event_wait(device, done, UINT64_MAX));
  TD_ASSERT_OK(p_->event_wait(device, done, 0));  // may be called again
  uint8_t signalled = 0;
  TD_ASSERT_OK(p_->event_query(device, done, &signalled));
  EXPECT_EQ(signalled, 1);
  ASSERT_NE(outputs[0].buffer, nullptr);
  Adopt(device, outputs[0].buffer);
  EXPECT_EQ(outputs[0].dtype, kF32);
  ASSERT_EQ(outputs[0].rank, 2u);
  EXPECT_EQ(outputs[0].dims[0], 2);
  EXPECT_EQ(outputs[0].dims[1], 2);
  // Relu(a) = [[1, 0, 3], [0, 5, 6]]; times [[1, 2], [3, 4], [5, 6]].
  EXPECT_EQ(Download(device, outputs[0].buffer, 4), (std::vector<float>{16, 20, 45, 56}));

  // The allocated buffer feeds the next part on the same device.
  GraphBuilder relu;
  relu.Value("i", kF32, {2, 2})
      .Value("o", kF32, {2, 2})
      .Node("relu", "Relu", {"i"}, {"o"})
      .Inputs({"i"})
      .Outputs({"o"});
  hetrun_executable_t second = Compile(device, relu.view());
  hetrun_buffer_t o = Upload(device, std::vector<float>(4, 0));
  std::vector<hetrun_tensor_arg> second_outputs = {Arg(o, {2, 2})};
  ASSERT_TRUE(Run(device, second, {outputs[0]}, second_outputs).ok());
  EXPECT_EQ(Download(device, o, 4), (std::vector<float>{16, 20, 45, 56}));
}

TEST_F(TestdevTest, RefusesAnotherPluginsBuffer) {
  Result<PluginLibrary*> cpu = registry_->Load("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  const hetrun_plugin_v1& c = (*cpu)->table();
  hetrun_device_t cpu_device = nullptr;
  TD_ASSERT_OK(c.device_open((*cpu)->self(), 0, nullptr, &cpu_device));
  hetrun_buffer_t cpu_buffer = nullptr;
  TD_ASSERT_OK(c.buffer_alloc(cpu_device, 6 * sizeof(float), &cpu_buffer));

  hetrun_device_t device = Open(0);
  const float values[6] = {};
  Status status = Take(p_->buffer_write(device, cpu_buffer, 0, values, sizeof values));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("is not a testdev:0 buffer"), std::string::npos)
      << status.message();

  GraphBuilder g = AddGraph();
  hetrun_executable_t exe = Compile(device, g.view());
  hetrun_buffer_t y = Upload(device, {1, 2, 3, 4, 5, 6});
  std::vector<hetrun_tensor_arg> outputs(1);
  hetrun_event_t event = nullptr;
  const std::vector<hetrun_tensor_arg> inputs = {Arg(cpu_buffer, {2, 3}), Arg(y, {2, 3})};
  status = Take(p_->execute(exe, inputs.data(), 2, outputs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("input 0's buffer is not a testdev:0 buffer"), std::string::npos)
      << status.message();
  EXPECT_EQ(event, nullptr);  // out-parameters untouched on failure
  EXPECT_EQ(outputs[0].buffer, nullptr);

  c.buffer_release(cpu_device, cpu_buffer);
  c.device_close(cpu_device);
}

TEST_F(TestdevTest, RefusesAnotherTestdevDevicesBufferAndEvent) {
  setenv("HETRUN_TESTDEV_DEVICES", "2", 1);
  hetrun_device_t d0 = Open(0), d1 = Open(1);
  ASSERT_NE(d1, nullptr);
  hetrun_buffer_t on_d1 = Upload(d1, {1, 2, 3, 4, 5, 6});
  std::vector<float> back(6);
  const Status status = Take(p_->buffer_read(d0, on_d1, 0, back.data(), 6 * sizeof(float)));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("is not a testdev:0 buffer (it belongs to testdev:1)"),
            std::string::npos)
      << status.message();

  // testdev:0's work may wait on testdev:1's, but each event is waited on with its own device.
  GraphBuilder g = AddGraph();
  hetrun_executable_t exe1 = Compile(d1, g.view());
  hetrun_executable_t exe0 = Compile(d0, g.view());
  hetrun_buffer_t sum1 = Upload(d1, std::vector<float>(6, 0));
  std::vector<hetrun_tensor_arg> outputs1 = {Arg(sum1, {2, 3})};
  hetrun_event_t first = Submit(d1, exe1, {Arg(on_d1, {2, 3}), Arg(on_d1, {2, 3})}, outputs1);
  hetrun_buffer_t x0 = Upload(d0, {1, 1, 1, 1, 1, 1});
  hetrun_buffer_t sum0 = Upload(d0, std::vector<float>(6, 0));
  std::vector<hetrun_tensor_arg> outputs0 = {Arg(sum0, {2, 3})};
  hetrun_event_t second = Submit(d0, exe0, {Arg(x0, {2, 3}), Arg(x0, {2, 3})}, outputs0, {first});
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Take(p_->event_wait(d0, first, UINT64_MAX)).code(), StatusCode::kInvalidArgument);
  TD_ASSERT_OK(p_->event_wait(d0, second, UINT64_MAX));
  TD_ASSERT_OK(p_->event_wait(d1, first, UINT64_MAX));
  EXPECT_EQ(Download(d1, sum1, 6), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(Download(d0, sum0, 6), std::vector<float>(6, 2));
}

TEST_F(TestdevTest, InjectedFailureHitsOnlyTheChosenExecutableAndWhatWaitsOnIt) {
  setenv("HETRUN_TESTDEV_FAIL_EXECUTABLE", "1", 1);
  hetrun_device_t device = Open(0);
  GraphBuilder g = AddGraph();
  hetrun_executable_t good = Compile(device, g.view());
  hetrun_executable_t bad = Compile(device, g.view());
  unsetenv("HETRUN_TESTDEV_FAIL_EXECUTABLE");  // read at compile time: bad stays bad
  hetrun_executable_t after = Compile(device, g.view());
  ASSERT_NE(after, nullptr);
  hetrun_buffer_t x = Upload(device, {1, 2, 3, 4, 5, 6});
  const std::vector<hetrun_tensor_arg> inputs = {Arg(x, {2, 3}), Arg(x, {2, 3})};

  for (int attempt = 0; attempt < 2; ++attempt) {  // every execution fails, not just the first
    std::vector<hetrun_tensor_arg> outputs(1);
    hetrun_event_t failed = Submit(device, bad, inputs, outputs);  // execute() itself succeeds
    ASSERT_NE(failed, nullptr);
    const Status status = Take(p_->event_wait(device, failed, UINT64_MAX));
    EXPECT_EQ(status.code(), StatusCode::kDeviceLost);
    EXPECT_EQ(status.message(), "testdev:0: injected failure in executable 1");
    EXPECT_EQ(outputs[0].buffer, nullptr);

    // Work that waited on the failed event fails with it.
    std::vector<hetrun_tensor_arg> next_outputs(1);
    hetrun_event_t next = Submit(device, after, inputs, next_outputs, {failed});
    const Status next_status = Take(p_->event_wait(device, next, UINT64_MAX));
    EXPECT_EQ(next_status.code(), StatusCode::kDeviceLost);
    EXPECT_NE(next_status.message().find("a waited-on event failed"), std::string::npos)
        << next_status.message();
    EXPECT_EQ(next_outputs[0].buffer, nullptr);
  }

  for (hetrun_executable_t exe : {good, after}) {
    std::vector<hetrun_tensor_arg> outputs(1);
    ASSERT_TRUE(Run(device, exe, inputs, outputs).ok());
    Adopt(device, outputs[0].buffer);
    ASSERT_NE(outputs[0].buffer, nullptr);
    EXPECT_EQ(Download(device, outputs[0].buffer, 6), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  }
}

TEST_F(TestdevTest, OneExecutableRunsFromSeveralThreadsAtOnce) {
  hetrun_device_t device = Open(0, 2);
  GraphBuilder g = ReluMatMulGraph();
  hetrun_executable_t exe = Compile(device, g.view());
  ASSERT_NE(exe, nullptr);
  hetrun_buffer_t a = Upload(device, {1, -2, 3, -4, 5, 6});
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<int> correct(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int run = 0; run < kRuns; ++run) {
        std::vector<hetrun_tensor_arg> outputs(1);
        const hetrun_tensor_arg input = Arg(a, {2, 3});
        hetrun_event_t event = nullptr;
        if (!Take(p_->execute(exe, &input, 1, outputs.data(), 1, nullptr, 0, &event)).ok()) return;
        // Polling with event_query must also see the outputs in place once it says "done".
        uint8_t done = 0;
        while (!done && Take(p_->event_query(device, event, &done)).ok()) std::this_thread::yield();
        p_->event_release(device, event);
        if (!outputs[0].buffer) continue;
        float out[4] = {};
        if (Take(p_->buffer_read(device, outputs[0].buffer, 0, out, sizeof out)).ok() &&
            out[0] == 16 && out[1] == 20 && out[2] == 45 && out[3] == 56) {
          ++correct[t];
        }
        p_->buffer_release(device, outputs[0].buffer);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(correct[t], kRuns) << "thread " << t;
}

TEST_F(TestdevTest, EventReleasedUnwaitedFreesWhatTheCpuAllocated) {
  hetrun_device_t device = Open(0);
  GraphBuilder g = ReluMatMulGraph();
  hetrun_executable_t exe = Compile(device, g.view());
  hetrun_buffer_t a = Upload(device, {1, 2, 3, 4, 5, 6});
  std::vector<hetrun_tensor_arg> outputs(1);
  const std::vector<hetrun_tensor_arg> inputs = {Arg(a, {2, 3})};
  hetrun_event_t event = nullptr;
  TD_ASSERT_OK(p_->execute(exe, inputs.data(), 1, outputs.data(), 1, nullptr, 0, &event));
  p_->event_release(device, event);  // the leak check (ASan) sees the CPU's buffer freed
  EXPECT_EQ(outputs[0].buffer, nullptr);
  p_->event_release(device, nullptr);
  p_->buffer_release(device, nullptr);
  p_->executable_release(nullptr);
}

}  // namespace
}  // namespace hetrun::test
