// Per-node times on the vulkan plugin (ABI minor 3): with profile_nodes, a timestamp after each
// kernel gives every kernel's share of the run, a fused elementwise chain once under its first
// node with its members in the label; without it, UNIMPLEMENTED. Behaviour only: nothing here
// asserts how long anything took.
#include <cstring>
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

// MatMul, then Relu -> Neg (one fused elementwise kernel): two kernels for three nodes.
Graph MatMulReluNeg() {
  Graph g;
  g.Value("a", {32, 48}).Value("b", {48, 16}).Value("m", {32, 16}).Value("r", {32, 16});
  g.Value("y", {32, 16});
  g.Node("MatMul", {"a", "b"}, {"m"}).Node("Relu", {"m"}, {"r"}).Node("Neg", {"r"}, {"y"});
  g.Inputs({"a", "b"}).Outputs({"y"});
  return g;
}

// Runs the graph once on `s`; returns its signalled event (the caller releases it).
hetrun_event_t RunOnce(Session& s, Graph& g) {
  hetrun_executable_t exe = nullptr;
  Status compiled = s.Compile(g.view(), &exe);
  EXPECT_TRUE(compiled.ok()) << compiled.message();
  if (!exe) return nullptr;
  hetrun_tensor_arg in[2] = {TensorArg(s.Upload(std::vector<float>(32 * 48, 0.5f)), {32, 48}),
                             TensorArg(s.Upload(std::vector<float>(48 * 16, -0.25f)), {48, 16})};
  hetrun_tensor_arg out[1] = {TensorArg(s.Allocate(32 * 16 * 4), {32, 16})};
  hetrun_event_t event = nullptr;
  Status executed(s.p()->execute(exe, in, 2, out, 1, nullptr, 0, &event));
  EXPECT_TRUE(executed.ok()) << executed.message();
  Status waited(s.p()->event_wait(s.dev(), event, UINT64_MAX));
  EXPECT_TRUE(waited.ok()) << waited.message();
  return event;
}

TEST(VulkanProfile, EachKernelIsTimedInDispatchOrderAFusedChainOnce) {
  UseLavapipe();
  Session s("vulkan", 1);
  ASSERT_TRUE(s.ok());
  Graph g = MatMulReluNeg();
  hetrun_event_t event = RunOnce(s, g);
  ASSERT_NE(event, nullptr);
  uint32_t count = 0;
  Status counted(s.p()->event_node_times(s.dev(), event, nullptr, 0, &count));
  ASSERT_TRUE(counted.ok()) << counted.message();  // lavapipe has timestamps
  ASSERT_EQ(count, 2u);
  std::vector<hetrun_node_time> times(3);
  for (hetrun_node_time& t : times) {
    std::memset(&t, 0, sizeof t);
    t.struct_size = sizeof t;
  }
  VK_ASSERT_OK(s.p()->event_node_times(s.dev(), event, times.data(), 3, &count));
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(times[0].node, 0u);
  EXPECT_STREQ(times[0].label, "");
  EXPECT_EQ(times[1].node, 1u);
  const std::string label = times[1].label;
  EXPECT_NE(label.find("(Relu+Neg)"), std::string::npos) << label;
  double elapsed = 0;
  VK_ASSERT_OK(s.p()->event_elapsed_us(s.dev(), event, &elapsed));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GE(times[i].start_us, 0.0);
    EXPECT_GE(times[i].duration_us, 0.0);
    EXPECT_LE(times[i].start_us + times[i].duration_us, elapsed * 1.001 + 1) << i;
  }
  EXPECT_GE(times[1].start_us, times[0].start_us);
  s.p()->event_release(s.dev(), event);
}

TEST(VulkanProfile, WithoutProfileNodesThereAreNoNodeTimes) {
  UseLavapipe();
  Session s("vulkan");
  ASSERT_TRUE(s.ok());
  Graph g = MatMulReluNeg();
  hetrun_event_t event = RunOnce(s, g);
  ASSERT_NE(event, nullptr);
  uint32_t count = 7;
  Status none(s.p()->event_node_times(s.dev(), event, nullptr, 0, &count));
  EXPECT_EQ(none.code(), HETRUN_STATUS_UNIMPLEMENTED) << none.message();
  EXPECT_EQ(count, 7u);
  s.p()->event_release(s.dev(), event);
}

}  // namespace
}  // namespace hetrun::test
