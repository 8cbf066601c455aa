// Mutation test (reliability.md §5.1 L2, scaled to a CI budget): derives broken models from valid
// ones, deterministically from a seed, half by protobuf-aware edits (a dim, a dtype, an attribute's
// value or type, an input name, a dropped or duplicated node, truncated raw_data ...) and half by
// byte flips, truncations and insertions in the serialized bytes. Each mutant is imported; some of
// those that import are run on the CPU with a part timeout and tiny inputs. The only assertion is
// that every call returns: a crash, hang or sanitizer report is the failure.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "hetrun/core/onnx_import.h"
#include "reliability_support.h"

namespace hetrun::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kDefaultMutants = 10000;  // sanitizers are ~10x slower; CI keeps its time budget
constexpr int kRunEvery = 4;            // runs are dearer than imports: one importing mutant in 4
#else
constexpr int kDefaultMutants = 100000;
constexpr int kRunEvery = 1;
#endif

int MutantCount() {
  const char* env = std::getenv("HETRUN_MUTANTS");  // e.g. 100000 for a long local run
  return env ? std::atoi(env) : kDefaultMutants;
}

struct Seed {
  std::string name, dir, bytes;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Valid models only: those that import as they are.
std::vector<Seed> LoadSeeds() {
  std::vector<std::filesystem::path> paths = {std::filesystem::path(HETRUN_SOURCE_DIR) / "models" /
                                              "tiny_cnn.onnx"};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(HETRUN_TEST_MODELS_DIR, ec))
    if (entry.path().extension() == ".onnx") paths.push_back(entry.path());
  // The corpus's legal-but-odd cases (zero-size tensors, odd names, nesting, external data).
  for (const auto& entry : std::filesystem::directory_iterator(HETRUN_MALFORMED_DIR, ec))
    if (entry.is_directory()) paths.push_back(entry.path() / "model.onnx");
  std::sort(paths.begin() + 1, paths.end());
  std::vector<Seed> seeds;
  for (const auto& path : paths) {
    if (!core::ImportOnnxFile(path.string()).ok()) continue;
    const std::string name = path.filename() == "model.onnx"
                                 ? path.parent_path().filename().string()
                                 : path.filename().string();
    seeds.push_back({name, path.parent_path().string(), ReadAll(path)});
  }
  return seeds;
}

// A Loop's trip count is data: a mutant can make it 2^62. Such mutants run with a short part
// timeout; closing the session then cancels the Loop still running in the CPU plugin.
bool HasLoop(const core::Graph& graph) {
  for (const core::Node& node : graph.nodes) {
    if (node.op_type == "Loop") return true;
    for (const core::Attribute& a : node.attributes)
      if (a.graph && HasLoop(*a.graph)) return true;
  }
  return false;
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  bool Coin() { return Below(2) == 0; }

  int64_t OddInt() {
    static const int64_t kValues[] = {0,         1,         -1,        2,         3,
                                      -2,        7,         255,       64,        1 << 16,
                                      INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, int64_t{1} << 40};
    return Coin() ? kValues[Below(std::size(kValues))] : static_cast<int64_t>(Below(10)) - 3;
  }

  // One protobuf-aware edit. Returns false when the model has nothing of the chosen kind.
  bool MutateProto(onnx::ModelProto& m) {
    onnx::GraphProto& g = *m.mutable_graph();
    switch (Below(14)) {
      case 0: {  // a dim of an initializer
        if (g.initializer_size() == 0) return false;
        onnx::TensorProto& t = *g.mutable_initializer(Below(g.initializer_size()));
        if (t.dims_size() == 0 || Coin())
          t.add_dims(OddInt());
        else
          t.set_dims(Below(t.dims_size()), OddInt());
        return true;
      }
      case 1: {  // an initializer's dtype
        if (g.initializer_size() == 0) return false;
        g.mutable_initializer(Below(g.initializer_size()))->set_data_type(Below(26));
        return true;
      }
      case 2: {  // raw_data truncated or grown
        if (g.initializer_size() == 0) return false;
        onnx::TensorProto& t = *g.mutable_initializer(Below(g.initializer_size()));
        std::string* raw = t.mutable_raw_data();
        if (Coin() && !raw->empty())
          raw->resize(Below(raw->size()));
        else
          raw->append(1 + Below(16), '\x7f');
        return true;
      }
      case 3: {  // a graph input's dtype or dim
        if (g.input_size() == 0) return false;
        onnx::TypeProto_Tensor& tt =
            *g.mutable_input(Below(g.input_size()))->mutable_type()->mutable_tensor_type();
        if (Coin()) {
          tt.set_elem_type(static_cast<int32_t>(Below(26)));
        } else if (tt.shape().dim_size() > 0) {
          tt.mutable_shape()->mutable_dim(Below(tt.shape().dim_size()))->set_dim_value(OddInt());
        } else {
          tt.clear_shape();
        }
        return true;
      }
      case 4: {  // drop a node
        if (g.node_size() == 0) return false;
        g.mutable_node()->DeleteSubrange(static_cast<int>(Below(g.node_size())), 1);
        return true;
      }
      case 5: {  // duplicate a node (its outputs become defined twice)
        if (g.node_size() == 0) return false;
        *g.add_node() = g.node(Below(g.node_size()));
        return true;
      }
      case 6: {  // rename an input of a node to another value's name or to nothing known
        if (g.node_size() == 0) return false;
        onnx::NodeProto& n = *g.mutable_node(Below(g.node_size()));
        if (n.input_size() == 0) return false;
        const onnx::NodeProto& other = g.node(Below(g.node_size()));
        std::string name = other.output_size() > 0 ? other.output(0) : "";
        if (Coin()) name = "mutant_" + std::to_string(Below(100));
        n.set_input(Below(n.input_size()), name);
        return true;
      }
      case 7: {  // an attribute's int / ints value
        onnx::AttributeProto* a = RandomAttribute(g);
        if (!a) return false;
        if (a->ints_size() > 0)
          a->set_ints(Below(a->ints_size()), OddInt());
        else
          a->set_i(OddInt());
        return true;
      }
      case 8: {  // an attribute's type tag
        onnx::AttributeProto* a = RandomAttribute(g);
        if (!a) return false;
        a->set_type(static_cast<onnx::AttributeProto_AttributeType>(Below(15)));
        return true;
      }
      case 9: {  // an attribute's float, or a list emptied
        onnx::AttributeProto* a = RandomAttribute(g);
        if (!a) return false;
        if (Coin())
          a->set_f(Coin() ? -1e30f : 0.0f);
        else
          a->clear_ints();
        return true;
      }
      case 10: {  // the op type of a node swapped with another's
        if (g.node_size() < 2) return false;
        onnx::NodeProto& a = *g.mutable_node(Below(g.node_size()));
        a.set_op_type(g.node(Below(g.node_size())).op_type());
        return true;
      }
      case 11: {  // the opset version
        if (m.opset_import_size() == 0) return false;
        m.mutable_opset_import(0)->set_version(static_cast<int64_t>(Below(20)) - 1);
        return true;
      }
      case 12: {  // a graph output renamed or its type changed
        if (g.output_size() == 0) return false;
        onnx::ValueInfoProto& o = *g.mutable_output(Below(g.output_size()));
        if (Coin())
          o.set_name(Coin() ? "" : "mutant_out");
        else
          o.mutable_type()->mutable_tensor_type()->set_elem_type(static_cast<int32_t>(Below(26)));
        return true;
      }
      default: {  // an input of a node dropped or added
        if (g.node_size() == 0) return false;
        onnx::NodeProto& n = *g.mutable_node(Below(g.node_size()));
        if (Coin() && n.input_size() > 0)
          n.mutable_input()->RemoveLast();
        else
          n.add_input(n.input_size() > 0 ? n.input(0) : "");
        return true;
      }
    }
  }

  void MutateBytes(std::string& bytes) {
    if (bytes.empty()) return;
    switch (Below(4)) {
      case 0:  // flip a few bits
        for (size_t k = 0, n = 1 + Below(8); k < n; ++k)
          bytes[Below(bytes.size())] ^= static_cast<char>(1u << Below(8));
        break;
      case 1: bytes.resize(Below(bytes.size())); break;  // truncate
      case 2:                                            // insert random bytes
        bytes.insert(Below(bytes.size()), std::string(1 + Below(8), static_cast<char>(Below(256))));
        break;
      default: {  // overwrite a byte with an interesting value (varint lengths, tags)
        static const unsigned char kValues[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x3a};
        bytes[Below(bytes.size())] = static_cast<char>(kValues[Below(std::size(kValues))]);
      }
    }
  }

 private:
  onnx::AttributeProto* RandomAttribute(onnx::GraphProto& g) {
    if (g.node_size() == 0) return nullptr;
    onnx::NodeProto& n = *g.mutable_node(Below(g.node_size()));
    if (n.attribute_size() == 0) return nullptr;
    return n.mutable_attribute(Below(n.attribute_size()));
  }
  std::mt19937_64 rng_;
};

TEST(MutationTest, EveryMutantReturns) {
  const std::vector<Seed> seeds = LoadSeeds();
  ASSERT_GE(seeds.size(), 2u) << "tiny_cnn.onnx and the generated test models are needed";
  const int mutants = MutantCount();
  Mutator mutator(20261126);
  int imported = 0, rejected = 0, ran = 0, run_failed = 0, structured = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < mutants; ++i) {
    const Seed& seed = seeds[i % seeds.size()];
    std::string bytes = seed.bytes;
    if (i % 2 == 0) {
      onnx::ModelProto model;
      ASSERT_TRUE(model.ParseFromString(bytes)) << seed.name;
      bool changed = false;
      for (size_t k = 0, n = 1 + mutator.Below(3); k < n; ++k)
        changed = mutator.MutateProto(model) || changed;
      if (changed) ++structured;
      bytes = model.SerializeAsString();
    } else {
      mutator.MutateBytes(bytes);
    }
    core::ImportOptions options;
    options.external_data_dir = seed.dir;
    options.max_external_bytes = 1 << 20;
    options.optimize = (i / 2) % 2 == 0;  // with and without the graph passes
    Result<core::Graph> graph = core::ImportOnnxBytes(bytes.data(), bytes.size(), options,
                                                      seed.name + "#" + std::to_string(i));
    if (!graph.ok()) {
      ++rejected;
      EXPECT_FALSE(graph.status().message().empty()) << seed.name << " mutant " << i;
      continue;
    }
    ++imported;
    if (imported % kRunEvery != 0) continue;
    const uint64_t timeout_ms = HasLoop(*graph) ? 50 : 5000;
    bool did_run = false;
    const Status run = RunOnceOnCpu(
        std::move(graph).value(), RunLimits{timeout_ms, /*max_input_elements=*/1 << 16}, &did_run);
    ran += did_run ? 1 : 0;
    run_failed += run.ok() ? 0 : 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The figures docs/reliability.md records.
  std::printf(
      "mutation test: %d mutants (%d structured) from %zu seeds: %d imported, %d rejected, "
      "%d ran (%d of them failed cleanly), %.1f s\n",
      mutants, structured, seeds.size(), imported, rejected, ran, run_failed, seconds);
  EXPECT_EQ(imported + rejected, mutants);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(imported, 0);
}

}  // namespace
}  // namespace hetrun::test
