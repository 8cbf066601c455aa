// The vulkan plugin through its C ABI on lavapipe: device enumeration and facts, the capability
// answer's reasons and costs, buffers, events, argument errors and the staging (discrete GPU) path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graph.h"
#include "plugin_session.h"

namespace hetrun::test {
namespace {

TEST(VulkanAbi, TableAndEnumeration) {
  const hetrun_plugin_v1* p = LoadPlugin("vulkan");
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p->name, "vulkan");
  EXPECT_EQ(p->struct_size, sizeof(hetrun_plugin_v1));
  void* self = nullptr;
  VK_ASSERT_OK(p->init(TestHost(), &self));
  uint32_t count = 0;
  VK_ASSERT_OK(p->device_count(self, &count));
  ASSERT_GE(count, 1u) << (p->unavailable_reason(self) ? p->unavailable_reason(self) : "");
  EXPECT_EQ(p->unavailable_reason(self), nullptr);
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  VK_ASSERT_OK(p->device_info(self, 0, &info));
  EXPECT_NE(std::string(info.name).find("llvmpipe"), std::string::npos) << info.name;
  EXPECT_NE(std::string(info.name).find("[Vulkan CPU implementation]"), std::string::npos);
  EXPECT_EQ(info.kind, HETRUN_DEVICE_GPU);
  EXPECT_GT(info.memory_bytes, 0u);
  EXPECT_GT(info.peak_gflops, 0);
  EXPECT_GT(info.memory_gbps, 0);
  EXPECT_GT(info.host_link_gbps, 0);
  Status missing(p->device_info(self, count, &info));
  EXPECT_EQ(missing.code(), HETRUN_STATUS_NOT_FOUND);
  hetrun_device_t dev = nullptr;
  Status open(p->device_open(self, count, nullptr, &dev));
  EXPECT_EQ(open.code(), HETRUN_STATUS_NOT_FOUND);
  EXPECT_EQ(dev, nullptr);
  p->shutdown(self);
}

TEST(VulkanAbi, QuerySupportIsHonest) {
  Session s("vulkan");
  ASSERT_TRUE(s.ok());
  Graph g;
  g.Value("x", {2, 3})
      .Value("w", {4, 3, 1, 1})
      .Value("c", {2, 4})
      .Value("h", {2, 3}, HETRUN_DTYPE_FLOAT16)
      .Value("h2", {2, 3}, HETRUN_DTYPE_FLOAT16)
      .Value("d", {-1, 3})
      .Value("d2", {-1, 3})
      .Value("r", {2, 3})
      .Value("m", {2, 2})
      .Value("xt", {3, 2});
  g.Node("ConvInteger", {"x", "w"}, {"c"})
      .Node("Relu", {"h"}, {"h2"})
      .Node("Relu", {"d"}, {"d2"})
      .Node("Relu", {"x"}, {"r"})
      .Node("MatMul", {"x", "xt"}, {"m"})
      .Inputs({"x", "w", "h", "d", "xt"})
      .Outputs({"c", "h2", "d2", "r", "m"});
  const hetrun_graph_view* view = g.view();
  std::vector<hetrun_node_support> answers(view->num_nodes);
  for (auto& a : answers) a.struct_size = sizeof a;
  VK_ASSERT_OK(s.p()->query_support(s.dev(), view, answers.data()));
  EXPECT_EQ(answers[0].supported, 0);
  EXPECT_STREQ(answers[0].reason, "op ConvInteger is not supported yet");
  EXPECT_EQ(answers[1].supported, 0);
  EXPECT_NE(std::string(answers[1].reason).find("float16 is not supported"), std::string::npos)
      << answers[1].reason;
  EXPECT_EQ(answers[2].supported, 0);
  EXPECT_STREQ(answers[2].reason, "dims of 'd' unknown before run time");
  EXPECT_EQ(answers[3].supported, 1);
  EXPECT_STREQ(answers[3].reason, "");
  EXPECT_GT(answers[3].cost_us, 0);
  EXPECT_EQ(answers[4].supported, 1);
  EXPECT_GT(answers[4].cost_us, 0);

  // compile() refuses what query_support declined, naming the node.
  hetrun_executable_t exe = nullptr;
  Status compiled = s.Compile(view, &exe);
  EXPECT_EQ(compiled.code(), HETRUN_STATUS_UNIMPLEMENTED);
  EXPECT_NE(compiled.message().find("node 'ConvInteger_0' (ConvInteger)"), std::string::npos)
      << compiled.message();
}

TEST(VulkanAbi, BuffersRoundTripAndRefuseBadRanges) {
  Session s("vulkan");
  ASSERT_TRUE(s.ok());
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  hetrun_buffer_t b = s.Upload(values);
  EXPECT_EQ(s.Download(b, 6), values);
  EXPECT_EQ(s.Download(b, 2, 16), (std::vector<float>{5, 6}));
  float dst[4];
  Status outside(s.p()->buffer_read(s.dev(), b, 20, dst, 8));
  EXPECT_EQ(outside.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  Status null_buffer(s.p()->buffer_write(s.dev(), nullptr, 0, dst, 4));
  EXPECT_EQ(null_buffer.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  // Above maxStorageBufferRange (128 MiB on lavapipe): refused with a reason, not an abort.
  hetrun_buffer_t huge = nullptr;
  Status too_big(s.p()->buffer_alloc(s.dev(), uint64_t{1} << 40, &huge));
  EXPECT_EQ(too_big.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(too_big.message().find("maxStorageBufferRange"), std::string::npos);
  EXPECT_EQ(huge, nullptr);
}

// Runs y = relu(x) + 1 with host-given buffers at offsets, and checks argument errors.
TEST(VulkanAbi, ExecuteWithOffsetsEventsAndErrors) {
  Session s("vulkan");
  ASSERT_TRUE(s.ok());
  Graph g;
  g.Value("x", {5}).Value("r", {5}).Value("y", {5}).Constant("one", {}, {1.0f});
  g.Node("Relu", {"x"}, {"r"}).Node("Add", {"r", "one"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  hetrun_executable_t exe = nullptr;
  VK_ASSERT_STATUS(s.Compile(g.view(), &exe));
  ASSERT_NE(exe, nullptr);
  hetrun_buffer_t in = s.Upload({9, 9, -1, 2, -3, 4, 5, 9});  // x at offset 8 bytes
  hetrun_buffer_t out = s.Allocate(64);
  std::vector<hetrun_tensor_arg> ins = {TensorArg(in, {5}, 8)};
  std::vector<hetrun_tensor_arg> outs = {TensorArg(out, {5}, 12)};
  hetrun_event_t first = nullptr, second = nullptr;
  VK_ASSERT_OK(s.p()->execute(exe, ins.data(), 1, outs.data(), 1, nullptr, 0, &first));
  // A second run waiting on the first; event_query never blocks.
  VK_ASSERT_OK(s.p()->execute(exe, ins.data(), 1, outs.data(), 1, &first, 1, &second));
  uint8_t done = 2;
  VK_ASSERT_OK(s.p()->event_query(s.dev(), second, &done));
  EXPECT_TRUE(done == 0 || done == 1);
  VK_ASSERT_OK(s.p()->event_wait(s.dev(), second, UINT64_MAX));
  VK_ASSERT_OK(s.p()->event_wait(s.dev(), first, 0));  // signalled: a zero timeout is fine
  VK_ASSERT_OK(s.p()->event_query(s.dev(), first, &done));
  EXPECT_EQ(done, 1);
  s.p()->event_release(s.dev(), first);
  s.p()->event_release(s.dev(), second);
  EXPECT_EQ(s.Download(out, 5, 12), (std::vector<float>{1, 3, 1, 5, 6}));

  // Argument errors come back from execute() at once.
  hetrun_event_t event = nullptr;
  std::vector<hetrun_tensor_arg> wrong_dims = {TensorArg(in, {4})};
  Status dims(s.p()->execute(exe, wrong_dims.data(), 1, outs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(dims.code(), HETRUN_STATUS_INVALID_ARGUMENT) << dims.message();
  std::vector<hetrun_tensor_arg> overflow = {TensorArg(in, {5}, 16)};
  Status bounds(s.p()->execute(exe, overflow.data(), 1, outs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(bounds.code(), HETRUN_STATUS_INVALID_ARGUMENT) << bounds.message();
  std::vector<hetrun_tensor_arg> bad = {TensorArg(reinterpret_cast<hetrun_buffer_t>(exe), {5})};
  Status handle(s.p()->execute(exe, bad.data(), 1, outs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(handle.code(), HETRUN_STATUS_INVALID_ARGUMENT) << handle.message();
  Status count(s.p()->execute(exe, ins.data(), 0, outs.data(), 1, nullptr, 0, &event));
  EXPECT_EQ(count.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(event, nullptr);
}

// A long run: a zero timeout either finds it done or reports TIMEOUT, never anything else.
TEST(VulkanAbi, EventWaitTimesOut) {
  Session s("vulkan");
  ASSERT_TRUE(s.ok());
  const int64_t n = 384;
  Graph g;
  g.Value("a", {n, n}).Value("y", {n, n}).Node("MatMul", {"a", "a"}, {"y"});
  g.Inputs({"a"}).Outputs({"y"});
  hetrun_executable_t exe = nullptr;
  VK_ASSERT_STATUS(s.Compile(g.view(), &exe));
  hetrun_buffer_t a = s.Upload(std::vector<float>(static_cast<size_t>(n * n), 0.5f));
  std::vector<hetrun_tensor_arg> ins = {TensorArg(a, {n, n})};
  std::vector<hetrun_tensor_arg> outs(1);
  hetrun_event_t event = nullptr;
  VK_ASSERT_OK(s.p()->execute(exe, ins.data(), 1, outs.data(), 1, nullptr, 0, &event));
  Status quick(s.p()->event_wait(s.dev(), event, 0));
  EXPECT_TRUE(quick.ok() || quick.code() == HETRUN_STATUS_TIMEOUT) << quick.message();
  VK_ASSERT_OK(s.p()->event_wait(s.dev(), event, UINT64_MAX));
  s.p()->event_release(s.dev(), event);
  ASSERT_NE(outs[0].buffer, nullptr);  // allocated by the plugin, dims filled in
  EXPECT_EQ(outs[0].rank, 2u);
  EXPECT_EQ(outs[0].dims[1], n);
  EXPECT_EQ(s.Download(outs[0].buffer, 1)[0], 0.25f * n);
  s.p()->buffer_release(s.dev(), outs[0].buffer);
}

// HETRUN_VULKAN_FORCE_STAGING=1 takes the discrete-GPU path (device-local memory, staging copies)
// on lavapipe: transfers, constants and runs must give the same bytes.
TEST(VulkanAbi, StagingPath) {
  setenv("HETRUN_VULKAN_FORCE_STAGING", "1", 1);
  {
    Session s("vulkan");
    ASSERT_TRUE(s.ok());
    hetrun_buffer_t b = s.Upload({1, 2, 3, 4});
    EXPECT_EQ(s.Download(b, 2, 8), (std::vector<float>{3, 4}));
    Graph g;
    g.Value("x", {4}).Value("y", {4}).Value("z", {4}).Constant("w", {4}, {10, 20, 30, 40});
    g.Node("Mul", {"x", "w"}, {"y"}).Node("Identity", {"y"}, {"z"});
    g.Inputs({"x"}).Outputs({"y", "z"});
    std::vector<std::vector<float>> outputs;
    VK_ASSERT_STATUS(s.RunGraph(g.view(), {{1, 2, 3, 4}}, &outputs));
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(outputs[0], (std::vector<float>{10, 40, 90, 160}));
    EXPECT_EQ(outputs[1], outputs[0]);
  }
  unsetenv("HETRUN_VULKAN_FORCE_STAGING");
}

}  // namespace
}  // namespace hetrun::test
