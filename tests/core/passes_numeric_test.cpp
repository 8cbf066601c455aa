// Graph passes that compute new constants: constant folding and BatchNormalization folding. Folded
// values are checked against a direct computation of what the removed nodes would have computed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hetrun/core/passes.h"
#include "pass_test_graphs.h"

namespace hetrun::core {
namespace {

using testing::FloatAttr;
using testing::GraphMaker;
using testing::IntAttr;
using testing::MakeTensor;
using testing::Named;
using testing::OpTypes;
using testing::Values;
using Ops = std::vector<std::string>;

// Runs constant folding on one `op` node over constant `inputs` whose result feeds a Neg; returns
// the folded result, or nullopt when the node was left in place.
std::optional<Tensor> Fold(const std::string& op, std::vector<Tensor> inputs,
                           std::vector<Attribute> attrs = {}, int64_t max_elements = 4096) {
  GraphMaker m;
  std::vector<ValueId> ids;
  for (size_t i = 0; i < inputs.size(); ++i)
    ids.push_back(m.Constant("in" + std::to_string(i), std::move(inputs[i])));
  const ValueId r = m.Temp("r", std::nullopt, DType::kUndefined), y = m.Output("y");
  m.Node(op, ids, {r}, std::move(attrs));
  m.Node("Neg", {r}, {y});
  Graph g = m.Build();
  auto folded = FoldConstants(g, max_elements);
  EXPECT_TRUE(folded.ok());
  EXPECT_TRUE(g.Verify().ok()) << g.Verify().message();
  const Value& result = Named(g, "r");
  if (!result.constant) {
    EXPECT_EQ(*folded, 0);
    return std::nullopt;
  }
  EXPECT_EQ(*folded, 1);
  EXPECT_EQ(OpTypes(g), (Ops{"Neg"}));
  EXPECT_EQ(result.shape.sizes(), result.constant->dims());
  return *result.constant;
}

Tensor I64(std::vector<int64_t> dims, std::vector<int64_t> data) {
  return MakeTensor<int64_t>(DType::kInt64, std::move(dims), data);
}
Tensor F32(std::vector<int64_t> dims, std::vector<float> data) {
  return MakeTensor<float>(DType::kFloat32, std::move(dims), data);
}

TEST(ConstantFolding, FloatArithmeticBroadcastsLikeNumpy) {
  const std::vector<float> a = {1.5f, -2, 3, 4, 5.25f, -6}, b = {0.5f, 3, -7};
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    auto r = Fold(op, {F32({2, 3}, a), F32({3}, b)});
    ASSERT_TRUE(r) << op;
    EXPECT_EQ(r->dims(), (std::vector<int64_t>{2, 3}));
    for (size_t i = 0; i < 6; ++i) {
      const float x = a[i], y = b[i % 3];
      const float want = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      EXPECT_EQ(Values<float>(*r)[i], want) << op << " at " << i;
    }
  }
}

TEST(ConstantFolding, IntegerArithmeticFoldsOnlyWhereUnambiguous) {
  auto r = Fold("Mul", {I64({2, 1}, {2, 3}), I64({3}, {1, 10, 100})});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{2, 20, 200, 3, 30, 300}));
  r = Fold("Div", {I64({2}, {7, -8}), I64({1}, {2})});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{3, -4}));
  // -7 / 2 truncates to -3 but floors to -4; division by zero and overflow fail at run time.
  EXPECT_FALSE(Fold("Div", {I64({1}, {-7}), I64({1}, {2})}));
  EXPECT_FALSE(Fold("Div", {I64({1}, {1}), I64({1}, {0})}));
  EXPECT_FALSE(Fold("Add", {I64({1}, {INT64_MAX}), I64({1}, {1})}));
  EXPECT_FALSE(Fold("Add", {I64({2}, {1, 2}), F32({2}, {1, 2})}));  // mixed dtypes
}

TEST(ConstantFolding, ShapeOpsOnConstants) {
  auto r = Fold("Gather", {I64({4}, {10, 20, 30, 40}), I64({2}, {-1, 1})}, {IntAttr("axis", 0)});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{40, 20}));
  r = Fold("Gather", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), I64({}, {2})}, {IntAttr("axis", 1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(Values<float>(*r), (std::vector<float>{3, 6}));
  EXPECT_FALSE(Fold("Gather", {I64({2}, {1, 2}), I64({1}, {2})}));  // out of range

  r = Fold("Unsqueeze", {I64({}, {5}), I64({1}, {0})});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{1}));
  r = Fold("Squeeze", {I64({1, 2, 1}, {5, 6}), I64({1}, {-1})});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{1, 2}));
  r = Fold("Concat", {I64({1, 2}, {1, 2}), I64({1, 1}, {3})}, {IntAttr("axis", -1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{1, 2, 3}));
  r = Fold("Concat", {I64({2, 1}, {1, 2}), I64({2, 2}, {3, 4, 5, 6})}, {IntAttr("axis", 1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
  r = Fold("Reshape", {I64({2, 3}, {1, 2, 3, 4, 5, 6}), I64({2}, {0, -1})});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{2, 3}));
  r = Fold("Reshape", {I64({2, 3}, {1, 2, 3, 4, 5, 6}), I64({2}, {3, -1})});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_FALSE(Fold("Reshape", {I64({2, 3}, {1, 2, 3, 4, 5, 6}), I64({1}, {4})}));
}

TEST(ConstantFolding, SliceAndConstantOfShape) {
  const Tensor shape = I64({4}, {1, 3, 224, 224});
  auto r = Fold("Slice", {shape, I64({1}, {-2}), I64({1}, {INT64_MAX})});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{224, 224}));
  r = Fold("Slice", {shape, I64({1}, {-1}), I64({1}, {INT64_MIN}), I64({1}, {0}), I64({1}, {-2})});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{224, 3}));
  // A 2-D slice: rows 1.., columns 0..2 of [[1,2,3],[4,5,6],[7,8,9]].
  r = Fold("Slice", {F32({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), I64({2}, {1, 0}), I64({2}, {3, 2})});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>(*r), (std::vector<float>{4, 5, 7, 8}));
  r = Fold("Slice", {shape, I64({1}, {3}), I64({1}, {1})});  // empty
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{0}));

  Attribute value;
  value.name = "value";
  value.type = Attribute::Type::kTensor;
  value.tensor = std::make_shared<const Tensor>(I64({1}, {7}));
  r = Fold("ConstantOfShape", {I64({2}, {2, 2})}, {value});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dtype(), DType::kInt64);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{7, 7, 7, 7}));
  r = Fold("ConstantOfShape", {I64({1}, {3})});
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<float>(*r), (std::vector<float>{0, 0, 0}));
}

TEST(ConstantFolding, CastTruncatesAndRefusesUnrepresentableValues) {
  auto r = Fold("Cast", {F32({3}, {1.7f, -1.7f, 3})}, {IntAttr("to", 7)});  // to int64
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<int64_t>(*r), (std::vector<int64_t>{1, -1, 3}));
  r = Fold("Cast", {I64({2}, {3, -2})}, {IntAttr("to", 1)});  // to float32
  ASSERT_TRUE(r);
  EXPECT_EQ(Values<float>(*r), (std::vector<float>{3, -2}));
  EXPECT_FALSE(Fold("Cast", {F32({1}, {NAN})}, {IntAttr("to", 7)}));
  EXPECT_FALSE(Fold("Cast", {I64({1}, {int64_t{1} << 40})}, {IntAttr("to", 6)}));  // to int32
}

TEST(ConstantFolding, ShapeOfAFullyKnownShapeFoldsAndTheSizeLimitHolds) {
  GraphMaker m;
  const ValueId x = m.Input("x", {2, 3, 4}), s = m.Temp("s", std::nullopt, DType::kInt64),
                y = m.Output("y");
  m.Node("Shape", {x}, {s}, {IntAttr("start", 1)});
  m.Node("Neg", {s}, {y});
  Graph g = m.Build();
  ASSERT_TRUE(FoldConstants(g).ok());
  ASSERT_TRUE(Named(g, "s").constant);
  EXPECT_EQ(Values<int64_t>(*Named(g, "s").constant), (std::vector<int64_t>{3, 4}));

  std::vector<float> big(100 * 100, 1.0f);
  EXPECT_FALSE(Fold("Add", {F32({100, 100}, big), F32({1}, {1})}, {}, 4096));
  EXPECT_TRUE(Fold("Add", {F32({100, 100}, big), F32({1}, {1})}, {}, 10000));
}

// Direct convolution, no padding, unit strides: x [1, C, H, W], w [M, C/group, kH, kW].
std::vector<float> Conv2d(const std::vector<float>& x, int64_t h, int64_t w_in, const Tensor& w,
                          const std::vector<double>& bias, int64_t group) {
  const int64_t m = w.dims()[0], cg = w.dims()[1], kh = w.dims()[2], kw = w.dims()[3];
  const int64_t oh = h - kh + 1, ow = w_in - kw + 1;
  std::vector<float> out;
  const float* wd = w.data_as<float>();
  for (int64_t o = 0; o < m; ++o) {
    const int64_t g = o / (m / group);
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        double acc = bias[static_cast<size_t>(o)];
        for (int64_t ci = 0; ci < cg; ++ci) {
          for (int64_t a = 0; a < kh; ++a) {
            for (int64_t b = 0; b < kw; ++b) {
              const int64_t channel = g * cg + ci;
              acc += double{x[static_cast<size_t>((channel * h + i + a) * w_in + j + b)]} *
                     wd[((o * cg + ci) * kh + a) * kw + b];
            }
          }
        }
        out.push_back(static_cast<float>(acc));
      }
    }
  }
  return out;
}

std::vector<float> RandomFloats(size_t n, std::mt19937& rng, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

struct BatchNormParams {
  std::vector<float> scale, beta, mean, var;
};

BatchNormParams RandomBatchNorm(size_t channels, std::mt19937& rng) {
  return {RandomFloats(channels, rng, 0.5f, 2), RandomFloats(channels, rng),
          RandomFloats(channels, rng), RandomFloats(channels, rng, 0.1f, 3)};
}

// x [1, 4, 5, 5] -> Conv (6 filters, 2 groups, 3x3, bias) -> `conv` -> BN -> y; `extra_reader`
// also reads `conv`.
Graph ConvBatchNorm(const Tensor& w, const std::vector<float>& bias, const BatchNormParams& bn,
                    std::vector<Attribute> bn_attrs, bool extra_reader) {
  GraphMaker m;
  const ValueId x = m.Input("x", {1, 4, 5, 5});
  const ValueId wv = m.Constant("w", w), bv = m.Floats("b", {6}, bias);
  const ValueId conv = m.Temp("conv", std::vector<int64_t>{1, 6, 3, 3});
  const ValueId y = m.Output("y", std::vector<int64_t>{1, 6, 3, 3});
  m.Node("Conv", {x, wv, bv}, {conv}, {IntAttr("group", 2)});
  m.Node("BatchNormalization",
         {conv, m.Floats("scale", {6}, bn.scale), m.Floats("beta", {6}, bn.beta),
          m.Floats("mean", {6}, bn.mean), m.Floats("var", {6}, bn.var)},
         {y}, std::move(bn_attrs));
  if (extra_reader) m.Node("Relu", {conv}, {m.Output("other")});
  return m.Build();
}

TEST(BatchNormFolding, ConvWithGroupsMatchesConvThenBatchNorm) {
  std::mt19937 rng(7);
  const std::vector<float> x = RandomFloats(4 * 5 * 5, rng), bias = RandomFloats(6, rng);
  const Tensor w = F32({6, 2, 3, 3}, RandomFloats(6 * 2 * 3 * 3, rng));
  const BatchNormParams bn = RandomBatchNorm(6, rng);
  const float eps = 1e-3f;
  Graph g = ConvBatchNorm(w, bias, bn, {FloatAttr("epsilon", eps)}, false);
  auto folded = FoldBatchNormalization(g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);
  ASSERT_TRUE(EliminateDeadCode(g).ok());
  ASSERT_TRUE(g.Verify().ok()) << g.Verify().message();
  ASSERT_EQ(OpTypes(g), (Ops{"Conv"}));
  const Node& conv = g.nodes[0];
  EXPECT_EQ(g.values[static_cast<size_t>(conv.outputs[0])].name, "y");
  EXPECT_FALSE(g.FindValue("w").has_value());  // the old weights went with the BN
  const Tensor& new_w = *g.values[static_cast<size_t>(conv.inputs[1])].constant;
  const Tensor& new_b = *g.values[static_cast<size_t>(conv.inputs[2])].constant;

  const std::vector<double> b64(bias.begin(), bias.end());
  const std::vector<float> new_b32 = Values<float>(new_b);
  const std::vector<float> plain = Conv2d(x, 5, 5, w, b64, 2);
  const std::vector<float> fused =
      Conv2d(x, 5, 5, new_w, std::vector<double>(new_b32.begin(), new_b32.end()), 2);
  ASSERT_EQ(plain.size(), fused.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    const size_t c = i / 9;
    const double want =
        (plain[i] - bn.mean[c]) / std::sqrt(double{bn.var[c]} + eps) * bn.scale[c] + bn.beta[c];
    EXPECT_NEAR(fused[i], want, 1e-5 + 1e-5 * std::fabs(want)) << "at " << i;
  }
}

TEST(BatchNormFolding, LeavesSharedInputsAndTrainingModeAlone) {
  std::mt19937 rng(3);
  const Tensor w = F32({6, 2, 3, 3}, RandomFloats(6 * 2 * 3 * 3, rng));
  const std::vector<float> bias = RandomFloats(6, rng);
  const BatchNormParams bn = RandomBatchNorm(6, rng);
  Graph shared = ConvBatchNorm(w, bias, bn, {}, /*extra_reader=*/true);
  EXPECT_EQ(*FoldBatchNormalization(shared), 0);
  Graph training = ConvBatchNorm(w, bias, bn, {IntAttr("training_mode", 1)}, false);
  EXPECT_EQ(*FoldBatchNormalization(training), 0);
}

TEST(BatchNormFolding, GemmMatchesGemmThenBatchNorm) {
  std::mt19937 rng(11);
  const std::vector<float> a = RandomFloats(3 * 4, rng), c = RandomFloats(5, rng);
  const Tensor b = F32({5, 4}, RandomFloats(5 * 4, rng));  // transB = 1
  const BatchNormParams bn = RandomBatchNorm(5, rng);
  GraphMaker m;
  const ValueId av = m.Input("a", {3, 4}), g_out = m.Temp("gemm", std::vector<int64_t>{3, 5});
  m.Node("Gemm", {av, m.Constant("b", b), m.Floats("c", {5}, c)}, {g_out},
         {IntAttr("transB", 1), FloatAttr("alpha", 0.5f), FloatAttr("beta", 2.0f)});
  m.Node("BatchNormalization",
         {g_out, m.Floats("scale", {5}, bn.scale), m.Floats("bnb", {5}, bn.beta),
          m.Floats("mean", {5}, bn.mean), m.Floats("var", {5}, bn.var)},
         {m.Output("y")});
  Graph g = m.Build();
  ASSERT_EQ(*FoldBatchNormalization(g), 1);
  ASSERT_TRUE(g.Verify().ok()) << g.Verify().message();
  ASSERT_EQ(OpTypes(g), (Ops{"Gemm"}));
  const Node& gemm = g.nodes[0];
  const Tensor& nb = *g.values[static_cast<size_t>(gemm.inputs[1])].constant;
  const Tensor& nc = *g.values[static_cast<size_t>(gemm.inputs[2])].constant;
  const Attribute* beta = gemm.FindAttribute("beta");
  const double new_beta = beta ? beta->f : 1.0;
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      double plain = 2.0 * c[static_cast<size_t>(j)], fused = new_beta * nc.data_as<float>()[j];
      for (int64_t k = 0; k < 4; ++k) {
        plain += 0.5 * a[static_cast<size_t>(i * 4 + k)] * b.data_as<float>()[j * 4 + k];
        fused += 0.5 * a[static_cast<size_t>(i * 4 + k)] * nb.data_as<float>()[j * 4 + k];
      }
      const size_t ch = static_cast<size_t>(j);
      const double want =
          (plain - bn.mean[ch]) / std::sqrt(double{bn.var[ch]} + 1e-5) * bn.scale[ch] + bn.beta[ch];
      EXPECT_NEAR(fused, want, 1e-5 + 1e-5 * std::fabs(want));
    }
  }
}

}  // namespace
}  // namespace hetrun::core
