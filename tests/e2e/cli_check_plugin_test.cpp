// `hetrun check-plugin`, the plugin conformance kit, as a vendor runs it: it passes on every
// in-tree plugin (cpu, vulkan on lavapipe, the testdev test plugin), fails with a line naming the
// op on a plugin made to misbehave, skips everything (exit 0) on a plugin without devices, and
// refuses bad usage.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "hetrun/plugin.h"

namespace hetrun::test {
namespace {

namespace fs = std::filesystem;

fs::path TempDir() {
  return CliTempDir("check_plugin");
}

// Runs bin/hetrun check-plugin with `args`, with `env` ("NAME=value ...") in front.
Command CheckPlugin(const std::string& args, const std::string& env = "") {
  return RunHetrun("check-plugin " + args, env, "check_plugin");
}

struct Summary {
  int passed = -1, failed = -1, skipped = -1;
};

// The plain last line "N passed, N failed, N skipped".
Summary LastLine(const std::string& out) {
  std::smatch m;
  static const std::regex last(R"((\d+) passed, (\d+) failed, (\d+) skipped\n$)");
  Summary s;
  if (std::regex_search(out, m, last))
    s = {std::stoi(m[1].str()), std::stoi(m[2].str()), std::stoi(m[3].str())};
  return s;
}

const std::string kTestPlugins = std::string("--plugin-path ") + HETRUN_TEST_PLUGIN_DIR + " ";
const std::string kLavapipe =
    "VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}";

TEST(CliCheckPlugin, CpuPluginPassesAndWritesEveryCheckAsJson) {
  const fs::path json = TempDir() / "cpu.json";
  Command r = CheckPlugin("cpu --json " + json.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Summary s = LastLine(r.out);
  EXPECT_GT(s.passed, 300) << r.out;
  EXPECT_EQ(s.failed, 0) << r.out;
  // The coverage table has a row per op with the dtypes the plugin claimed.
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nConv +float32 +\d+ +0)"))) << r.out;
  // The CPU plugin is built with this tree's plugin.h.
  EXPECT_NE(r.out.find("PASS abi.version: ABI " + std::to_string(HETRUN_ABI_MAJOR) + "." +
                       std::to_string(HETRUN_ABI_MINOR)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PASS error.buffer_alloc_huge"), std::string::npos) << r.out;
  // The CPU plugin times nodes (ABI minor 3): two Relus, two kernels.
  EXPECT_NE(r.out.find("PASS profile.node_times: 2 entries for 2 Relu nodes"), std::string::npos)
      << r.out;

  const nlohmann::json report = nlohmann::json::parse(Slurp(json));
  EXPECT_EQ(report["plugin"], "cpu");
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["passed"], s.passed);
  EXPECT_EQ(report["checks"].size(), static_cast<size_t>(s.passed + s.failed + s.skipped));
  std::set<std::string> names, statuses;
  for (const nlohmann::json& c : report["checks"]) {
    names.insert(c["name"].get<std::string>());
    statuses.insert(c["status"].get<std::string>());
    if (c.value("declined", false)) {
      EXPECT_FALSE(c["reason"].get<std::string>().empty()) << c;
    }
  }
  for (const char* expected :
       {"abi.struct_size", "abi.mandatory_slots", "device.info[0]", "device.open_close",
        "op.Conv.float32#0", "op.MatMul.float32#1", "error.execute_wrong_dims",
        "error.event_wait_twice", "error.release_null"})
    EXPECT_TRUE(names.count(expected)) << expected;
  EXPECT_EQ(statuses, (std::set<std::string>{"pass", "skip"}));
  EXPECT_GT(report["coverage"]["Gemm"]["passed"].get<int>(), 0);
}

TEST(CliCheckPlugin, TestdevPluginPassesByNameAndByPath) {
  Command by_name = CheckPlugin(kTestPlugins + "testdev");
  ASSERT_EQ(by_name.exit_code, 0) << by_name.out << by_name.err;
  const Summary s = LastLine(by_name.out);
  EXPECT_GT(s.passed, 50);
  EXPECT_EQ(s.failed, 0);
  // Ops outside HETRUN_TESTDEV_OPS are declined with the plugin's reason, not failed.
  EXPECT_NE(by_name.out.find("testdev: op Reshape is not in HETRUN_TESTDEV_OPS"), std::string::npos)
      << by_name.out;
  EXPECT_NE(by_name.out.find("SKIP profile.node_times: the plugin times parts only"),
            std::string::npos)
      << by_name.out;

  Command by_path =
      CheckPlugin(std::string(HETRUN_TEST_PLUGIN_DIR) + "/libhetrun_plugin_testdev.so");
  ASSERT_EQ(by_path.exit_code, 0) << by_path.out << by_path.err;
  EXPECT_EQ(LastLine(by_path.out).failed, 0);
}

#ifdef HETRUN_HAVE_VULKAN
TEST(CliCheckPlugin, VulkanPluginPassesOnLavapipe) {
  Command r = CheckPlugin("vulkan", kLavapipe);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Summary s = LastLine(r.out);
  EXPECT_GT(s.passed, 100) << r.out;
  EXPECT_EQ(s.failed, 0) << r.out;
  // float32 only: float16 cases are declined with a reason.
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nMatMul +float32 +\d+ +0 +\d+: )"))) << r.out;
  // Timestamps after each kernel (ABI minor 3); two Relus are one fused kernel.
  EXPECT_NE(r.out.find("PASS profile.node_times: 1 entry for 2 Relu nodes"), std::string::npos)
      << r.out;
}

TEST(CliCheckPlugin, VulkanWithoutADriverSkipsEverythingWithTheReason) {
  Command r = CheckPlugin("vulkan", "VK_DRIVER_FILES=" + std::string(HETRUN_BINARY_DIR) +
                                        "/no-such-icd.json VK_ICD_FILENAMES=");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS device.count: 0 device(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIP ops: no devices: "), std::string::npos) << r.out;
  EXPECT_EQ(LastLine(r.out).failed, 0);
}
#endif

#ifdef HETRUN_HAVE_OPENCL
// The OpenCL plugin and its NPU profile on PoCL: every claimed case matches the CPU plugin, float16
// included (computed in float, stored as half). The NPU profile's ops only: PoCL compiles each new
// kernel in about 0.6 s, and the conformance runs cover the rest.
TEST(CliCheckPlugin, OpenclAndNpuPluginsPassOnPocl) {
  const std::string env = "POCL_CACHE_DIR=" + std::string(HETRUN_BINARY_DIR) + "/pocl-cache";
  const std::string ops =
      " --filter '^(Conv|ConvTranspose|Gemm|MatMul|MaxPool|AveragePool|GlobalAveragePool|Add|Mul|"
      "Relu|Clip|HardSwish|Concat|Reshape)$'";
  for (const char* name : {"opencl", "npu"}) {
    Command r = CheckPlugin(name + ops, env);
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.out << r.err;
    const Summary s = LastLine(r.out);
    EXPECT_GT(s.passed, 100) << r.out;
    EXPECT_EQ(s.failed, 0) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nConv +float16,float32 +\d+ +0\b)")))
        << r.out;
    // OpenCL profiling events on the kernels (ABI minor 3): two Relus are one fused kernel.
    EXPECT_NE(r.out.find("PASS profile.node_times: 1 entry for 2 Relu nodes"), std::string::npos)
        << r.out;
  }
}
#endif

TEST(CliCheckPlugin, AFailingExecutableFailsNamingTheOp) {
  // testdev's first compiled executable fails every run: the first case it claims must fail.
  Command r = CheckPlugin(kTestPlugins + "testdev", "HETRUN_TESTDEV_FAIL_EXECUTABLE=0");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\nFAIL op\.\w+\.float32#0: .*injected failure in executable 0)")))
      << r.out;
  EXPECT_EQ(LastLine(r.out).failed, 1) << r.out;
}

TEST(CliCheckPlugin, NoDevicesSkipsEverythingElseAndExitsZero) {
  Command r = CheckPlugin(kTestPlugins + "testdev", "HETRUN_TESTDEV_DEVICES=0");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS device.unavailable_reason: HETRUN_TESTDEV_DEVICES is 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("SKIP ops: no devices: HETRUN_TESTDEV_DEVICES is 0"), std::string::npos);
  EXPECT_NE(r.out.find("SKIP error_paths: no devices"), std::string::npos);
  EXPECT_EQ(LastLine(r.out).failed, 0);
}

TEST(CliCheckPlugin, FilterSeedAndCaseCountShapeTheRun) {
  const fs::path a = TempDir() / "a.json", b = TempDir() / "b.json", c = TempDir() / "c.json";
  const std::string args = "cpu --filter '^(Conv|Softmax)$' --cases-per-op 3 --json ";
  ASSERT_EQ(CheckPlugin(args + a.string() + " --seed 5").exit_code, 0);
  ASSERT_EQ(CheckPlugin(args + b.string() + " --seed 5").exit_code, 0);
  ASSERT_EQ(CheckPlugin(args + c.string() + " --seed 6").exit_code, 0);
  auto op_cases = [](const fs::path& file) {
    std::vector<std::string> cases;
    const nlohmann::json report = nlohmann::json::parse(Slurp(file));
    for (const nlohmann::json& check : report["checks"])
      if (check.contains("op"))
        cases.push_back(check["name"].get<std::string>() + " " + check["case"].get<std::string>());
    return cases;
  };
  const std::vector<std::string> first = op_cases(a);
  EXPECT_EQ(first.size(), 2u * 2u * 3u);  // 2 ops x 2 dtypes (float32, float16) x 3 cases
  for (const std::string& name : first)
    EXPECT_TRUE(name.starts_with("op.Conv.") || name.starts_with("op.Softmax.")) << name;
  EXPECT_EQ(op_cases(b), first);  // the same seed gives the same cases
  EXPECT_NE(op_cases(c), first);
}

TEST(CliCheckPlugin, BadUsageAndBadPluginsAreRefused) {
  EXPECT_EQ(CheckPlugin("").exit_code, 2);
  EXPECT_EQ(CheckPlugin("cpu --cases-per-op lots").exit_code, 2);
  EXPECT_EQ(CheckPlugin("cpu --no-such-option").exit_code, 2);
  Command missing = CheckPlugin("nosuchplugin");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no plugin 'nosuchplugin'"), std::string::npos) << missing.err;
  // A file that is not a shared library at all: the load check fails, the rest is skipped.
  const fs::path not_a_plugin = TempDir() / "libhetrun_plugin_fake.so";
  std::ofstream(not_a_plugin) << "not an ELF file\n";
  Command fake = CheckPlugin(not_a_plugin.string());
  EXPECT_EQ(fake.exit_code, 1) << fake.out;
  EXPECT_NE(fake.out.find("FAIL abi.load: "), std::string::npos) << fake.out;
  EXPECT_NE(fake.out.find("SKIP ops: "), std::string::npos) << fake.out;
}

// Waiting on testdev controls the lead adds (see the check-plugin report): a plugin that writes
// wrong values and one that writes past an output's end. Enable when they land.
TEST(CliCheckPlugin, WrongValuesFailNamingTheOp) {
  Command r = CheckPlugin(kTestPlugins + "testdev", "HETRUN_TESTDEV_CORRUPT_OUTPUT=values");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\nFAIL op\.\w+\.\w+#\d+: output 0 differs from the reference)")))
      << r.out;
}

TEST(CliCheckPlugin, OutOfBoundsWritesAreCaughtByTheGuardBytes) {
  Command r = CheckPlugin(kTestPlugins + "testdev", "HETRUN_TESTDEV_CORRUPT_OUTPUT=past_end");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out,
      std::regex(R"(\nFAIL op\.\w+\.\w+#\d+: out-of-bounds write: guard bytes after output 0)")))
      << r.out;
}

}  // namespace
}  // namespace hetrun::test
