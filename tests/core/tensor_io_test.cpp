#include "hetrun/core/tensor_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_util.h"

namespace hetrun::core {
namespace {

using testing::ExpectedBytes;
using testing::FailsWith;
using testing::ModelPath;

std::string Bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.data()), t.byte_size());
}

struct NpyCase {
  const char* name;
  DType dtype;
  std::vector<int64_t> dims;
};

TEST(Npy, ReadsWhatNumpyWrote) {
  HETRUN_REQUIRE_MODELS();
  const NpyCase cases[] = {
      {"f32_2x3", DType::kFloat32, {2, 3}}, {"f32_v2", DType::kFloat32, {5}},
      {"f32_v3", DType::kFloat32, {2}},     {"bool", DType::kBool, {4}},
      {"i64", DType::kInt64, {2, 2}},       {"i8", DType::kInt8, {2}},
      {"u16", DType::kUInt16, {2}},         {"f16", DType::kFloat16, {2}},
      {"f64_scalar", DType::kFloat64, {}},  {"empty", DType::kFloat32, {0, 3}},
  };
  for (const NpyCase& c : cases) {
    auto t = ReadNpy(ModelPath(std::string(c.name) + ".npy"));
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status().message();
    EXPECT_EQ(t->dtype(), c.dtype) << c.name;
    EXPECT_EQ(t->dims(), c.dims) << c.name;
    EXPECT_EQ(Bytes(*t), ExpectedBytes(std::string("npy_") + c.name)) << c.name;
  }
}

TEST(Npy, RefusesWhatItCannotRead) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("fortran.npy")).status(), "fortran.npy: ", "Fortran"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("bigendian.npy")).status(), "big-endian", "'>f4'"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("truncated.npy")).status(), "truncated", "24 bytes"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("trailing.npy")).status(), "4 unexpected bytes"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("bad_magic.npy")).status(), "not a .npy file"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("overflow.npy")).status(), "overflow.npy: ", "elements"));
  EXPECT_TRUE(FailsWith(ReadNpy(ModelPath("tiny.onnx")).status(), "not a .npy file"));
  EXPECT_EQ(ReadNpy("/nonexistent.npy").status().code(), StatusCode::kNotFound);
}

TEST(Npy, MalformedHeaders) {
  const std::string dir = testing::UniqueTempDir();
  auto write = [&](const std::string& name, const std::string& header) {
    std::string h = header;
    h += std::string(63 - (10 + h.size()) % 64, ' ') + "\n";
    std::string file = std::string("\x93NUMPY\x01\x00", 8);
    file += static_cast<char>(h.size() & 0xff);
    file += static_cast<char>(h.size() >> 8);
    file += h;
    std::ofstream(dir + name, std::ios::binary) << file;
    return dir + name;
  };
  EXPECT_TRUE(FailsWith(ReadNpy(write("a.npy", "{'descr': '<f4', 'shape': (1,), }")).status(),
                        "needs 'descr', 'fortran_order' and 'shape'"));
  EXPECT_TRUE(FailsWith(
      ReadNpy(write("b.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"))
          .status(),
      "unexpected or repeated key 'x'"));
  EXPECT_TRUE(FailsWith(
      ReadNpy(write("c.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }")).status(),
      "unsupported dtype '|O'"));
  EXPECT_TRUE(FailsWith(
      ReadNpy(write("d.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"))
          .status(),
      "dimension too large"));
  EXPECT_TRUE(FailsWith(
      ReadNpy(write("e.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"))
          .status(),
      "expected a dimension"));
  // A header length that points past the end of the file.
  std::ofstream(dir + "f.npy", std::ios::binary) << std::string("\x93NUMPY\x01\x00\xff\x7f{", 11);
  EXPECT_TRUE(FailsWith(ReadNpy(dir + "f.npy").status(), "truncated .npy header"));
}

TEST(Npy, RoundTrip) {
  const std::string dir = testing::UniqueTempDir();
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8,
                      DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32,
                      DType::kInt64, DType::kUInt64, DType::kBool, DType::kComplex64}) {
    for (const std::vector<int64_t>& dims :
         {std::vector<int64_t>{}, std::vector<int64_t>{5}, std::vector<int64_t>{2, 3, 4}}) {
      auto t = Tensor::Create(dtype, dims);
      ASSERT_TRUE(t.ok());
      auto* bytes = static_cast<unsigned char*>(t->mutable_data());
      for (size_t i = 0; i < t->byte_size(); ++i) {
        bytes[i] = dtype == DType::kBool ? (i % 3 == 0) : static_cast<unsigned char>(i * 7 + 1);
      }
      const std::string path = dir + "rt.npy";
      ASSERT_TRUE(WriteNpy(path, *t).ok());
      // numpy's layout: the data starts on a 64-byte boundary.
      EXPECT_EQ(std::filesystem::file_size(path) - t->byte_size(), 128u) << DTypeName(dtype);
      auto back = ReadNpy(path);
      ASSERT_TRUE(back.ok()) << back.status().message();
      EXPECT_EQ(back->dtype(), dtype);
      EXPECT_EQ(back->dims(), dims);
      EXPECT_EQ(Bytes(*back), Bytes(*t)) << DTypeName(dtype);
    }
  }
}

TEST(Npy, HeaderMatchesNumpysSpelling) {
  auto t = Tensor::Create(DType::kFloat32, {7});
  const std::string path = testing::UniqueTempDir() + "one.npy";
  ASSERT_TRUE(WriteNpy(path, *t).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(file.substr(10, 60), "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }   ");
  auto scalar = Tensor::Create(DType::kBool, {});
  ASSERT_TRUE(WriteNpy(path, *scalar).ok());
  std::ifstream in2(path, std::ios::binary);
  const std::string file2((std::istreambuf_iterator<char>(in2)), {});
  EXPECT_NE(file2.find("'descr': '|b1'"), std::string::npos);
  EXPECT_NE(file2.find("'shape': ()"), std::string::npos);
  EXPECT_EQ(file2[127], '\n');
}

TEST(Npy, WriteRefusesStringsAndBFloat16) {
  const std::string path = testing::UniqueTempDir() + "no.npy";
  EXPECT_TRUE(FailsWith(WriteNpy(path, *Tensor::Create(DType::kString, {1})), "string"));
  EXPECT_TRUE(FailsWith(WriteNpy(path, *Tensor::Create(DType::kBFloat16, {1})), "bfloat16"));
}

TEST(TensorProtoFile, RawAndTypedData) {
  HETRUN_REQUIRE_MODELS();
  std::string name;
  auto f = ReadTensorProto(ModelPath("tensor_f32.pb"), &name);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(name, "weights");
  EXPECT_EQ(f->dtype(), DType::kFloat32);
  EXPECT_EQ(f->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Bytes(*f), ExpectedBytes("tensor_f32"));

  auto i = ReadTensorProto(ModelPath("tensor_i64_typed.pb"));
  ASSERT_TRUE(i.ok()) << i.status().message();
  EXPECT_EQ(i->dtype(), DType::kInt64);
  EXPECT_EQ(Bytes(*i), ExpectedBytes("tensor_i64_typed"));
}

TEST(TensorProtoFile, Errors) {
  HETRUN_REQUIRE_MODELS();
  EXPECT_TRUE(FailsWith(ReadTensorProto(ModelPath("tensor_short.pb")).status(),
                        "tensor_short.pb: tensor 'short'", "needs 4 values", "float_data has 3"));
  EXPECT_TRUE(FailsWith(ReadTensorProto(ModelPath("empty.onnx")).status(), "empty file"));
  EXPECT_FALSE(ReadTensorProto(ModelPath("text.onnx")).ok());
  EXPECT_EQ(ReadTensorProto("/nonexistent.pb").status().code(), StatusCode::kNotFound);
}

TEST(TensorFile, ByExtension) {
  HETRUN_REQUIRE_MODELS();
  auto npy = ReadTensorFile(ModelPath("i64.npy"));
  ASSERT_TRUE(npy.ok());
  EXPECT_EQ(npy->dtype(), DType::kInt64);
  auto pb = ReadTensorFile(ModelPath("tensor_f32.pb"));
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->dtype(), DType::kFloat32);
  EXPECT_TRUE(FailsWith(ReadTensorFile(ModelPath("tiny.onnx")).status(), "expected .npy or .pb"));
}

}  // namespace
}  // namespace hetrun::core
