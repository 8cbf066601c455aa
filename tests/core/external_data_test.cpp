// External tensor data: a valid model loads its weights from the file beside it, through every
// tensor path; every hostile location, key, offset or file kind is refused with a message naming
// the tensor (reliability.md §1.5 rows 12-14, the L4 path matrix).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "hetrun/core/onnx_import.h"
#include "test_util.h"

namespace hetrun::core {
namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;
using testing::FailsWith;

const std::vector<float> kWeights = {1.5f, -2.0f, 3.25f, 4.0f};

fs::path TempDir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("hetrun_ext_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string WeightBytes(size_t pad = 0) {
  std::string bytes(pad, 'x');
  bytes.append(reinterpret_cast<const char*>(kWeights.data()), kWeights.size() * sizeof(float));
  return bytes;
}

void SetExternal(TensorProto* t, const std::vector<std::pair<std::string, std::string>>& keys) {
  t->clear_raw_data();
  t->set_data_location(TensorProto::EXTERNAL);
  for (const auto& [key, value] : keys) {
    auto* entry = t->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
}

TensorProto Weights(const std::vector<std::pair<std::string, std::string>>& keys) {
  TensorProto t;
  t.set_name("W");
  t.set_data_type(TensorProto::FLOAT);
  t.add_dims(4);
  SetExternal(&t, keys);
  return t;
}

void AddTensorValue(onnx::ValueInfoProto* v, const std::string& name) {
  v->set_name(name);
  auto* type = v->mutable_type()->mutable_tensor_type();
  type->set_elem_type(TensorProto::FLOAT);
  type->mutable_shape()->add_dim()->set_dim_value(4);
}

// y = x + W, with W an initializer whose data is external.
onnx::ModelProto AddModel(const TensorProto& w) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("ext");
  AddTensorValue(g->add_input(), "x");
  AddTensorValue(g->add_output(), "y");
  *g->add_initializer() = w;
  onnx::NodeProto* add = g->add_node();
  add->set_op_type("Add");
  add->set_name("add");
  add->add_input("x");
  add->add_input("W");
  add->add_output("y");
  return m;
}

// y = Constant(value = W) + x: the weights in a node attribute.
onnx::ModelProto ConstantModel(const TensorProto& w) {
  onnx::ModelProto m = AddModel(w);
  onnx::GraphProto* g = m.mutable_graph();
  g->clear_initializer();
  onnx::NodeProto constant;
  constant.set_op_type("Constant");
  constant.set_name("const_w");
  constant.add_output("W");
  onnx::AttributeProto* value = constant.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() = w;
  *g->mutable_node()->Add() = g->node(0);
  *g->mutable_node(0) = constant;
  return m;
}

Result<Graph> Import(const onnx::ModelProto& model, const fs::path& dir) {
  const fs::path path = dir / "model.onnx";
  WriteBytes(path, model.SerializeAsString());
  return ImportOnnxFile(path.string());
}

void ExpectWeights(const Result<Graph>& g) {
  ASSERT_TRUE(g.ok()) << g.status().message();
  std::optional<ValueId> w = g->FindValue("W");
  ASSERT_TRUE(w);
  ASSERT_TRUE(g->values[*w].constant);
  const float* data = g->values[*w].constant->data_as<float>();
  EXPECT_EQ(std::vector<float>(data, data + 4), kWeights);
}

TEST(ExternalData, LoadsWeightsBesideTheModel) {
  const fs::path dir = TempDir("ok");
  WriteBytes(dir / "w.bin", WeightBytes());
  ExpectWeights(Import(AddModel(Weights({{"location", "w.bin"}})), dir));
}

TEST(ExternalData, OffsetLengthSubdirectoryAndConstantAttribute) {
  const fs::path dir = TempDir("offset");
  fs::create_directories(dir / "data");
  WriteBytes(dir / "data" / "all.bin", WeightBytes(/*pad=*/12) + "tail");
  ExpectWeights(Import(AddModel(Weights({{"location", "data/./all.bin"},
                                         {"offset", "12"},
                                         {"length", "16"},
                                         {"checksum", "ignored"}})),
                       dir));
  ExpectWeights(
      Import(ConstantModel(Weights({{"location", "data/all.bin"}, {"offset", "12"}})), dir));
}

TEST(ExternalData, HostileLocationsAreRefused) {
  const fs::path dir = TempDir("paths");
  fs::create_directories(dir / "sub");
  WriteBytes(dir / "w.bin", WeightBytes());
  const std::map<std::string, std::string> cases = {
      {"../w.bin", "leaves the model's directory"},
      {"sub/../../w.bin", "leaves the model's directory"},
      {"sub/../w.bin", "leaves the model's directory"},
      {"/etc/passwd", "is absolute"},
      {"C:\\\\w.bin", "backslash"},
      {"\\\\\\\\server\\\\share\\\\w.bin", "backslash"},
      {"C:w.bin", "drive letter"},
      {"", "location is empty"},
      {std::string("w.bin\0.txt", 10), "NUL byte"},
      {"./", "names no file"},
      {"missing.bin", "no such file next to the model"},
      {"sub", "not a regular file"},
  };
  for (const auto& [location, why] : cases) {
    Result<Graph> g = Import(AddModel(Weights({{"location", location}})), dir);
    EXPECT_TRUE(FailsWith(g.status(), "tensor 'W'", why)) << "location '" << location << "'";
  }
}

TEST(ExternalData, SymlinksAndHardlinksAreRefused) {
  const fs::path outside = TempDir("outside");
  WriteBytes(outside / "secret.bin", WeightBytes());
  const fs::path dir = TempDir("links");
  fs::create_symlink(outside / "secret.bin", dir / "link.bin");
  fs::create_directory_symlink(outside, dir / "linkdir");
  WriteBytes(dir / "w.bin", WeightBytes());
  fs::create_hard_link(dir / "w.bin", dir / "hard.bin");
  EXPECT_TRUE(FailsWith(Import(AddModel(Weights({{"location", "link.bin"}})), dir).status(),
                        "'link.bin' is a symbolic link"));
  EXPECT_TRUE(
      FailsWith(Import(AddModel(Weights({{"location", "linkdir/secret.bin"}})), dir).status(),
                "'linkdir' is a symbolic link"));
  EXPECT_TRUE(FailsWith(Import(AddModel(Weights({{"location", "hard.bin"}})), dir).status(),
                        "has 2 hard links"));
}

TEST(ExternalData, BadKeysOffsetsAndLengthsAreRefused) {
  const fs::path dir = TempDir("keys");
  WriteBytes(dir / "w.bin", WeightBytes());
  using Keys = std::vector<std::pair<std::string, std::string>>;
  const std::vector<std::pair<Keys, std::string>> cases = {
      {{{"location", "w.bin"}, {"offset", "-1"}}, "offset '-1' is not a byte count"},
      {{{"location", "w.bin"}, {"offset", "abc"}}, "offset 'abc' is not a byte count"},
      {{{"location", "w.bin"}, {"offset", " 4"}}, "is not a byte count"},
      {{{"location", "w.bin"}, {"length", "99999999999999999999"}}, "is too large"},
      {{{"location", "w.bin"}, {"offset", "18446744073709551615"}}, "the file has 16"},
      {{{"location", "w.bin"}, {"offset", "4"}}, "at offset 4 needs 16 bytes, but the file has 16"},
      {{{"location", "w.bin"}, {"length", "12"}}, "length 12 but the tensor needs 16 bytes"},
      {{{"location", "w.bin"}, {"basepath", "/"}}, "unknown external data key 'basepath'"},
      {{{"location", "w.bin"}, {"location", "w.bin"}}, "key 'location' given twice"},
      {{{"offset", "0"}}, "external data without a location"},
  };
  for (const auto& [keys, why] : cases) {
    Result<Graph> g = Import(AddModel(Weights(keys)), dir);
    EXPECT_TRUE(FailsWith(g.status(), "tensor 'W'", why)) << why;
  }
}

TEST(ExternalData, FromMemoryNeedsADirectory) {
  const std::string bytes = AddModel(Weights({{"location", "w.bin"}})).SerializeAsString();
  Result<Graph> g = ImportOnnxBytes(bytes.data(), bytes.size());
  EXPECT_TRUE(FailsWith(g.status(), "needs the model's directory"));
  const fs::path dir = TempDir("memory");
  WriteBytes(dir / "w.bin", WeightBytes());
  ImportOptions options;
  options.external_data_dir = dir.string();
  ExpectWeights(ImportOnnxBytes(bytes.data(), bytes.size(), options));
}

TEST(ExternalData, TheTotalIsCapped) {
  const fs::path dir = TempDir("cap");
  WriteBytes(dir / "w.bin", WeightBytes());
  const fs::path path = dir / "model.onnx";
  WriteBytes(path, AddModel(Weights({{"location", "w.bin"}})).SerializeAsString());
  ImportOptions options;
  options.max_external_bytes = 8;
  EXPECT_TRUE(FailsWith(ImportOnnxFile(path.string(), options).status(),
                        "over the limit of 8 bytes per model"));
}

// A model over protobuf's 2 GiB limit loads when its weights are external (a sparse file, so the
// test costs memory but little disk).
TEST(ExternalData, AModelOverTwoGibLoadsThroughExternalData) {
  const fs::path dir = TempDir("large");
  constexpr int64_t kElements = int64_t{550} << 20;  // 2.15 GiB of float32
  {
    const int fd = ::open((dir / "big.bin").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, kElements * 4), 0);
    const float last = 7.0f;
    ASSERT_EQ(::pwrite(fd, &last, 4, (kElements - 1) * 4), 4);
    ::close(fd);
  }
  TensorProto w = Weights({{"location", "big.bin"}});
  w.set_dims(0, kElements);
  onnx::ModelProto m = AddModel(w);
  for (auto* io : {m.mutable_graph()->mutable_input(0), m.mutable_graph()->mutable_output(0)})
    io->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(
        kElements);
  Result<Graph> g = Import(m, dir);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Tensor& t = *g->values[*g->FindValue("W")].constant;
  EXPECT_EQ(t.element_count(), kElements);
  EXPECT_EQ(t.data_as<float>()[kElements - 1], 7.0f);
  EXPECT_EQ(t.data_as<float>()[0], 0.0f);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hetrun::core
