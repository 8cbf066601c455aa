// Graph passes without numeric rewrites: dead code, common subexpressions, shape-op simplification
// and the pipeline. Each test checks where a rewrite must happen and where it must not.
#include "hetrun/core/passes.h"

#include <gtest/gtest.h>

#include "pass_test_graphs.h"
#include "support/random_graph.h"

namespace hetrun::core {
namespace {

using testing::GraphMaker;
using testing::IntAttr;
using testing::IntsAttr;
using testing::Named;
using testing::OpTypes;
using Ops = std::vector<std::string>;

void ExpectValid(const Graph& g) {
  EXPECT_TRUE(g.Verify().ok()) << g.Verify().message();
}

// The node that writes `name`.
const Node& ProducerOf(const Graph& g, const std::string& name) {
  return g.nodes[static_cast<size_t>(Named(g, name).producer)];
}

TEST(DeadCode, RemovesUnreadNodesAndInitializersButKeepsInputs) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), unused_input = m.Input("unused", {4});
  const ValueId w = m.Floats("w", {4}, {1, 2, 3, 4}), dead_w = m.Floats("dead_w", {1}, {7});
  const ValueId a = m.Temp("a"), dead = m.Temp("dead"), dead2 = m.Temp("dead2"), y = m.Output("y");
  m.Node("Mul", {x, w}, {a});
  m.Node("Add", {x, dead_w}, {dead});
  m.Node("Relu", {dead}, {dead2});
  m.Node("Relu", {a}, {y});
  Graph g = m.Build();
  (void)unused_input;
  auto removed = EliminateDeadCode(g);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 3);  // Add, Relu and dead_w
  EXPECT_EQ(OpTypes(g), (Ops{"Mul", "Relu"}));
  EXPECT_FALSE(g.FindValue("dead_w").has_value());
  EXPECT_FALSE(g.FindValue("dead").has_value());
  EXPECT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].name, "y");
  ExpectValid(g);
  EXPECT_EQ(*EliminateDeadCode(g), 0);
}

TEST(DeadCode, KeepsValuesReadOnlyBySubgraphs) {
  // t = Relu(x) is read only by the If's branches, as an outer-scope reference.
  auto branch = [](const std::string& op) {
    GraphMaker b;
    Graph& bg = b.graph();
    const ValueId t = b.Temp("t", std::vector<int64_t>{4});
    bg.outer_scope.push_back(t);
    const ValueId out = b.Output(op + "_out", std::vector<int64_t>{4});
    b.Node(op, {t}, {out});
    return b.Build();
  };
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), cond = m.Input("cond", {}, DType::kBool);
  const ValueId t = m.Temp("t", std::vector<int64_t>{4}),
                y = m.Output("y", std::vector<int64_t>{4});
  m.Node("Relu", {x}, {t});
  m.Node("If", {cond}, {y},
         {testing::GraphAttr("then_branch", branch("Neg")),
          testing::GraphAttr("else_branch", branch("Abs"))});
  Graph g = m.Build();
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Relu", "If"}));
  ExpectValid(g);
}

TEST(DeadCode, KeepsNodesOfUnknownDomains) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), side = m.Temp("side"), y = m.Output("y");
  m.Node("Print", {x}, {side}, {}, "com.example");
  m.Node("Relu", {x}, {y});
  Graph g = m.Build();
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Print", "Relu"}));
}

TEST(CommonSubexpressions, MergesIdenticalNodesAndChains) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4});
  const ValueId r1 = m.Temp("r1"), r2 = m.Temp("r2"), n1 = m.Temp("n1"), n2 = m.Temp("n2");
  const ValueId y = m.Output("y");
  m.Node("Relu", {x}, {r1});
  m.Node("Relu", {x}, {r2});
  m.Node("Neg", {r1}, {n1});
  m.Node("Neg", {r2}, {n2});  // the same once r2 is r1
  m.Node("Add", {n1, n2}, {y});
  Graph g = m.Build();
  auto merged = EliminateCommonSubexpressions(g);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, 2);
  EXPECT_EQ(OpTypes(g), (Ops{"Relu", "Neg", "Add"}));
  const Node& add = ProducerOf(g, "y");
  EXPECT_EQ(add.inputs[0], add.inputs[1]);
  ExpectValid(g);
}

TEST(CommonSubexpressions, MergesNodesReadingEqualCopiesOfAConstant) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), axes_a = m.Ints("axes_a", {0}),
                axes_b = m.Ints("axes_b", {0});
  const ValueId axes_c = m.Ints("axes_c", {1});
  const ValueId u1 = m.Temp("u1"), u2 = m.Temp("u2"), u3 = m.Temp("u3");
  m.Node("Unsqueeze", {x, axes_a}, {u1});
  m.Node("Unsqueeze", {x, axes_b}, {u2});
  m.Node("Unsqueeze", {x, axes_c}, {u3});
  m.Node("Sum", {u1, u2, u3}, {m.Output("y")});
  Graph g = m.Build();
  ASSERT_TRUE(EliminateCommonSubexpressions(g).ok());
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Unsqueeze", "Unsqueeze", "Sum"}));
  EXPECT_FALSE(g.FindValue("axes_b").has_value());
  ExpectValid(g);
}

TEST(CommonSubexpressions, KeepsRandomOpsDropoutDifferentAttributesAndOutputs) {
  GraphMaker m;
  const ValueId x = m.Input("x", {2, 2});
  // Pairs that must stay apart, each joined by an Add so that only the pass could merge them.
  auto pair = [&](const std::string& op, std::vector<Attribute> first,
                  std::vector<Attribute> second) {
    const ValueId a = m.Temp(op + "_a"), b = m.Temp(op + "_b"), sum = m.Output(op + "_sum");
    m.Node(op, {x}, {a}, std::move(first));
    m.Node(op, {x}, {b}, std::move(second));
    m.Node("Add", {a, b}, {sum});
  };
  pair("Dropout", {}, {});
  pair("RandomNormalLike", {}, {});
  pair("Transpose", {IntsAttr("perm", {1, 0})}, {IntsAttr("perm", {0, 1})});
  const ValueId s1 = m.Temp("s1"), s2 = m.Output("s2"), z = m.Output("z");
  m.Node("Sigmoid", {x}, {s1});
  m.Node("Sigmoid", {x}, {s2});  // a graph output keeps its producer
  m.Node("Neg", {s1}, {z});
  Graph g = m.Build();
  auto merged = EliminateCommonSubexpressions(g);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, 0);
  EXPECT_EQ(g.nodes.size(), 12u);
}

TEST(ShapeOps, RemovesIdentityUnlessItWritesAGraphOutput) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), i1 = m.Temp("i1"), y = m.Output("y"), z = m.Output("z");
  m.Node("Identity", {x}, {i1});
  m.Node("Relu", {i1}, {y});
  m.Node("Identity", {x}, {z});
  Graph g = m.Build();
  auto changed = SimplifyShapeOps(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(OpTypes(g), (Ops{"Relu", "Identity"}));
  EXPECT_EQ(ProducerOf(g, "y").inputs[0], x);
  ExpectValid(g);
}

// fuzz_import's find: a node whose only output is absent (empty name) was read as value -1.
TEST(ShapeOps, SkipsNodesWhoseOutputIsAbsent) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), y = m.Output("y");
  m.Node("Identity", {x}, {kNoValue});
  m.Node("Relu", {x}, {y});
  Graph g = m.Build();
  auto changed = SimplifyShapeOps(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 0);
  EXPECT_EQ(OpTypes(g), (Ops{"Identity", "Relu"}));
}

TEST(ShapeOps, MergesReshapeChainsUnlessTheOuterShapeCopiesDims) {
  GraphMaker m;
  const ValueId x = m.Input("x", {2, 3, 4});
  const ValueId s1 = m.Ints("s1", {6, 4}), s2 = m.Ints("s2", {-1, 2}), s3 = m.Ints("s3", {0, -1});
  const ValueId a = m.Temp("a", std::vector<int64_t>{6, 4}), y = m.Output("y");
  const ValueId b = m.Temp("b", std::vector<int64_t>{6, 4}), z = m.Output("z");
  m.Node("Reshape", {x, s1}, {a});
  m.Node("Reshape", {a, s2}, {y});
  m.Node("Reshape", {x, s1}, {b});
  m.Node("Reshape", {b, s3}, {z});  // 0 copies a's first dim (6), not x's (2)
  Graph g = m.Build();
  ASSERT_TRUE(SimplifyShapeOps(g).ok());
  EXPECT_EQ(ProducerOf(g, "y").inputs[0], x);
  EXPECT_EQ(ProducerOf(g, "z").inputs[0], b);
  ExpectValid(g);
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Reshape", "Reshape", "Reshape"}));
}

TEST(ShapeOps, ComposesTransposesAndDropsCancellingPairs) {
  GraphMaker m;
  const ValueId x = m.Input("x", {2, 3, 4});
  const ValueId a = m.Temp("a", std::vector<int64_t>{3, 2, 4}),
                b = m.Temp("b", std::vector<int64_t>{2, 3, 4});
  const ValueId y = m.Output("y"), c = m.Temp("c", std::vector<int64_t>{3, 4, 2}),
                z = m.Output("z");
  m.Node("Transpose", {x}, {a}, {IntsAttr("perm", {1, 0, 2})});
  m.Node("Transpose", {a}, {b}, {IntsAttr("perm", {1, 0, 2})});  // undoes the first
  m.Node("Relu", {b}, {y});
  m.Node("Transpose", {x}, {c}, {IntsAttr("perm", {1, 2, 0})});
  m.Node("Transpose", {c}, {z}, {IntsAttr("perm", {2, 0, 1})});  // z[i,j,k] = c[k,i,j]
  Graph g = m.Build();
  ASSERT_TRUE(SimplifyShapeOps(g).ok());
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(ProducerOf(g, "y").inputs[0], x);
  // c = x^(1,2,0), then perm (2,0,1) gives x's axes (0,1,2): a transpose that does nothing, but it
  // writes a graph output, so it stays with the composed identity permutation.
  const Node& last = ProducerOf(g, "z");
  EXPECT_EQ(last.inputs[0], x);
  EXPECT_EQ(last.FindAttribute("perm")->ints, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(OpTypes(g), (Ops{"Relu", "Transpose"}));
  ExpectValid(g);
}

TEST(ShapeOps, DropsUnsqueezeSqueezePairsOfTheSameAxesOnly) {
  GraphMaker m;
  const ValueId x = m.Input("x", {3, 4}), axes0 = m.Ints("axes0", {0}),
                axes_neg = m.Ints("neg", {-3});
  const ValueId axes2 = m.Ints("axes2", {2});
  const ValueId u = m.Temp("u", std::vector<int64_t>{1, 3, 4}),
                s = m.Temp("s", std::vector<int64_t>{3, 4});
  const ValueId y = m.Output("y"), u2 = m.Temp("u2", std::vector<int64_t>{3, 4, 1});
  const ValueId s2 = m.Temp("s2"), z = m.Output("z");
  m.Node("Unsqueeze", {x, axes0}, {u});
  m.Node("Squeeze", {u, axes_neg}, {s});  // -3 of rank 3 is axis 0: cancels
  m.Node("Relu", {s}, {y});
  m.Node("Unsqueeze", {x, axes2}, {u2});
  m.Node("Squeeze", {u2, axes0}, {s2});  // a different axis (fails at run time if ever run)
  m.Node("Relu", {s2}, {z});
  Graph g = m.Build();
  ASSERT_TRUE(SimplifyShapeOps(g).ok());
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  EXPECT_EQ(ProducerOf(g, "y").inputs[0], x);
  EXPECT_EQ(OpTypes(g), (Ops{"Relu", "Unsqueeze", "Squeeze", "Relu"}));
  ExpectValid(g);
}

TEST(OptimizeGraph, ShapeSubgraphFoldsIntoOneReshape) {
  // The pattern PyTorch exports for x.view(x.size(0), -1).
  GraphMaker m;
  const ValueId x = m.Input("x", {2, 3, 4});
  const ValueId shape = m.Temp("shape", std::vector<int64_t>{3}, DType::kInt64);
  const ValueId zero = m.Constant("zero", testing::MakeTensor<int64_t>(DType::kInt64, {}, {0}));
  const ValueId dim0 = m.Temp("dim0", std::vector<int64_t>{}, DType::kInt64);
  const ValueId dim0_1d = m.Temp("dim0_1d", std::vector<int64_t>{1}, DType::kInt64);
  const ValueId minus1 = m.Ints("minus1", {-1}), axes = m.Ints("axes", {0});
  const ValueId target = m.Temp("target", std::vector<int64_t>{2}, DType::kInt64);
  const ValueId flat = m.Temp("flat", std::vector<int64_t>{2, 12}), y = m.Output("y");
  m.Node("Shape", {x}, {shape});
  m.Node("Gather", {shape, zero}, {dim0}, {IntAttr("axis", 0)});
  m.Node("Unsqueeze", {dim0, axes}, {dim0_1d});
  m.Node("Concat", {dim0_1d, minus1}, {target}, {IntAttr("axis", 0)});
  m.Node("Reshape", {x, target}, {flat});
  m.Node("Identity", {flat}, {y});
  Graph g = m.Build();
  ASSERT_TRUE(OptimizeGraph(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Reshape", "Identity"}));
  const Value& folded = g.values[static_cast<size_t>(ProducerOf(g, "flat").inputs[1])];
  ASSERT_TRUE(folded.constant);
  EXPECT_EQ(testing::Values<int64_t>(*folded.constant), (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(g.values.size(), 4u);  // x, target, flat, y and nothing else
  ExpectValid(g);
}

TEST(OptimizeGraph, LeavesOutputsAndInputsAlone) {
  GraphMaker m;
  const ValueId x = m.Input("x", {4}), c = m.Floats("c", {4}, {1, 2, 3, 4});
  const ValueId y = m.Output("y", std::vector<int64_t>{4}),
                z = m.Output("z", std::vector<int64_t>{4});
  m.Node("Add", {c, c}, {y});  // constant, but a graph output stays computed by a node
  m.Node("Add", {x, c}, {z});
  Graph g = m.Build();
  ASSERT_TRUE(OptimizeGraph(g).ok());
  EXPECT_EQ(OpTypes(g), (Ops{"Add", "Add"}));
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].name, "y");
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[1])].name, "z");
  EXPECT_EQ(g.values[static_cast<size_t>(g.inputs[0])].name, "x");
}

// Property: on random graphs (some nodes dead, some operands constant) the pipeline keeps the graph
// valid and its interface (input and output names, dtypes and shapes) exactly as it was.
TEST(OptimizeGraph, RandomGraphsStayValidWithTheSameInterface) {
  hetrun::testing::RandomGraphOptions options;
  options.unread_output_probability = 0.5;
  options.constant_probability = 0.4;
  options.input_output_probability = 0.2;
  auto interface = [](const Graph& g, const std::vector<ValueId>& ids) {
    std::vector<std::string> out;
    for (ValueId v : ids) {
      const Value& value = g.values[static_cast<size_t>(v)];
      out.push_back(value.name + ":" + std::string(DTypeName(value.dtype)) + ":" +
                    value.shape.ToString());
    }
    return out;
  };
  for (uint32_t seed = 0; seed < 300; ++seed) {
    Graph g = hetrun::testing::RandomGraph(seed, options);
    const auto inputs = interface(g, g.inputs), outputs = interface(g, g.outputs);
    const size_t nodes = g.nodes.size();
    const Status s = OptimizeGraph(g);
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s.message();
    ExpectValid(g);
    EXPECT_EQ(interface(g, g.inputs), inputs) << "seed " << seed;
    EXPECT_EQ(interface(g, g.outputs), outputs) << "seed " << seed;
    EXPECT_LE(g.nodes.size(), nodes) << "seed " << seed;
  }
}

}  // namespace
}  // namespace hetrun::core
