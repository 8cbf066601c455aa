// Whole models split across the test plugin (a CPU-backed device with its own memory and a
// restricted op set) and the CPU plugin: plans of at least three parts whose outputs equal the
// CPU-only run's; fallback when a device fails; the profile of a split run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "e2e_support.h"
#include "hetrun/core/tensor_compare.h"
#include "hetrun/partitioner/plan_format.h"
#include "hetrun/runtime/session.h"

namespace hetrun::test {
namespace {

// Sets an environment variable for one scope (the test plugin reads its controls at query time).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value.empty())
      unsetenv(name);
    else
      setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty())
      unsetenv(name_);
    else
      setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

struct Loaded {
  ReferenceCase c;
  std::map<std::string, core::Tensor> inputs;
  runtime::SessionOptions options;
};

Loaded Load(const std::string& name) {
  Loaded l;
  const auto cases = ReadReferenceCases();
  auto it = cases.find(name);
  EXPECT_NE(it, cases.end()) << "no reference for " << name << " in " << HETRUN_E2E_DIR;
  if (it == cases.end()) return l;
  l.c = it->second;
  l.options.threads = 1;
  l.options.plugin_paths = {HETRUN_TEST_PLUGIN_DIR};
  for (const auto& [input, file] : ReadReferenceInputs(l.c.ref_dir)) {
    Result<core::Tensor> t = core::ReadNpy(file);
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (!t.ok()) continue;
    l.options.input_shapes[input] = t->dims();
    l.inputs[input] = std::move(t).value();
  }
  return l;
}

std::vector<core::Tensor> RunOn(const Loaded& l, const std::vector<std::string>& devices,
                                runtime::SessionOptions options, size_t* parts = nullptr,
                                runtime::RunStats* stats = nullptr) {
  options.devices = devices;
  auto session = runtime::Session::Create(l.c.model, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  EXPECT_TRUE(partitioner::VerifyPlan((*session)->graph(), (*session)->plan()).ok());
  if (parts) *parts = (*session)->plan().parts.size();
  auto outputs = (*session)->Run(l.inputs, stats);
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  return outputs.ok() ? *outputs : std::vector<core::Tensor>{};
}

void ExpectSameOutputs(const std::vector<core::Tensor>& got,
                       const std::vector<core::Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    core::TensorComparison r = core::CompareTensors(got[i], want[i], 1e-5, 1e-6);
    EXPECT_TRUE(r.ok) << "output " << i << ": " << r.message;
  }
}

struct SplitCase {
  std::string model;
  std::string testdev_ops;  // "" = the plugin's default NPU-like set
  partitioner::Strategy strategy;
};

class SplitModelTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitModelTest, RunsInAtLeastThreePartsAndMatchesTheCpuOnlyRun) {
  const Loaded l = Load(GetParam().model);
  const std::vector<core::Tensor> expected = RunOn(l, {"cpu"}, l.options);
  ScopedEnv ops("HETRUN_TESTDEV_OPS", GetParam().testdev_ops);
  runtime::SessionOptions options = l.options;
  options.partition = GetParam().strategy;
  size_t parts = 0;
  const std::vector<core::Tensor> split = RunOn(l, {"testdev", "cpu"}, options, &parts);
  EXPECT_GE(parts, 3u);
  ExpectSameOutputs(split, expected);
}

INSTANTIATE_TEST_SUITE_P(
    Models, SplitModelTest,
    ::testing::Values(SplitCase{"ppocr_cls", "", partitioner::Strategy::kCost},
                      SplitCase{"wakeword_mlp", "", partitioner::Strategy::kPriority},
                      SplitCase{"mlp", "MatMul,Gemm,Conv", partitioner::Strategy::kPriority},
                      SplitCase{"resnet_block", "", partitioner::Strategy::kPriority},
                      SplitCase{"transformer", "", partitioner::Strategy::kCost},
                      SplitCase{"tiny_cnn", "", partitioner::Strategy::kPriority}),
    [](const ::testing::TestParamInfo<SplitCase>& param_info) { return param_info.param.model; });

TEST(Fallback, CpuReRunsTheFailedPartAndTheRunSucceeds) {
  const Loaded l = Load("resnet_block");
  const std::vector<core::Tensor> expected = RunOn(l, {"cpu"}, l.options);
  // Two test devices and no cpu among the selected ones: the fallback CPU is opened for the
  // purpose. Flatten is pinned to testdev:1, so testdev:0 has two parts and the second fails.
  ScopedEnv devices("HETRUN_TESTDEV_DEVICES", "2");
  ScopedEnv ops("HETRUN_TESTDEV_OPS", "*");
  ScopedEnv fail("HETRUN_TESTDEV_FAIL_EXECUTABLE", "1");
  runtime::SessionOptions options = l.options;
  options.partition = partitioner::Strategy::kPriority;
  options.pins = {{"Flatten", "testdev:1"}};
  options.fallback = runtime::FallbackPolicy::kCpu;
  runtime::RunStats stats;
  size_t parts = 0;
  const std::vector<core::Tensor> got = RunOn(l, {"testdev", "testdev:1"}, options, &parts, &stats);
  ASSERT_EQ(parts, 3u);
  ExpectSameOutputs(got, expected);
  ASSERT_EQ(stats.fallbacks.size(), 1u);
  EXPECT_EQ(stats.fallbacks[0].part, 2);
  EXPECT_EQ(stats.fallbacks[0].device, "testdev");
  EXPECT_NE(stats.fallbacks[0].error.find("injected failure in executable 1"), std::string::npos)
      << stats.fallbacks[0].error;
}

TEST(Fallback, SplitModelWithCpuSelectedFallsBackToIt) {
  const Loaded l = Load("tiny_cnn");
  const std::vector<core::Tensor> expected = RunOn(l, {"cpu"}, l.options);
  ScopedEnv fail("HETRUN_TESTDEV_FAIL_EXECUTABLE", "1");
  runtime::SessionOptions options = l.options;
  options.partition = partitioner::Strategy::kPriority;
  options.fallback = runtime::FallbackPolicy::kCpu;
  runtime::RunStats stats;
  size_t parts = 0;
  const std::vector<core::Tensor> got = RunOn(l, {"testdev", "cpu"}, options, &parts, &stats);
  EXPECT_EQ(parts, 3u);
  ExpectSameOutputs(got, expected);
  ASSERT_EQ(stats.fallbacks.size(), 1u);
  EXPECT_EQ(stats.fallbacks[0].part, 2);  // testdev's parts are 0 and 2
}

TEST(Fallback, NoneFailsNamingTheDeviceAndThePart) {
  const Loaded l = Load("tiny_cnn");
  ScopedEnv fail("HETRUN_TESTDEV_FAIL_EXECUTABLE", "1");
  runtime::SessionOptions options = l.options;
  options.devices = {"testdev", "cpu"};
  options.partition = partitioner::Strategy::kPriority;
  auto session = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto outputs = (*session)->Run(l.inputs);
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.status().code(), StatusCode::kDeviceLost);
  EXPECT_NE(outputs.status().message().find("device 'testdev': part 2"), std::string::npos)
      << outputs.status().message();
  // The session stays usable: the same failure again, no hang, no crash.
  EXPECT_FALSE((*session)->Run(l.inputs).ok());
}

// The fault-injection matrix (reliability issue): every fault of the test device, with each
// fallback policy, over several runs of one session. With cpu every run completes with the CPU-only
// outputs; with none every run fails with the fault's typed error naming the device and the part;
// a lost or hung device stays out (sticky) for the session's later runs.
struct FaultCase {
  const char* fault;
  StatusCode code;
  const char* message;
};

class FaultMatrixTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultMatrixTest, CpuFallbackCompletesAndNoneFailsTyped) {
  const FaultCase& f = GetParam();
  const Loaded l = Load("tiny_cnn");
  const std::vector<core::Tensor> expected = RunOn(l, {"cpu"}, l.options);
  ScopedEnv fail("HETRUN_TESTDEV_FAIL_EXECUTABLE", "0");
  ScopedEnv fault("HETRUN_TESTDEV_FAULT", f.fault);
  for (runtime::FallbackPolicy policy :
       {runtime::FallbackPolicy::kCpu, runtime::FallbackPolicy::kNone}) {
    runtime::SessionOptions options = l.options;
    options.devices = {"testdev", "cpu"};
    options.partition = partitioner::Strategy::kPriority;
    options.fallback = policy;
    options.timeout_ms = 300;
    options.verify_finite = true;
    auto session = runtime::Session::Create(l.c.model, options);
    ASSERT_TRUE(session.ok()) << session.status().message();
    for (int run = 0; run < 3; ++run) {
      runtime::RunStats stats;
      auto outputs = (*session)->Run(l.inputs, &stats);
      if (policy == runtime::FallbackPolicy::kCpu) {
        ASSERT_TRUE(outputs.ok()) << f.fault << ": " << outputs.status().message();
        ExpectSameOutputs(*outputs, expected);
        ASSERT_FALSE(stats.fallbacks.empty()) << f.fault << " run " << run;
        EXPECT_EQ(stats.fallbacks[0].part, 0);
        continue;
      }
      ASSERT_FALSE(outputs.ok()) << f.fault << " run " << run;
      const std::string& message = outputs.status().message();
      EXPECT_NE(message.find("device 'testdev': part 0"), std::string::npos) << message;
      const bool sticky =
          run > 0 && (f.code == StatusCode::kDeviceLost || f.code == StatusCode::kTimeout);
      if (sticky) {
        EXPECT_EQ(outputs.status().code(), StatusCode::kDeviceLost) << message;
        EXPECT_NE(message.find("stopped responding earlier in this session"), std::string::npos)
            << message;
      } else {
        EXPECT_EQ(outputs.status().code(), f.code) << message;
        EXPECT_NE(message.find(f.message), std::string::npos) << message;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultMatrixTest,
    ::testing::Values(
        FaultCase{"device_lost", StatusCode::kDeviceLost, "injected failure in executable 0"},
        FaultCase{"error", StatusCode::kInternal, "injected error in executable 0"},
        FaultCase{"out_of_memory", StatusCode::kOutOfMemory, "injected out_of_memory"},
        FaultCase{"hang", StatusCode::kTimeout, "did not finish within 300 ms"},
        FaultCase{"nan", StatusCode::kInternal, "has NaN or Inf although every input is finite"}),
    [](const auto& param_info) { return std::string(param_info.param.fault); });

#if defined(HETRUN_HAVE_VULKAN)
// The bench models and a real model run on the Vulkan plugin alone (lavapipe here) as one part,
// with outputs equal to ONNX Runtime's.
class VulkanWholeModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VulkanWholeModelTest, RunsAsOnePartAndMatchesOnnxRuntime) {
  ScopedEnv vk("VK_DRIVER_FILES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
  const Loaded l = Load(GetParam());
  runtime::SessionOptions options = l.options;
  options.devices = {"vulkan"};
  auto session = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_EQ((*session)->plan().parts.size(), 1u);
  auto outputs = (*session)->Run(l.inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  for (size_t o = 0; o < outputs->size(); ++o) {
    Result<core::Tensor> ort = core::ReadNpy(
        l.c.ref_dir + "/" + SanitizedFileName((*session)->outputs()[o].name) + ".npy");
    ASSERT_TRUE(ort.ok()) << ort.status().message();
    core::TensorComparison r = core::CompareTensors((*outputs)[o], *ort, 1e-3, 1e-4);
    EXPECT_TRUE(r.ok) << (*session)->outputs()[o].name << ": " << r.message;
  }
}

INSTANTIATE_TEST_SUITE_P(BenchAndRealModels, VulkanWholeModelTest,
                         ::testing::Values("mlp", "resnet_block", "transformer", "ppocr_cls"),
                         [](const auto& param_info) { return param_info.param; });
#endif

#if defined(HETRUN_HAVE_VULKAN) && defined(HETRUN_HAVE_OPENCL)
// Three vendors' plugins in one plan: the NPU profile (OpenCL on PoCL), Vulkan (lavapipe) and the
// CPU, on a real model, with outputs equal to ONNX Runtime's. By cost alone this machine's Vulkan
// (a CPU implementation) never wins a node, so the plan is by priority with Softmax pinned to the
// CPU: the npu takes what its profile allows, vulkan the rest but Softmax.
TEST(ThreeVendors, NpuVulkanAndCpuInOnePlanMatchOnnxRuntime) {
  ScopedEnv vk("VK_DRIVER_FILES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
  ScopedEnv pocl("POCL_CACHE_DIR", std::string(HETRUN_BINARY_DIR) + "/pocl-cache");
  const Loaded l = Load("ppocr_cls");
  runtime::SessionOptions options = l.options;
  options.devices = {"npu", "vulkan", "cpu"};
  options.partition = partitioner::Strategy::kPriority;
  options.pins = {{"Softmax", "cpu"}};
  auto session = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  const partitioner::Plan& plan = (*session)->plan();
  std::set<std::string> used;
  for (const partitioner::Part& part : plan.parts) used.insert(plan.devices[part.device]);
  EXPECT_EQ(used, (std::set<std::string>{"npu", "vulkan", "cpu"}));
  for (size_t n = 0; n < plan.node_device.size(); ++n) {
    if ((*session)->graph().nodes[n].op_type == "Conv") {
      EXPECT_EQ(plan.devices[plan.node_device[n]], "npu") << (*session)->graph().nodes[n].name;
    }
  }
  auto outputs = (*session)->Run(l.inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  for (size_t o = 0; o < outputs->size(); ++o) {
    Result<core::Tensor> ort = core::ReadNpy(
        l.c.ref_dir + "/" + SanitizedFileName((*session)->outputs()[o].name) + ".npy");
    ASSERT_TRUE(ort.ok()) << ort.status().message();
    core::TensorComparison r = core::CompareTensors((*outputs)[o], *ort, 1e-3, 1e-4);
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(ThreeVendors, ATightNpuMemoryMovesTheWorkOffItAndSaysWhy) {
  ScopedEnv pocl("POCL_CACHE_DIR", std::string(HETRUN_BINARY_DIR) + "/pocl-cache");
  const Loaded l = Load("ppocr_cls");
  runtime::SessionOptions options = l.options;
  options.devices = {"npu", "cpu"};
  options.plan_only = true;
  auto roomy = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(roomy.ok()) << roomy.status().message();
  EXPECT_EQ((*roomy)->plan().devices[(*roomy)->plan().parts[0].device], "npu");
  options.device_memory = {{"npu", uint64_t{1} << 20}};
  auto tight = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(tight.ok()) << tight.status().message();
  const partitioner::Plan& plan = (*tight)->plan();
  EXPECT_LE(plan.memory[0].peak_bytes, uint64_t{1} << 20);
  const std::string text = partitioner::PlanExplanation((*tight)->graph(), plan);
  EXPECT_NE(text.find("moved off npu: the plan needs"), std::string::npos) << text;
  EXPECT_NE(text.find("over its capacity of 1.0 MB"), std::string::npos) << text;
}
#endif

TEST(Profile, SplitRunHasSpansOnEveryDeviceAndTransfers) {
  const Loaded l = Load("tiny_cnn");
  runtime::SessionOptions options = l.options;
  options.devices = {"testdev", "cpu"};
  options.partition = partitioner::Strategy::kPriority;
  auto session = runtime::Session::Create(l.c.model, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  runtime::RunStats stats;
  stats.collect_trace = true;
  ASSERT_TRUE((*session)->Run(l.inputs, &stats).ok());
  const std::vector<std::string> tracks = (*session)->track_names();
  ASSERT_EQ(tracks, (std::vector<std::string>{"testdev", "cpu", "transfers"}));
  int parts_on[3] = {0, 0, 0};
  for (const runtime::TraceSpan& span : stats.spans) {
    ASSERT_GE(span.track, 0);
    ASSERT_LT(span.track, 3);
    ++parts_on[span.track];
    EXPECT_GE(span.duration_us, 0.0);
    EXPECT_EQ(span.category, span.track == 2 ? "transfer" : "part");
  }
  EXPECT_EQ(parts_on[0], 2);  // parts 0 and 2
  EXPECT_EQ(parts_on[1], 1);
  EXPECT_GE(parts_on[2], 3);  // input in, two device crossings (output read-backs are in parts)
  EXPECT_GT(stats.transferred_bytes, 0u);
  EXPECT_GT((*session)->peak_bytes()[0], 0u);  // testdev held staged inputs and outputs
  const std::string trace =
      ::testing::TempDir() + "/hetrun_trace_" + std::to_string(::getpid()) + ".json";
  ASSERT_TRUE(runtime::WriteChromeTrace(trace, tracks, stats.spans).ok());
  std::ifstream in(trace);
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["traceEvents"].size(), 1 + 2 * tracks.size() + stats.spans.size());
  std::remove(trace.c_str());
}

}  // namespace
}  // namespace hetrun::test
