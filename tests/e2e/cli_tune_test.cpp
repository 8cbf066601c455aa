// `hetrun tune` as a user runs it: measurements written, reported (text and JSON), used by `hetrun
// plan` (which says which costs were measured), a second run that changes nothing, Ctrl-C that
// keeps what was measured, and a clear error without --cache-dir.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_support.h"

namespace hetrun::test {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(HETRUN_SOURCE_DIR) + "/models/tiny_cnn.onnx";
const std::string kShape = " --shape image=1x1x28x28 ";

fs::path FreshDir(const std::string& name) {
  const fs::path dir = CliTempDir("tune") / name;
  fs::remove_all(dir);
  return dir;
}

std::string TuningFiles(const fs::path& cache) {
  std::string all;
  for (const auto& f : fs::directory_iterator(cache / "tuning"))
    if (f.is_regular_file()) all += Slurp(f.path());
  return all;
}

// " --devices DEVICES --plugin-path <testdev's> --cache-dir CACHE --shape ...": the options every
// testdev run of a test shares.
std::string DeviceArgs(const std::string& devices, const fs::path& cache) {
  return " --devices " + devices + " --plugin-path " + std::string(HETRUN_TEST_PLUGIN_DIR) +
         " --cache-dir " + cache.string() + kShape;
}

// Sets every node's measured cost in a tuning file to `cost`.
void SetNodeCosts(const fs::path& file, const std::string& cost) {
  std::istringstream in(Slurp(file));
  std::string text, line;
  while (std::getline(in, line)) {
    if (line.rfind("node\t", 0) == 0) {
      const size_t key_end = line.find('\t', 5), cost_end = line.find('\t', key_end + 1);
      line = line.substr(0, key_end + 1) + cost + line.substr(cost_end);
    }
    text += line + "\n";
  }
  std::ofstream(file) << text;
}

TEST(CliTune, MeasuresThenPlanUsesTheMeasurementsAndASecondRunChangesNothing) {
  const fs::path cache = FreshDir("twice");
  const fs::path json = cache.string() + ".json";
  const Command first =
      RunHetrun("tune --devices cpu --threads 1 --repetitions 2 --cache-dir " + cache.string() +
                    kShape + "--json " + json.string() + " " + kModel,
                "", "tune");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("12 node(s) supported: 12 measured now"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("node costs: 12 measured"), std::string::npos) << first.out;
  const nlohmann::json report = nlohmann::json::parse(Slurp(json));
  EXPECT_EQ(report["format"], "hetrun-tune");
  EXPECT_EQ(report["measured"], 12);
  EXPECT_TRUE(report["changed"].get<bool>());
  EXPECT_EQ(report["devices"][0]["device"], "cpu");
  const std::string measured = TuningFiles(cache);

  const Command second = RunHetrun("tune --devices cpu --threads 1 --cache-dir " + cache.string() +
                                       kShape + "--json " + json.string() + " " + kModel,
                                   "", "tune");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("nothing new"), std::string::npos) << second.out;
  const nlohmann::json again = nlohmann::json::parse(Slurp(json));
  EXPECT_FALSE(again["changed"].get<bool>());
  EXPECT_LT(again["elapsed_s"].get<double>(), 1.0);  // the figure for a warm tuning cache
  EXPECT_EQ(TuningFiles(cache), measured);

  const Command plan = RunHetrun(
      "plan --devices cpu --threads 1 --explain --cache-dir " + cache.string() + kShape + kModel,
      "", "tune");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find(" ms measured"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find(" ms estimated"), std::string::npos) << plan.out;

  // Without the cache directory, the same plan says its costs are estimates.
  const Command estimated =
      RunHetrun("plan --devices cpu --threads 1 --explain" + kShape + kModel, "", "tune");
  ASSERT_EQ(estimated.exit_code, 0) << estimated.err;
  EXPECT_NE(estimated.out.find("node costs: 0 measured"), std::string::npos) << estimated.out;
  EXPECT_NE(estimated.out.find(" ms estimated"), std::string::npos) << estimated.out;
}

// testdev's `delay` tunable (HETRUN_TESTDEV_TUNABLE_DELAY_US): its default sleeps per execution,
// its other value does not, so the search has a clear winner, which the tuning file keeps, the
// plan shows, and a session's compile receives.
TEST(CliTune, SearchesTunableParametersAndSessionsCompileWithTheWinners) {
  const fs::path cache = FreshDir("search");
  const fs::path json = cache.string() + ".json";
  const std::string env = "HETRUN_TESTDEV_TUNABLE_DELAY_US=3000 HETRUN_TESTDEV_OPS='*'";
  const std::string devices = DeviceArgs("testdev", cache);
  const Command tune =
      RunHetrun("tune --repetitions 2 --json " + json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(tune.exit_code, 0) << tune.err;
  const nlohmann::json report = nlohmann::json::parse(Slurp(json));
  const nlohmann::json& testdev = report["devices"][0];
  EXPECT_GT(testdev["searched"].get<int>(), 0) << report.dump(2);
  EXPECT_EQ(testdev["tuned"], testdev["searched"]) << report.dump(2);
  EXPECT_GT(testdev["searched_default_ms"].get<double>(),
            testdev["searched_tuned_ms"].get<double>());
  EXPECT_NE(tune.out.find("parameters searched for"), std::string::npos) << tune.out;
  EXPECT_NE(TuningFiles(cache).find("\tdelay=0\t"), std::string::npos) << TuningFiles(cache);
  // Confirmed in the model, node by node: each node's delay=0 makes the model faster.
  EXPECT_GT(report["in_model"]["tried"].get<int>(), 0) << report.dump(2);
  EXPECT_TRUE(report["in_model"]["dropped"].empty()) << report.dump(2);
  EXPECT_NE(tune.out.find("in the model: tuned values of"), std::string::npos) << tune.out;

  const fs::path plan_json = cache.string() + ".plan.json";
  const Command plan =
      RunHetrun("plan --explain --plan-json " + plan_json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("12 node(s) compiled with tuned values"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("(tuned delay=0)"), std::string::npos) << plan.out;
  const nlohmann::json planned = nlohmann::json::parse(Slurp(plan_json));
  ASSERT_EQ(planned["nodes"].size(), 12u) << planned.dump(2);
  for (const nlohmann::json& node : planned["nodes"])
    EXPECT_EQ(node.value("tuning", ""), "delay=0") << node.dump();

  const Command run = RunHetrun("-n 1 --warmup 0 -v" + devices + kModel, env, "tune");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("testdev: compile_tuned: 12 of 12 node(s) with delay=0"),
            std::string::npos)
      << run.err;

  // The whole-model check timed the tuned plan against the same plan with the defaults (each node
  // sleeping 3 ms), and kept the tuned values.
  const nlohmann::json& whole = report["whole_model"];
  EXPECT_EQ(whole["choice"], "plan") << whole.dump(2);
  ASSERT_EQ(whole["times"].size(), 2u) << whole.dump(2);
  EXPECT_EQ(whole["times"][1]["candidate"], "defaults") << whole.dump(2);
  EXPECT_GT(whole["times"][1]["median_ms"].get<double>(), 12 * 3.0) << whole.dump(2);
  EXPECT_LT(whole["times"][0]["median_ms"].get<double>(), 12 * 3.0) << whole.dump(2);
  // Had the defaults won, sessions would compile without the tuned values.
  const fs::path check_file = fs::directory_iterator(cache / "tuning" / "plans")->path();
  std::string check = Slurp(check_file);
  check.replace(check.find("choice\tplan"), std::string("choice\tplan").size(), "choice\tdefaults");
  std::ofstream(check_file) << check;
  const Command untuned = RunHetrun("plan" + devices + kModel, env, "tune");
  ASSERT_EQ(untuned.exit_code, 0) << untuned.err;
  EXPECT_NE(untuned.out.find("0 node(s) compiled with tuned values"), std::string::npos)
      << untuned.out;
  EXPECT_NE(untuned.out.find("the plan with the plugins' defaults is used"), std::string::npos)
      << untuned.out;
}

// Values that win alone and lose inside the model (testdev's HETRUN_TESTDEV_TUNED_PART_DELAY_US:
// in a part of several nodes, each node compiled with delay=0 sleeps 3 ms, more than the 1 ms its
// delay=0 saves): tune's confirmation in the model sends them back to the defaults, in the tuning
// file too, sessions compile the plugin's defaults, and a second run changes nothing.
TEST(CliTune, ValuesThatLoseInsideTheModelGoBackToTheDefaults) {
  const fs::path cache = FreshDir("in_model");
  const fs::path json = cache.string() + ".json";
  const std::string env =
      "HETRUN_TESTDEV_TUNABLE_DELAY_US=1000 HETRUN_TESTDEV_TUNED_PART_DELAY_US=3000 "
      "HETRUN_TESTDEV_OPS='*'";
  const std::string devices = DeviceArgs("testdev", cache);
  const Command tune =
      RunHetrun("tune --repetitions 2 --json " + json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(tune.exit_code, 0) << tune.err;
  const nlohmann::json report = nlohmann::json::parse(Slurp(json));
  EXPECT_GT(report["devices"][0]["tuned"].get<int>(), 0) << report.dump(2);  // alone, they win
  const nlohmann::json& in_model = report["in_model"];
  EXPECT_GT(in_model["tried"].get<size_t>(), 0u) << report.dump(2);
  EXPECT_EQ(in_model["dropped"].size(), in_model["tried"].get<size_t>()) << report.dump(2);
  EXPECT_EQ(in_model["unconfirmed"], 0) << report.dump(2);
  EXPECT_NE(tune.out.find("in the model: tuned values of 0 of"), std::string::npos) << tune.out;
  EXPECT_EQ(TuningFiles(cache).find("\tdelay=0\t"), std::string::npos) << TuningFiles(cache);

  const Command plan = RunHetrun("plan" + devices + kModel, env, "tune");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("0 node(s) compiled with tuned values"), std::string::npos) << plan.out;

  const std::string files = TuningFiles(cache);
  const Command again = RunHetrun("tune" + devices + kModel, env, "tune");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing new"), std::string::npos) << again.out;
  EXPECT_EQ(TuningFiles(cache), files);
}

// Per-node costs miss what only whole runs show: here testdev's HETRUN_TESTDEV_PART_NODE_DELAY_US,
// on a GPU the launch of every kernel inside a part. Its node costs are set tiny (as the CUDA
// plugin's were once clamped), so the plan puts every node on it; tune's whole-model check times
// that plan against the CPU alone, keeps the CPU, and sessions follow.
TEST(CliTune, WholeModelCheckKeepsADeviceAloneThatBeatsThePlan) {
  const fs::path cache = FreshDir("whole_model");
  const std::string env = "HETRUN_TESTDEV_PART_NODE_DELAY_US=2000 HETRUN_TESTDEV_OPS='*'";
  const std::string devices = DeviceArgs("testdev,cpu --threads 1", cache);
  const fs::path json = cache.string() + ".json";
  const Command first = RunHetrun(
      "tune --no-search --repetitions 2 --json " + json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const nlohmann::json measured = nlohmann::json::parse(Slurp(json));
  ASSERT_TRUE(measured.contains("whole_model")) << measured.dump(2);
  SetNodeCosts(measured["devices"][0]["file"].get<std::string>(), "0.01");
  fs::remove_all(cache / "tuning" / "plans");  // so the next run checks again

  const Command checked =
      RunHetrun("tune --no-search --json " + json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  const nlohmann::json report = nlohmann::json::parse(Slurp(json));
  EXPECT_EQ(report["measured"], 0) << report.dump(2);
  const nlohmann::json& whole = report["whole_model"];
  EXPECT_EQ(whole["plan_devices"], "testdev") << whole.dump(2);
  EXPECT_EQ(whole["choice"], "cpu") << whole.dump(2);
  ASSERT_EQ(whole["times"].size(), 2u) << whole.dump(2);
  EXPECT_GT(whole["times"][0]["median_ms"].get<double>(), 12 * 2.0) << whole.dump(2);
  EXPECT_NE(checked.out.find(": cpu alone is used"), std::string::npos) << checked.out;

  const Command plan = RunHetrun("plan --explain" + devices + kModel, env, "tune");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("whole model measured (hetrun tune): cpu alone"), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("1 part(s) on 2 device(s)"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("set aside: hetrun tune measured the whole model faster on cpu alone"),
            std::string::npos)
      << plan.out;
  EXPECT_EQ(plan.out.find("  testdev  "), std::string::npos) << plan.out;

  // Nothing new measured and the check stored: the next run changes nothing.
  const Command again =
      RunHetrun("tune --no-search --json " + json.string() + devices + kModel, env, "tune");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const nlohmann::json unchanged = nlohmann::json::parse(Slurp(json));
  EXPECT_FALSE(unchanged.contains("whole_model")) << unchanged.dump(2);
  EXPECT_EQ(unchanged["changed"], false) << unchanged.dump(2);
}

TEST(CliTune, CtrlCKeepsWhatWasMeasured) {
  const fs::path cache = FreshDir("interrupt");
  // Many slow repetitions, so the run is still measuring when SIGINT comes; the signal is sent
  // once the first tuning file exists (saved about a second into measuring).
  const std::string tune =
      std::string(HETRUN_BINARY_DIR) +
      "/bin/hetrun tune --devices cpu --threads 1 --repetitions 100000 --cache-dir " +
      cache.string() + kShape + kModel;
  const std::string script = "(" + tune + " > " + cache.string() + ".out 2>&1 & pid=$!; " +
                             "for i in $(seq 600); do ls " + cache.string() +
                             "/tuning/*.tsv >/dev/null 2>&1 && break; " +
                             "sleep 0.05; done; kill -INT $pid; wait $pid; echo \"exit=$?\" >> " +
                             cache.string() + ".out)";
  fs::create_directories(cache.parent_path());
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  const std::string out = Slurp(cache.string() + ".out");
  EXPECT_NE(out.find("exit=130"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped early (interrupted)"), std::string::npos) << out;
  const std::string kept = TuningFiles(cache);
  EXPECT_NE(kept.find("\nnode\t"), std::string::npos) << kept;

  // The next run measures only what is missing.
  const Command rest = RunHetrun("tune --devices cpu --threads 1 --repetitions 2 --cache-dir " +
                                     cache.string() + kShape + kModel,
                                 "", "tune");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(rest.out.find(" 0 already measured"), std::string::npos) << rest.out;
  EXPECT_NE(rest.out.find(" 0 not measured"), std::string::npos) << rest.out;
}

// Without --shape the model's dynamic batch dim leaves every node unmeasured: the summary says so
// (not "the cache was complete") and each note says what to do.
TEST(CliTune, DynamicShapesAreNotMeasuredAndTheSummarySaysWhy) {
  const Command r = RunHetrun(
      "tune --devices cpu --cache-dir " + FreshDir("dynamic").string() + " " + kModel, "", "tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("12 not measured"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix the model's dynamic dims with --shape"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing could be measured"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("the tuning cache was complete"), std::string::npos) << r.out;
}

TEST(CliTune, BadUsageIsOneClearLine) {
  const Command no_cache = RunHetrun("tune --devices cpu " + kModel, "", "tune");
  EXPECT_EQ(no_cache.exit_code, 1);
  EXPECT_NE(no_cache.err.find("tune needs --cache-dir DIR"), std::string::npos) << no_cache.err;
  const Command no_model = RunHetrun("tune --devices cpu --cache-dir /tmp/x", "", "tune");
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_NE(no_model.err.find("no model given (usage: hetrun tune"), std::string::npos)
      << no_model.err;
  const Command bad_budget =
      RunHetrun("tune --devices cpu --cache-dir /tmp/x --budget-s soon " + kModel, "", "tune");
  EXPECT_EQ(bad_budget.exit_code, 2);
  EXPECT_NE(bad_budget.err.find("--budget-s"), std::string::npos) << bad_budget.err;
}

}  // namespace
}  // namespace hetrun::test
