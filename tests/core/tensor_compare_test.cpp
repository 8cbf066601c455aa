// CompareTensors follows ONNX's runner: tolerance on floats, NaN == NaN, exact integers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hetrun/core/tensor_compare.h"

namespace hetrun::core {
namespace {

template <typename T>
Tensor Make(DType dtype, std::vector<int64_t> dims, std::vector<T> values) {
  Result<Tensor> t =
      Tensor::FromBytes(dtype, std::move(dims), values.data(), values.size() * sizeof(T));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(CompareTensors, FloatTolerance) {
  Tensor expected = Make<float>(DType::kFloat32, {3}, {1.0f, 100.0f, 0.0f});
  EXPECT_TRUE(CompareTensors(Make<float>(DType::kFloat32, {3}, {1.0009f, 100.09f, 0.0f}), expected,
                             1e-3, 1e-7)
                  .ok);
  TensorComparison bad =
      CompareTensors(Make<float>(DType::kFloat32, {3}, {1.0f, 100.2f, 0.0f}), expected, 1e-3, 1e-7);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("1 of 3 elements"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("worst at 1"), std::string::npos) << bad.message;
}

TEST(CompareTensors, NanEqualsNanAndInfinitiesMustMatch) {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  Tensor expected = Make<float>(DType::kFloat32, {2}, {nan, inf});
  EXPECT_TRUE(
      CompareTensors(Make<float>(DType::kFloat32, {2}, {nan, inf}), expected, 1e-3, 1e-7).ok);
  EXPECT_FALSE(
      CompareTensors(Make<float>(DType::kFloat32, {2}, {0.0f, inf}), expected, 1e-3, 1e-7).ok);
  EXPECT_FALSE(
      CompareTensors(Make<float>(DType::kFloat32, {2}, {nan, -inf}), expected, 1e-3, 1e-7).ok);
}

TEST(CompareTensors, IntegersAreExactAndShapesAndTypesMustAgree) {
  Tensor expected = Make<int64_t>(DType::kInt64, {2}, {5, 7});
  EXPECT_TRUE(CompareTensors(Make<int64_t>(DType::kInt64, {2}, {5, 7}), expected, 1, 1).ok);
  EXPECT_FALSE(CompareTensors(Make<int64_t>(DType::kInt64, {2}, {5, 8}), expected, 1, 1).ok);
  EXPECT_NE(CompareTensors(Make<int64_t>(DType::kInt64, {1, 2}, {5, 7}), expected, 1, 1)
                .message.find("shape"),
            std::string::npos);
  EXPECT_NE(CompareTensors(Make<int32_t>(DType::kInt32, {2}, {5, 7}), expected, 1, 1)
                .message.find("dtype"),
            std::string::npos);
}

TEST(CompareTensors, HalfPrecisionComparedAsFloats) {
  // float16 0x3c00 = 1.0, 0x3c01 = 1.0009765625; bfloat16 0x3f80 = 1.0.
  Tensor h = Make<uint16_t>(DType::kFloat16, {1}, {0x3c00});
  EXPECT_FALSE(CompareTensors(Make<uint16_t>(DType::kFloat16, {1}, {0x3c01}), h, 1e-4, 0).ok);
  EXPECT_TRUE(CompareTensors(Make<uint16_t>(DType::kFloat16, {1}, {0x3c01}), h, 1e-3, 0).ok);
  Tensor b = Make<uint16_t>(DType::kBFloat16, {1}, {0x3f80});
  EXPECT_TRUE(CompareTensors(Make<uint16_t>(DType::kBFloat16, {1}, {0x3f80}), b, 0, 0).ok);
}

}  // namespace
}  // namespace hetrun::core
