#include "hetrun/core/graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "test_util.h"

namespace hetrun::core {
namespace {

using testing::FailsWith;

ValueId AddNamed(Graph& g, const std::string& name) {
  Value v;
  v.name = name;
  v.dtype = DType::kFloat32;
  return g.AddValue(std::move(v));
}

NodeId AddNode(Graph& g, const std::string& name, const std::string& op, std::vector<ValueId> in,
               std::vector<ValueId> out) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  g.nodes.push_back(std::move(n));
  return static_cast<NodeId>(g.nodes.size() - 1);
}

std::vector<std::string> NodeNames(const Graph& g) {
  std::vector<std::string> names;
  for (const Node& n : g.nodes) names.push_back(n.name);
  return names;
}

TEST(Shape, ToString) {
  Shape s = Shape::Of({1, 3, -1, 224});
  EXPECT_EQ(s.ToString(), "1x3x?x224");
  EXPECT_FALSE(s.fully_known());
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{1, 3, -1, 224}));
  s.dims[2].symbol = "height";
  EXPECT_EQ(s.ToString(), "1x3xheightx224");
  Shape b;
  b.rank_known = true;
  b.dims = {Dim{-1, "batch"}, Dim{3, ""}};
  EXPECT_EQ(b.ToString(), "batchx3");
  EXPECT_EQ(b.rank(), 2);
  EXPECT_EQ(Shape::Unknown().ToString(), "?");
  EXPECT_EQ(Shape::Unknown().rank(), -1);
  EXPECT_EQ(Shape::Of({}).ToString(), "scalar");
  EXPECT_TRUE(Shape::Of({2, 2}).fully_known());
}

// x -> a -> b -> d, x -> c -> d (a diamond), stored shuffled.
Graph ShuffledDiamond() {
  Graph g;
  const ValueId x = AddNamed(g, "x"), a = AddNamed(g, "a"), b = AddNamed(g, "b"),
                c = AddNamed(g, "c"), d = AddNamed(g, "d");
  g.inputs = {x};
  g.outputs = {d};
  AddNode(g, "join", "Add", {b, c}, {d});
  AddNode(g, "second", "Relu", {a}, {b});
  AddNode(g, "left", "Neg", {x}, {a});
  AddNode(g, "right", "Abs", {x}, {c});
  return g;
}

TEST(Graph, TopologicalSortOfShuffledGraph) {
  Graph g = ShuffledDiamond();
  EXPECT_FALSE(g.Verify().ok());  // not in order yet
  ASSERT_TRUE(g.TopologicalSort().ok());
  // Stable: among ready nodes the original order wins ("left" before "right").
  EXPECT_EQ(NodeNames(g), (std::vector<std::string>{"left", "second", "right", "join"}));
  EXPECT_TRUE(g.Verify().ok()) << g.Verify().message();
  EXPECT_EQ(g.values[static_cast<size_t>(*g.FindValue("d"))].producer, 3);
  EXPECT_EQ(g.values[static_cast<size_t>(*g.FindValue("x"))].producer, -1);
  // Sorting a sorted graph changes nothing.
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(NodeNames(g), (std::vector<std::string>{"left", "second", "right", "join"}));
}

TEST(Graph, Consumers) {
  Graph g = ShuffledDiamond();
  ASSERT_TRUE(g.TopologicalSort().ok());
  const auto consumers = g.Consumers();
  const ValueId x = *g.FindValue("x");
  EXPECT_EQ(consumers[static_cast<size_t>(x)], (std::vector<NodeId>{0, 2}));
  EXPECT_TRUE(consumers[static_cast<size_t>(*g.FindValue("d"))].empty());
}

TEST(Graph, CycleNamesANodeOnTheCycle) {
  Graph g;
  const ValueId x = AddNamed(g, "x"), a = AddNamed(g, "a"), b = AddNamed(g, "b"),
                c = AddNamed(g, "c"), y = AddNamed(g, "y");
  g.inputs = {x};
  g.outputs = {y};
  // "tail" only depends on the cycle; listed first so that a naive answer would name it.
  AddNode(g, "tail", "Identity", {b}, {y});
  AddNode(g, "n_add", "Add", {x, c}, {a});
  AddNode(g, "n_relu", "Relu", {a}, {b});
  AddNode(g, "n_neg", "Neg", {b}, {c});
  const Status s = g.TopologicalSort();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(testing::Contains(s.message(), "graph has a cycle through node 'n_"));
  EXPECT_FALSE(testing::Contains(s.message(), "tail"));
}

TEST(Graph, SelfLoopIsACycle) {
  Graph g;
  const ValueId a = AddNamed(g, "a");
  g.outputs = {a};
  AddNode(g, "loop", "Relu", {a}, {a});
  EXPECT_TRUE(FailsWith(g.TopologicalSort(), "cycle through node 'loop' (Relu)"));
}

TEST(Graph, UnproducedValueNamesValueAndConsumer) {
  Graph g;
  const ValueId x = AddNamed(g, "x"), ghost = AddNamed(g, "ghost"), y = AddNamed(g, "y");
  g.inputs = {x};
  g.outputs = {y};
  AddNode(g, "adder", "Add", {x, ghost}, {y});
  EXPECT_TRUE(FailsWith(g.TopologicalSort(), "'ghost'", "node 'adder' (Add)"));
  EXPECT_FALSE(g.Verify().ok());
}

TEST(Graph, TwoProducersAreRejected) {
  Graph g;
  const ValueId x = AddNamed(g, "x"), y = AddNamed(g, "y");
  g.inputs = {x};
  g.outputs = {y};
  AddNode(g, "p1", "Relu", {x}, {y});
  AddNode(g, "p2", "Neg", {x}, {y});
  EXPECT_TRUE(FailsWith(g.TopologicalSort(), "'y' is produced by both node 'p1'", "node 'p2'"));
}

TEST(Graph, OmittedOptionalInputsAndConstants) {
  Graph g;
  const ValueId x = AddNamed(g, "x"), y = AddNamed(g, "y");
  Value w;
  w.name = "w";
  w.constant = std::make_shared<const Tensor>(*Tensor::Create(DType::kFloat32, {1}));
  const ValueId wid = g.AddValue(w);
  g.inputs = {x};
  g.outputs = {y};
  AddNode(g, "clip", "Clip", {x, kNoValue, wid}, {y});
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_TRUE(g.Verify().ok());
}

TEST(Graph, VerifyCatchesBadIds) {
  Graph g;
  const ValueId x = AddNamed(g, "x");
  g.inputs = {x};
  g.outputs = {7};
  EXPECT_TRUE(FailsWith(g.Verify(), "out of range"));
  g.outputs = {x};
  AddNamed(g, "x");
  EXPECT_TRUE(FailsWith(g.Verify(), "duplicate value name 'x'"));
}

TEST(Graph, OpsetFor) {
  Graph g;
  g.opsets = {{"", 13}, {"ai.onnx.ml", 3}};
  EXPECT_EQ(g.OpsetFor(""), 13);
  EXPECT_EQ(g.OpsetFor("ai.onnx"), 13);
  EXPECT_EQ(g.OpsetFor("ai.onnx.ml"), 3);
  EXPECT_EQ(g.OpsetFor("com.example"), 0);
}

// A body that reads "outer" from the enclosing graph makes its node depend on outer's producer.
TEST(Graph, SubgraphReferencesOrderNodes) {
  auto body = std::make_shared<Graph>();
  const ValueId outer_in_body = AddNamed(*body, "outer");
  const ValueId body_out = AddNamed(*body, "body_out");
  body->outer_scope = {outer_in_body};
  body->outputs = {body_out};
  AddNode(*body, "inner", "Relu", {outer_in_body}, {body_out});
  ASSERT_TRUE(body->TopologicalSort().ok());

  Graph g;
  const ValueId cond = AddNamed(g, "cond"), x = AddNamed(g, "x"), outer = AddNamed(g, "outer"),
                y = AddNamed(g, "y");
  g.inputs = {cond, x};
  g.outputs = {y};
  const NodeId if_node = AddNode(g, "branch", "If", {cond}, {y});
  Attribute then_branch;
  then_branch.name = "then_branch";
  then_branch.type = Attribute::Type::kGraph;
  then_branch.graph = body;
  g.nodes[static_cast<size_t>(if_node)].attributes.push_back(then_branch);
  AddNode(g, "make_outer", "Neg", {x}, {outer});

  EXPECT_EQ(g.ImplicitInputs(0), (std::vector<ValueId>{outer}));
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(NodeNames(g), (std::vector<std::string>{"make_outer", "branch"}));
  EXPECT_TRUE(g.Verify().ok()) << g.Verify().message();
  EXPECT_EQ(g.Consumers()[static_cast<size_t>(outer)], (std::vector<NodeId>{1}));
}

}  // namespace
}  // namespace hetrun::core
