// Per-node profiling through the C ABI (minor 3): a device opened with profile_nodes = 1 keeps each
// run's node times for event_node_times, a fused group once under its first node with its members
// in the label; a device opened without it, a failed run and bad arguments get clear errors. Only
// the shape of the answer is asserted, never how long anything took.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;

std::vector<float> Values(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  return v;
}

// Conv -> Relu (fused into one kernel) -> Neg: two kernels for three nodes.
GraphBuilder ConvReluNeg() {
  GraphBuilder g;
  g.Value("x", kF32, {1, 2, 5, 5})
      .Constant("w", {4, 2, 3, 3}, Values(72))
      .Value("c", kF32, {1, 4, 5, 5})
      .Value("r", kF32, {1, 4, 5, 5})
      .Value("y", kF32, {1, 4, 5, 5})
      .Node("conv", "Conv", {"x", "w"}, {"c"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .Node("relu", "Relu", {"c"}, {"r"})
      .Node("neg", "Neg", {"r"}, {"y"});
  g.Inputs({"x"}).Outputs({"y"});
  return g;
}

class CpuProfile : public CpuPluginTest {
 protected:
  // Reopens the device with profile_nodes as given.
  void Reopen(uint32_t profile_nodes) {
    p_->device_close(dev_);
    dev_ = nullptr;
    hetrun_device_options options{};
    options.struct_size = sizeof options;
    options.profile_nodes = profile_nodes;
    HT_ASSERT_OK(p_->device_open(self_, 0, &options, &dev_));
  }
  // Runs ConvReluNeg once; returns its signalled event (the caller releases it).
  hetrun_event_t RunOnce() {
    hetrun_executable_t exe = CompileOk(graph_.view());
    hetrun_buffer_t x = Upload(Values(50));
    std::vector<hetrun_tensor_arg> in{TensorArg(x, kF32, {1, 2, 5, 5})};
    std::vector<hetrun_tensor_arg> out(1);
    hetrun_event_t event = nullptr;
    EXPECT_TRUE(Status(p_->execute(exe, in.data(), 1, out.data(), 1, nullptr, 0, &event)).ok());
    (void)Status(p_->event_wait(dev_, event, UINT64_MAX));  // failures are the caller's to check
    if (out[0].buffer) Adopt(out[0].buffer);
    return event;
  }
  std::vector<hetrun_node_time> Entries(size_t n) {
    std::vector<hetrun_node_time> v(n);
    for (hetrun_node_time& e : v) {
      std::memset(&e, 0, sizeof e);
      e.struct_size = sizeof e;
    }
    return v;
  }
  GraphBuilder graph_ = ConvReluNeg();
};

TEST_F(CpuProfile, EachKernelOfARunIsTimedInOrderFusedGroupsOnce) {
  Reopen(1);
  hetrun_event_t event = RunOnce();
  // The count alone first (no room), then the entries.
  uint32_t count = 99;
  HT_ASSERT_OK(p_->event_node_times(dev_, event, nullptr, 0, &count));
  ASSERT_EQ(count, 2u);
  std::vector<hetrun_node_time> times = Entries(4);
  HT_ASSERT_OK(p_->event_node_times(dev_, event, times.data(), 4, &count));
  ASSERT_EQ(count, 2u);
  double elapsed = 0;
  HT_ASSERT_OK(p_->event_elapsed_us(dev_, event, &elapsed));
  EXPECT_EQ(times[0].node, 0u);
  EXPECT_STREQ(times[0].label, "conv+relu (Conv+Relu)");
  EXPECT_EQ(times[1].node, 2u);
  EXPECT_STREQ(times[1].label, "");  // a single node: the host names it
  EXPECT_GE(times[0].start_us, 0.0);
  EXPECT_GE(times[1].start_us, times[0].start_us + times[0].duration_us);
  EXPECT_LE(times[1].start_us + times[1].duration_us, elapsed);
  // Room for one: one entry written, the count still says two.
  std::vector<hetrun_node_time> one = Entries(2);
  HT_ASSERT_OK(p_->event_node_times(dev_, event, one.data(), 1, &count));
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(one[0].node, 0u);
  EXPECT_EQ(one[1].struct_size, sizeof(hetrun_node_time));  // untouched
  EXPECT_EQ(one[1].label[0], '\0');
  p_->event_release(dev_, event);
}

// A host built before the label existed passes a shorter struct: the plugin steps by it and
// writes only what fits.
TEST_F(CpuProfile, AnOlderHostsShorterEntriesAreRespected) {
  Reopen(1);
  hetrun_event_t event = RunOnce();
  const uint32_t short_size = offsetof(hetrun_node_time, label);
  std::vector<unsigned char> raw(2 * short_size + 8, 0xAB);
  auto* first = reinterpret_cast<hetrun_node_time*>(raw.data());
  std::memcpy(raw.data(), &short_size, sizeof short_size);
  uint32_t count = 0;
  HT_ASSERT_OK(p_->event_node_times(dev_, event, first, 2, &count));
  EXPECT_EQ(count, 2u);
  uint32_t second_node = 0;
  std::memcpy(&second_node, raw.data() + short_size + offsetof(hetrun_node_time, node),
              sizeof second_node);
  EXPECT_EQ(second_node, 2u);
  EXPECT_EQ(raw[2 * short_size], 0xAB);  // nothing written past the two short entries
  // Smaller than the times themselves: refused.
  std::memset(raw.data(), 0, raw.size());
  const uint32_t tiny = 8;
  std::memcpy(raw.data(), &tiny, sizeof tiny);
  Status refused(p_->event_node_times(dev_, event, first, 1, &count));
  EXPECT_EQ(refused.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  p_->event_release(dev_, event);
}

TEST_F(CpuProfile, WithoutProfileNodesThereAreNoNodeTimes) {
  Reopen(0);
  hetrun_event_t event = RunOnce();
  uint32_t count = 7;
  std::vector<hetrun_node_time> times = Entries(2);
  Status none(p_->event_node_times(dev_, event, times.data(), 2, &count));
  EXPECT_EQ(none.code(), HETRUN_STATUS_UNIMPLEMENTED);
  EXPECT_NE(none.message().find("profile_nodes"), std::string::npos) << none.message();
  EXPECT_EQ(count, 7u);  // out-parameters untouched on failure
  p_->event_release(dev_, event);
}

TEST_F(CpuProfile, AFailedRunHasNoNodeTimes) {
  Reopen(1);
  // Inner dimensions that differ, found only at run time.
  GraphBuilder g;
  g.Value("a", kF32, {-1, -1}).Value("b", kF32, {-1, -1}).Value("y", kF32, {-1, -1});
  g.Node("mm", "MatMul", {"a", "b"}, {"y"});
  g.Inputs({"a", "b"}).Outputs({"y"});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t a = Upload(Values(8)), b = Upload(Values(9));
  std::vector<hetrun_tensor_arg> in{TensorArg(a, kF32, {2, 4}), TensorArg(b, kF32, {3, 3})};
  std::vector<hetrun_tensor_arg> out(1);
  hetrun_event_t event = nullptr;
  HT_ASSERT_OK(p_->execute(exe, in.data(), 2, out.data(), 1, nullptr, 0, &event));
  EXPECT_FALSE(Status(p_->event_wait(dev_, event, UINT64_MAX)).ok());
  uint32_t count = 0;
  Status failed(p_->event_node_times(dev_, event, nullptr, 0, &count));
  EXPECT_EQ(failed.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(failed.message().find("failed"), std::string::npos) << failed.message();
  p_->event_release(dev_, event);
  Status null_event(p_->event_node_times(dev_, nullptr, nullptr, 0, &count));
  EXPECT_EQ(null_event.code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace hetrun::test
