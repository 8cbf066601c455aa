// Sequence and optional values: the packed layout (plugin.h minor 1) written and read back, the
// ONNX test-data formats, element-wise comparison and the importer's types for them.
#include "hetrun/core/container_value.h"

#include <gtest/gtest.h>
#include <onnx/onnx-data_pb.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "hetrun/core/onnx_import.h"

namespace hetrun::core {
namespace {

Tensor Floats(std::vector<int64_t> dims, std::vector<float> values) {
  return Tensor::FromBytes(DType::kFloat32, std::move(dims), values.data(),
                           values.size() * sizeof(float))
      .value();
}

std::vector<float> FloatsOf(const Tensor& t) {
  return {t.data_as<float>(), t.data_as<float>() + t.element_count()};
}

TEST(ContainerValue, SequenceRoundTripKeepsDtypesDimsAndData) {
  const Tensor a = Floats({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = Floats({0}, {});
  const Tensor c = Floats({}, {7});
  Result<Tensor> packed = PackSequence(DType::kFloat32, {a, b, c});
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  EXPECT_EQ(packed->dtype(), DType::kSequence);
  ASSERT_EQ(packed->dims().size(), 1u);
  // Header, three entries, then the data 64-byte aligned.
  EXPECT_EQ(static_cast<const uint32_t*>(packed->data())[0], HETRUN_CONTAINER_MAGIC);

  Result<ContainerContents> back = UnpackContainer(*packed);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, DType::kSequence);
  EXPECT_EQ(back->element_dtype, DType::kFloat32);
  ASSERT_EQ(back->elements.size(), 3u);
  EXPECT_EQ(back->elements[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(FloatsOf(back->elements[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back->elements[1].dims(), (std::vector<int64_t>{0}));
  EXPECT_TRUE(back->elements[2].dims().empty());
  EXPECT_EQ(FloatsOf(back->elements[2]), (std::vector<float>{7}));
}

TEST(ContainerValue, OptionalsHoldNothingATensorOrASequence) {
  Result<Tensor> none = PackOptional(DType::kFloat32, false, nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->dtype(), DType::kOptional);
  EXPECT_TRUE(UnpackContainer(*none)->elements.empty());

  const Tensor sequence = PackSequence(DType::kFloat32, {Floats({1}, {3})}).value();
  Result<Tensor> wrapped = PackOptional(DType::kFloat32, true, &sequence);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().message();
  Result<ContainerContents> contents = UnpackContainer(*wrapped);
  ASSERT_TRUE(contents.ok()) << contents.status().message();
  EXPECT_TRUE(contents->optional_of_sequence);
  ASSERT_EQ(contents->elements.size(), 1u);
  Result<ContainerContents> inner = UnpackContainer(contents->elements[0]);
  ASSERT_TRUE(inner.ok()) << inner.status().message();
  EXPECT_EQ(FloatsOf(inner->elements.at(0)), (std::vector<float>{3}));

  // A sequence cannot hold a tensor of another dtype, nor an optional a mismatched value.
  EXPECT_FALSE(PackSequence(DType::kInt64, {Floats({1}, {1})}).ok());
  const Tensor x = Floats({1}, {1});
  EXPECT_FALSE(PackOptional(DType::kFloat32, true, &x).ok());
}

TEST(ContainerValue, CorruptBytesAreRefusedNotRead) {
  Tensor packed = PackSequence(DType::kFloat32, {Floats({4}, {1, 2, 3, 4})}).value();
  auto* words = static_cast<uint32_t*>(packed.mutable_data());
  words[3] = 1000000;  // count far beyond the buffer
  EXPECT_FALSE(UnpackContainer(packed).ok());
  words[3] = 1;
  // The entry's byte count past the end of the value.
  uint64_t huge = 1ull << 40;
  std::memcpy(static_cast<std::byte*>(packed.mutable_data()) + HETRUN_CONTAINER_HEADER_BYTES + 16,
              &huge, sizeof huge);
  EXPECT_FALSE(UnpackContainer(packed).ok());
  words[0] = 0;
  EXPECT_FALSE(UnpackContainer(packed).ok());
  EXPECT_FALSE(UnpackContainer(Floats({1}, {1})).ok());
}

TEST(ContainerValue, StringTensorsRoundTripPackedWithTheirShape) {
  Tensor t = Tensor::Create(DType::kString, {2, 3}).value();
  t.mutable_strings() = {"", "a", "caf\xc3\xa9", std::string("nul\0in", 6), "longer text", "z"};
  Result<std::vector<std::byte>> packed = PackStrings(t);
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  uint32_t header[4];
  std::memcpy(header, packed->data(), sizeof header);
  EXPECT_EQ(header[0], HETRUN_CONTAINER_MAGIC);
  EXPECT_EQ(header[1], HETRUN_DTYPE_STRING);
  EXPECT_EQ(header[3], 1u);  // one entry: the tensor
  // Header, entry, padding to 64, six lengths, then the 24 bytes of text.
  EXPECT_EQ(packed->size(), 192u + 6 * 8 + 24);
  Result<Tensor> back = UnpackStrings(packed->data(), packed->size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->dims(), t.dims());
  EXPECT_EQ(back->strings(), t.strings());
  EXPECT_TRUE(CompareTensors(*back, t, 0, 0).ok);

  // An empty tensor and a scalar pack too.
  const Tensor empty = Tensor::Create(DType::kString, {0, 4}).value();
  EXPECT_EQ(UnpackStrings(PackStrings(empty)->data(), PackStrings(empty)->size())->dims(),
            (std::vector<int64_t>{0, 4}));
  EXPECT_FALSE(PackStrings(Floats({1}, {1})).ok());
}

TEST(ContainerValue, CorruptStringBytesAreRefusedNotRead) {
  Tensor t = Tensor::Create(DType::kString, {2}).value();
  t.mutable_strings() = {"ab", "c"};
  const std::vector<std::byte> good = PackStrings(t).value();
  std::vector<std::byte> bad = good;
  const uint64_t huge = 1u << 30;
  std::memcpy(bad.data() + 192, &huge, sizeof huge);  // the first length
  EXPECT_FALSE(UnpackStrings(bad.data(), bad.size()).ok());
  EXPECT_FALSE(UnpackStrings(good.data(), good.size() - 1).ok());  // the last string cut short
  EXPECT_FALSE(UnpackStrings(good.data(), 40).ok());               // no room for the entry
  bad = good;
  const int64_t many = int64_t{1} << 40;
  std::memcpy(bad.data() + 32 + 24, &many, sizeof many);  // dims[0]: more strings than bytes
  EXPECT_FALSE(UnpackStrings(bad.data(), bad.size()).ok());
}

TEST(ContainerValue, CompareValuesComparesElementsWithTolerance) {
  const Tensor a = PackSequence(DType::kFloat32, {Floats({2}, {1, 2}), Floats({1}, {3})}).value();
  const Tensor near =
      PackSequence(DType::kFloat32, {Floats({2}, {1, 2.0000001f}), Floats({1}, {3})}).value();
  const Tensor off = PackSequence(DType::kFloat32, {Floats({2}, {1, 2}), Floats({1}, {4})}).value();
  const Tensor shorter = PackSequence(DType::kFloat32, {Floats({2}, {1, 2})}).value();
  EXPECT_TRUE(CompareValues(a, near, 1e-3, 1e-7).ok);
  TensorComparison c = CompareValues(a, off, 1e-3, 1e-7);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.message.find("element 1"), std::string::npos) << c.message;
  c = CompareValues(a, shorter, 1e-3, 1e-7);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.message.find("2 element(s), expected 1"), std::string::npos) << c.message;
  const Tensor none = PackOptional(DType::kFloat32, false, nullptr).value();
  EXPECT_FALSE(CompareValues(a, none, 1e-3, 1e-7).ok);
}

std::string TempFile(const std::string& name, const std::string& bytes) {
  const std::string path =
      (std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()) + ".pb"))
          .string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(ContainerValue, ReadsSequenceAndOptionalProtos) {
  onnx::SequenceProto seq;
  seq.set_elem_type(onnx::SequenceProto::TENSOR);
  for (float v : {1.5f, 2.5f}) {
    onnx::TensorProto* t = seq.add_tensor_values();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(1);
    t->add_float_data(v);
  }
  const std::string seq_path = TempFile("seq", seq.SerializeAsString());
  Result<Tensor> read = ReadValueProto(seq_path, DType::kSequence);
  ASSERT_TRUE(read.ok()) << read.status().message();
  Result<ContainerContents> contents = UnpackContainer(*read);
  ASSERT_TRUE(contents.ok());
  ASSERT_EQ(contents->elements.size(), 2u);
  EXPECT_EQ(FloatsOf(contents->elements[1]), (std::vector<float>{2.5f}));

  onnx::OptionalProto opt;
  opt.set_elem_type(onnx::OptionalProto::SEQUENCE);
  *opt.mutable_sequence_value() = seq;
  const std::string opt_path = TempFile("opt", opt.SerializeAsString());
  read = ReadValueProto(opt_path, DType::kOptional);
  ASSERT_TRUE(read.ok()) << read.status().message();
  contents = UnpackContainer(*read);
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(contents->optional_of_sequence);
  EXPECT_EQ(contents->elements.size(), 1u);

  onnx::OptionalProto empty;
  const std::string empty_path = TempFile("empty", empty.SerializeAsString());
  read = ReadValueProto(empty_path, DType::kOptional);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(UnpackContainer(*read)->elements.empty());
  for (const std::string& p : {seq_path, opt_path, empty_path}) std::filesystem::remove(p);
}

// A model: s (sequence of float) -> SequenceLength -> n; o (optional of sequence of int64) ->
// OptionalHasElement -> h.
std::string ContainerModel(bool with_map_input) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(16);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("containers");
  onnx::ValueInfoProto* s = g->add_input();
  s->set_name("s");
  s->mutable_type()
      ->mutable_sequence_type()
      ->mutable_elem_type()
      ->mutable_tensor_type()
      ->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::ValueInfoProto* o = g->add_input();
  o->set_name("o");
  o->mutable_type()
      ->mutable_optional_type()
      ->mutable_elem_type()
      ->mutable_sequence_type()
      ->mutable_elem_type()
      ->mutable_tensor_type()
      ->set_elem_type(onnx::TensorProto::INT64);
  if (with_map_input) {
    onnx::ValueInfoProto* m = g->add_input();
    m->set_name("m");
    m->mutable_type()->mutable_map_type()->set_key_type(onnx::TensorProto::INT64);
    m->mutable_type()
        ->mutable_map_type()
        ->mutable_value_type()
        ->mutable_tensor_type()
        ->set_elem_type(onnx::TensorProto::FLOAT);
  }
  onnx::NodeProto* len = g->add_node();
  len->set_op_type("SequenceLength");
  len->add_input("s");
  len->add_output("n");
  onnx::NodeProto* has = g->add_node();
  has->set_op_type("OptionalHasElement");
  has->add_input("o");
  has->add_output("h");
  // Scalars: the main graph's outputs need their rank.
  onnx::ValueInfoProto* n = g->add_output();
  n->set_name("n");
  n->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::INT64);
  n->mutable_type()->mutable_tensor_type()->mutable_shape();
  onnx::ValueInfoProto* h = g->add_output();
  h->set_name("h");
  h->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
  h->mutable_type()->mutable_tensor_type()->mutable_shape();
  return model.SerializeAsString();
}

TEST(ContainerValue, ImporterTypesSequenceAndOptionalValues) {
  const std::string bytes = ContainerModel(false);
  Result<Graph> g = ImportOnnxBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Value& s = g->values[static_cast<size_t>(*g->FindValue("s"))];
  EXPECT_EQ(s.dtype, DType::kSequence);
  EXPECT_EQ(s.element_dtype, DType::kFloat32);
  EXPECT_EQ(s.shape.rank(), 1);
  const Value& o = g->values[static_cast<size_t>(*g->FindValue("o"))];
  EXPECT_EQ(o.dtype, DType::kOptional);
  EXPECT_EQ(o.element_dtype, DType::kInt64);
  EXPECT_TRUE(o.optional_of_sequence);
  EXPECT_EQ(g->values[static_cast<size_t>(*g->FindValue("n"))].dtype, DType::kInt64);

  const std::string with_map = ContainerModel(true);
  Result<Graph> refused = ImportOnnxBytes(with_map.data(), with_map.size());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(refused.status().message().find("'m'"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace hetrun::core
