// `hetrun --cache-dir`: cold then warm runs give identical outputs, the report says hit or miss,
// a damaged entry is rebuilt with a warning, and a changed option is another entry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_support.h"

namespace hetrun::test {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(HETRUN_SOURCE_DIR) + "/models/tiny_cnn.onnx";

struct CachedRun {
  Command command;
  nlohmann::json report;
  std::string output;  // the output .npy's bytes
};

CachedRun RunCached(const fs::path& dir, const std::string& tag, const std::string& extra = "") {
  static int n = 0;
  const fs::path scratch = CliTempDir("cache");
  const fs::path report = scratch / ("report_" + std::to_string(n) + ".json");
  const fs::path out = scratch / ("out_" + std::to_string(n++));
  CachedRun run;
  run.command = RunHetrun("--devices cpu --cache-dir " + dir.string() + " --report-json " +
                              report.string() + " -o " + out.string() + " " + extra + " " + kModel,
                          "", tag);
  if (run.command.exit_code == 0) {
    run.report = nlohmann::json::parse(Slurp(report));
    for (const auto& f : fs::directory_iterator(out)) run.output += Slurp(f.path());
  }
  return run;
}

fs::path FreshCacheDir(const std::string& name) {
  const fs::path dir = CliTempDir("cache") / name;
  fs::remove_all(dir);
  return dir;
}

TEST(CliCache, ColdThenWarmGiveIdenticalOutputs) {
  const fs::path dir = FreshCacheDir("cold_warm");
  const CachedRun cold = RunCached(dir, "cold");
  ASSERT_EQ(cold.command.exit_code, 0) << cold.command.err;
  EXPECT_EQ(cold.report["cache"]["status"], "miss");
  EXPECT_TRUE(fs::exists(cold.report["cache"]["entry"].get<std::string>()));
  EXPECT_NE(cold.command.out.find("cache   miss"), std::string::npos) << cold.command.out;

  const CachedRun warm = RunCached(dir, "warm");
  ASSERT_EQ(warm.command.exit_code, 0) << warm.command.err;
  EXPECT_EQ(warm.report["cache"]["status"], "hit");
  EXPECT_EQ(warm.report["cache"]["key"], cold.report["cache"]["key"]);
  EXPECT_EQ(warm.report["cache"]["warning"], "");
  EXPECT_TRUE(warm.command.err.empty()) << warm.command.err;
  ASSERT_FALSE(cold.output.empty());
  EXPECT_EQ(warm.output, cold.output);  // byte for byte
  EXPECT_EQ(warm.report["plan"], cold.report["plan"]);
  EXPECT_GE(warm.report["session_create_ms"].get<double>(), 0.0);
}

TEST(CliCache, DamagedEntryWarnsAndIsRebuilt) {
  const fs::path dir = FreshCacheDir("damaged");
  const CachedRun cold = RunCached(dir, "damaged_cold");
  ASSERT_EQ(cold.command.exit_code, 0) << cold.command.err;
  const std::string entry = cold.report["cache"]["entry"];
  {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(entry) / 2));
    f.write("\xde\xad\xbe\xef", 4);
  }
  const CachedRun damaged = RunCached(dir, "damaged_run");
  ASSERT_EQ(damaged.command.exit_code, 0) << damaged.command.err;
  EXPECT_EQ(damaged.report["cache"]["status"], "rebuilt");
  EXPECT_NE(damaged.command.err.find("warning: --cache-dir"), std::string::npos)
      << damaged.command.err;
  EXPECT_NE(damaged.command.err.find("hash mismatch"), std::string::npos) << damaged.command.err;
  EXPECT_EQ(damaged.output, cold.output);

  // Not a cache entry at all (another program's file under the entry's name).
  std::ofstream(entry, std::ios::trunc) << "hello";
  const CachedRun foreign = RunCached(dir, "foreign");
  ASSERT_EQ(foreign.command.exit_code, 0) << foreign.command.err;
  EXPECT_EQ(foreign.report["cache"]["status"], "rebuilt");
  EXPECT_NE(foreign.command.err.find("not a hetrun plan cache entry"), std::string::npos);

  const CachedRun again = RunCached(dir, "damaged_again");
  ASSERT_EQ(again.command.exit_code, 0) << again.command.err;
  EXPECT_EQ(again.report["cache"]["status"], "hit");
  EXPECT_EQ(again.output, cold.output);
}

TEST(CliCache, ChangedOptionIsAMiss) {
  const fs::path dir = FreshCacheDir("options");
  const CachedRun cost = RunCached(dir, "cost");
  ASSERT_EQ(cost.command.exit_code, 0) << cost.command.err;
  const CachedRun priority = RunCached(dir, "priority", "--partition priority");
  ASSERT_EQ(priority.command.exit_code, 0) << priority.command.err;
  EXPECT_EQ(priority.report["cache"]["status"], "miss");
  EXPECT_NE(priority.report["cache"]["key"], cost.report["cache"]["key"]);
  const CachedRun threads = RunCached(dir, "threads", "--threads 1");
  EXPECT_EQ(threads.report["cache"]["status"], "miss");
  // Back to the first options: still there.
  EXPECT_EQ(RunCached(dir, "cost_again").report["cache"]["status"], "hit");
}

TEST(CliCache, CpuPluginKeepsItsOwnEntries) {
  const fs::path dir = FreshCacheDir("plugin");
  ASSERT_EQ(RunCached(dir, "plugin").command.exit_code, 0);
  ASSERT_TRUE(fs::is_directory(dir / "cpu"));
  int entries = 0;
  for (const auto& f : fs::directory_iterator(dir / "cpu")) {
    EXPECT_EQ(f.path().extension(), ".bin") << f.path();  // no temporary file left
    ++entries;
  }
  EXPECT_GT(entries, 0);  // tiny_cnn's Relu and Add go through the JIT
}

TEST(CliCache, DamagedPluginEntryIsIgnoredWithAWarning) {
  const fs::path dir = FreshCacheDir("plugin_damaged");
  const CachedRun cold = RunCached(dir, "plugin_cold");
  ASSERT_EQ(cold.command.exit_code, 0) << cold.command.err;
  fs::remove(cold.report["cache"]["entry"].get<std::string>());  // so the plugin compiles again
  for (const auto& f : fs::directory_iterator(dir / "cpu")) {
    std::fstream file(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(f.path()) - 8));
    file.write("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  }
  const CachedRun damaged = RunCached(dir, "plugin_damaged");
  ASSERT_EQ(damaged.command.exit_code, 0) << damaged.command.err;
  EXPECT_NE(damaged.command.err.find("cpu compile cache: ignored"), std::string::npos)
      << damaged.command.err;
  EXPECT_NE(damaged.command.err.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(damaged.output, cold.output);
  // Rewritten: the next process finds good entries and says nothing.
  fs::remove(damaged.report["cache"]["entry"].get<std::string>());
  const CachedRun again = RunCached(dir, "plugin_again");
  EXPECT_EQ(again.command.err, "");
  EXPECT_EQ(again.output, cold.output);
}

TEST(CliCache, EmptyDirectoryIsRefused) {
  const Command c = RunHetrun("--cache-dir '' " + kModel, "", "empty");
  EXPECT_EQ(c.exit_code, 2) << c.err;
  EXPECT_NE(c.err.find("--cache-dir"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace hetrun::test
