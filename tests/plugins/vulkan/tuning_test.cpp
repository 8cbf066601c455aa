// Tuning (ABI minor 2) on the vulkan plugin: every candidate of every tunable computes what the
// default computes (and what the cpu plugin computes) on random shapes; list_tunables' capacity
// protocol; compile_tuned's checks; event_elapsed_us. Behaviour only: nothing here is timed.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

class Tuning : public Differential {
 protected:
  // list_tunables for node `node`, asking first for the count (capacity 0).
  std::vector<hetrun_tunable> List(const hetrun_graph_view* graph, uint32_t node) {
    uint32_t count = 1234;
    Status counted(vulkan_->p()->list_tunables(vulkan_->dev(), graph, node, nullptr, 0, &count));
    EXPECT_TRUE(counted.ok()) << counted.message();
    std::vector<hetrun_tunable> list(count);
    for (hetrun_tunable& t : list) t = hetrun_tunable{}, t.struct_size = sizeof t;
    if (count == 0) return list;
    uint32_t again = 0;
    Status listed(
        vulkan_->p()->list_tunables(vulkan_->dev(), graph, node, list.data(), count, &again));
    EXPECT_TRUE(listed.ok()) << listed.message();
    EXPECT_EQ(again, count);
    return list;
  }

  // Node 0's tunables in combination (a block size matters only with some variants, so values one
  // at a time would not cover them), each against the default and (where it runs the node) the
  // cpu plugin. Every combination of the block sizes is run; `variant` (its values other than the
  // default, 0) and `local_size` cycle through their values along them.
  void ExpectEveryCandidateSame(Graph& g, const std::vector<std::vector<float>>& inputs,
                                const std::string& what, size_t expected_tunables,
                                bool cpu_runs_it = true) {
    const std::vector<hetrun_tunable> list = List(g.view(), 0);
    ASSERT_EQ(list.size(), expected_tunables) << what;
    std::vector<std::vector<float>> want, base;
    Status untuned = vulkan_->RunGraph(g.view(), inputs, &base);
    ASSERT_TRUE(untuned.ok()) << what << ": " << untuned.message();
    want = base;
    if (cpu_runs_it) {
      Status cpu = cpu_->RunGraph(g.view(), inputs, &want);
      ASSERT_TRUE(cpu.ok()) << what << ": cpu: " << cpu.message();
    }
    // Every tunable named at its default first, then the combinations.
    std::vector<std::vector<hetrun_tuning_value>> runs(1);
    for (const hetrun_tunable& t : list) runs[0].push_back({0, 0, t.name, t.default_value});
    auto named = [&](size_t t, const char* name) { return std::string(list[t].name) == name; };
    auto cycles = [&](size_t t) { return named(t, "local_size") || named(t, "variant"); };
    std::vector<uint32_t> at(list.size(), 0);
    for (uint32_t combination = 0;; ++combination) {
      runs.emplace_back();
      for (size_t t = 0; t < list.size(); ++t) {
        uint32_t index = at[t];
        if (named(t, "local_size")) index = combination % list[t].num_values;
        if (named(t, "variant")) index = 1 + combination % (list[t].num_values - 1);
        runs.back().push_back({0, 0, list[t].name, list[t].values[index]});
      }
      size_t t = 0;
      while (t < list.size() && (cycles(t) || ++at[t] == list[t].num_values)) at[t++] = 0;
      if (t == list.size()) break;
    }
    for (const std::vector<hetrun_tuning_value>& values : runs) {
      std::string chosen;
      for (const hetrun_tuning_value& v : values) {
        chosen += std::string(" ") + v.name + "=" + std::to_string(v.value);
      }
      std::vector<std::vector<float>> got;
      Status tuned = vulkan_->RunGraph(g.view(), inputs, &got, nullptr, &values);
      ASSERT_TRUE(tuned.ok()) << what << chosen << ": " << tuned.message();
      ASSERT_EQ(got.size(), base.size());
      for (size_t o = 0; o < got.size(); ++o) {
        ASSERT_EQ(got[o].size(), want[o].size());
        for (size_t i = 0; i < got[o].size(); ++i) {
          const double a = got[o][i], b = base[o][i], c = want[o][i];
          ASSERT_LE(std::fabs(a - b), 1e-5 + 1e-5 * std::fabs(b))
              << what << chosen << ": element " << i << ": tuned " << a << ", default " << b;
          ASSERT_LE(std::fabs(a - c), 1e-4 + 1e-4 * std::fabs(c))
              << what << chosen << ": element " << i << ": tuned " << a << ", cpu " << c;
        }
      }
    }
  }
};

TEST_F(Tuning, MatMulEveryCandidateMatchesDefaultAndCpu) {
  for (int round = 0; round < 3; ++round) {
    const int64_t m = round == 0 ? 1 : Int(1, 40), k = Int(1, 40), n = Int(1, 40);
    Dims a{m, k}, b{k, n}, y{m, n};
    if (round == 2) {  // batched, B broadcast over the first batch dim
      a.insert(a.begin(), {2, 3}), y.insert(y.begin(), {2, 3});
      b.insert(b.begin(), {1, 3});
    }
    Graph g;
    g.Value("a", a).Value("b", b).Value("y", y).Node("MatMul", {"a", "b"}, {"y"});
    g.Inputs({"a", "b"}).Outputs({"y"});
    ExpectEveryCandidateSame(g, {Random(a, -1, 1), Random(b, -1, 1)},
                             "MatMul " + std::to_string(round), 3);
  }
}

TEST_F(Tuning, GemmEveryCandidateMatchesDefaultAndCpu) {
  for (int round = 0; round < 2; ++round) {
    const int64_t m = Int(1, 35), k = Int(1, 35), n = Int(1, 35);
    const bool ta = round == 1, tb = round == 1;
    const Dims a = ta ? Dims{k, m} : Dims{m, k}, b = tb ? Dims{n, k} : Dims{k, n};
    const Dims c_shapes[] = {{n}, {m, 1}};
    const Dims c = c_shapes[round];
    Graph g;
    g.Value("a", a).Value("b", b).Value("y", {m, n}).Constant("c", c, Random(c, -1, 1));
    g.Node("Gemm", {"a", "b", "c"}, {"y"}).Int("transA", ta).Int("transB", tb);
    if (round == 0) g.Float("alpha", Uniform(-2, 2)).Float("beta", Uniform(-2, 2));
    g.Inputs({"a", "b"}).Outputs({"y"});
    ExpectEveryCandidateSame(g, {Random(a, -1, 1), Random(b, -1, 1)},
                             "Gemm " + std::to_string(round), 3);
  }
}

TEST_F(Tuning, ConvEveryCandidateMatchesDefaultAndCpu) {
  for (int round = 0; round < 4; ++round) {
    const size_t spatial = round == 3 ? 1 : round == 1 ? 3 : 2;
    const int64_t group = round == 2 ? 2 : 1;
    const int64_t cg = Int(1, 3), mg = round == 1 ? 6 : 8;
    const int64_t c = cg * group, m = mg * group, n = Int(1, 2);
    Dims x{n, c}, w{m, cg}, y{n, m}, strides, dilations, pads(2 * spatial);
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t kernel = Int(1, 3), dilation = round == 2 ? 2 : 1;
      const int64_t eff = (kernel - 1) * dilation + 1;
      strides.push_back(Int(1, 2));
      dilations.push_back(dilation);
      pads[d] = Int(0, eff - 1);
      pads[d + spatial] = Int(0, eff - 1);
      x.push_back(Int(eff, spatial == 3 ? 5 : 11));
      w.push_back(kernel);
      y.push_back((x.back() + pads[d] + pads[d + spatial] - eff) / strides[d] + 1);
    }
    const bool bias = round != 1;
    Graph g;
    g.Value("x", x).Constant("w", w, Random(w, -1, 1)).Value("y", y);
    if (bias) g.Constant("b", {m}, Random({m}, -1, 1));
    g.Node("Conv",
           bias ? std::vector<std::string>{"x", "w", "b"} : std::vector<std::string>{"x", "w"},
           {"y"});
    g.Int("group", group).Ints("strides", strides).Ints("pads", pads);
    g.Ints("dilations", dilations).Inputs({"x"}).Outputs({"y"});
    // The cpu plugin has no 3-D Conv: there the tuned kernels are held to the default only.
    ExpectEveryCandidateSame(g, {Random(x, -1, 1)}, "Conv " + std::to_string(round), 3,
                             spatial < 3);
  }
}

// A MatMul, then a Relu (nothing to tune).
Graph MatMulRelu() {
  Graph g;
  g.Value("a", {8, 16}).Value("b", {16, 24}).Value("t", {8, 24}).Value("y", {8, 24});
  g.Node("MatMul", {"a", "b"}, {"t"}).Node("Relu", {"t"}, {"y"});
  g.Inputs({"a", "b"}).Outputs({"y"});
  return g;
}

TEST_F(Tuning, ListTunablesDescribesValidCandidates) {
  Graph g = MatMulRelu();
  const std::vector<hetrun_tunable> list = List(g.view(), 0);
  ASSERT_EQ(list.size(), 3u);
  std::set<std::string> names;
  for (const hetrun_tunable& t : list) {
    const std::string name = t.name;
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos);
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    EXPECT_GT(std::strlen(t.description), 0u) << name;
    ASSERT_GE(t.num_values, 1u) << name;
    ASSERT_LE(t.num_values, HETRUN_MAX_TUNABLE_VALUES) << name;
    const std::set<int64_t> values(t.values, t.values + t.num_values);
    EXPECT_EQ(values.size(), t.num_values) << name << ": values not distinct";
    EXPECT_TRUE(values.count(t.default_value)) << name << ": default not a candidate";
  }
  EXPECT_TRUE(names.count("variant"));
  EXPECT_TRUE(List(g.view(), 1).empty());  // Relu
}

TEST_F(Tuning, ListTunablesCapacityProtocol) {
  Graph g = MatMulRelu();
  const hetrun_plugin_v1* p = vulkan_->p();
  uint32_t count = 0;
  VK_ASSERT_OK(p->list_tunables(vulkan_->dev(), g.view(), 0, nullptr, 0, &count));
  ASSERT_EQ(count, 3u);
  // Room for one: the first entry is written, the count still says three; nothing past it moves.
  std::vector<hetrun_tunable> two(2);
  for (hetrun_tunable& t : two) t = hetrun_tunable{}, t.struct_size = sizeof t;
  count = 0;
  VK_ASSERT_OK(p->list_tunables(vulkan_->dev(), g.view(), 0, two.data(), 1, &count));
  EXPECT_EQ(count, 3u);
  EXPECT_GT(std::strlen(two[0].name), 0u);
  EXPECT_EQ(two[1].name[0], '\0');
  EXPECT_EQ(two[1].num_values, 0u);
  // A larger host struct: entries are struct_size apart.
  struct Bigger {
    hetrun_tunable t;
    char extra[40];
  };
  std::vector<Bigger> big(3);
  for (Bigger& b : big) b = Bigger{}, b.t.struct_size = sizeof(Bigger);
  VK_ASSERT_OK(p->list_tunables(vulkan_->dev(), g.view(), 0, &big[0].t, 3, &count));
  const std::vector<hetrun_tunable> plain = List(g.view(), 0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_STREQ(big[i].t.name, plain[i].name);
    EXPECT_EQ(big[i].t.default_value, plain[i].default_value);
    EXPECT_EQ(big[i].extra[0], '\0');
  }
  Status outside(p->list_tunables(vulkan_->dev(), g.view(), 2, nullptr, 0, &count));
  EXPECT_EQ(outside.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  Status no_count(p->list_tunables(vulkan_->dev(), g.view(), 0, nullptr, 0, nullptr));
  EXPECT_EQ(no_count.code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(Tuning, CompileTunedChecksValues) {
  Graph g = MatMulRelu();
  hetrun_executable_t exe = nullptr;
  VK_ASSERT_STATUS(vulkan_->CompileTuned(g.view(), {}, &exe));  // no values: compile()
  VK_ASSERT_STATUS(
      vulkan_->CompileTuned(g.view(), {{0, 0, "variant", 1}, {0, 0, "block_m", 2}}, &exe));
  const struct {
    std::vector<hetrun_tuning_value> values;
    const char* mentions;
  } bad[] = {
      {{{2, 0, "variant", 1}}, "node 2"},
      {{{0, 0, "no_such_knob", 1}}, "no_such_knob"},
      {{{0, 0, "oc_per_invocation", 2}}, "oc_per_invocation"},  // a Conv's tunable
      {{{1, 0, "variant", 1}}, "Relu"},                         // nothing to tune there
      {{{0, 0, "variant", 7}}, "7"},
      {{{0, 0, "block_m", 3}}, "3"},
      {{{0, 0, "variant", 1}, {0, 0, "variant", 1}}, "twice"},
      {{{0, 0, nullptr, 1}}, "NULL"},
  };
  for (const auto& c : bad) {
    Status status = vulkan_->CompileTuned(g.view(), c.values, &exe);
    EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT) << c.mentions;
    EXPECT_NE(status.message().find(c.mentions), std::string::npos) << status.message();
    EXPECT_EQ(exe, nullptr);
  }
}

TEST_F(Tuning, EventElapsedUsAfterRun) {
  const hetrun_plugin_v1* p = vulkan_->p();
  Graph g;
  g.Value("a", {128, 128}).Value("b", {128, 128}).Value("y", {128, 128});
  g.Node("MatMul", {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
  hetrun_executable_t exe = nullptr;
  VK_ASSERT_STATUS(vulkan_->Compile(g.view(), &exe));
  const Dims dims{128, 128};
  hetrun_tensor_arg in[2] = {TensorArg(vulkan_->Upload(Random(dims, -1, 1)), dims),
                             TensorArg(vulkan_->Upload(Random(dims, -1, 1)), dims)};
  hetrun_tensor_arg out[1] = {TensorArg(vulkan_->Allocate(128 * 128 * 4), dims)};
  hetrun_event_t event = nullptr;
  VK_ASSERT_OK(p->execute(exe, in, 2, out, 1, nullptr, 0, &event));
  // Right after execute the work may or may not have finished: an answer before it has is
  // UNIMPLEMENTED.
  double us = -1;
  Status early(p->event_elapsed_us(vulkan_->dev(), event, &us));
  uint8_t done = 0;
  VK_ASSERT_OK(p->event_query(vulkan_->dev(), event, &done));
  if (!early.ok()) {
    EXPECT_EQ(early.code(), HETRUN_STATUS_UNIMPLEMENTED) << early.message();
  } else {
    EXPECT_EQ(done, 1u);
  }
  VK_ASSERT_OK(p->event_wait(vulkan_->dev(), event, UINT64_MAX));
  us = -1;
  VK_ASSERT_OK(p->event_elapsed_us(vulkan_->dev(), event, &us));
  EXPECT_GT(us, 0.0);
  Status no_out(p->event_elapsed_us(vulkan_->dev(), event, nullptr));
  EXPECT_EQ(no_out.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  p->event_release(vulkan_->dev(), event);
  Status null_event(p->event_elapsed_us(vulkan_->dev(), nullptr, &us));
  EXPECT_EQ(null_event.code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(Tuning, EventElapsedUsRejectsOtherHandles) {
  const hetrun_plugin_v1* p = vulkan_->p();
  hetrun_buffer_t buffer = vulkan_->Allocate(16);
  double us = -1;
  Status wrong(p->event_elapsed_us(vulkan_->dev(), reinterpret_cast<hetrun_event_t>(buffer), &us));
  EXPECT_EQ(wrong.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(us, -1.0);
}

}  // namespace
}  // namespace hetrun::test
