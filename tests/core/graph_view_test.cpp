#include "hetrun/core/graph_view.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "hetrun/core/container_value.h"
#include "hetrun/core/onnx_import.h"
#include "test_util.h"

namespace hetrun::core {
namespace {

using testing::ModelPath;

std::string Name(const hetrun_graph_view* v, int32_t index) {
  return index < 0 ? std::string("<none>") : std::string(v->values[index].name);
}

int32_t IndexOf(const hetrun_graph_view* v, const std::string& name) {
  for (uint32_t i = 0; i < v->num_values; ++i) {
    if (name == v->values[i].name) return static_cast<int32_t>(i);
  }
  return -1;
}

std::vector<std::string> Names(const hetrun_graph_view* v, const int32_t* ids, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(Name(v, ids[i]));
  return out;
}

Graph Import(const std::string& model) {
  auto g = ImportOnnxFile(ModelPath(model));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(g).value() : Graph();
}

TEST(GraphView, StringValuesAreDescribedAsPackedBytes) {
  // words (string [2]) and a string constant feed one node: plugins see both as rank-1 byte
  // tensors of the packed layout (plugin.h, minor 1), the constant with its packed bytes.
  Graph g;
  Value words{"words", DType::kString};
  words.shape = Shape{true, {Dim{2}}};
  Value stop{"stop", DType::kString};
  auto text = Tensor::Create(DType::kString, {1});
  text->mutable_strings() = {"monday"};
  stop.constant = std::make_shared<const Tensor>(*text);
  const ValueId wi = g.AddValue(std::move(words)), si = g.AddValue(std::move(stop));
  const ValueId oi = g.AddValue(Value{"out", DType::kString});
  g.nodes.push_back({"n", "StringNormalizer", "", {wi, si}, {oi}, {}});
  g.inputs = {wi};
  g.outputs = {oi};
  ASSERT_TRUE(g.TopologicalSort().ok());
  auto view = GraphView::Build(g);
  const hetrun_graph_view* v = view->view();
  const hetrun_value& w = v->values[IndexOf(v, "words")];
  EXPECT_EQ(w.dtype, HETRUN_DTYPE_STRING);
  ASSERT_EQ(w.rank, 1);
  EXPECT_EQ(w.dims[0], -1);  // its byte count, known at run time
  const hetrun_value& c = v->values[IndexOf(v, "stop")];
  ASSERT_EQ(c.rank, 1);
  EXPECT_EQ(static_cast<uint64_t>(c.dims[0]), c.data_bytes);
  Result<Tensor> back = UnpackStrings(c.data, c.data_bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->strings(), (std::vector<std::string>{"monday"}));
}

TEST(GraphView, WholeGraph) {
  HETRUN_REQUIRE_MODELS();
  const Graph g = Import("tiny.onnx");
  auto view = GraphView::Build(g);
  const hetrun_graph_view* v = view->view();
  EXPECT_EQ(v->struct_size, sizeof(hetrun_graph_view));
  EXPECT_EQ(v->num_values, 6u);
  EXPECT_EQ(v->num_nodes, 3u);
  EXPECT_EQ(Names(v, v->inputs, v->num_inputs), (std::vector<std::string>{"x"}));
  EXPECT_EQ(Names(v, v->outputs, v->num_outputs), (std::vector<std::string>{"y"}));

  const hetrun_value& x = v->values[IndexOf(v, "x")];
  EXPECT_EQ(x.flags, HETRUN_VALUE_GRAPH_INPUT);
  EXPECT_EQ(x.dtype, HETRUN_DTYPE_FLOAT32);
  ASSERT_EQ(x.rank, 2);
  EXPECT_EQ(x.dims[0], -1);  // batch
  EXPECT_EQ(x.dims[1], 4);
  EXPECT_EQ(v->values[IndexOf(v, "y")].flags, HETRUN_VALUE_GRAPH_OUTPUT);

  const hetrun_value& w = v->values[IndexOf(v, "W")];
  EXPECT_EQ(w.flags, HETRUN_VALUE_CONSTANT);
  const Value& gw = g.values[static_cast<size_t>(*g.FindValue("W"))];
  EXPECT_EQ(w.data, gw.constant->data());  // no copy: points into the graph's tensor
  EXPECT_EQ(w.data_bytes, 48u);
  EXPECT_EQ(v->values[IndexOf(v, "s")].flags, 0u);
  EXPECT_EQ(v->values[IndexOf(v, "s")].data, nullptr);

  const hetrun_node& mm = v->nodes[1];
  EXPECT_STREQ(mm.name, "matmul");
  EXPECT_STREQ(mm.op_type, "MatMul");
  EXPECT_STREQ(mm.domain, "");
  EXPECT_EQ(mm.opset, 13);
  ASSERT_EQ(mm.num_inputs, 2u);
  EXPECT_EQ(Name(v, mm.inputs[0]), "s");
  EXPECT_EQ(Name(v, mm.inputs[1]), "W");
  ASSERT_EQ(mm.num_outputs, 1u);
  EXPECT_EQ(Name(v, mm.outputs[0]), "m");
  EXPECT_EQ(view->value_ids().size(), 6u);
}

TEST(GraphView, Part) {
  HETRUN_REQUIRE_MODELS();
  const Graph g = Import("tiny.onnx");
  // MatMul + Relu: reads s (made by Add outside the part) and the constant W.
  auto tail = GraphView::BuildPart(g, {2, 1});
  const hetrun_graph_view* v = tail->view();
  EXPECT_EQ(v->num_nodes, 2u);
  EXPECT_STREQ(v->nodes[0].op_type, "MatMul");  // graph order, whatever order was asked for
  EXPECT_EQ(v->num_values, 4u);                 // s, W, m, y: x and b are not referenced
  EXPECT_EQ(IndexOf(v, "x"), -1);
  EXPECT_EQ(IndexOf(v, "b"), -1);
  EXPECT_EQ(Names(v, v->inputs, v->num_inputs), (std::vector<std::string>{"s"}));
  EXPECT_EQ(Names(v, v->outputs, v->num_outputs), (std::vector<std::string>{"y"}));
  EXPECT_EQ(v->values[IndexOf(v, "W")].flags, HETRUN_VALUE_CONSTANT);
  EXPECT_EQ(v->values[IndexOf(v, "s")].flags, HETRUN_VALUE_GRAPH_INPUT);
  EXPECT_EQ(v->values[IndexOf(v, "m")].flags, 0u);
  // Re-indexing: the view's indices map back to the graph's ids by name.
  ASSERT_EQ(tail->value_ids().size(), v->num_values);
  for (uint32_t i = 0; i < v->num_values; ++i) {
    EXPECT_EQ(g.values[static_cast<size_t>(tail->value_ids()[i])].name, v->values[i].name);
  }
  EXPECT_EQ(g.values[static_cast<size_t>(tail->input_ids()[0])].name, "s");
  EXPECT_EQ(g.values[static_cast<size_t>(tail->output_ids()[0])].name, "y");
  EXPECT_EQ(Name(v, v->nodes[1].inputs[0]), "m");

  // Add alone: its output feeds MatMul outside the part.
  auto head = GraphView::BuildPart(g, {0});
  EXPECT_EQ(Names(head->view(), head->view()->inputs, head->view()->num_inputs),
            (std::vector<std::string>{"x"}));
  EXPECT_EQ(Names(head->view(), head->view()->outputs, head->view()->num_outputs),
            (std::vector<std::string>{"s"}));

  // Add + MatMul with m forced out as well... m is needed by Relu anyway; force s out instead.
  auto mid = GraphView::BuildPart(g, {0, 1}, {*g.FindValue("s")});
  EXPECT_EQ(Names(mid->view(), mid->view()->outputs, mid->view()->num_outputs),
            (std::vector<std::string>{"s", "m"}));
}

TEST(GraphView, SubgraphsAndImplicitInputs) {
  HETRUN_REQUIRE_MODELS();
  const Graph g = Import("if_model.onnx");
  auto whole = GraphView::Build(g);
  const hetrun_node& branch = whole->view()->nodes[1];
  EXPECT_STREQ(branch.op_type, "If");
  ASSERT_EQ(branch.num_attributes, 2u);
  for (uint32_t a = 0; a < branch.num_attributes; ++a) {
    const hetrun_attribute& attr = branch.attributes[a];
    EXPECT_EQ(attr.type, HETRUN_ATTR_GRAPH);
    ASSERT_NE(attr.graph, nullptr);
    const hetrun_graph_view* body = attr.graph;
    EXPECT_EQ(body->num_nodes, 1u);
    EXPECT_EQ(body->num_inputs, 0u);
    ASSERT_EQ(body->num_outputs, 1u);
    // Outer-scope references appear by name, with no flags and no data.
    const int32_t relu_x = IndexOf(body, "relu_x");
    ASSERT_GE(relu_x, 0);
    EXPECT_EQ(body->values[relu_x].flags, 0u);
    EXPECT_EQ(body->values[relu_x].rank, 1);
    EXPECT_EQ(body->nodes[0].opset, 13);
  }

  // The If alone: it reads cond directly and relu_x through its branches; "one" is a constant,
  // so it rides along inside the view instead of becoming an input.
  auto part = GraphView::BuildPart(g, {1});
  const hetrun_graph_view* v = part->view();
  EXPECT_EQ(Names(v, v->inputs, v->num_inputs), (std::vector<std::string>{"cond", "relu_x"}));
  EXPECT_EQ(Names(v, v->outputs, v->num_outputs), (std::vector<std::string>{"y"}));
  ASSERT_GE(IndexOf(v, "one"), 0);
  EXPECT_EQ(v->values[IndexOf(v, "one")].flags, HETRUN_VALUE_CONSTANT);
  EXPECT_NE(v->values[IndexOf(v, "one")].data, nullptr);
}

TEST(GraphView, AttributesOfEveryKind) {
  Graph g;
  Value x;
  x.name = "x";
  x.dtype = DType::kFloat32;
  x.shape = Shape::Of({2});
  const ValueId xid = g.AddValue(x);
  Value y = x;
  y.name = "y";
  const ValueId yid = g.AddValue(y);
  g.inputs = {xid};
  g.outputs = {yid};
  Node n;
  n.name = "n";
  n.op_type = "Custom";
  n.domain = "com.example";
  n.inputs = {xid, kNoValue};
  n.outputs = {yid};
  Attribute f{"alpha", Attribute::Type::kFloat};
  f.f = 0.25f;
  Attribute i{"axis", Attribute::Type::kInt};
  i.i = -1;
  Attribute s{"mode", Attribute::Type::kString};
  s.s = std::string("a\0b", 3);
  Attribute fs{"scales", Attribute::Type::kFloats};
  fs.floats = {1.0f, 2.0f};
  Attribute is{"pads", Attribute::Type::kInts};
  is.ints = {0, 1, 2};
  Attribute ss{"names", Attribute::Type::kStrings};
  ss.strings = {"p", "q"};
  Attribute t{"value", Attribute::Type::kTensor};
  auto tensor = Tensor::Create(DType::kInt32, {3});
  tensor->mutable_data_as<int32_t>()[2] = 9;
  t.tensor = std::make_shared<const Tensor>(*tensor);
  n.attributes = {f, i, s, fs, is, ss, t};
  g.nodes.push_back(n);
  g.opsets = {{"", 13}, {"com.example", 2}};
  ASSERT_TRUE(g.TopologicalSort().ok());

  auto view = GraphView::Build(g);
  const hetrun_node& h = view->view()->nodes[0];
  EXPECT_EQ(h.opset, 2);
  EXPECT_STREQ(h.domain, "com.example");
  EXPECT_EQ(h.inputs[1], -1);
  ASSERT_EQ(h.num_attributes, 7u);
  EXPECT_EQ(h.attributes[0].f, 0.25f);
  EXPECT_EQ(h.attributes[1].i, -1);
  EXPECT_EQ(h.attributes[2].s_size, 3u);
  EXPECT_EQ(std::memcmp(h.attributes[2].s, "a\0b", 3), 0);
  EXPECT_EQ(h.attributes[3].count, 2u);
  EXPECT_EQ(h.attributes[3].floats[1], 2.0f);
  EXPECT_EQ(h.attributes[4].count, 3u);
  EXPECT_EQ(h.attributes[4].ints[2], 2);
  EXPECT_EQ(h.attributes[5].count, 2u);
  EXPECT_STREQ(h.attributes[5].strings[1], "q");
  const hetrun_value* tv = h.attributes[6].tensor;
  ASSERT_NE(tv, nullptr);
  EXPECT_EQ(tv->flags, HETRUN_VALUE_CONSTANT);
  EXPECT_EQ(tv->rank, 1);
  EXPECT_EQ(tv->dims[0], 3);
  EXPECT_EQ(tv->data_bytes, 12u);
  EXPECT_EQ(static_cast<const int32_t*>(tv->data)[2], 9);

  // The view stays valid when the builder's temporaries are gone and after moving the owner.
  std::unique_ptr<GraphView> moved = std::move(view);
  EXPECT_STREQ(moved->view()->nodes[0].attributes[5].strings[0], "p");
  EXPECT_EQ(moved->view()->values[0].dims[0], 2);
}

}  // namespace
}  // namespace hetrun::core
