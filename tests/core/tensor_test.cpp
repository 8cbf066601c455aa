#include "hetrun/core/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "hetrun/core/dtype.h"
#include "test_util.h"

namespace hetrun::core {
namespace {

using testing::FailsWith;

TEST(DType, SizesAndNames) {
  EXPECT_EQ(DTypeSize(DType::kFloat32), 4u);
  EXPECT_EQ(DTypeSize(DType::kFloat16), 2u);
  EXPECT_EQ(DTypeSize(DType::kBool), 1u);
  EXPECT_EQ(DTypeSize(DType::kComplex128), 16u);
  EXPECT_EQ(DTypeSize(DType::kString), 0u);
  EXPECT_EQ(DTypeSize(DType::kUndefined), 0u);
  EXPECT_EQ(DTypeName(DType::kInt64), "int64");
  EXPECT_EQ(DTypeName(DType::kBFloat16), "bfloat16");
  EXPECT_EQ(DTypeFromName("float32"), DType::kFloat32);
  EXPECT_EQ(DTypeFromName("uint16"), DType::kUInt16);
  EXPECT_FALSE(DTypeFromName("float"));
}

TEST(DType, FromCodeRejectsUnknownValues) {
  EXPECT_EQ(DTypeFromCode(1), DType::kFloat32);
  EXPECT_EQ(DTypeFromCode(16), DType::kBFloat16);
  EXPECT_FALSE(DTypeFromCode(17));  // float8 types are newer than this IR
  EXPECT_FALSE(DTypeFromCode(-1));
  EXPECT_FALSE(DTypeFromCode(int64_t{1} << 40));
}

TEST(Tensor, CreateIsZeroFilledAndAligned) {
  auto t = Tensor::Create(DType::kFloat32, {2, 3});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->element_count(), 6);
  EXPECT_EQ(t->byte_size(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data()) % 64, 0u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t->data_as<float>()[i], 0.0f);
  EXPECT_EQ(t->Describe(), "float32[2x3]");
}

TEST(Tensor, ScalarAndEmpty) {
  auto scalar = Tensor::Create(DType::kInt64, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->element_count(), 1);
  EXPECT_EQ(scalar->byte_size(), 8u);
  EXPECT_EQ(scalar->Describe(), "int64[]");
  auto empty = Tensor::Create(DType::kFloat32, {0, 5});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->element_count(), 0);
  EXPECT_EQ(empty->byte_size(), 0u);
  EXPECT_NE(empty->data(), nullptr);  // never null, so memcpy(dst, data(), 0) stays defined
}

TEST(Tensor, RejectsNegativeDimsAndOverflow) {
  EXPECT_TRUE(
      FailsWith(Tensor::Create(DType::kFloat32, {2, -3}).status(), "negative dimension -3"));
  EXPECT_TRUE(FailsWith(
      Tensor::Create(DType::kFloat32, {int64_t{1} << 32, int64_t{1} << 32}).status(), "elements"));
  // Fits int64 as an element count but not as bytes.
  EXPECT_FALSE(Tensor::Create(DType::kFloat64, {int64_t{1} << 61}).ok());
  EXPECT_FALSE(Tensor::Create(DType::kUndefined, {1}).ok());
}

TEST(Tensor, CheckedElementCount) {
  EXPECT_EQ(*CheckedElementCount({}), 1);
  EXPECT_EQ(*CheckedElementCount({3, 4, 5}), 60);
  // A zero makes the product 0 even when the other dims would overflow.
  EXPECT_EQ(*CheckedElementCount({INT64_MAX, INT64_MAX, 0}), 0);
  EXPECT_FALSE(CheckedElementCount({INT64_MAX, 2}).ok());
  EXPECT_FALSE(CheckedElementCount({10, 10}, 99).ok());
  EXPECT_EQ(*CheckedElementCount({10, 10}, 100), 100);
  EXPECT_TRUE(FailsWith(CheckedElementCount({4, -1}).status(), "negative"));
}

TEST(Tensor, FromBytesChecksSize) {
  const int32_t v[3] = {1, -2, 3};
  auto t = Tensor::FromBytes(DType::kInt32, {3}, v, sizeof v);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(std::memcmp(t->data(), v, sizeof v), 0);
  EXPECT_TRUE(FailsWith(Tensor::FromBytes(DType::kInt32, {4}, v, sizeof v).status(),
                        "needs 16 bytes", "got 12"));
  EXPECT_FALSE(Tensor::FromBytes(DType::kString, {1}, v, 4).ok());
}

TEST(Tensor, StringsAndSharing) {
  auto t = Tensor::Create(DType::kString, {2});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->strings().size(), 2u);
  t->mutable_strings()[1] = "hello";
  EXPECT_EQ(t->strings()[1], "hello");
  // Copies share the (immutable after construction) numeric storage.
  auto a = Tensor::Create(DType::kUInt8, {4});
  Tensor b = *a;
  EXPECT_EQ(a->data(), b.data());
}

}  // namespace
}  // namespace hetrun::core
