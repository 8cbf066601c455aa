// Differential tests: every op the vulkan plugin claims, on random shapes and attributes, against
// the cpu plugin (same graph, same inputs, both driven through the ABI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

struct UnaryCase {
  const char* op;
  float lo, hi;
  bool transcendental;
};

TEST_F(Differential, UnaryOps) {
  const UnaryCase cases[] = {
      {"Relu", -2, 2, false},         {"Sigmoid", -8, 8, true},
      {"Tanh", -4, 4, true},          {"Exp", -5, 5, true},
      {"Log", 0.01f, 5, true},        {"Abs", -2, 2, false},
      {"Neg", -2, 2, false},          {"Sqrt", 0, 4, false},
      {"Erf", -3, 3, true},           {"LeakyRelu", -2, 2, false},
      {"HardSigmoid", -4, 4, false},  {"Reciprocal", 0.5f, 3, false},
      {"Floor", -5, 5, false},        {"Ceil", -5, 5, false},
      {"Elu", -3, 3, true},           {"Selu", -3, 3, true},
      {"Softsign", -3, 3, false},     {"ThresholdedRelu", -2, 2, false},
      {"Sinh", -3, 3, true},          {"Cosh", -3, 3, true},
      {"Asinh", -3, 3, true},         {"Acosh", 1, 4, true},
      {"Atanh", -0.95f, 0.95f, true}, {"Softplus", -5, 5, true},
      {"Shrink", -2, 2, false},       {"Sign", -2, 2, false},
      {"Round", -4, 4, false},        {"HardSwish", -5, 5, false},
      {"Celu", -3, 3, true},
  };
  for (const UnaryCase& c : cases) {
    for (int round = 0; round < 3; ++round) {
      const Dims dims = RandomDims(0, 4);
      Graph g;
      g.Value("x", dims).Value("y", dims).Node(c.op, {"x"}, {"y"});
      const std::string op = c.op;
      if (op == "LeakyRelu" || op == "Elu" || op == "ThresholdedRelu")
        g.Float("alpha", Uniform(0.05f, 1.5f));
      if (op == "HardSigmoid")
        g.Float("alpha", Uniform(0.1f, 0.5f)).Float("beta", Uniform(0.2f, 0.7f));
      if (op == "Selu") g.Float("alpha", Uniform(1, 2)).Float("gamma", Uniform(0.8f, 1.2f));
      if (op == "Shrink") g.Float("lambd", Uniform(0.1f, 1)).Float("bias", Uniform(0, 0.5f));
      if (op == "Celu") g.Float("alpha", Uniform(0.5f, 2));
      g.Inputs({"x"}).Outputs({"y"});
      const double rtol = c.transcendental ? 1e-3 : 1e-4;
      ExpectSame(g, {Random(dims, c.lo, c.hi)}, rtol, 1e-5, op + " " + std::to_string(round));
    }
  }
}

TEST_F(Differential, BinaryOpsBroadcast) {
  const char* ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Sum", "Mean"};
  for (const char* op_name : ops) {
    const std::string op = op_name;
    for (int round = 0; round < 4; ++round) {
      const Dims out = RandomDims(1, 4);
      Dims a = op == "PRelu" ? out : BroadcastFrom(out), b = BroadcastFrom(out);
      if (op != "PRelu" && round == 0) a = out;  // make sure `out` is the broadcast shape
      if (round == 0) b = out;
      Dims full;
      {  // the real broadcast shape of a and b (may be smaller than `out`)
        const size_t rank = std::max(a.size(), b.size());
        full.assign(rank, 1);
        for (size_t i = 0; i < rank; ++i) {
          const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
          const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
          full[i] = std::max(da, db);
        }
      }
      Graph g;
      g.Value("a", a)
          .Value("b", b)
          .Value("y", full)
          .Node(op, {"a", "b"}, {"y"})
          .Inputs({"a", "b"})
          .Outputs({"y"});
      std::vector<float> va = Random(a, -2, 2), vb = Random(b, -2, 2);
      if (op == "Div") {
        for (float& x : vb) x = x < 0 ? x - 0.5f : x + 0.5f;
      }
      if (op == "Pow") va = Random(a, 0.2f, 3);
      const double rtol = op == "Pow" ? 1e-3 : 1e-4;
      ExpectSame(g, {va, vb}, rtol, 1e-5, op + " " + std::to_string(round));
    }
  }
  // Pow with negative bases and integer exponents, and a three-input Sum with a constant.
  Graph pow;
  pow.Value("a", {8}).Constant("e", {8}, {0, 1, 2, 3, -1, -2, 4, 5}).Value("y", {8});
  pow.Node("Pow", {"a", "e"}, {"y"}).Inputs({"a"}).Outputs({"y"});
  ExpectSame(pow, {Random({8}, -3, -0.5f)}, 1e-3, 1e-5, "Pow negative base");
  Graph sum;
  sum.Value("a", {3, 4}).Value("b", {4}).Constant("c", {3, 1}, {1, 2, 3}).Value("y", {3, 4});
  sum.Node("Sum", {"a", "b", "c"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
  ExpectSame(sum, {Random({3, 4}, -2, 2), Random({4}, -2, 2)}, 1e-4, 1e-5, "Sum of 3");
}

TEST_F(Differential, ClipForms) {
  const Dims dims = {3, 5};
  const std::vector<float> x = Random(dims, -3, 3);
  Graph constants;
  constants.Value("x", dims)
      .Constant("lo", {}, {-1.5f})
      .Constant("hi", {}, {0.75f})
      .Value("y", dims);
  constants.Node("Clip", {"x", "lo", "hi"}, {"y"}, 13).Inputs({"x"}).Outputs({"y"});
  ExpectSame(constants, {x}, 1e-4, 1e-5, "Clip constants");
  Graph inputs;
  inputs.Value("x", dims).Value("lo", {}).Value("y", dims);
  inputs.Node("Clip", {"x", "lo", ""}, {"y"}, 13).Inputs({"x", "lo"}).Outputs({"y"});
  ExpectSame(inputs, {x, {0.25f}}, 1e-4, 1e-5, "Clip min input, max omitted");
  Graph attrs;
  attrs.Value("x", dims)
      .Value("y", dims)
      .Node("Clip", {"x"}, {"y"}, 6)
      .Float("min", -0.5f)
      .Float("max", 2.0f);
  attrs.Inputs({"x"}).Outputs({"y"});
  ExpectSame(attrs, {x}, 1e-4, 1e-5, "Clip-6 attributes");
}

TEST_F(Differential, FusedChainWithSideOutputs) {
  for (int round = 0; round < 4; ++round) {
    const Dims dims = RandomDims(1, 4, 9);
    const Dims bias = BroadcastFrom(dims);
    Graph g;
    g.Value("x", dims).Value("b", bias).Value("t0", dims).Value("t1", dims).Value("t2", dims);
    g.Value("t3", dims).Value("t4", dims).Value("y", dims).Constant("half", {}, {0.5f});
    g.Node("Add", {"x", "b"}, {"t0"})
        .Node("Relu", {"t0"}, {"t1"})
        .Node("Mul", {"t1", "half"}, {"t2"})
        .Node("Tanh", {"t2"}, {"t3"})
        .Node("Erf", {"t3"}, {"t4"})
        .Node("Sub", {"t4", "x"}, {"y"});
    g.Inputs({"x", "b"}).Outputs({"y", "t1"});  // t1 leaves the registers too
    ExpectSame(g, {Random(dims, -2, 2), Random(bias, -1, 1)}, 1e-3, 1e-5,
               "chain " + std::to_string(round));
  }
}

TEST_F(Differential, MatMulBatchedBroadcast) {
  for (int round = 0; round < 10; ++round) {
    const int64_t m = Int(1, 40), k = Int(1, 40), n = Int(1, 40);
    Dims batch = RandomDims(0, 2, 3);
    Dims a = BroadcastFrom(batch), b = BroadcastFrom(batch);
    if (round % 2 == 0) a = batch;
    Dims out;
    {
      const size_t rank = std::max(a.size(), b.size());
      for (size_t i = 0; i < rank; ++i) {
        const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
        const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
        out.push_back(std::max(da, db));
      }
    }
    const bool a_vector = round == 3, b_vector = round == 5;
    if (a_vector) {
      a = {k};
    } else {
      a.push_back(m), a.push_back(k), out.push_back(m);
    }
    if (b_vector) {
      b = {k};
    } else {
      b.push_back(k), b.push_back(n), out.push_back(n);
    }
    if (a_vector) out = Dims(b.begin(), b.end() - 2), out.push_back(n);
    if (b_vector) out = Dims(a.begin(), a.end() - 2), out.push_back(m);
    Graph g;
    g.Value("a", a).Value("b", b).Value("y", out).Node("MatMul", {"a", "b"}, {"y"});
    g.Inputs({"a", "b"}).Outputs({"y"});
    ExpectSame(g, {Random(a, -1, 1), Random(b, -1, 1)}, 1e-4, 1e-4,
               "MatMul " + std::to_string(round));
  }
}

TEST_F(Differential, GemmAttributes) {
  for (int round = 0; round < 10; ++round) {
    const int64_t m = Int(1, 35), k = Int(1, 35), n = Int(1, 35);
    const bool ta = Int(0, 1) != 0, tb = Int(0, 1) != 0;
    const Dims a = ta ? Dims{k, m} : Dims{m, k}, b = tb ? Dims{n, k} : Dims{k, n};
    Graph g;
    g.Value("a", a).Value("b", b).Value("y", {m, n});
    std::vector<std::vector<float>> inputs = {Random(a, -1, 1), Random(b, -1, 1)};
    const bool with_c = round % 6 != 5;
    Dims c;
    if (with_c) {
      const Dims c_shapes[] = {{}, {1}, {n}, {m, 1}, {m, n}};  // every broadcast C may take
      c = c_shapes[round % 5];
      g.Constant("c", c, Random(c, -1, 1));
      g.Node("Gemm", {"a", "b", "c"}, {"y"});
    } else {
      g.Node("Gemm", {"a", "b"}, {"y"});
    }
    g.Int("transA", ta).Int("transB", tb);
    if (round % 3 != 0) g.Float("alpha", Uniform(-2, 2)).Float("beta", Uniform(-2, 2));
    g.Inputs({"a", "b"}).Outputs({"y"});
    ExpectSame(g, inputs, 1e-4, 1e-4, "Gemm " + std::to_string(round));
  }
}

TEST_F(Differential, SoftmaxAxes) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    for (int round = 0; round < 6; ++round) {
      const int64_t opset = round % 2 == 0 ? 13 : 11;
      const Dims dims = RandomDims(opset == 11 ? 2 : 1, 4, 7);  // opset 11's default axis is 1
      const auto rank = static_cast<int64_t>(dims.size());
      Graph g;
      g.Value("x", dims).Value("y", dims).Node(op, {"x"}, {"y"}, opset);
      if (round > 1) g.Int("axis", Int(-rank, rank - 1));
      g.Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {Random(dims, -5, 5)}, 1e-3, 1e-6,
                 std::string(op) + " opset " + std::to_string(opset));
    }
  }
}

TEST_F(Differential, TransposePermutations) {
  for (int round = 0; round < 8; ++round) {
    const Dims dims = RandomDims(1, 5, 5);
    std::vector<int64_t> perm(dims.size());
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int64_t>(d);
    std::shuffle(perm.begin(), perm.end(), rng_);
    Dims out(dims.size());
    for (size_t d = 0; d < out.size(); ++d) out[d] = dims[static_cast<size_t>(perm[d])];
    Graph g;
    g.Value("x", dims).Value("y", round == 0 ? Dims(dims.rbegin(), dims.rend()) : out);
    g.Node("Transpose", {"x"}, {"y"});
    if (round != 0) g.Ints("perm", perm);  // round 0: the default, axes reversed
    g.Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {Random(dims, -2, 2)}, 0, 0, "Transpose " + std::to_string(round));
  }
}

TEST_F(Differential, DepthToSpaceSpaceToDepth) {
  for (int round = 0; round < 6; ++round) {
    const int64_t b = Int(1, 3), n = Int(1, 2), c = Int(1, 3), h = Int(1, 3), w = Int(1, 3);
    const Dims deep = {n, c * b * b, h, w}, flat = {n, c, h * b, w * b};
    Graph d2s;
    d2s.Value("x", deep).Value("y", flat).Node("DepthToSpace", {"x"}, {"y"}).Int("blocksize", b);
    if (round % 2) {
      Graph s2d;
      s2d.Value("x", flat).Value("y", deep).Node("SpaceToDepth", {"x"}, {"y"}).Int("blocksize", b);
      s2d.Inputs({"x"}).Outputs({"y"});
      ExpectSame(s2d, {Random(flat, -1, 1)}, 0, 0, "SpaceToDepth");
    }
    d2s.Inputs({"x"}).Outputs({"y"});
    ExpectSame(d2s, {Random(deep, -1, 1)}, 0, 0, "DepthToSpace DCR");
  }
}

TEST_F(Differential, ViewsShareStorage) {
  const Dims dims = {2, 3, 4};
  Graph g;
  g.Value("x", dims)
      .Value("f", {2, 12})
      .Value("r", {6, 4})
      .Value("u", {1, 6, 4})
      .Value("s", {6, 4});
  g.Value("i", {6, 4}).Value("y", {6, 4}).Int64Constant("shape", {6, 4}).Int64Constant("axes", {0});
  g.Node("Flatten", {"x"}, {"f"}, 13)
      .Node("Reshape", {"f", "shape"}, {"r"})
      .Node("Unsqueeze", {"r", "axes"}, {"u"}, 13)
      .Node("Squeeze", {"u", "axes"}, {"s"}, 13)
      .Node("Identity", {"s"}, {"i"})
      .Node("Neg", {"i"}, {"y"});
  g.Inputs({"x"}).Outputs({"y", "f", "i"});  // views as outputs are copied out
  ExpectSame(g, {Random(dims, -2, 2)}, 0, 0, "views");
}

}  // namespace
}  // namespace hetrun::test
