// TensorProto decoding edge cases, through ReadTensorProto on protos built here (the same decoder
// handles initializers, Constant values and TENSOR attributes).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>

#include "hetrun/core/tensor_io.h"
#include "test_util.h"

namespace hetrun::core {
namespace {

using onnx::TensorProto;
using testing::FailsWith;

Result<Tensor> Decode(const TensorProto& proto) {
  const std::string path = testing::UniqueTempDir() + "decode_test.pb";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << proto.SerializeAsString();
  return ReadTensorProto(path);
}

TensorProto Make(const char* name, int32_t dtype, std::vector<int64_t> dims) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

TEST(TensorProtoDecode, NarrowTypesFromInt32Data) {
  TensorProto t = Make("i8", TensorProto::INT8, {3});
  for (int v : {-128, 0, 127}) t.add_int32_data(v);
  auto ok = Decode(t);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->data_as<int8_t>()[0], -128);
  EXPECT_EQ(ok->data_as<int8_t>()[2], 127);

  t.set_int32_data(2, 128);
  EXPECT_TRUE(
      FailsWith(Decode(t).status(), "tensor 'i8'", "int32_data[2] = 128 does not fit int8"));

  TensorProto u16 = Make("u16", TensorProto::UINT16, {1});
  u16.add_int32_data(-1);
  EXPECT_TRUE(FailsWith(Decode(u16).status(), "does not fit uint16"));
}

TEST(TensorProtoDecode, Float16BitsAndBools) {
  TensorProto h = Make("h", TensorProto::FLOAT16, {2});
  h.add_int32_data(0x3c00);  // 1.0
  h.add_int32_data(0xc000);  // -2.0
  auto half = Decode(h);
  ASSERT_TRUE(half.ok()) << half.status().message();
  EXPECT_EQ(half->data_as<uint16_t>()[0], 0x3c00);
  EXPECT_EQ(half->data_as<uint16_t>()[1], 0xc000);

  TensorProto b = Make("b", TensorProto::BOOL, {3});
  for (int v : {0, 1, 5}) b.add_int32_data(v);
  auto bools = Decode(b);
  ASSERT_TRUE(bools.ok());
  EXPECT_EQ(bools->data_as<uint8_t>()[2], 1);  // any nonzero is stored as exactly 1
}

TEST(TensorProtoDecode, ComplexStringsAndScalars) {
  TensorProto c = Make("c", TensorProto::COMPLEX64, {2});
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) c.add_float_data(v);
  auto complex = Decode(c);
  ASSERT_TRUE(complex.ok()) << complex.status().message();
  EXPECT_EQ(complex->byte_size(), 16u);
  EXPECT_EQ(complex->data_as<float>()[3], 4.0f);
  c.add_float_data(5.0f);
  EXPECT_FALSE(Decode(c).ok());

  TensorProto s = Make("s", TensorProto::STRING, {2});
  s.add_string_data("ab");
  s.add_string_data(std::string("c\0d", 3));
  auto strings = Decode(s);
  ASSERT_TRUE(strings.ok()) << strings.status().message();
  EXPECT_EQ(strings->strings()[1], std::string("c\0d", 3));
  s.set_raw_data("xx");
  EXPECT_FALSE(Decode(s).ok());

  TensorProto scalar = Make("k", TensorProto::INT64, {});
  scalar.add_int64_data(-9);
  auto k = Decode(scalar);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->dims().empty());
  EXPECT_EQ(k->data_as<int64_t>()[0], -9);
}

TEST(TensorProtoDecode, RejectsInconsistentData) {
  // Huge dims and no data: refused before any allocation is attempted.
  TensorProto bait = Make("bait", TensorProto::FLOAT, {1 << 30, 1 << 30});
  EXPECT_TRUE(FailsWith(Decode(bait).status(), "tensor 'bait'", "but no data"));
  TensorProto overflow = Make("big", TensorProto::FLOAT, {int64_t{1} << 40, int64_t{1} << 40});
  overflow.set_raw_data("abcd");
  EXPECT_TRUE(FailsWith(Decode(overflow).status(), "tensor 'big'", "elements"));

  TensorProto wrong_field = Make("w", TensorProto::INT64, {1});
  wrong_field.add_float_data(1.0f);
  EXPECT_TRUE(FailsWith(Decode(wrong_field).status(), "int64 data found in float_data"));

  TensorProto both = Make("both", TensorProto::FLOAT, {1});
  both.add_float_data(1.0f);
  both.set_raw_data(std::string(4, '\0'));
  EXPECT_TRUE(FailsWith(Decode(both).status(), "both raw_data and float_data"));

  TensorProto long_raw = Make("long", TensorProto::INT32, {2});
  long_raw.set_raw_data(std::string(12, '\0'));
  EXPECT_TRUE(FailsWith(Decode(long_raw).status(), "needs 8 bytes, raw_data has 12"));

  EXPECT_TRUE(FailsWith(Decode(Make("u", 0, {1})).status(), "unknown data type 0"));
  EXPECT_TRUE(FailsWith(Decode(Make("u", 99, {1})).status(), "unknown data type 99"));

  TensorProto ext = Make("ext", TensorProto::FLOAT, {1});
  ext.set_data_location(TensorProto::EXTERNAL);
  auto* entry = ext.add_external_data();
  entry->set_key("location");
  entry->set_value("/etc/passwd");
  EXPECT_TRUE(FailsWith(Decode(ext).status(), "external data is only read for a model's tensors"));
}

TEST(TensorProtoDecode, EmptyTensorNeedsNoData) {
  auto empty = Decode(Make("e", TensorProto::FLOAT, {0, 4}));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->element_count(), 0);
}

}  // namespace
}  // namespace hetrun::core
