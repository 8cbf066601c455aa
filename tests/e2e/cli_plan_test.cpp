// The heterogeneous side of the CLI: `hetrun plan` and its files, --plan-in, --profile, and the
// fallback policy as a user sees them (exit status, one clear line, the report).
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "e2e_support.h"

namespace hetrun::test {
namespace {

namespace fs = std::filesystem;

fs::path TempDir() {
  return CliTempDir("plan");
}

Command Hetrun(const std::string& args, const std::string& env = "") {
  return RunHetrun(args, env, "plan");
}

const std::string kTinyCnn = std::string(HETRUN_SOURCE_DIR) + "/models/tiny_cnn.onnx";
const std::string kSplit = "--devices testdev,cpu --partition priority --plugin-path " +
                           std::string(HETRUN_TEST_PLUGIN_DIR) + " ";

TEST(CliPlan, PrintsATableAndWritesJsonAndDot) {
  const fs::path dir = TempDir();
  Command r = Hetrun("plan " + kSplit + kTinyCnn + " --plan-json " + (dir / "p.json").string() +
                     " --plan-dot " + (dir / "p.dot").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("part  device   nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 part(s) on 2 device(s), 2 transfer(s) between devices"),
            std::string::npos)
      << r.out;
  nlohmann::json plan = nlohmann::json::parse(Slurp(dir / "p.json"));
  EXPECT_EQ(plan["strategy"], "priority");
  ASSERT_EQ(plan["parts"].size(), 3u);
  EXPECT_EQ(plan["parts"][1]["device"], "cpu");
  EXPECT_EQ(plan["parts"][1]["nodes"], nlohmann::json({"flatten"}));
  const std::string dot = Slurp(dir / "p.dot");
  EXPECT_NE(dot.find("digraph plan"), std::string::npos);
  EXPECT_NE(dot.find("penwidth=3"), std::string::npos);
}

TEST(CliPlan, ASavedPlanIsReplayedByRun) {
  const fs::path dir = TempDir();
  // Everything on cpu, saved, then replayed although testdev is listed first.
  ASSERT_EQ(Hetrun("plan " + kSplit + "--assign '*=cpu' " + kTinyCnn + " --plan-json " +
                   (dir / "cpu.json").string())
                .exit_code,
            0);
  Command r = Hetrun("run " + kSplit + kTinyCnn + " --plan-in " + (dir / "cpu.json").string() +
                     " --report-json " + (dir / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "r.json"));
  EXPECT_EQ(report["partition"], "replay");
  EXPECT_EQ(report["parts"], 1);
  EXPECT_EQ(report["plan"][0]["device"], "cpu");
}

TEST(CliPlan, BadPlanOptionsAreOneClearLine) {
  Command r = Hetrun("plan --partition fastest " + kTinyCnn);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--partition 'fastest': expected cost or priority"), std::string::npos);
  r = Hetrun("plan " + kSplit + "--assign Conv=vulkan " + kTinyCnn);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'vulkan' is not among the selected devices"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = Hetrun("plan " + kSplit + "--assign Flatten=testdev " + kTinyCnn);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("node 'flatten' (Flatten) is not supported by testdev"), std::string::npos)
      << r.err;
  r = Hetrun("run " + kSplit + "--plan-in /nonexistent/plan.json " + kTinyCnn);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--plan-in: cannot read"), std::string::npos) << r.err;
}

// The CPU plugin times each node (ABI minor 3), testdev only its parts: the trace has node spans
// inside the CPU's part spans and none on testdev's track; the table and the report list the
// CPU's nodes.
TEST(CliPlan, ProfileWritesAChromeTraceWithATrackPerDeviceAndTheCpusNodes) {
  const fs::path dir = TempDir();
  Command r =
      Hetrun("run " + kSplit + kTinyCnn + " --iterations 3 --profile " +
             (dir / "trace.json").string() + " --report-json " + (dir / "report.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json trace = nlohmann::json::parse(Slurp(dir / "trace.json"));
  std::set<std::string> tracks, categories;
  std::map<int, std::string> track_names;
  std::vector<nlohmann::json> parts, nodes;
  for (const auto& e : trace["traceEvents"]) {
    if (e["name"] == "thread_name") {
      tracks.insert(e["args"]["name"].get<std::string>());
      track_names[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
    }
    if (e["ph"] != "X") continue;
    categories.insert(e["cat"].get<std::string>());
    if (e["cat"] == "part") parts.push_back(e);
    if (e["cat"] == "node") nodes.push_back(e);
  }
  EXPECT_EQ(tracks, (std::set<std::string>{"testdev", "cpu", "transfers"}));
  EXPECT_EQ(categories, (std::set<std::string>{"part", "transfer", "node"}));
  ASSERT_FALSE(nodes.empty());
  for (const auto& n : nodes) {
    EXPECT_EQ(track_names[n["tid"].get<int>()], "cpu") << n.dump();
    const double from = n["ts"].get<double>(), to = from + n["dur"].get<double>();
    bool inside = false;
    for (const auto& p : parts)
      inside = inside || (p["tid"] == n["tid"] && p["ts"].get<double>() <= from + 1 &&
                          to <= p["ts"].get<double>() + p["dur"].get<double>() + 1);
    EXPECT_TRUE(inside) << "node span outside every part span of its track: " << n.dump();
  }
  EXPECT_NE(r.out.find("node(s) timed by their devices, median of 3 run(s)"), std::string::npos)
      << r.out;
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "report.json"));
  ASSERT_TRUE(report.contains("node_profile")) << report.dump(1);
  const auto& profiled = report["node_profile"];
  EXPECT_EQ(profiled["runs"], 3);
  ASSERT_FALSE(profiled["nodes"].empty());
  double shares = 0;
  for (const auto& n : profiled["nodes"]) {
    EXPECT_EQ(n["device"], "cpu");
    EXPECT_EQ(n["runs"], 3);
    shares += n["share"].get<double>();
  }
  EXPECT_NEAR(shares, 1.0, 1e-6);
}

// A device that times parts only: no node table, and a line that says why.
TEST(CliPlan, ProfileOnADeviceWithoutNodeTimesSaysSo) {
  const fs::path dir = TempDir();
  Command r = Hetrun("run --devices testdev --plugin-path " + std::string(HETRUN_TEST_PLUGIN_DIR) +
                         " " + kTinyCnn + " --profile " + (dir / "t.json").string(),
                     "HETRUN_TESTDEV_OPS='*'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("profile parts only: no device here times its nodes"), std::string::npos)
      << r.out;
}

TEST(CliPlan, DeviceMemoryMovesWorkOffAndExplainsWhy) {
  const fs::path dir = TempDir();
  Command r = Hetrun("plan " + kSplit + kTinyCnn + " --device-memory testdev=100KiB --explain" +
                     " --plan-json " + (dir / "m.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stem_conv (Conv) -> cpu, part 0, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" estimated: moved off testdev: the plan needs"), std::string::npos)
      << r.out;
  nlohmann::json plan = nlohmann::json::parse(Slurp(dir / "m.json"));
  ASSERT_EQ(plan["memory"].size(), 2u);
  EXPECT_EQ(plan["memory"][0]["device"], "testdev");
  EXPECT_EQ(plan["memory"][0]["capacity_bytes"], 102400);
  EXPECT_LE(plan["memory"][0]["peak_bytes"].get<uint64_t>(), 102400u);

  Command bad = Hetrun("plan " + kSplit + kTinyCnn + " --device-memory vulkan=1G");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--device-memory vulkan=...: 'vulkan' is not among the selected devices"),
            std::string::npos)
      << bad.err;
  Command usage = Hetrun("plan " + kSplit + kTinyCnn + " --device-memory testdev=lots");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("'lots' is not a size"), std::string::npos) << usage.err;
}

TEST(CliCheck, MatchingPartsPassAndTheReportListsThem) {
  const fs::path dir = TempDir();
  Command r = Hetrun(kSplit + kTinyCnn + " --check --report-json " + (dir / "c.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("check   part 0 on testdev: 1 output(s) match the CPU within rtol 0.001"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("check   part 1 on cpu: not checked (runs on the reference device)"),
            std::string::npos)
      << r.out;
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "c.json"));
  ASSERT_EQ(report["check"].size(), 3u);
  EXPECT_TRUE(report["check"][0]["checked"]);
  EXPECT_TRUE(report["check"][0]["ok"]);
  EXPECT_EQ(report["check"][0]["outputs"][0]["max_abs_error"], 0.0);
}

TEST(CliCheck, ALyingDeviceIsCaughtWithTheFirstDivergingNode) {
  // The test device claims Conv but computes it with wrong weights; stem_conv is pinned to the
  // CPU, so the first wrong node is the third of its part and bisection has to find it.
  Command r =
      Hetrun(kSplit + kTinyCnn + " --check --assign stem_conv=cpu", "HETRUN_TESTDEV_WRONG_OP=Conv");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("--check: 1 part(s) diverge from the CPU beyond rtol 0.001, atol 0.0001: "
                       "part 1 on testdev (first diverging node block_a_conv (Conv))"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("output 'gap': 16 of 16 elements out of tolerance"), std::string::npos)
      << r.out;
  // Part 3 (Gemm, Softmax) is computed right and says so.
  EXPECT_NE(r.out.find("check   part 3 on testdev: 1 output(s) match the CPU"), std::string::npos)
      << r.out;
  // A looser tolerance is the user's call.
  Command loose = Hetrun(kSplit + kTinyCnn + " --check-atol 1e9 --assign stem_conv=cpu",
                         "HETRUN_TESTDEV_WRONG_OP=Conv");
  EXPECT_EQ(loose.exit_code, 0) << loose.err;
}

TEST(CliWarmStart, RunsStartOnTheCpuAndTheReportShowsTheSwitch) {
  const fs::path dir = TempDir();
  Command warm = Hetrun(kSplit + kTinyCnn + " --warm-start -n 3 --warmup 0 --report-json " +
                        (dir / "w.json").string() + " -o " + (dir / "warm").string());
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_NE(warm.out.find("run(s) on the CPU-only plan; full plan ready after"), std::string::npos)
      << warm.out;
  // After the runs the report describes the full plan, whichever plan served them.
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "w.json"));
  EXPECT_EQ(report["parts"], 3);
  EXPECT_EQ(report["plan"][0]["device"], "testdev");
  EXPECT_GE(report["warm_start"]["runs_on_cpu_plan"].get<int>(), 0);
  EXPECT_LE(report["warm_start"]["runs_on_cpu_plan"].get<int>(), 3);
  EXPECT_GT(report["warm_start"]["full_plan_ready_ms"].get<double>(), 0);
  EXPECT_GT(report["first_result_ms"].get<double>(), 0);
  Command cold = Hetrun(kSplit + kTinyCnn + " -o " + (dir / "cold").string());
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(Slurp(dir / "warm" / "probabilities.npy"), Slurp(dir / "cold" / "probabilities.npy"));
}

TEST(CliWarmStart, AFullPlanThatFailsLeavesTheRunsOnTheCpuAndSaysWhy) {
  // The pin cannot be honoured (testdev declines Flatten), so only the CPU-only plan exists.
  const fs::path dir = TempDir();
  Command r = Hetrun(kSplit + kTinyCnn + " --warm-start --assign Flatten=testdev --report-json " +
                     (dir / "f.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("hetrun: warning: --warm-start: the full plan failed, so every run used "
                       "the CPU: --assign Flatten=testdev"),
            std::string::npos)
      << r.err;
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "f.json"));
  EXPECT_EQ(report["warm_start"]["runs_on_cpu_plan"], 1);
  EXPECT_EQ(report["plan"][0]["device"], "cpu");
}

TEST(CliPlugins, PluginsPlantedInTheWorkingDirectoryOrBesideTheModelAreNeverLoaded) {
  const fs::path dir = TempDir() / "planted";
  fs::create_directories(dir);
  fs::copy_file(kTinyCnn, dir / "tiny_cnn.onnx", fs::copy_options::overwrite_existing);
  for (const char* name : {"libhetrun_plugin_cpu.so", "libhetrun_plugin_evil.so", "evil.so"})
    std::ofstream(dir / name) << "planted, not a plugin";
  const std::string cd = "cd " + dir.string() + " &&";
  // The real CPU plugin is used (the planted file would fail to load loudly).
  Command cpu = Hetrun("--devices cpu tiny_cnn.onnx -q", cd);
  EXPECT_EQ(cpu.exit_code, 0) << cpu.err;
  // Neither the working directory nor the model's directory is searched.
  Command evil = Hetrun("--devices evil tiny_cnn.onnx", cd);
  EXPECT_EQ(evil.exit_code, 1);
  EXPECT_NE(evil.err.find("no plugin 'evil' (searched "), std::string::npos) << evil.err;
  EXPECT_EQ(evil.err.find(dir.string()), std::string::npos) << evil.err;
  // A path or a file name is not a device name.
  Command path = Hetrun("--devices ./evil.so tiny_cnn.onnx", cd);
  EXPECT_EQ(path.exit_code, 1);
  EXPECT_NE(path.err.find("bad device name './evil.so'"), std::string::npos) << path.err;
}

TEST(CliFallback, NoneExitsNonZeroNamingTheDeviceAndPart) {
  Command r = Hetrun("run " + kSplit + kTinyCnn, "HETRUN_TESTDEV_FAIL_EXECUTABLE=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("hetrun: error: device 'testdev': part 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("injected failure"), std::string::npos) << r.err;
}

TEST(CliFallback, CpuCompletesWarnsAndReports) {
  const fs::path dir = TempDir();
  const std::string out_a = (dir / "fallback_out").string(), out_b = (dir / "cpu_out").string();
  Command r = Hetrun("run " + kSplit + kTinyCnn + " --fallback cpu --output-dir " + out_a +
                         " --report-json " + (dir / "r.json").string(),
                     "HETRUN_TESTDEV_FAIL_EXECUTABLE=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: part 2 failed on testdev and was re-run on cpu"),
            std::string::npos)
      << r.err;
  nlohmann::json report = nlohmann::json::parse(Slurp(dir / "r.json"));
  ASSERT_EQ(report["fallbacks"].size(), 1u);
  EXPECT_EQ(report["fallbacks"][0]["part"], 2);
  EXPECT_EQ(report["fallbacks"][0]["device"], "testdev");
  EXPECT_EQ(report["plan"][2]["device"], "testdev");
  EXPECT_EQ(report["plan"][2]["ran_on"], "cpu");
  EXPECT_EQ(report["plan"][0]["ran_on"], "testdev");
  // Same seeded input, CPU only: the same probabilities.
  ASSERT_EQ(Hetrun("run --devices cpu " + kTinyCnn + " --output-dir " + out_b).exit_code, 0);
  EXPECT_EQ(Slurp(out_a + "/probabilities.npy"), Slurp(out_b + "/probabilities.npy"));
}

}  // namespace
}  // namespace hetrun::test
