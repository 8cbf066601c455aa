#include "hetrun/core/onnx_import.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "test_util.h"

namespace hetrun::core {
namespace {

using testing::Contains;
using testing::ExpectedBytes;
using testing::FailsWith;
using testing::ModelPath;

const Value& ValueNamed(const Graph& g, const std::string& name) {
  static const Value kMissing{"<missing>"};
  auto id = g.FindValue(name);
  return id ? g.values[static_cast<size_t>(*id)] : kMissing;
}

std::string ConstantBytes(const Value& v) {
  if (!v.constant) return "<not a constant>";
  return std::string(static_cast<const char*>(v.constant->data()), v.constant->byte_size());
}

Status ImportStatus(const std::string& model, const ImportOptions& options = {}) {
  return ImportOnnxFile(ModelPath(model), options).status();
}

TEST(OnnxImport, TinyModel) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("tiny.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes.size(), 3u);
  EXPECT_EQ(g->values.size(), 6u);  // x, b, W, s, m, y
  EXPECT_EQ(g->opsets.at(""), 13);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->values[static_cast<size_t>(g->inputs[0])].name, "x");
  ASSERT_EQ(g->outputs.size(), 1u);
  EXPECT_EQ(g->values[static_cast<size_t>(g->outputs[0])].name, "y");
  EXPECT_EQ(g->nodes[0].op_type, "Add");
  EXPECT_EQ(g->nodes[1].op_type, "MatMul");
  EXPECT_EQ(g->nodes[2].op_type, "Relu");
  EXPECT_EQ(g->nodes[1].name, "matmul");

  // The symbolic batch dim survives inference, into intermediates too.
  EXPECT_EQ(ValueNamed(*g, "x").shape.ToString(), "batchx4");
  EXPECT_EQ(ValueNamed(*g, "s").shape.ToString(), "batchx4");
  EXPECT_EQ(ValueNamed(*g, "m").shape.ToString(), "batchx3");
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "batchx3");
  EXPECT_EQ(ValueNamed(*g, "y").shape.dims[0].symbol, "batch");
  EXPECT_EQ(ValueNamed(*g, "m").dtype, DType::kFloat32);

  const Value& w = ValueNamed(*g, "W");
  ASSERT_TRUE(w.constant);
  EXPECT_EQ(w.shape.ToString(), "4x3");
  EXPECT_EQ(w.constant->dims(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(ConstantBytes(w), ExpectedBytes("tiny_W"));
  EXPECT_EQ(ConstantBytes(ValueNamed(*g, "b")), ExpectedBytes("tiny_b"));
  EXPECT_EQ(w.producer, -1);
  EXPECT_EQ(ValueNamed(*g, "m").producer, 1);
  EXPECT_TRUE(g->Verify().ok());
}

TEST(OnnxImport, InputShapesOverrideAndPropagate) {
  HETRUN_REQUIRE_MODELS();
  ImportOptions options;
  options.input_shapes["x"] = {2, 4};
  auto g = ImportOnnxFile(ModelPath("tiny.onnx"), options);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(ValueNamed(*g, "x").shape.ToString(), "2x4");
  EXPECT_EQ(ValueNamed(*g, "s").shape.ToString(), "2x4");
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "2x3");
  EXPECT_TRUE(ValueNamed(*g, "y").shape.fully_known());
}

TEST(OnnxImport, InputShapesErrors) {
  HETRUN_REQUIRE_MODELS();
  ImportOptions bad_name;
  bad_name.input_shapes["images"] = {1, 4};
  EXPECT_TRUE(
      FailsWith(ImportStatus("tiny.onnx", bad_name), "tiny.onnx: ", "'images'", "(inputs: x)"));
  ImportOptions bad_rank;
  bad_rank.input_shapes["x"] = {1, 4, 1};
  EXPECT_TRUE(FailsWith(ImportStatus("tiny.onnx", bad_rank), "rank 2", "batchx4", "1x4x1"));
  ImportOptions bad_dim;
  bad_dim.input_shapes["x"] = {1, 5};
  EXPECT_TRUE(FailsWith(ImportStatus("tiny.onnx", bad_dim), "dim 1 is 4"));
  ImportOptions constant;
  constant.input_shapes["W"] = {4, 3};
  EXPECT_TRUE(FailsWith(ImportStatus("tiny.onnx", constant), "'W'", "constant"));
  ImportOptions negative;
  negative.input_shapes["x"] = {-1, 4};
  EXPECT_TRUE(FailsWith(ImportStatus("tiny.onnx", negative), "negative"));
}

TEST(OnnxImport, UnnamedNodesGetUniqueNames) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("tiny_unnamed.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes[0].name, "Add_0");
  EXPECT_EQ(g->nodes[1].name, "MatMul_1");
  EXPECT_EQ(g->nodes[2].name, "Relu_2");
}

TEST(OnnxImport, UnsortedModelIsSorted) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("tiny_reversed.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->nodes.size(), 3u);
  EXPECT_EQ(g->nodes[0].name, "add");
  EXPECT_EQ(g->nodes[1].name, "matmul");
  EXPECT_EQ(g->nodes[2].name, "relu");
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "batchx3");
}

TEST(OnnxImport, UnknownOperator) {
  HETRUN_REQUIRE_MODELS();
  const Status s = ImportStatus("unknown_op.onnx");
  EXPECT_TRUE(FailsWith(
      s, "unknown_op.onnx: node 'n3' (NoSuchOp): no operator NoSuchOp in domain '' at opset 13"));
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

TEST(OnnxImport, Cycle) {
  HETRUN_REQUIRE_MODELS();
  const Status s = ImportStatus("cycle.onnx");
  EXPECT_TRUE(FailsWith(s, "cycle.onnx: graph has a cycle through node 'cyc_"));
}

TEST(OnnxImport, UndefinedInput) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ImportStatus("undefined_input.onnx"), "node 'adder' (Add)", "'ghost'"));
}

TEST(OnnxImport, NotAModel) {
  HETRUN_REQUIRE_MODELS();
  for (const char* name : {"random.onnx", "empty.onnx", "text.onnx", "truncated.onnx"}) {
    const Status s = ImportStatus(name);
    EXPECT_TRUE(FailsWith(s, std::string(name) + ": not an ONNX model")) << name;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(FailsWith(ImportStatus("empty.onnx"), "empty file"));
  // A TensorProto file is a valid protobuf but not a model.
  EXPECT_TRUE(FailsWith(ImportStatus("tensor_f32.pb"), "not an ONNX model"));
}

TEST(OnnxImport, MissingFileAndDirectory) {
  const Status missing = ImportOnnxFile("/nonexistent/model.onnx").status();
  EXPECT_TRUE(FailsWith(missing, "/nonexistent/model.onnx: no such file"));
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_TRUE(FailsWith(ImportOnnxFile("/tmp").status(), "/tmp: is a directory"));
}

TEST(OnnxImport, FileSizeLimit) {
  HETRUN_REQUIRE_MODELS();
  ImportOptions options;
  options.max_file_bytes = 16;
  EXPECT_TRUE(FailsWith(ImportStatus("tiny.onnx", options), "over the limit of 16"));
}

TEST(OnnxImport, ConstantNodesBecomeConstants) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("constants.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  for (const Node& n : g->nodes) EXPECT_NE(n.op_type, "Constant");
  EXPECT_EQ(g->nodes.size(), 4u);  // Add, Mul, Reshape, Identity

  const Value& tensor = ValueNamed(*g, "c_tensor");
  ASSERT_TRUE(tensor.constant);
  EXPECT_EQ(ConstantBytes(tensor), ExpectedBytes("constants_c_tensor"));
  EXPECT_EQ(tensor.shape.ToString(), "2x2");

  const Value& f = ValueNamed(*g, "c_float");
  ASSERT_TRUE(f.constant);
  EXPECT_EQ(f.dtype, DType::kFloat32);
  EXPECT_EQ(f.shape.rank(), 0);
  EXPECT_EQ(f.constant->data_as<float>()[0], 0.5f);

  const Value& ints = ValueNamed(*g, "c_ints");
  ASSERT_TRUE(ints.constant);
  EXPECT_EQ(ints.constant->dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(ints.constant->data_as<int64_t>()[0], 4);

  const Value& i = ValueNamed(*g, "c_int");
  ASSERT_TRUE(i.constant);
  EXPECT_EQ(i.dtype, DType::kInt64);
  EXPECT_EQ(i.constant->data_as<int64_t>()[0], 7);

  // Inference saw the constant shape input of Reshape.
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "4");
  EXPECT_EQ(ValueNamed(*g, "seven").shape.ToString(), "scalar");
}

TEST(OnnxImport, SparseConstantIsRefused) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ImportStatus("constant_sparse.onnx"), "node 'k_sparse' (Constant)",
                        "sparse_value"));
}

TEST(OnnxImport, ShapeInferenceFailure) {
  HETRUN_REQUIRE_MODELS();
  const Status s = ImportStatus("shape_mismatch.onnx");
  EXPECT_TRUE(FailsWith(s, "shape_mismatch.onnx: shape inference failed: ", "node 'mm' (MatMul)"));
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

TEST(OnnxImport, IfSubgraphs) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("if_model.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->nodes.size(), 2u);
  const Node& branch = g->nodes[1];
  EXPECT_EQ(branch.op_type, "If");
  const Attribute* then_branch = branch.FindAttribute("then_branch");
  const Attribute* else_branch = branch.FindAttribute("else_branch");
  ASSERT_TRUE(then_branch && else_branch);
  ASSERT_EQ(then_branch->type, Attribute::Type::kGraph);
  const Graph& body = *then_branch->graph;
  EXPECT_EQ(body.nodes.size(), 1u);
  EXPECT_EQ(body.nodes[0].name, "then_add");
  EXPECT_TRUE(body.inputs.empty());
  // Both names come from the outer graph, with the outer graph's types.
  ASSERT_EQ(body.outer_scope.size(), 2u);
  const Value& relu_x = body.values[static_cast<size_t>(*body.FindValue("relu_x"))];
  EXPECT_EQ(relu_x.dtype, DType::kFloat32);
  EXPECT_EQ(relu_x.shape.ToString(), "2");
  EXPECT_FALSE(relu_x.constant);
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "2");
  EXPECT_EQ(g->opsets.at(""), body.opsets.at(""));

  const std::vector<ValueId> implicit = g->ImplicitInputs(1);
  ASSERT_EQ(implicit.size(), 2u);
  EXPECT_EQ(g->values[static_cast<size_t>(implicit[0])].name, "relu_x");
  EXPECT_EQ(g->values[static_cast<size_t>(implicit[1])].name, "one");
}

TEST(OnnxImport, OuterScopeReferencesOrderNodes) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("if_unsorted.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes[0].name, "relu");
  EXPECT_EQ(g->nodes[1].name, "branch");
}

TEST(OnnxImport, TypedInitializersMatchNumpy) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("typed_initializers.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  const std::pair<const char*, DType> cases[] = {
      {"i8", DType::kInt8},    {"u8", DType::kUInt8},    {"i16", DType::kInt16},
      {"u16", DType::kUInt16}, {"f16", DType::kFloat16}, {"bool", DType::kBool},
      {"i64", DType::kInt64},  {"f64", DType::kFloat64}, {"u32", DType::kUInt32},
  };
  for (const auto& [name, dtype] : cases) {
    const Value& v = ValueNamed(*g, name);
    ASSERT_TRUE(v.constant) << name;
    EXPECT_EQ(v.dtype, dtype) << name;
    EXPECT_EQ(ConstantBytes(v), ExpectedBytes(std::string("typed_") + name)) << name;
    EXPECT_EQ(ValueNamed(*g, std::string(name) + "_out").dtype, dtype) << name;
  }
  EXPECT_EQ(ValueNamed(*g, "f16").shape.ToString(), "2x2");
}

TEST(OnnxImport, BadInitializers) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ImportStatus("bad_initializer.onnx"), "tensor 'W'", "needs 48 bytes",
                        "raw_data has 44"));
  EXPECT_TRUE(FailsWith(ImportStatus("negative_dim.onnx"), "negative_dim.onnx: ", "'b'"));
  const Status ext = ImportStatus("external_data.onnx");
  EXPECT_TRUE(FailsWith(ext, "tensor 'W'",
                        "external data location '../../etc/passwd' leaves the model's directory"));
  EXPECT_EQ(ext.code(), StatusCode::kInvalidArgument);
}

TEST(OnnxImport, StructuralErrors) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ImportStatus("double_producer.onnx"),
                        "value 'y' is produced by both node 'p1' (Relu) and node 'p2' (Neg)"));
  // Errors inside subgraphs say where the subgraph hangs.
  EXPECT_TRUE(FailsWith(ImportStatus("if_undefined.onnx"),
                        "node 'branch' (If) attribute 'then_branch': node 'lost' (Relu)",
                        "'nowhere'"));
  const Status future = ImportStatus("future_opset.onnx");
  EXPECT_TRUE(FailsWith(future, "opset 99 of domain '' is not supported"));
  EXPECT_EQ(future.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(FailsWith(ImportStatus("no_ir_version.onnx"),
                        "no_ir_version.onnx: invalid model: ", "ir_version"));
}

// IR 3: initializers are also listed as graph inputs; hetrun treats them as constants.
TEST(OnnxImport, InitializersListedAsInputsAreConstants) {
  HETRUN_REQUIRE_MODELS();
  auto g = ImportOnnxFile(ModelPath("ir3.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->values[static_cast<size_t>(g->inputs[0])].name, "x");
  EXPECT_TRUE(ValueNamed(*g, "b").constant);
  EXPECT_TRUE(ValueNamed(*g, "W").constant);
  EXPECT_TRUE(ValueNamed(*g, "k").constant);
  EXPECT_EQ(ValueNamed(*g, "m").shape.ToString(), "2x3");
  EXPECT_EQ(ValueNamed(*g, "y").shape.ToString(), "2x3");
  EXPECT_EQ(g->opsets.at(""), 8);
}

TEST(OnnxImport, FromMemory) {
  HETRUN_REQUIRE_MODELS();
  std::ifstream in(ModelPath("tiny.onnx"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto g = ImportOnnxBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes.size(), 3u);
  const std::string half = bytes.substr(0, bytes.size() / 2);
  EXPECT_TRUE(FailsWith(ImportOnnxBytes(half.data(), half.size(), {}, "upload").status(),
                        "upload: not an ONNX model"));
}

}  // namespace
}  // namespace hetrun::core
