// The npu plugin: the profile narrows what it accepts, its memory cap is reported and enforced, and
// a malformed profile fails init with a message naming the file and line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "graph.h"
#include "plugin_session.h"

namespace hetrun::test {
namespace {

class Npu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { npu_ = new Session("npu"); }
  static void TearDownTestSuite() { delete npu_; }
  void SetUp() override { ASSERT_TRUE(npu_->ok()) << npu_->error(); }

  // The answer for the single node of `graph`.
  hetrun_node_support Answer(Graph& graph) { return npu_->Query(graph.view()).at(0); }

  inline static Session* npu_ = nullptr;
};

TEST_F(Npu, ReportsKindAndMemoryCapFromTheProfile) {
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  CL_ASSERT_OK(npu_->p()->device_info(npu_->self(), 0, &info));
  EXPECT_EQ(info.kind, HETRUN_DEVICE_NPU);
  EXPECT_EQ(info.memory_bytes, uint64_t{256} << 20);
  EXPECT_NE(std::string(info.name).find("npu"), std::string::npos) << info.name;
}

TEST_F(Npu, AcceptsConvWithACost) {
  Graph g;
  g.Value("x", {1, 3, 8, 8}).Constant("w", {4, 3, 3, 3}, std::vector<float>(108, 0.5f));
  g.Value("y", {1, 4, 6, 6});
  g.Node("Conv", {"x", "w"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const hetrun_node_support a = Answer(g);
  EXPECT_EQ(a.supported, 1) << a.reason;
  EXPECT_GT(a.cost_us, 0);
}

// With the shipped profile's figures the partitioner should prefer the npu for a sizeable Conv
// (ppocr_cls's first one): the estimate must come out below the cpu plugin's.
TEST_F(Npu, ConvCostsLessThanOnTheCpu) {
  Graph g;
  g.Value("x", {1, 3, 48, 192}).Constant("w", {16, 3, 3, 3}, std::vector<float>(432, 0.5f));
  g.Value("y", {1, 16, 24, 96});
  g.Node("Conv", {"x", "w"}, {"y"}).Ints("strides", {2, 2}).Ints("pads", {1, 1, 1, 1});
  g.Inputs({"x"}).Outputs({"y"});
  Session cpu("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.error();
  const hetrun_node_support on_cpu = cpu.Query(g.view()).at(0);
  const hetrun_node_support on_npu = Answer(g);
  ASSERT_EQ(on_npu.supported, 1) << on_npu.reason;
  ASSERT_EQ(on_cpu.supported, 1) << on_cpu.reason;
  EXPECT_LT(on_npu.cost_us, on_cpu.cost_us);
}

TEST_F(Npu, DeclinesOpsOutsideTheProfile) {
  Graph g;
  g.Value("x", {2, 3}).Value("y", {2, 3});
  g.Node("Softmax", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const hetrun_node_support a = Answer(g);
  EXPECT_EQ(a.supported, 0);
  EXPECT_EQ(std::string(a.reason), "op Softmax is not in the NPU profile");
}

TEST_F(Npu, DeclinesDynamicShapes) {
  Graph g;
  g.Value("x", {-1, 3}).Value("y", {-1, 3});
  g.Node("Relu", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const hetrun_node_support a = Answer(g);
  EXPECT_EQ(a.supported, 0);
  EXPECT_NE(std::string(a.reason).find("unknown before run time"), std::string::npos) << a.reason;
}

TEST_F(Npu, DeclinesInt64) {
  Graph g;
  g.Value("a", {4}, HETRUN_DTYPE_INT64).Value("b", {4}, HETRUN_DTYPE_INT64);
  g.Value("y", {4}, HETRUN_DTYPE_INT64);
  g.Node("Add", {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
  const hetrun_node_support a = Answer(g);
  EXPECT_EQ(a.supported, 0);
  EXPECT_NE(std::string(a.reason).find("int64"), std::string::npos) << a.reason;
}

TEST_F(Npu, RunsAConvInFloat16) {
  Graph g;
  g.Value("x", {1, 1, 3, 3}, HETRUN_DTYPE_FLOAT16);
  g.Constant("w", {1, 1, 2, 2}, {1, 2, 3, 4}, HETRUN_DTYPE_FLOAT16);
  g.Value("y", {1, 1, 2, 2}, HETRUN_DTYPE_FLOAT16);
  g.Node("Conv", {"x", "w"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  std::vector<std::vector<float>> out;
  Status run = npu_->RunGraph(g.view(), {{1, 2, 3, 4, 5, 6, 7, 8, 9}}, &out);
  ASSERT_TRUE(run.ok()) << run.message();
  // [1 2;4 5].[1 2;3 4] = 1+4+12+20 = 37, then 47, 67, 77.
  EXPECT_EQ(out.at(0), (std::vector<float>{37, 47, 67, 77}));
}

TEST_F(Npu, AllocationsPastTheCapFailWithOutOfMemory) {
  const hetrun_plugin_v1* p = npu_->p();
  hetrun_buffer_t big = nullptr;
  Status too_big(p->buffer_alloc(npu_->dev(), (uint64_t{256} << 20) + 1, &big));
  EXPECT_EQ(too_big.code(), HETRUN_STATUS_OUT_OF_MEMORY) << too_big.message();
  EXPECT_EQ(big, nullptr);
  // The cap counts live buffers: two of 160 MiB do not fit, the second fits once the first goes.
  hetrun_buffer_t first = nullptr, second = nullptr;
  CL_ASSERT_OK(p->buffer_alloc(npu_->dev(), uint64_t{160} << 20, &first));
  Status refused(p->buffer_alloc(npu_->dev(), uint64_t{160} << 20, &second));
  EXPECT_EQ(refused.code(), HETRUN_STATUS_OUT_OF_MEMORY);
  p->buffer_release(npu_->dev(), first);
  CL_ASSERT_OK(p->buffer_alloc(npu_->dev(), uint64_t{160} << 20, &second));
  p->buffer_release(npu_->dev(), second);
}

// Writes `text` to a profile file and points HETRUN_NPU_PROFILE at it for one init().
// One file per test process: ctest runs these tests in parallel processes, and a shared file let
// one test's profile replace another's before it was read.
Status InitWithProfile(const std::string& text, void** self) {
  const std::string path =
      HETRUN_BINARY_DIR "/opencl-test-npu-" + std::to_string(getpid()) + ".profile";
  std::ofstream(path) << text;
  setenv("HETRUN_NPU_PROFILE", path.c_str(), 1);
  const hetrun_plugin_v1* p = LoadPlugin("npu");
  Status status(p->init(TestHost(), self));  // the profile is read here, once
  unsetenv("HETRUN_NPU_PROFILE");
  std::remove(path.c_str());
  return status;
}

TEST(NpuProfileFile, MalformedProfileFailsInitNamingTheLine) {
  void* self = nullptr;
  Status status = InitWithProfile("ops = Conv\ndtypes = float32\nmemory_mib = lots\n", &self);
  EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(status.message().find(".profile:3: memory_mib"), std::string::npos) << status.message();
  EXPECT_EQ(self, nullptr);
}

TEST(NpuProfileFile, EnvironmentOverrideNarrowsOpsAndMemory) {
  void* self = nullptr;
  Status status = InitWithProfile("ops = Relu\ndtypes = float16\nmemory_mib = 8\n", &self);
  ASSERT_TRUE(status.ok()) << status.message();
  const hetrun_plugin_v1* p = LoadPlugin("npu");
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  CL_ASSERT_OK(p->device_info(self, 0, &info));
  EXPECT_EQ(info.memory_bytes, uint64_t{8} << 20);
  hetrun_device_t dev = nullptr;
  CL_ASSERT_OK(p->device_open(self, 0, nullptr, &dev));
  Graph g;
  g.Value("x", {4}).Value("y", {4});
  g.Node("Relu", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  hetrun_node_support answer{};
  answer.struct_size = sizeof answer;
  CL_ASSERT_OK(p->query_support(dev, g.view(), &answer));
  EXPECT_EQ(answer.supported, 0);
  EXPECT_NE(std::string(answer.reason).find("float32 is not in the NPU profile"), std::string::npos)
      << answer.reason;
  p->device_close(dev);
  p->shutdown(self);
}

}  // namespace
}  // namespace hetrun::test
