// `hetrun tune` as a library: the tuning files, node keys, measuring the tiny CNN on the CPU and
// the testdev device, what a second run does, stopping early, and sessions planning from the
// measurements instead of the estimates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cache/plan_cache.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/runtime/tuning.h"
#include "tuning/node_key.h"
#include "tuning/tuning_store.h"

namespace hetrun::runtime {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(HETRUN_TEST_DATA_DIR) + "/../../models/tiny_cnn.onnx";
// The model's batch dim is dynamic; tuning measures fixed shapes only.
const std::map<std::string, std::vector<int64_t>> kShapes = {{"image", {1, 1, 28, 28}}};

fs::path TempDir(const std::string& tag) {
  const fs::path dir =
      fs::path(HETRUN_BINARY_DIR) / "tuning_test_tmp" / (tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Slurp(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TuneOptions Options(const fs::path& cache, std::vector<std::string> devices) {
  TuneOptions options;
  options.session.devices = std::move(devices);
  options.session.plugin_paths = {HETRUN_TEST_PLUGIN_DIR};
  options.session.threads = 1;
  options.session.cache_dir = cache.string();
  options.session.input_shapes = kShapes;
  options.repetitions = 2;
  return options;
}

core::NodeId NodeNamed(const core::Graph& graph, const std::string& name) {
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (graph.nodes[n].name == name) return static_cast<core::NodeId>(n);
  ADD_FAILURE() << "no node " << name;
  return 0;
}

TEST(TuningStore, RoundTripsAndRejectsDamage) {
  const fs::path dir = TempDir("store");
  const fs::path file = dir / "d.tsv";
  tuning::DeviceTuning t;
  t.identity = "cpu | plugin cpu 1 | threads 1";
  t.part_overhead_us = 12.5;
  t.link = tuning::LinkTiming{3.25, 11.5};
  t.nodes["0123456789abcdef"] = {42.5, 5, "Conv 1x3x8x8"};
  t.nodes["fedcba9876543210"] = {7,  3,  "MatMul 64x64", true, {{"block_m", 4}, {"variant", 1}},
                                 20, 7.5};
  t.nodes["00000000000000aa"] = {1, 3, "Relu 4", true, {}, 1, 1};
  ASSERT_TRUE(tuning::SaveTuning(file, t).ok());

  Result<std::optional<tuning::DeviceTuning>> loaded = tuning::LoadTuning(file, t.identity);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->part_overhead_us, 12.5);
  EXPECT_EQ((*loaded)->link->gbps, 11.5);
  EXPECT_EQ((*loaded)->nodes.at("0123456789abcdef").cost_us, 42.5);
  EXPECT_EQ((*loaded)->nodes.at("0123456789abcdef").label, "Conv 1x3x8x8");
  EXPECT_FALSE((*loaded)->nodes.at("0123456789abcdef").searched);
  const tuning::NodeCost& matmul = (*loaded)->nodes.at("fedcba9876543210");
  EXPECT_TRUE(matmul.searched);
  EXPECT_EQ(matmul.tuning, (NodeTuning{{"block_m", 4}, {"variant", 1}}));
  EXPECT_EQ(matmul.default_us, 20);
  EXPECT_EQ(matmul.tuned_us, 7.5);
  EXPECT_TRUE((*loaded)->nodes.at("00000000000000aa").searched);  // searched, nothing tunable
  EXPECT_TRUE((*loaded)->nodes.at("00000000000000aa").tuning.empty());

  // Absent: no measurements, not an error.
  Result<std::optional<tuning::DeviceTuning>> absent = tuning::LoadTuning(dir / "none.tsv", "x");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  // Another device's file (a hash collision) is refused, naming what it holds.
  Result<std::optional<tuning::DeviceTuning>> other = tuning::LoadTuning(file, "vulkan | other");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("measured on another device"), std::string::npos);
  // A damaged line is named.
  std::ofstream(file, std::ios::app) << "node\tnot-a-key\tabc\n";
  Result<std::optional<tuning::DeviceTuning>> damaged = tuning::LoadTuning(file, t.identity);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find("line 7"), std::string::npos)
      << damaged.status().message();
}

TEST(NodeTuningText, RoundTripsAndRejectsWhatIsNotNameEqualsInteger) {
  const NodeTuning values = {{"block_m", 4}, {"local_size", -64}};
  EXPECT_EQ(FormatNodeTuning(values), "block_m=4,local_size=-64");
  EXPECT_EQ(ParseNodeTuning("block_m=4,local_size=-64"), values);
  EXPECT_EQ(ParseNodeTuning(""), NodeTuning{});
  for (const char* bad : {"block_m", "=4", "block_m=", "block_m=4x", "Block=1", "a=1,,b=2", "a=1,"})
    EXPECT_FALSE(ParseNodeTuning(bad).has_value()) << bad;
}

TEST(NodeKey, DependsOnWhatTheNodeComputesNotOnItsName) {
  core::ImportOptions import;
  import.input_shapes = kShapes;
  Result<core::Graph> graph = core::ImportOnnxFile(kModel, import);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const core::Graph& g = *graph;
  // block_a_relu and residual_relu: Relu on the same shape.
  EXPECT_EQ(tuning::NodeKey(g, NodeNamed(g, "block_a_relu")),
            tuning::NodeKey(g, NodeNamed(g, "residual_relu")));
  EXPECT_NE(tuning::NodeKey(g, NodeNamed(g, "block_a_conv")),
            tuning::NodeKey(g, NodeNamed(g, "stem_conv")));
  core::Graph renamed = g;
  renamed.nodes[NodeNamed(g, "stem_conv")].name = "another_name";
  EXPECT_EQ(tuning::NodeKey(renamed, NodeNamed(g, "stem_conv")),
            tuning::NodeKey(g, NodeNamed(g, "stem_conv")));
  core::Graph padded = g;
  for (core::Attribute& a : padded.nodes[NodeNamed(g, "stem_conv")].attributes)
    if (a.name == "pads") a.ints = {0, 0, 0, 0};
  EXPECT_NE(tuning::NodeKey(padded, NodeNamed(g, "stem_conv")),
            tuning::NodeKey(g, NodeNamed(g, "stem_conv")));
  EXPECT_TRUE(tuning::HasStaticShapes(g, NodeNamed(g, "stem_conv")));
  Result<core::Graph> dynamic = core::ImportOnnxFile(kModel);
  ASSERT_TRUE(dynamic.ok());
  EXPECT_FALSE(tuning::HasStaticShapes(*dynamic, NodeNamed(*dynamic, "stem_conv")));
}

TEST(Tune, NeedsACacheDirectory) {
  TuneOptions options = Options("", {"cpu"});
  options.session.cache_dir.clear();
  Result<TuneReport> report = Tune(kModel, options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("--cache-dir"), std::string::npos);
}

TEST(Tune, MeasuresEverySupportedNodeOnceAndASecondRunChangesNothing) {
  const fs::path cache = TempDir("twice");
  Result<TuneReport> first = Tune(kModel, Options(cache, {"testdev", "cpu"}));
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->devices.size(), 2u);
  const DeviceTuneReport& testdev = first->devices[0];
  const DeviceTuneReport& cpu = first->devices[1];
  EXPECT_EQ(cpu.supported, 12u);
  EXPECT_EQ(testdev.supported, 11u);  // not Flatten (HETRUN_TESTDEV_OPS)
  EXPECT_EQ(cpu.measured, cpu.supported);
  EXPECT_EQ(cpu.already_measured, 0u);
  EXPECT_EQ(cpu.not_measured, 0u) << (cpu.notes.empty() ? "" : cpu.notes[0]);
  EXPECT_EQ(testdev.not_measured, 0u) << (testdev.notes.empty() ? "" : testdev.notes[0]);
  EXPECT_GT(testdev.part_overhead_us, 0);
  EXPECT_GT(testdev.link_gbps, 0);
  EXPECT_FALSE(first->stopped_early);
  ASSERT_TRUE(fs::exists(cpu.file));
  const std::string cpu_bytes = Slurp(cpu.file), testdev_bytes = Slurp(testdev.file);
  // Identical nodes (the Relus on one shape) are timed once: fewer node lines than nodes.
  const size_t node_lines =
      static_cast<size_t>(std::count(cpu_bytes.begin(), cpu_bytes.end(), '\n')) - 3;
  EXPECT_LT(node_lines, cpu.supported);
  const auto cpu_time = fs::last_write_time(cpu.file);

  Result<TuneReport> second = Tune(kModel, Options(cache, {"testdev", "cpu"}));
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_FALSE(second->changed());
  EXPECT_EQ(second->devices[1].already_measured, cpu.supported);
  EXPECT_EQ(Slurp(cpu.file), cpu_bytes);
  EXPECT_EQ(Slurp(testdev.file), testdev_bytes);
  EXPECT_EQ(fs::last_write_time(cpu.file), cpu_time);  // not even rewritten

  // --retune measures everything again.
  TuneOptions retune = Options(cache, {"cpu"});
  retune.retune = true;
  Result<TuneReport> third = Tune(kModel, retune);
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_EQ(third->devices[0].measured, cpu.measured);
}

TEST(Tune, AnInterruptedRunKeepsWhatItMeasuredAndTheNextOneFinishes) {
  const fs::path cache = TempDir("interrupt");
  std::atomic<bool> interrupt{false};
  TuneOptions options = Options(cache, {"cpu"});
  options.interrupt = &interrupt;
  // Interrupted while the fourth node is measured (after the overhead, the link and three
  // nodes): that measurement finishes, then the run stops.
  options.progress = [&](const TuneProgress& p) {
    if (p.done >= 5) interrupt.store(true);
  };
  Result<TuneReport> stopped = Tune(kModel, options);
  ASSERT_TRUE(stopped.ok()) << stopped.status().message();
  EXPECT_TRUE(stopped->stopped_early);
  EXPECT_EQ(stopped->stop_reason, "interrupted");
  const size_t kept = stopped->devices[0].measured;
  EXPECT_EQ(kept, 4u);

  Result<TuneReport> rest = Tune(kModel, Options(cache, {"cpu"}));
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  EXPECT_FALSE(rest->stopped_early);
  const DeviceTuneReport& d = rest->devices[0];
  EXPECT_EQ(d.not_measured, 0u);
  // The interrupted run's measurements were kept; a node stopped in the middle of its parameter
  // search kept its defaults' cost but is searched again.
  EXPECT_GE(d.already_measured + 1, kept);
  EXPECT_GT(d.measured, 0u);
}

// A device failing the part-overhead probe keeps its own figures, and its nodes are still measured.
TEST(Tune, AFailedProbeIsANoteNotAFailure) {
  setenv("HETRUN_TESTDEV_FAULT", "error", 1);
  setenv("HETRUN_TESTDEV_FAIL_EXECUTABLE", "0", 1);  // the first compiled: the overhead probe
  Result<TuneReport> report = Tune(kModel, Options(TempDir("probe"), {"testdev", "cpu"}));
  unsetenv("HETRUN_TESTDEV_FAULT");
  unsetenv("HETRUN_TESTDEV_FAIL_EXECUTABLE");
  ASSERT_TRUE(report.ok()) << report.status().message();
  const DeviceTuneReport& d = report->devices[0];
  EXPECT_EQ(d.part_overhead_us, 0);
  ASSERT_FALSE(d.notes.empty());
  EXPECT_NE(d.notes[0].find("part overhead: not measured: "), std::string::npos) << d.notes[0];
  EXPECT_NE(d.notes[0].find("injected error"), std::string::npos) << d.notes[0];
  EXPECT_EQ(d.measured, d.supported);
}

TEST(Tune, AnExhaustedBudgetStopsWithoutError) {
  TuneOptions options = Options(TempDir("budget"), {"cpu"});
  options.budget_s = 1e-9;
  Result<TuneReport> report = Tune(kModel, options);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->stopped_early);
  EXPECT_NE(report->stop_reason.find("budget"), std::string::npos);
  EXPECT_EQ(report->measured(), 0u);
  EXPECT_EQ(report->devices[0].not_measured, report->devices[0].supported);
}

// Measured costs replace the estimates: testdev measured (here: said) to be slow at convolutions
// loses them to the CPU, where the estimates had put them on testdev.
TEST(MeasuredCosts, ReplaceEstimatesInThePlanAndInvalidateCachedPlans) {
  const fs::path cache = TempDir("plan");
  SessionOptions options;
  options.devices = {"testdev", "cpu"};
  options.plugin_paths = {HETRUN_TEST_PLUGIN_DIR};
  options.threads = 1;
  options.input_shapes = kShapes;
  options.plan_only = true;
  options.cache_dir = cache.string();
  Result<std::unique_ptr<Session>> before = Session::Create(kModel, options);
  ASSERT_TRUE(before.ok()) << before.status().message();
  const core::Graph& graph = (*before)->graph();
  const core::NodeId conv = NodeNamed(graph, "block_a_conv");
  const int cpu = 1, testdev = 0;
  EXPECT_EQ((*before)->plan().node_device[conv], testdev);  // estimated at half the CPU's cost
  EXPECT_NE((*before)->plan().answers[testdev][conv].source, partitioner::CostSource::kMeasured);
  EXPECT_EQ((*before)->cache_info().status, "miss");

  tuning::DeviceTuning slow_convs;
  slow_convs.identity = tuning::DeviceIdentity(*(*before)->devices()[testdev], options.threads);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (graph.nodes[n].op_type == "Conv")
      slow_convs.nodes[tuning::NodeKey(graph, static_cast<core::NodeId>(n))] = {1e5, 3, "Conv"};
  ASSERT_TRUE(
      tuning::SaveTuning(tuning::TuningFile(options.cache_dir, slow_convs.identity), slow_convs)
          .ok());

  Result<std::unique_ptr<Session>> after = Session::Create(kModel, options);
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ((*after)->cache_info().status, "miss");  // the plan made before tuning is not reused
  const partitioner::Plan& plan = (*after)->plan();
  EXPECT_EQ(plan.node_device[conv], cpu);
  EXPECT_EQ(plan.answers[testdev][conv].source, partitioner::CostSource::kMeasured);
  EXPECT_DOUBLE_EQ(plan.answers[testdev][conv].cost_us, 1e5);
  EXPECT_NE(plan.answers[cpu][conv].source, partitioner::CostSource::kMeasured);

  // The plan cache keeps where each cost came from.
  Result<std::unique_ptr<Session>> again = Session::Create(kModel, options);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->cache_info().status, "hit");
  EXPECT_EQ((*again)->plan().answers[testdev][conv].source, partitioner::CostSource::kMeasured);
  EXPECT_EQ((*again)->plan().node_device[conv], cpu);
}

TEST(MeasuredCosts, ADamagedTuningFileIsAWarningAndEstimatesAreUsed) {
  const fs::path cache = TempDir("damaged");
  SessionOptions options;
  options.devices = {"cpu"};
  options.threads = 1;
  options.input_shapes = kShapes;
  options.plan_only = true;
  options.cache_dir = cache.string();
  Result<std::unique_ptr<Session>> first = Session::Create(kModel, options);
  ASSERT_TRUE(first.ok()) << first.status().message();
  const std::string identity = tuning::DeviceIdentity(*(*first)->devices()[0], options.threads);
  const fs::path file = tuning::TuningFile(options.cache_dir, identity);
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "garbage\n";
  Result<std::unique_ptr<Session>> second = Session::Create(kModel, options);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_NE((*second)->cache_info().warning.find("not a hetrun tuning file"), std::string::npos)
      << (*second)->cache_info().warning;
  for (const partitioner::NodeAnswer& a : (*second)->plan().answers[0])
    EXPECT_NE(a.source, partitioner::CostSource::kMeasured);
}

}  // namespace
}  // namespace hetrun::runtime
