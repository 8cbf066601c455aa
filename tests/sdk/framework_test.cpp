// The plugin framework (hetrun/plugin/framework.hpp) driven through its C table, as the host drives
// a plugin: a tiny in-test plugin ("sdktest", two host-memory devices, Relu on float32) exercises
// the lifecycle, execute + event_wait, errors turned into statuses with their messages, and bad
// handles. Built as C++17 to hold the header to its promise.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hetrun/plugin/framework.hpp"

//===-- Host side: statuses the test can read
//--------------------------------------------------===//

struct hetrun_status_s {
  hetrun_status_code_t code;
  std::string message;
};

namespace {

hetrun_status_t CreateStatus(hetrun_status_code_t code, const char* message) {
  return new hetrun_status_s{code, message ? message : ""};
}
void LogLine(hetrun_log_level_t, const char*) {}

const hetrun_host_services kHost = {sizeof(hetrun_host_services), HETRUN_ABI_MAJOR,
                                    HETRUN_ABI_MINOR, CreateStatus, LogLine};

// Code and message of a status, freeing it; {OK, ""} for NULL.
struct Outcome {
  hetrun_status_code_t code = HETRUN_STATUS_OK;
  std::string message;
};
Outcome Take(hetrun_status_t status) {
  Outcome outcome;
  if (status) {
    outcome = {status->code, status->message};
    delete status;
  }
  return outcome;
}

//===-- The in-test plugin --------------------------------------------------------------------===//

namespace fw = hetrun::plugin;

// Test controls, read by the plugin.
std::atomic<bool> g_fail_init{false};
std::mutex g_gate_mutex;
std::condition_variable g_gate_cv;
bool g_gate_open = true;

void SetGate(bool open) {
  {
    std::lock_guard<std::mutex> lock(g_gate_mutex);
    g_gate_open = open;
  }
  g_gate_cv.notify_all();
}
void WaitForGate() {
  std::unique_lock<std::mutex> lock(g_gate_mutex);
  g_gate_cv.wait(lock, [] { return g_gate_open; });
}

class TestDevice;

class ReluExecutable final : public fw::Executable {
 public:
  explicit ReluExecutable(std::shared_ptr<TestDevice> device) : device_(std::move(device)) {}
  std::shared_ptr<fw::Event> Execute(const fw::TensorArgs& inputs, fw::MutableTensorArgs& outputs,
                                     std::vector<std::shared_ptr<fw::Event>> waits) override;

 private:
  std::shared_ptr<TestDevice> device_;
};

class TestDevice final : public fw::Device, public std::enable_shared_from_this<TestDevice> {
 public:
  void QuerySupport(const hetrun_graph_view& graph, fw::SupportAnswers& answers) override {
    for (uint32_t k = 0; k < graph.num_nodes; ++k) {
      const std::string op = graph.nodes[k].op_type;
      if (op == "Relu") answers.Accept(k, 1.5);
      if (op == "Add") answers.Decline(k, "Add is not implemented by sdktest");
      // Anything else is left unanswered: the framework declines it.
    }
  }
  std::shared_ptr<fw::Executable> Compile(const hetrun_graph_view& part) override {
    for (uint32_t k = 0; k < part.num_nodes; ++k) {
      if (std::strcmp(part.nodes[k].op_type, "Relu") != 0) {
        throw fw::Error(HETRUN_STATUS_UNIMPLEMENTED,
                        fw::DescribeNode(part.nodes[k], k) + " cannot be compiled by sdktest");
      }
    }
    return std::make_shared<ReluExecutable>(shared_from_this());
  }
  // One tunable for Relu, so the framework's checks of tuning calls can be driven.
  std::vector<fw::Tunable> Tunables(const hetrun_graph_view& graph, uint32_t node) override {
    if (std::strcmp(graph.nodes[node].op_type, "Relu") != 0) return {};
    return {{"unroll", "elements per loop step", {1, 2, 4}, 1}};
  }
  std::shared_ptr<fw::Executable> CompileTuned(
      const hetrun_graph_view& part, const std::vector<fw::TuningChoice>& choices) override {
    last_choices = choices;
    return Compile(part);
  }
  std::shared_ptr<fw::Buffer> Allocate(uint64_t bytes) override {
    if (bytes > (uint64_t{1} << 30))
      throw fw::Error(HETRUN_STATUS_OUT_OF_MEMORY, "sdktest: too big");
    return std::make_shared<fw::HostBuffer>(bytes);
  }
  void Write(fw::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override {
    std::memcpy(static_cast<fw::HostBuffer&>(buffer).data() + offset, src, bytes);
  }
  void Read(fw::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override {
    std::memcpy(dst, static_cast<fw::HostBuffer&>(buffer).data() + offset, bytes);
  }
  void* Map(fw::Buffer& buffer) override { return static_cast<fw::HostBuffer&>(buffer).data(); }
  void Close() override { queue.Close(); }

  fw::WorkQueue queue;
  std::vector<fw::TuningChoice> last_choices;  // what CompileTuned last received
  bool profile_nodes = false;                  // ProfileNodesRequested at Open
};
std::shared_ptr<TestDevice> g_last_opened;

std::shared_ptr<fw::Event> ReluExecutable::Execute(const fw::TensorArgs& inputs,
                                                   fw::MutableTensorArgs& outputs,
                                                   std::vector<std::shared_ptr<fw::Event>> waits) {
  const fw::TensorArg in = inputs[0];
  std::shared_ptr<TestDevice> device = device_;
  return device_->queue.SubmitAfter(
      std::move(waits), [in, outputs, device](fw::Event& done) mutable {
        WaitForGate();
        // A profiling device reports its one kernel (an invented time: the framework only relays
        // it).
        if (device->profile_nodes) done.SetNodeTimes({{0, 0.25, 1.5, "relu kernel"}});
        const float* x = fw::HostData<const float>(in);
        const uint64_t n = in.ElementCount();
        for (uint64_t i = 0; i < n; ++i) {
          if (x[i] == 13.0f) throw fw::Error(HETRUN_STATUS_DEVICE_LOST, "sdktest: unlucky 13");
          if (x[i] == 7.0f) throw std::runtime_error("sdktest: seven is a bug");
        }
        if (outputs.NeedsAllocation(0)) {
          outputs.SetOutput(0, device->Allocate(in.ByteSize()), in.dtype, in.dims);
        }
        float* y = fw::HostData<float>(outputs[0]);
        for (uint64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0.0f;
      });
}

class TestPlugin final : public fw::Plugin {
 public:
  TestPlugin() {
    if (g_fail_init) throw fw::Error(HETRUN_STATUS_UNAVAILABLE, "sdktest: no such hardware");
  }
  uint32_t DeviceCount() override { return 2; }
  void DeviceInfo(uint32_t index, hetrun_device_info& info) override {
    info.name = index == 0 ? "sdktest zero" : "sdktest one";
    info.kind = HETRUN_DEVICE_OTHER;
    info.flags = HETRUN_DEVICE_HOST_MEMORY;
    info.memory_bytes = 1 << 20;
    info.peak_gflops = 1.0;
  }
  std::shared_ptr<fw::Device> Open(uint32_t, const hetrun_device_options* options) override {
    g_last_opened = std::make_shared<TestDevice>();
    g_last_opened->profile_nodes = fw::ProfileNodesRequested(options);
    return g_last_opened;
  }
};

}  // namespace

HETRUN_PLUGIN_DEFINE("sdktest", "0.0.1", TestPlugin);

namespace {

//===-- A one-node graph: y = Op(x), float32 [4]
//-------------------------------------------------===//

struct OneNodeGraph {
  explicit OneNodeGraph(const char* op) {
    values[0] = {"x", HETRUN_DTYPE_FLOAT32, 1, dims, HETRUN_VALUE_GRAPH_INPUT, nullptr, 0};
    values[1] = {"y", HETRUN_DTYPE_FLOAT32, 1, dims, HETRUN_VALUE_GRAPH_OUTPUT, nullptr, 0};
    node.name = "n0";
    node.op_type = op;
    node.domain = "";
    node.opset = 17;
    node.num_inputs = 1;
    node.inputs = &in;
    node.num_outputs = 1;
    node.outputs = &out;
    view.struct_size = sizeof view;
    view.num_values = 2;
    view.values = values;
    view.num_nodes = 1;
    view.nodes = &node;
    view.num_inputs = 1;
    view.inputs = &in;
    view.num_outputs = 1;
    view.outputs = &out;
  }
  int64_t dims[1] = {4};
  int32_t in = 0, out = 1;
  hetrun_value values[2];
  hetrun_node node{};
  hetrun_graph_view view{};
};

hetrun_tensor_arg Arg(hetrun_buffer_t buffer, uint64_t offset = 0, int64_t n = 4,
                      hetrun_dtype_t dtype = HETRUN_DTYPE_FLOAT32) {
  hetrun_tensor_arg arg{};
  arg.buffer = buffer;
  arg.offset = offset;
  arg.dtype = dtype;
  arg.rank = 1;
  arg.dims[0] = n;
  return arg;
}

class FrameworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p = hetrun_plugin_query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(Take(p->init(&kHost, &self)).code, HETRUN_STATUS_OK);
    ASSERT_EQ(Take(p->device_open(self, 0, nullptr, &dev)).code, HETRUN_STATUS_OK);
  }
  void TearDown() override {
    SetGate(true);
    for (hetrun_buffer_t b : buffers) p->buffer_release(dev, b);
    p->device_close(dev);
    p->shutdown(self);
  }
  hetrun_buffer_t Alloc(const std::vector<float>& contents) {
    hetrun_buffer_t b = nullptr;
    const uint64_t bytes = contents.size() * sizeof(float);
    EXPECT_EQ(Take(p->buffer_alloc(dev, bytes, &b)).code, HETRUN_STATUS_OK);
    EXPECT_EQ(Take(p->buffer_write(dev, b, 0, contents.data(), bytes)).code, HETRUN_STATUS_OK);
    buffers.push_back(b);
    return b;
  }
  std::vector<float> ReadBack(hetrun_buffer_t b, size_t n) {
    std::vector<float> out(n);
    EXPECT_EQ(Take(p->buffer_read(dev, b, 0, out.data(), n * sizeof(float))).code,
              HETRUN_STATUS_OK);
    return out;
  }
  hetrun_executable_t CompileRelu() {
    OneNodeGraph g("Relu");
    hetrun_executable_t exe = nullptr;
    EXPECT_EQ(Take(p->compile(dev, &g.view, &exe)).code, HETRUN_STATUS_OK);
    return exe;
  }
  // Runs Relu on `x` (4 floats) into a fresh buffer; returns event_wait's outcome.
  Outcome RunRelu(const std::vector<float>& x, std::vector<float>* y = nullptr) {
    hetrun_executable_t exe = CompileRelu();
    hetrun_tensor_arg in = Arg(Alloc(x)), out = Arg(Alloc({0, 0, 0, 0}));
    hetrun_event_t done = nullptr;
    Outcome launched = Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done));
    if (launched.code != HETRUN_STATUS_OK) return launched;
    Outcome waited = Take(p->event_wait(dev, done, UINT64_MAX));
    if (y) *y = ReadBack(out.buffer, 4);
    p->event_release(dev, done);
    p->executable_release(exe);
    return waited;
  }

  const hetrun_plugin_v1* p = nullptr;
  void* self = nullptr;
  hetrun_device_t dev = nullptr;
  std::vector<hetrun_buffer_t> buffers;
};

//===-- Lifecycle
//------------------------------------------------------------------------------===//

TEST(FrameworkTable, CarriesTheAbiVersionAndEverySlot) {
  const hetrun_plugin_v1* p = hetrun_plugin_query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->struct_size, sizeof(hetrun_plugin_v1));
  EXPECT_EQ(p->abi_major, HETRUN_ABI_MAJOR);
  EXPECT_EQ(p->abi_minor, HETRUN_ABI_MINOR);
  EXPECT_STREQ(p->name, "sdktest");
  EXPECT_STREQ(p->version, "0.0.1");
  EXPECT_TRUE(p->init && p->shutdown && p->device_count && p->unavailable_reason &&
              p->device_info && p->device_open && p->device_close && p->query_support &&
              p->compile && p->executable_release && p->buffer_alloc && p->buffer_release &&
              p->buffer_write && p->buffer_read && p->buffer_map && p->execute && p->event_wait &&
              p->event_query && p->event_release);
  EXPECT_EQ(hetrun_plugin_query(HETRUN_ABI_MAJOR + 1, 0), nullptr);
}

TEST(FrameworkTable, ConstructorFailureBecomesInitStatus) {
  const hetrun_plugin_v1* p = hetrun_plugin_query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
  g_fail_init = true;
  void* self = reinterpret_cast<void*>(0x1);
  Outcome o = Take(p->init(&kHost, &self));
  g_fail_init = false;
  EXPECT_EQ(o.code, HETRUN_STATUS_UNAVAILABLE);
  EXPECT_EQ(o.message, "sdktest: no such hardware");
  EXPECT_EQ(self, reinterpret_cast<void*>(0x1)) << "out-parameter touched on failure";
}

TEST_F(FrameworkTest, DevicesAreCountedDescribedAndChecked) {
  uint32_t count = 0;
  ASSERT_EQ(Take(p->device_count(self, &count)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(p->unavailable_reason(self), nullptr);

  hetrun_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(Take(p->device_info(self, 1, &info)).code, HETRUN_STATUS_OK);
  EXPECT_STREQ(info.name, "sdktest one");
  EXPECT_EQ(info.flags, HETRUN_DEVICE_HOST_MEMORY);
  EXPECT_EQ(info.peak_gflops, 1.0);

  // A host with an older, shorter struct: nothing past its struct_size is written.
  hetrun_device_info small{};
  small.struct_size = offsetof(hetrun_device_info, kind);
  small.kind = 99;
  ASSERT_EQ(Take(p->device_info(self, 0, &small)).code, HETRUN_STATUS_OK);
  EXPECT_STREQ(small.name, "sdktest zero");
  EXPECT_EQ(small.kind, 99u);

  Outcome missing = Take(p->device_info(self, 5, &info));
  EXPECT_EQ(missing.code, HETRUN_STATUS_NOT_FOUND);
  EXPECT_NE(missing.message.find("no device 5: the sdktest plugin has 2"), std::string::npos)
      << missing.message;
  hetrun_device_t other = nullptr;
  EXPECT_EQ(Take(p->device_open(self, 2, nullptr, &other)).code, HETRUN_STATUS_NOT_FOUND);
  EXPECT_EQ(other, nullptr);
  EXPECT_EQ(Take(p->device_count(self, nullptr)).code, HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(FrameworkTest, QuerySupportStepsByTheHostsStructSize) {
  // Three nodes: accepted, declined with a reason, unanswered. The host's entries are larger than
  // the plugin's struct (a newer host), so a plugin stepping by sizeof would write in the wrong
  // place.
  OneNodeGraph g("Relu");
  hetrun_node nodes[3] = {g.node, g.node, g.node};
  nodes[1].op_type = "Add";
  nodes[2].op_type = "Frobnicate";
  nodes[2].name = "";
  g.view.num_nodes = 3;
  g.view.nodes = nodes;
  constexpr size_t kStride = sizeof(hetrun_node_support) + 64;
  std::vector<unsigned char> bytes(3 * kStride, 0xAB);
  auto entry = [&](size_t k) {
    return reinterpret_cast<hetrun_node_support*>(&bytes[k * kStride]);
  };
  for (size_t k = 0; k < 3; ++k) {
    std::memset(entry(k), 0, sizeof(hetrun_node_support));
    entry(k)->struct_size = kStride;
  }
  ASSERT_EQ(Take(p->query_support(dev, &g.view, entry(0))).code, HETRUN_STATUS_OK);
  EXPECT_EQ(entry(0)->supported, 1);
  EXPECT_EQ(entry(0)->cost_us, 1.5);
  EXPECT_EQ(entry(1)->supported, 0);
  EXPECT_STREQ(entry(1)->reason, "Add is not implemented by sdktest");
  EXPECT_EQ(entry(2)->supported, 0);
  EXPECT_STREQ(entry(2)->reason, "node #2 (Frobnicate): not answered by the sdktest plugin");
  for (size_t k = 0; k < 3; ++k) {  // the host's extra bytes are untouched
    for (size_t b = sizeof(hetrun_node_support); b < kStride; ++b) {
      ASSERT_EQ(bytes[k * kStride + b], 0xAB) << "entry " << k << " byte " << b;
    }
  }
  hetrun_node_support tiny{};
  tiny.struct_size = 8;
  EXPECT_EQ(Take(p->query_support(dev, &g.view, &tiny)).code, HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(FrameworkTest, BadGraphViewsAreRefusedBeforeThePluginSeesThem) {
  hetrun_node_support answer{};
  answer.struct_size = sizeof answer;
  hetrun_executable_t exe = nullptr;
  OneNodeGraph old_host("Relu");
  old_host.view.struct_size = 8;
  Outcome small = Take(p->query_support(dev, &old_host.view, &answer));
  EXPECT_EQ(small.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(small.message, "graph view struct_size 8 is too small");
  OneNodeGraph far("Relu");
  far.in = 7;  // the node's input (and the part's) points past the values
  Outcome range = Take(p->query_support(dev, &far.view, &answer));
  EXPECT_EQ(range.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(range.message, "graph input 0 names value 7 of a graph with 2");
  EXPECT_EQ(Take(p->compile(dev, &far.view, &exe)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  OneNodeGraph no_op("Relu");
  no_op.node.op_type = nullptr;
  EXPECT_EQ(Take(p->compile(dev, &no_op.view, &exe)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(exe, nullptr);
}

//===-- Execute and events
//---------------------------------------------------------------------===//

TEST_F(FrameworkTest, ExecuteRunsAndEventWaitReportsSuccess) {
  std::vector<float> y;
  Outcome o = RunRelu({-1.0f, 2.0f, -3.0f, 4.0f}, &y);
  ASSERT_EQ(o.code, HETRUN_STATUS_OK) << o.message;
  EXPECT_EQ(y, (std::vector<float>{0.0f, 2.0f, 0.0f, 4.0f}));
}

TEST_F(FrameworkTest, PluginAllocatedOutputIsReportedInTheEntry) {
  hetrun_executable_t exe = CompileRelu();
  hetrun_tensor_arg in = Arg(Alloc({1, -2, 3, -4}));
  hetrun_tensor_arg out{};  // buffer == NULL: the plugin allocates
  hetrun_event_t done = nullptr;
  ASSERT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(Take(p->event_wait(dev, done, UINT64_MAX)).code, HETRUN_STATUS_OK);
  ASSERT_NE(out.buffer, nullptr);
  EXPECT_EQ(out.dtype, HETRUN_DTYPE_FLOAT32);
  ASSERT_EQ(out.rank, 1u);
  EXPECT_EQ(out.dims[0], 4);
  buffers.push_back(out.buffer);  // the host releases it
  EXPECT_EQ(ReadBack(out.buffer, 4), (std::vector<float>{1, 0, 3, 0}));
  void* mapped = nullptr;
  ASSERT_EQ(Take(p->buffer_map(dev, out.buffer, &mapped)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(static_cast<float*>(mapped)[2], 3.0f);
  p->event_release(dev, done);
  p->executable_release(exe);
}

TEST_F(FrameworkTest, EventWaitTimesOutThenSucceeds) {
  SetGate(false);
  hetrun_executable_t exe = CompileRelu();
  hetrun_tensor_arg in = Arg(Alloc({1, 2, 3, 4})), out = Arg(Alloc({0, 0, 0, 0}));
  hetrun_event_t done = nullptr;
  ASSERT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done)).code, HETRUN_STATUS_OK);
  uint8_t finished = 1;
  ASSERT_EQ(Take(p->event_query(dev, done, &finished)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(finished, 0);
  Outcome late = Take(p->event_wait(dev, done, 20));
  EXPECT_EQ(late.code, HETRUN_STATUS_TIMEOUT);
  EXPECT_NE(late.message.find("within 20 ms"), std::string::npos) << late.message;
  SetGate(true);
  EXPECT_EQ(Take(p->event_wait(dev, done, UINT64_MAX)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(Take(p->event_wait(dev, done, 0)).code, HETRUN_STATUS_OK) << "waits may repeat";
  ASSERT_EQ(Take(p->event_query(dev, done, &finished)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(finished, 1);
  p->event_release(dev, done);
  p->executable_release(exe);
}

TEST_F(FrameworkTest, WorkErrorsComeBackFromEventWaitWithTheirCodeAndMessage) {
  Outcome lost = RunRelu({1, 13, 1, 1});
  EXPECT_EQ(lost.code, HETRUN_STATUS_DEVICE_LOST);
  EXPECT_EQ(lost.message, "sdktest: unlucky 13");
  Outcome bug = RunRelu({7, 1, 1, 1});
  EXPECT_EQ(bug.code, HETRUN_STATUS_INTERNAL);
  EXPECT_EQ(bug.message, "sdktest: seven is a bug");
}

TEST_F(FrameworkTest, WorkAfterAFailedEventIsNotRun) {
  hetrun_executable_t exe = CompileRelu();
  hetrun_tensor_arg bad = Arg(Alloc({13, 0, 0, 0})), out1 = Arg(Alloc({0, 0, 0, 0}));
  hetrun_tensor_arg good = Arg(Alloc({5, 5, 5, 5})), out2 = Arg(Alloc({9, 9, 9, 9}));
  hetrun_event_t first = nullptr, second = nullptr;
  ASSERT_EQ(Take(p->execute(exe, &bad, 1, &out1, 1, nullptr, 0, &first)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(Take(p->execute(exe, &good, 1, &out2, 1, &first, 1, &second)).code, HETRUN_STATUS_OK);
  Outcome o = Take(p->event_wait(dev, second, UINT64_MAX));
  EXPECT_EQ(o.code, HETRUN_STATUS_DEVICE_LOST);
  EXPECT_NE(o.message.find("not run because a waited-on event failed: sdktest: unlucky 13"),
            std::string::npos)
      << o.message;
  EXPECT_EQ(ReadBack(out2.buffer, 4), (std::vector<float>{9, 9, 9, 9}));
  p->event_release(dev, first);
  p->event_release(dev, second);
  p->executable_release(exe);
}

TEST_F(FrameworkTest, CompileErrorsKeepTheirCodeAndMessage) {
  OneNodeGraph g("Add");
  hetrun_executable_t exe = nullptr;
  Outcome o = Take(p->compile(dev, &g.view, &exe));
  EXPECT_EQ(o.code, HETRUN_STATUS_UNIMPLEMENTED);
  EXPECT_EQ(o.message, "node 'n0' (Add) cannot be compiled by sdktest");
  EXPECT_EQ(exe, nullptr);
  hetrun_buffer_t b = nullptr;
  Outcome oom = Take(p->buffer_alloc(dev, uint64_t{1} << 40, &b));
  EXPECT_EQ(oom.code, HETRUN_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(oom.message, "sdktest: too big");
}

TEST_F(FrameworkTest, InFlightWorkKeepsItsObjectsAlive) {
  SetGate(false);
  hetrun_executable_t exe = CompileRelu();
  hetrun_buffer_t in_buffer = nullptr, out_buffer = nullptr;
  ASSERT_EQ(Take(p->buffer_alloc(dev, 16, &in_buffer)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(Take(p->buffer_alloc(dev, 16, &out_buffer)).code, HETRUN_STATUS_OK);
  const float x[4] = {-1, 1, -1, 1};
  ASSERT_EQ(Take(p->buffer_write(dev, in_buffer, 0, x, 16)).code, HETRUN_STATUS_OK);
  hetrun_tensor_arg in = Arg(in_buffer), out = Arg(out_buffer);
  hetrun_event_t done = nullptr;
  ASSERT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done)).code, HETRUN_STATUS_OK);
  // The host lets go of everything but the event while the work is still queued.
  p->executable_release(exe);
  p->buffer_release(dev, in_buffer);
  p->buffer_release(dev, out_buffer);
  std::thread opener([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    SetGate(true);
  });
  EXPECT_EQ(Take(p->event_wait(dev, done, UINT64_MAX)).code, HETRUN_STATUS_OK);
  opener.join();
  p->event_release(dev, done);
}

//===-- Bad arguments and handles
//--------------------------------------------------------------===//

TEST_F(FrameworkTest, BadHandlesAreInvalidArgumentsNotCrashes) {
  hetrun_buffer_t b = Alloc({1, 2, 3, 4});
  float sink[4];
  EXPECT_EQ(Take(p->buffer_read(nullptr, b, 0, sink, 16)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  Outcome null_buffer = Take(p->buffer_read(dev, nullptr, 0, sink, 16));
  EXPECT_EQ(null_buffer.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(null_buffer.message, "buffer is NULL");
  // A handle of the wrong kind: the device passed as a buffer.
  Outcome mixed = Take(p->buffer_read(dev, reinterpret_cast<hetrun_buffer_t>(dev), 0, sink, 16));
  EXPECT_EQ(mixed.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(mixed.message.find("not a live buffer of the sdktest plugin"), std::string::npos)
      << mixed.message;
  // A foreign handle: right tag, another library's identity; and plain garbage.
  static const char other_library = 0;
  fw::detail::HandleHeader forged{fw::detail::HandleTag::kBuffer, 0, &other_library};
  uint64_t garbage[8] = {0xdeadbeef, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(Take(p->buffer_read(dev, reinterpret_cast<hetrun_buffer_t>(&forged), 0, sink, 16)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Take(p->buffer_read(dev, reinterpret_cast<hetrun_buffer_t>(garbage), 0, sink, 16)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_event_t event = reinterpret_cast<hetrun_event_t>(garbage);
  EXPECT_EQ(Take(p->event_wait(dev, event, 0)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  // Releasing NULL or unknown handles does nothing.
  p->buffer_release(dev, nullptr);
  p->buffer_release(dev, reinterpret_cast<hetrun_buffer_t>(garbage));
  p->buffer_release(dev, reinterpret_cast<hetrun_buffer_t>(&forged));
  p->event_release(dev, nullptr);
  p->executable_release(nullptr);
  p->executable_release(reinterpret_cast<hetrun_executable_t>(b));
  p->device_close(nullptr);
  p->device_close(reinterpret_cast<hetrun_device_t>(garbage));
  EXPECT_EQ(garbage[0], 0xdeadbeefu);
  EXPECT_EQ(ReadBack(b, 4), (std::vector<float>{1, 2, 3, 4})) << "b survived the bogus releases";
}

TEST_F(FrameworkTest, BufferRangesAndDevicesAreChecked) {
  hetrun_buffer_t b = Alloc({1, 2, 3, 4});
  float sink[4];
  Outcome past = Take(p->buffer_read(dev, b, 8, sink, 16));
  EXPECT_EQ(past.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(past.message, "16 bytes at offset 8 are outside the buffer of 16 bytes");
  EXPECT_EQ(Take(p->buffer_write(dev, b, 0, nullptr, 4)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Take(p->buffer_write(dev, b, 16, nullptr, 0)).code, HETRUN_STATUS_OK);

  hetrun_device_t other = nullptr;
  ASSERT_EQ(Take(p->device_open(self, 1, nullptr, &other)).code, HETRUN_STATUS_OK);
  Outcome foreign = Take(p->buffer_read(other, b, 0, sink, 16));
  EXPECT_EQ(foreign.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(foreign.message, "the buffer belongs to another device");
  p->device_close(other);
}

TEST_F(FrameworkTest, ExecuteArgumentsAreCheckedAgainstThePart) {
  hetrun_executable_t exe = CompileRelu();
  hetrun_event_t done = nullptr;
  hetrun_tensor_arg in = Arg(Alloc({1, 2, 3, 4})), out = Arg(Alloc({0, 0, 0, 0}));
  auto run = [&](hetrun_tensor_arg* ins, uint32_t n_in, hetrun_tensor_arg* outs) {
    Outcome o = Take(p->execute(exe, ins, n_in, outs, 1, nullptr, 0, &done));
    EXPECT_EQ(done, nullptr);
    return o;
  };
  Outcome count = run(&in, 0, &out);
  EXPECT_EQ(count.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(count.message, "execute got 0 inputs and 1 outputs; the part has 1 and 1");

  hetrun_tensor_arg wrong_type = in;
  wrong_type.dtype = HETRUN_DTYPE_INT32;
  Outcome dtype = run(&wrong_type, 1, &out);
  EXPECT_EQ(dtype.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(dtype.message, "input 0 ('x') is int32; the part compiled it as float32");

  hetrun_tensor_arg too_long = Arg(in.buffer, 4);
  Outcome range = run(&too_long, 1, &out);
  EXPECT_EQ(range.code, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(range.message.find("does not fit in its buffer of 16 bytes"), std::string::npos)
      << range.message;

  hetrun_tensor_arg misaligned = Arg(in.buffer, 2, 1);
  EXPECT_EQ(run(&misaligned, 1, &out).code, HETRUN_STATUS_INVALID_ARGUMENT);

  hetrun_tensor_arg short_shape = Arg(in.buffer, 0, 3);
  Outcome shape = run(&short_shape, 1, &out);
  EXPECT_EQ(shape.message, "input 0 ('x') has a shape other than the part's");

  hetrun_tensor_arg event_as_buffer = in;
  event_as_buffer.buffer = reinterpret_cast<hetrun_buffer_t>(exe);
  EXPECT_EQ(run(&event_as_buffer, 1, &out).code, HETRUN_STATUS_INVALID_ARGUMENT);

  hetrun_event_t bogus_wait = reinterpret_cast<hetrun_event_t>(in.buffer);
  EXPECT_EQ(Take(p->execute(exe, &in, 1, &out, 1, &bogus_wait, 1, &done)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, nullptr)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  p->executable_release(exe);
}

//===-- Graph helpers
//--------------------------------------------------------------------------===//

TEST(FrameworkGraph, ReadsAreChecked) {
  OneNodeGraph g("Relu");
  EXPECT_STREQ(fw::NodeInput(g.view, g.node, 0)->name, "x");
  EXPECT_EQ(fw::NodeInput(g.view, g.node, 1), nullptr);
  EXPECT_STREQ(fw::NodeOutput(g.view, g.node, 0)->name, "y");
  EXPECT_EQ(fw::StaticElementCount(g.values[0]), std::optional<uint64_t>(4));
  int64_t dynamic[2] = {-1, 3};
  hetrun_value v = g.values[0];
  v.rank = 2;
  v.dims = dynamic;
  EXPECT_FALSE(fw::StaticDims(v).has_value());
  hetrun_node broken = g.node;
  int32_t far = 9;
  broken.inputs = &far;
  try {
    fw::NodeInput(g.view, broken, 0);
    ADD_FAILURE() << "no error for value index 9";
  } catch (const fw::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_STATUS_INVALID_ARGUMENT);
    EXPECT_STREQ(e.what(), "value index 9 is outside the graph's 2 values");
  }
}

//===-- Tuning (ABI minor 2) ------------------------------------------------------------------===//

TEST_F(FrameworkTest, ListTunablesFollowsTheCapacityProtocol) {
  OneNodeGraph g("Relu");
  uint32_t count = 99;
  ASSERT_EQ(Take(p->list_tunables(dev, &g.view, 0, nullptr, 0, &count)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(count, 1u);
  hetrun_tunable t{};
  t.struct_size = sizeof t;
  ASSERT_EQ(Take(p->list_tunables(dev, &g.view, 0, &t, 1, &count)).code, HETRUN_STATUS_OK);
  EXPECT_STREQ(t.name, "unroll");
  EXPECT_STREQ(t.description, "elements per loop step");
  ASSERT_EQ(t.num_values, 3u);
  EXPECT_EQ(t.values[2], 4);
  EXPECT_EQ(t.default_value, 1);
  OneNodeGraph add("Add");
  ASSERT_EQ(Take(p->list_tunables(dev, &add.view, 0, &t, 1, &count)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(Take(p->list_tunables(dev, &g.view, 1, &t, 1, &count)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  t.struct_size = 8;
  EXPECT_EQ(Take(p->list_tunables(dev, &g.view, 0, &t, 1, &count)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(FrameworkTest, CompileTunedChecksTheValuesBeforeThePluginSeesThem) {
  OneNodeGraph g("Relu");
  hetrun_executable_t exe = nullptr;
  const hetrun_tuning_value good = {0, 0, "unroll", 4};
  ASSERT_EQ(Take(p->compile_tuned(dev, &g.view, &good, 1, &exe)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(g_last_opened->last_choices.size(), 1u);
  EXPECT_EQ(g_last_opened->last_choices[0].name, "unroll");
  EXPECT_EQ(g_last_opened->last_choices[0].value, 4);
  p->executable_release(exe);

  struct Bad {
    std::vector<hetrun_tuning_value> values;
    const char* says;
  };
  const Bad bad[] = {
      {{{0, 0, "tile", 4}}, "has no tunable 'tile'"},
      {{{0, 0, "unroll", 3}}, "3 is not a candidate"},
      {{{1, 0, "unroll", 2}}, "names node 1 of a part of 1"},
      {{{0, 0, "unroll", 2}, {0, 0, "unroll", 4}}, "is named twice"},
  };
  for (const Bad& b : bad) {
    exe = nullptr;
    Outcome o = Take(p->compile_tuned(dev, &g.view, b.values.data(),
                                      static_cast<uint32_t>(b.values.size()), &exe));
    EXPECT_EQ(o.code, HETRUN_STATUS_INVALID_ARGUMENT) << b.says;
    EXPECT_NE(o.message.find(b.says), std::string::npos) << o.message;
    EXPECT_EQ(exe, nullptr);
  }
  // No values is compile(): CompileTuned is not called.
  g_last_opened->last_choices.clear();
  ASSERT_EQ(Take(p->compile_tuned(dev, &g.view, nullptr, 0, &exe)).code, HETRUN_STATUS_OK);
  EXPECT_TRUE(g_last_opened->last_choices.empty());
  p->executable_release(exe);
}

TEST_F(FrameworkTest, EventElapsedUsIsTheWorkTimeOnceSignalled) {
  hetrun_executable_t exe = CompileRelu();
  hetrun_tensor_arg in = Arg(Alloc({1, -2, 3, -4})), out = Arg(Alloc({0, 0, 0, 0}));
  SetGate(false);
  hetrun_event_t done = nullptr;
  ASSERT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done)).code, HETRUN_STATUS_OK);
  double us = -1;
  EXPECT_EQ(Take(p->event_elapsed_us(dev, done, &us)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  SetGate(true);
  ASSERT_EQ(Take(p->event_wait(dev, done, UINT64_MAX)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(Take(p->event_elapsed_us(dev, done, &us)).code, HETRUN_STATUS_OK);
  EXPECT_GE(us, 10000.0);  // the work waited at the gate for 20 ms inside its own run
  EXPECT_EQ(Take(p->event_elapsed_us(dev, done, nullptr)).code, HETRUN_STATUS_INVALID_ARGUMENT);
  p->event_release(dev, done);
  p->executable_release(exe);
}

// event_node_times relays what the work gave Event::SetNodeTimes, for a device opened with
// profile_nodes; without it (or from a host whose options end before the field) there are none.
TEST_F(FrameworkTest, EventNodeTimesRelaysTheWorksKernelTimes) {
  hetrun_device_options options{};
  options.struct_size = sizeof options;
  options.profile_nodes = 1;
  EXPECT_TRUE(fw::ProfileNodesRequested(&options));
  options.struct_size = offsetof(hetrun_device_options, profile_nodes);  // an older host
  EXPECT_FALSE(fw::ProfileNodesRequested(&options));
  EXPECT_FALSE(fw::ProfileNodesRequested(nullptr));
  options.struct_size = sizeof options;

  auto run_once = [&](hetrun_device_t device) {
    OneNodeGraph g("Relu");
    hetrun_executable_t exe = nullptr;
    EXPECT_EQ(Take(p->compile(device, &g.view, &exe)).code, HETRUN_STATUS_OK);
    hetrun_buffer_t x = nullptr;
    EXPECT_EQ(Take(p->buffer_alloc(device, 16, &x)).code, HETRUN_STATUS_OK);
    const float values[4] = {1, -2, 3, -4};
    EXPECT_EQ(Take(p->buffer_write(device, x, 0, values, 16)).code, HETRUN_STATUS_OK);
    hetrun_tensor_arg in = Arg(x), out{};
    hetrun_event_t done = nullptr;
    EXPECT_EQ(Take(p->execute(exe, &in, 1, &out, 1, nullptr, 0, &done)).code, HETRUN_STATUS_OK);
    EXPECT_EQ(Take(p->event_wait(device, done, UINT64_MAX)).code, HETRUN_STATUS_OK);
    p->buffer_release(device, out.buffer);
    p->buffer_release(device, x);
    p->executable_release(exe);
    return done;
  };
  hetrun_device_t profiled = nullptr;
  ASSERT_EQ(Take(p->device_open(self, 0, &options, &profiled)).code, HETRUN_STATUS_OK);
  hetrun_event_t done = run_once(profiled);
  uint32_t count = 0;
  ASSERT_EQ(Take(p->event_node_times(profiled, done, nullptr, 0, &count)).code, HETRUN_STATUS_OK);
  ASSERT_EQ(count, 1u);
  hetrun_node_time time{};
  time.struct_size = sizeof time;
  ASSERT_EQ(Take(p->event_node_times(profiled, done, &time, 1, &count)).code, HETRUN_STATUS_OK);
  EXPECT_EQ(time.node, 0u);
  EXPECT_EQ(time.start_us, 0.25);
  EXPECT_EQ(time.duration_us, 1.5);
  EXPECT_STREQ(time.label, "relu kernel");
  EXPECT_EQ(Take(p->event_node_times(profiled, done, nullptr, 0, nullptr)).code,
            HETRUN_STATUS_INVALID_ARGUMENT);
  p->event_release(profiled, done);
  p->device_close(profiled);

  hetrun_event_t plain = run_once(dev);  // opened with no options
  const Outcome none = Take(p->event_node_times(dev, plain, nullptr, 0, &count));
  EXPECT_EQ(none.code, HETRUN_STATUS_UNIMPLEMENTED);
  EXPECT_NE(none.message.find("profile_nodes"), std::string::npos) << none.message;
  p->event_release(dev, plain);
}

}  // namespace
