// The hetrun CLI as a user runs it: the foundation's acceptance commands, and bad input ending with
// a non-zero exit and one clear line on stderr.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.h"
#include "hetrun/core/tensor_compare.h"

namespace hetrun::test {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs bin/hetrun with `args` (shell-quoted by the caller where needed).
CommandResult RunHetrun(const std::string& args) {
  static int counter = 0;
  const fs::path dir = fs::path(HETRUN_BINARY_DIR) / "cli_test_tmp";
  fs::create_directories(dir);
  const std::string tag = std::to_string(getpid()) + "_" + std::to_string(counter++);
  const std::string out_file = (dir / ("out_" + tag)).string(),
                    err_file = (dir / ("err_" + tag)).string();
  const std::string cmd = std::string(HETRUN_BINARY_DIR) + "/bin/hetrun " + args + " >" + out_file +
                          " 2>" + err_file + " </dev/null";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& f) {
    std::ifstream in(f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

size_t LineCount(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string BadModel(const std::string& name) {
  return std::string(HETRUN_E2E_DIR) + "/bad/" + name;
}

TEST(Cli, DevicesListsTheCpuPlugin) {
  CommandResult r = RunHetrun("devices");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cpu 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kind cpu"), std::string::npos) << r.out;
  CommandResult j = RunHetrun("devices --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  nlohmann::json parsed = nlohmann::json::parse(j.out);
  ASSERT_FALSE(parsed["plugins"].empty());
  EXPECT_EQ(parsed["plugins"][0]["plugin"], "cpu");
  EXPECT_GT(parsed["plugins"][0]["devices"][0]["memory_bytes"].get<uint64_t>(), 0u);
}

// The foundation's acceptance command: ppocr_cls on the CPU with ORT's input, outputs equal ORT's.
TEST(Cli, PpocrOutputsMatchOnnxRuntime) {
  const ReferenceCase c = ReadReferenceCases().at("ppocr_cls");
  const fs::path out_dir = fs::path(HETRUN_BINARY_DIR) / "cli_test_tmp" / "ppocr_out";
  fs::remove_all(out_dir);
  const fs::path report = out_dir.string() + ".json";
  CommandResult r =
      RunHetrun("--devices cpu " + c.model + " --shape x=1x3x48x192 --input x=" + c.ref_dir +
                "/input_x.npy --output-dir " + out_dir.string() + " --report-json " +
                report.string() + " --iterations 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int compared = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(out_dir)) {
    auto actual = core::ReadNpy(e.path().string());
    auto expected = core::ReadNpy(c.ref_dir + "/" + e.path().filename().string());
    ASSERT_TRUE(actual.ok() && expected.ok()) << e.path();
    core::TensorComparison cmp = core::CompareTensors(*actual, *expected, 1e-4, 1e-5);
    EXPECT_TRUE(cmp.ok) << e.path() << ": " << cmp.message;
    ++compared;
  }
  EXPECT_EQ(compared, 1);

  std::ifstream in(report);
  nlohmann::json j = nlohmann::json::parse(in);
  for (const char* key :
       {"model", "devices", "parts", "compile_ms", "latency_ms", "iterations", "outputs"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"min", "median", "mean", "p90", "max"})
    EXPECT_TRUE(j["latency_ms"].contains(key)) << key;
  EXPECT_EQ(j["iterations"], 3);
  EXPECT_EQ(j["parts"], 1);
  EXPECT_EQ(j["devices"][0], "cpu");
  EXPECT_EQ(j["outputs"][0]["dtype"], "float32");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({1, 2}));
}

TEST(Cli, HelpAndVersion) {
  CommandResult r = RunHetrun("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--devices"), std::string::npos);
  EXPECT_EQ(RunHetrun("--version").exit_code, 0);
}

struct BadCase {
  std::string label, args, expected_substring;
  int exit_code;
};

class CliBadInput : public ::testing::TestWithParam<BadCase> {};

// Bad input: a non-zero exit, exactly one line on stderr naming the problem, never a crash.
TEST_P(CliBadInput, OneClearLine) {
  CommandResult r = RunHetrun(GetParam().args);
  EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.err;
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(GetParam().expected_substring), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, CliBadInput,
    ::testing::Values(
        BadCase{"not_a_model", BadModel("not_a_model.onnx"), "not an ONNX model", 1},
        BadCase{"truncated", BadModel("truncated.onnx"), "not an ONNX model", 1},
        BadCase{"unknown_op", BadModel("unknown_op.onnx"), "NoSuchOp", 1},
        BadCase{"cycle", BadModel("cycle.onnx"), "cycle", 1},
        BadCase{"bad_shapes", BadModel("bad_shapes.onnx"), "shape", 1},
        BadCase{"missing_file", "/nonexistent/model.onnx", "/nonexistent/model.onnx", 1},
        BadCase{"missing_plugin",
                "--devices nosuchdevice " HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx",
                "no plugin 'nosuchdevice'", 1},
        BadCase{"bad_device_index", "--devices cpu:3 " HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx",
                "has 1 device", 1},
        BadCase{"wrong_input_name", HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx --input nope=x.npy",
                "no input 'nope'", 1},
        BadCase{"missing_input_file",
                HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx --input image=/nonexistent.npy",
                "/nonexistent.npy", 1},
        BadCase{"unknown_option", "--frobnicate " HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx",
                "unknown option '--frobnicate'", 2},
        BadCase{"bad_iterations", "--iterations zero " HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx",
                "--iterations", 2}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.label; });

}  // namespace
}  // namespace hetrun::test
