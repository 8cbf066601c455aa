// The compiled-plan cache: hash, key, graph serialisation, the entry format and its defences, and
// a session created twice through it.
#include <gtest/gtest.h>
#include <unistd.h>
#include <cstdlib>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cache/content_hash.h"
#include "cache/graph_serializer.h"
#include "cache/plan_cache.h"
#include "cache/session_cache_key.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/core/tensor_compare.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime::cache {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(HETRUN_TEST_DATA_DIR) + "/../../models/tiny_cnn.onnx";

fs::path TempDir(const std::string& tag) {
  const fs::path dir = fs::path(HETRUN_BINARY_DIR) / "plan_cache_test_tmp" /
                       (tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

core::Graph TinyCnn() {
  Result<core::Graph> graph = core::ImportOnnxFile(kModel);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return std::move(graph).value();
}

partitioner::CapabilityTable AnswersFor(const core::Graph& graph) {
  partitioner::CapabilityTable answers(1);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    answers[0].push_back({n % 2 == 0, 1.5 * static_cast<double>(n), n % 2 ? "why not" : ""});
  return answers;
}

CacheKey KeyOf(const std::string& text) {
  CacheKey key;
  key.Add("test", text);
  return key;
}

TEST(ContentHash, IsXxh3) {  // the published XXH3-64 values
  EXPECT_EQ(HashHex(ContentHash64("", 0)), "2d06800538d394c2");
  EXPECT_EQ(HashHex(ContentHash64("abc", 3)), "78af5f94892f3950");
  const std::string big(1000, 'x');
  std::string changed = big;
  changed[999] = 'y';
  EXPECT_NE(ContentHash64(big), ContentHash64(changed));
}

TEST(GraphSerializer, RoundTripsAnImportedModel) {
  const core::Graph graph = TinyCnn();
  ByteWriter w;
  SerializeGraph(graph, w);
  ByteReader r(w.bytes());
  Result<core::Graph> back = DeserializeGraph(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(r.empty());
  ASSERT_EQ(back->nodes.size(), graph.nodes.size());
  ASSERT_EQ(back->values.size(), graph.values.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    EXPECT_EQ(back->nodes[n].op_type, graph.nodes[n].op_type);
    EXPECT_EQ(back->nodes[n].inputs, graph.nodes[n].inputs);
    EXPECT_EQ(back->nodes[n].attributes.size(), graph.nodes[n].attributes.size());
  }
  int constants = 0;
  for (size_t v = 0; v < graph.values.size(); ++v) {
    EXPECT_EQ(back->values[v].name, graph.values[v].name);
    EXPECT_EQ(back->values[v].shape.ToString(), graph.values[v].shape.ToString());
    ASSERT_EQ(back->values[v].constant != nullptr, graph.values[v].constant != nullptr);
    if (!graph.values[v].constant) continue;
    ++constants;
    const core::Tensor& a = *graph.values[v].constant;
    const core::Tensor& b = *back->values[v].constant;
    ASSERT_EQ(a.byte_size(), b.byte_size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.byte_size()), 0) << graph.values[v].name;
  }
  EXPECT_GT(constants, 0);
}

TEST(GraphSerializer, KeepsContainerValueTypes) {
  core::Graph graph;
  core::Value seq;
  seq.name = "s";
  seq.dtype = core::DType::kOptional;
  seq.element_dtype = core::DType::kFloat32;
  seq.optional_of_sequence = true;
  seq.shape.rank_known = true;
  seq.shape.dims.push_back({-1, "bytes"});
  graph.inputs.push_back(graph.AddValue(seq));
  graph.outputs = graph.inputs;
  ASSERT_TRUE(graph.Verify().ok());
  ByteWriter w;
  SerializeGraph(graph, w);
  ByteReader r(w.bytes());
  Result<core::Graph> back = DeserializeGraph(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  const core::Value& v = back->values.at(0);
  EXPECT_EQ(v.dtype, core::DType::kOptional);
  EXPECT_EQ(v.element_dtype, core::DType::kFloat32);
  EXPECT_TRUE(v.optional_of_sequence);
  EXPECT_EQ(v.shape.ToString(), seq.shape.ToString());
}

TEST(GraphSerializer, RejectsEveryTruncation) {
  const core::Graph graph = TinyCnn();
  ByteWriter w;
  SerializeGraph(graph, w);
  const std::string& bytes = w.bytes();
  // Every prefix fails cleanly (no crash, no huge allocation); step to keep the test quick.
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 8) {
    ByteReader r(std::string_view(bytes).substr(0, cut));
    EXPECT_FALSE(DeserializeGraph(r).ok()) << cut;
  }
}

// Constants sit at 64-byte offsets of the entry: read from aligned memory that an owner keeps alive
// they are views (no copy), from anywhere else they are copies with the same values.
TEST(GraphSerializer, ViewsAlignedConstantsInPlace) {
  const core::Graph graph = TinyCnn();
  ByteWriter w;
  SerializeGraph(graph, w);
  auto owner = std::shared_ptr<char>(
      static_cast<char*>(std::aligned_alloc(64, (w.bytes().size() + 63) / 64 * 64)), std::free);
  std::memcpy(owner.get(), w.bytes().data(), w.bytes().size());
  const std::string_view aligned(owner.get(), w.bytes().size());
  for (const bool with_owner : {true, false}) {
    ByteReader r(aligned);
    Result<core::Graph> back = DeserializeGraph(r, with_owner ? owner : nullptr);
    ASSERT_TRUE(back.ok()) << back.status().message();
    int constants = 0;
    for (size_t v = 0; v < graph.values.size(); ++v) {
      if (!graph.values[v].constant) continue;
      ++constants;
      const core::Tensor& got = *back->values[v].constant;
      const char* data = static_cast<const char*>(got.data());
      EXPECT_EQ(data >= aligned.data() && data < aligned.data() + aligned.size(), with_owner);
      ASSERT_EQ(got.byte_size(), graph.values[v].constant->byte_size());
      EXPECT_EQ(std::memcmp(data, graph.values[v].constant->data(), got.byte_size()), 0);
    }
    EXPECT_GT(constants, 0);
  }
  // The owner stays alive as long as a view does.
  ByteReader r(aligned);
  Result<core::Graph> back = DeserializeGraph(r, owner);
  ASSERT_TRUE(back.ok());
  const long before = owner.use_count();
  owner.reset();
  EXPECT_GE(before, 2);
}

TEST(CacheEntry, RoundTripsAndChecksEverything) {
  const core::Graph graph = TinyCnn();
  const partitioner::CapabilityTable answers = AnswersFor(graph);
  const CacheKey key = KeyOf("a");
  const std::string bytes = EncodeEntry(key, graph, answers);

  Result<CacheEntry> entry = DecodeEntry(bytes, key);
  ASSERT_TRUE(entry.ok()) << entry.status().message();
  EXPECT_EQ(entry->graph.nodes.size(), graph.nodes.size());
  ASSERT_EQ(entry->answers.size(), 1u);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    EXPECT_EQ(entry->answers[0][n].supported, answers[0][n].supported);
    EXPECT_EQ(entry->answers[0][n].cost_us, answers[0][n].cost_us);
    EXPECT_EQ(entry->answers[0][n].reason, answers[0][n].reason);
  }

  auto error_of = [&](const std::string& damaged, const CacheKey& k) {
    Result<CacheEntry> r = DecodeEntry(damaged, k);
    return r.ok() ? std::string("accepted") : r.status().message();
  };
  EXPECT_NE(error_of(bytes, KeyOf("b")).find("another key"), std::string::npos);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_NE(error_of(flipped, key).find("hash mismatch"), std::string::npos);
  EXPECT_NE(error_of(bytes.substr(0, bytes.size() - 1), key).find("truncated"), std::string::npos);
  std::string foreign = bytes;
  foreign[0] = 'X';
  EXPECT_NE(error_of(foreign, key).find("not a hetrun"), std::string::npos);
  std::string newer = bytes;
  newer[8] = 99;
  EXPECT_NE(error_of(newer, key).find("entry format 99"), std::string::npos);
  EXPECT_NE(error_of("", key), "accepted");
}

TEST(PlanCache, StoresAtomicallyAndLoads) {
  const fs::path dir = TempDir("store") / "made_on_demand";
  const PlanCache cache(dir);
  const core::Graph graph = TinyCnn();
  const CacheKey key = KeyOf("x");
  Result<std::optional<CacheEntry>> none = cache.Load(key);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(cache.Store(key, graph, AnswersFor(graph)).ok());
  EXPECT_EQ(cache.EntryPath(key).filename().string(), key.hex() + ".hplan");
  int files = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(f.path(), cache.EntryPath(key));  // no temporary file left behind
  }
  EXPECT_EQ(files, 1);
  Result<std::optional<CacheEntry>> hit = cache.Load(key);
  ASSERT_TRUE(hit.ok()) << hit.status().message();
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->graph.nodes.size(), graph.nodes.size());

  // A damaged file is an error naming the file, not a crash or a hit.
  std::fstream f(cache.EntryPath(key), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.write("garbage!", 8);
  f.close();
  Result<std::optional<CacheEntry>> damaged = cache.Load(key);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find(cache.EntryPath(key).string()), std::string::npos);
}

TEST(CacheKey, FindsExternalDataLocations) {
  std::string bytes = "junk";
  bytes += std::string("\x0a\x08location\x12\x0bweights.bin", 23);
  bytes += "more";
  bytes += std::string("\x0a\x08location\x12\x0bweights.bin", 23);  // listed once
  bytes += std::string("\x0a\x08location\x12\x05", 12);             // cut short: ignored
  EXPECT_EQ(ExternalDataLocations(bytes), std::vector<std::string>{"weights.bin"});
  EXPECT_TRUE(ExternalDataLocations("no external data").empty());
}

TEST(CacheKey, ChangesWithEveryInputThatShapesThePlan) {
  const std::string model = "model bytes";
  const std::vector<std::unique_ptr<Device>> no_devices;
  SessionOptions base;
  const std::string text = BuildCacheKey("m.onnx", model, base, no_devices).text();
  EXPECT_EQ(BuildCacheKey("m.onnx", model, base, no_devices).text(), text);
  EXPECT_NE(BuildCacheKey("m.onnx", "model bytes!", base, no_devices).text(), text);

  std::vector<SessionOptions> changed(6, base);
  changed[0].partition = partitioner::Strategy::kPriority;
  changed[1].input_shapes["x"] = {1, 3};
  changed[2].pins.push_back({"Conv*", "cpu"});
  changed[3].device_memory["cpu"] = 1 << 20;
  changed[4].threads = 3;
  changed[5].replay = {{"n0", "cpu"}};
  for (size_t i = 0; i < changed.size(); ++i)
    EXPECT_NE(BuildCacheKey("m.onnx", model, changed[i], no_devices).text(), text) << i;
  // Run-time options do not split the cache.
  SessionOptions run_only = base;
  run_only.timeout_ms = 5;
  run_only.verify_finite = true;
  EXPECT_EQ(BuildCacheKey("m.onnx", model, run_only, no_devices).text(), text);
}

TEST(SessionCache, SecondSessionHitsAndComputesTheSame) {
  const fs::path dir = TempDir("session");
  SessionOptions options;
  options.cache_dir = dir.string();
  Result<std::unique_ptr<Session>> cold = Session::Create(kModel, options);
  ASSERT_TRUE(cold.ok()) << cold.status().message();
  EXPECT_EQ((*cold)->cache_info().status, "miss");
  EXPECT_TRUE(fs::exists((*cold)->cache_info().entry));
  Result<std::unique_ptr<Session>> warm = Session::Create(kModel, options);
  ASSERT_TRUE(warm.ok()) << warm.status().message();
  EXPECT_EQ((*warm)->cache_info().status, "hit");
  EXPECT_EQ((*warm)->cache_info().key, (*cold)->cache_info().key);
  EXPECT_EQ((*warm)->plan().parts.size(), (*cold)->plan().parts.size());

  std::map<std::string, core::Tensor> inputs;
  for (const IoInfo& in : (*cold)->inputs()) {
    std::vector<int64_t> dims = in.shape.sizes();
    for (int64_t& d : dims) d = d < 0 ? 2 : d;  // the dynamic batch
    Result<core::Tensor> t = core::Tensor::Create(in.dtype, dims);
    ASSERT_TRUE(t.ok());
    float* data = t->mutable_data_as<float>();
    for (int64_t i = 0; i < t->element_count(); ++i) data[i] = static_cast<float>(i % 7) * 0.1f;
    inputs[in.name] = *t;
  }
  Result<std::vector<core::Tensor>> a = (*cold)->Run(inputs);
  Result<std::vector<core::Tensor>> b = (*warm)->Run(inputs);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    ASSERT_EQ((*a)[i].byte_size(), (*b)[i].byte_size());
    EXPECT_EQ(std::memcmp((*a)[i].data(), (*b)[i].data(), (*a)[i].byte_size()), 0);
  }

  // A different option is another entry.
  options.partition = partitioner::Strategy::kPriority;
  Result<std::unique_ptr<Session>> other = Session::Create(kModel, options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->cache_info().status, "miss");
  EXPECT_NE((*other)->cache_info().key, (*cold)->cache_info().key);
}

TEST(SessionCache, DamagedEntryIsRebuiltWithAWarning) {
  const fs::path dir = TempDir("damaged");
  SessionOptions options;
  options.cache_dir = dir.string();
  Result<std::unique_ptr<Session>> cold = Session::Create(kModel, options);
  ASSERT_TRUE(cold.ok()) << cold.status().message();
  const std::string entry = (*cold)->cache_info().entry;
  fs::resize_file(entry, fs::file_size(entry) / 2);
  Result<std::unique_ptr<Session>> rebuilt = Session::Create(kModel, options);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().message();
  EXPECT_EQ((*rebuilt)->cache_info().status, "rebuilt");
  EXPECT_NE((*rebuilt)->cache_info().warning.find("truncated"), std::string::npos)
      << (*rebuilt)->cache_info().warning;
  Result<std::unique_ptr<Session>> warm = Session::Create(kModel, options);
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ((*warm)->cache_info().status, "hit");
}

TEST(SessionCache, UnwritableDirectoryOnlyWarns) {
  const fs::path dir = TempDir("unwritable");
  const fs::path file = dir / "a_file";
  std::ofstream(file) << "not a directory";
  SessionOptions options;
  options.cache_dir = (file / "cache").string();
  Result<std::unique_ptr<Session>> session = Session::Create(kModel, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  EXPECT_EQ((*session)->cache_info().status, "miss");
  EXPECT_NE((*session)->cache_info().warning.find("not cached"), std::string::npos);
}

}  // namespace
}  // namespace hetrun::runtime::cache
