// Whole models through Session on the CPU plugin, outputs compared with ONNX Runtime's
// (rtol 1e-4, atol 1e-5), at 1 and 2 threads.
#include <gtest/gtest.h>

#include "e2e_support.h"
#include "hetrun/core/tensor_compare.h"
#include "hetrun/runtime/session.h"

namespace hetrun::test {
namespace {

struct ModelCase {
  std::string name;
  uint32_t threads;
};

class ModelOutputsTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelOutputsTest, MatchesOnnxRuntime) {
  const auto cases = ReadReferenceCases();
  auto it = cases.find(GetParam().name);
  ASSERT_NE(it, cases.end()) << "no reference for " << GetParam().name << " in " << HETRUN_E2E_DIR;
  const ReferenceCase& c = it->second;

  std::map<std::string, core::Tensor> inputs;
  runtime::SessionOptions options;
  options.devices = {"cpu"};
  options.threads = GetParam().threads;
  for (const auto& [name, file] : ReadReferenceInputs(c.ref_dir)) {
    Result<core::Tensor> t = core::ReadNpy(file);
    ASSERT_TRUE(t.ok()) << t.status().message();
    options.input_shapes[name] = t->dims();
    inputs[name] = std::move(t).value();
  }
  auto session = runtime::Session::Create(c.model, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto outputs = (*session)->Run(inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  ASSERT_EQ(outputs->size(), (*session)->outputs().size());
  for (size_t i = 0; i < outputs->size(); ++i) {
    const std::string& name = (*session)->outputs()[i].name;
    Result<core::Tensor> expected =
        core::ReadNpy(c.ref_dir + "/" + SanitizedFileName(name) + ".npy");
    ASSERT_TRUE(expected.ok()) << expected.status().message();
    core::TensorComparison r = core::CompareTensors((*outputs)[i], *expected, 1e-4, 1e-5);
    EXPECT_TRUE(r.ok) << c.name << " output '" << name << "': " << r.message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, ModelOutputsTest,
    ::testing::Values(ModelCase{"ppocr_cls", 1}, ModelCase{"ppocr_cls", 2},
                      ModelCase{"wakeword_mlp", 1}, ModelCase{"wakeword_mlp", 2},
                      ModelCase{"mlp", 1}, ModelCase{"mlp", 2}, ModelCase{"resnet_block", 1},
                      ModelCase{"resnet_block", 2}, ModelCase{"transformer", 1},
                      ModelCase{"transformer", 2}, ModelCase{"tiny_cnn", 2}),
    [](const ::testing::TestParamInfo<ModelCase>& param_info) {
      return param_info.param.name + "_threads" + std::to_string(param_info.param.threads);
    });

// Run() is thread-safe: four threads share one session and all get ONNX Runtime's answer.
TEST(SessionConcurrency, ConcurrentRunsAgree) {
  const auto cases = ReadReferenceCases();
  ASSERT_TRUE(cases.count("transformer"));
  const ReferenceCase& c = cases.at("transformer");
  std::map<std::string, core::Tensor> inputs;
  for (const auto& [name, file] : ReadReferenceInputs(c.ref_dir))
    inputs[name] = *core::ReadNpy(file);
  auto session = runtime::Session::Create(c.model, {});
  ASSERT_TRUE(session.ok()) << session.status().message();
  const std::string out_name = (*session)->outputs()[0].name;
  const core::Tensor expected =
      *core::ReadNpy(c.ref_dir + "/" + SanitizedFileName(out_name) + ".npy");
  std::vector<std::thread> threads;
  std::vector<std::string> failures(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        auto out = (*session)->Run(inputs);
        if (!out.ok()) {
          failures[t] = out.status().message();
          return;
        }
        core::TensorComparison r = core::CompareTensors((*out)[0], expected, 1e-4, 1e-5);
        if (!r.ok) {
          failures[t] = r.message;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& f : failures) EXPECT_EQ(f, "");
}

}  // namespace
}  // namespace hetrun::test
