// Every op the opencl plugin claims, on random shapes and attributes, against the cpu plugin, in
// float32 and float16.
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

std::string Str(const Dims& dims) {
  std::string text;
  for (int64_t d : dims) text += (text.empty() ? "" : "x") + std::to_string(d);
  return "[" + text + "]";
}

TEST_F(Differential, BinaryOpsBroadcast) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (int trial = 0; trial < 3; ++trial) {
      const Dims out = RandomDims(0, 4);
      Dims a = BroadcastFrom(out), b = out;
      if (Int(0, 1)) std::swap(a, b);
      std::vector<float> bv = Random(b, 0.5f, 2.0f);  // away from 0 for Div
      ExpectSame(
          [&](Graph& g, hetrun_dtype_t t) {
            g.Value("a", a, t).Value("b", b, t).Value("y", out, t);
            g.Node(op, {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
          },
          {Random(a), bv}, std::string(op) + " " + Str(a) + " " + Str(b));
    }
  }
}

TEST_F(Differential, BinaryWithConstantOperand) {
  const Dims x = RandomDims(2, 4);
  const Dims c = BroadcastFrom(x);
  const std::vector<float> cv = Random(c);
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Constant("c", c, cv, t).Value("y", x, t);
        g.Node("Mul", {"x", "c"}, {"y"}).Inputs({"x"}).Outputs({"y"});
      },
      {Random(x)}, "Mul by constant " + Str(c));
}

// A chain the executable fuses (HardSwish written out, as exporters do), with a broadcast bias,
// and one of its values also a part output (so that link is not fused).
TEST_F(Differential, FusedElementwiseChain) {
  const Dims x = RandomDims(2, 4);
  const Dims bias = BroadcastFrom(x);
  const std::vector<float> bv = Random(bias);
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Constant("bias", bias, bv, t).Constant("three", {}, {3.0f}, t);
        g.Constant("six", {}, {6.0f}, t).Constant("zero", {}, {0.0f}, t);
        for (const char* v : {"s", "p", "c", "m", "y", "r"}) g.Value(v, x, t);
        g.Node("Add", {"x", "bias"}, {"s"});
        g.Node("Add", {"s", "three"}, {"p"});
        g.Node("Clip", {"p", "zero", "six"}, {"c"}, 13);
        g.Node("Mul", {"s", "c"}, {"m"});
        g.Node("Div", {"m", "six"}, {"y"});
        g.Node("Relu", {"y"}, {"r"});
        g.Inputs({"x"}).Outputs({"r", "y"});
      },
      {Random(x, -5, 5)}, "hard-swish chain " + Str(x));
}

TEST_F(Differential, UnaryOps) {
  const Dims x = RandomDims(1, 4);
  for (const char* op :
       {"Relu", "Sigmoid", "HardSwish", "Neg", "Abs", "Exp", "Tanh", "Floor", "Ceil", "Softsign"}) {
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("x", x, t).Value("y", x, t);
          g.Node(op, {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
        },
        {Random(x, -4, 4)}, op);
  }
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Value("y", x, t);
        g.Node("Sqrt", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
      },
      {Random(x, 0.1f, 4)}, "Sqrt");
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Value("y", x, t);
        g.Node("Log", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
      },
      {Random(x, 0.1f, 4)}, "Log");
}

TEST_F(Differential, AttributeUnaryOps) {
  const Dims x = RandomDims(1, 4);
  const float alpha = Uniform(0.05f, 0.5f), beta = Uniform(0.2f, 0.7f);
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Value("y", x, t);
        g.Node("HardSigmoid", {"x"}, {"y"}).Float("alpha", alpha).Float("beta", beta);
        g.Inputs({"x"}).Outputs({"y"});
      },
      {Random(x, -6, 6)}, "HardSigmoid");
  for (const char* op : {"LeakyRelu", "Elu"}) {
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("x", x, t).Value("y", x, t);
          g.Node(op, {"x"}, {"y"}).Float("alpha", alpha).Inputs({"x"}).Outputs({"y"});
        },
        {Random(x, -3, 3)}, op);
  }
}

TEST_F(Differential, ClipAllForms) {
  const Dims x = RandomDims(1, 4);
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {  // opset 6: attributes
        g.Value("x", x, t).Value("y", x, t);
        g.Node("Clip", {"x"}, {"y"}, 6).Float("min", -0.25f).Float("max", 0.5f);
        g.Inputs({"x"}).Outputs({"y"});
      },
      {Random(x)}, "Clip-6");
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {  // opset 13: constant min, no max
        g.Value("x", x, t).Constant("lo", {}, {-0.5f}, t).Value("y", x, t);
        g.Node("Clip", {"x", "lo", ""}, {"y"}, 13).Inputs({"x"}).Outputs({"y"});
      },
      {Random(x)}, "Clip-13 min only");
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {  // opset 13: bounds fed at run time
        g.Value("x", x, t).Value("lo", {}, t).Value("hi", {}, t).Value("y", x, t);
        g.Node("Clip", {"x", "lo", "hi"}, {"y"}, 13).Inputs({"x", "lo", "hi"}).Outputs({"y"});
      },
      {Random(x), {-0.125f}, {0.75f}}, "Clip-13 run-time bounds");
}

// Output size of a window op along one dim (ONNX rules, ceil_mode drops a window starting in
// the end padding).
int64_t WindowOut(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil) {
  const int64_t span = (k - 1) * d + 1, padded = in + pb + pe - span;
  int64_t out = (ceil ? (padded + s - 1) / s : padded / s) + 1;
  if (ceil && (out - 1) * s >= in + pb) --out;
  return out;
}

TEST_F(Differential, ConvRandomAttributes) {
  for (int trial = 0; trial < 8; ++trial) {
    const int spatial = trial < 6 ? 2 : 1;  // the cpu plugin has no 3-D Conv: see Conv3d below
    const int64_t n = Int(1, 2), group = trial % 3 == 0 ? 1 : Int(1, 3);
    const bool depthwise = trial == 4;
    const int64_t c = depthwise ? Int(2, 4) : group * Int(1, 3);
    const int64_t g = depthwise ? c : group;
    const int64_t m = depthwise ? c : g * Int(1, 3);
    Dims x = {n, c}, w = {m, c / g}, y = {n, m};
    std::vector<int64_t> kernel, strides, dilations, pads(2 * spatial);
    for (int d = 0; d < spatial; ++d) {
      kernel.push_back(Int(1, 3));
      strides.push_back(Int(1, 2));
      dilations.push_back(Int(1, 2));
      pads[d] = Int(0, 2);
      pads[d + spatial] = Int(0, 2);
      const int64_t in = Int((kernel[d] - 1) * dilations[d] + 1, spatial == 3 ? 5 : 8);
      x.push_back(in);
      w.push_back(kernel[d]);
      y.push_back(
          WindowOut(in, kernel[d], strides[d], dilations[d], pads[d], pads[d + spatial], false));
    }
    const bool bias = Int(0, 1);
    const std::vector<float> wv = Random(w), bv = Random({m});
    ExpectSame(
        [&](Graph& gr, hetrun_dtype_t t) {
          gr.Value("x", x, t).Constant("w", w, wv, t).Constant("b", {m}, bv, t).Value("y", y, t);
          gr.Node("Conv", {"x", "w", bias ? "b" : ""}, {"y"})
              .Int("group", g)
              .Ints("strides", strides)
              .Ints("dilations", dilations)
              .Ints("pads", pads)
              .Ints("kernel_shape", kernel);
          gr.Inputs({"x"}).Outputs({"y"});
        },
        {Random(x)}, "Conv x" + Str(x) + " w" + Str(w) + " group " + std::to_string(g), 1e-4, 1e-4);
  }
}

// 3-D Conv, checked by hand (the cpu plugin has none): all-ones 2x2x2 weights sum each window.
TEST_F(Differential, Conv3dSumsTheWindow) {
  std::vector<float> x(27);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  Graph g;
  g.Value("x", {1, 1, 3, 3, 3}).Constant("w", {1, 1, 2, 2, 2}, std::vector<float>(8, 1.0f));
  g.Value("y", {1, 1, 1, 2, 1});
  g.Node("Conv", {"x", "w"}, {"y"}).Ints("strides", {2, 1, 2});
  g.Inputs({"x"}).Outputs({"y"});
  std::vector<std::vector<float>> out;
  Status run = opencl_->RunGraph(g.view(), {x}, &out);
  ASSERT_TRUE(run.ok()) << run.message();
  // Window at (0,0,0): 0+1+3+4+9+10+12+13 = 52; at (0,1,0) every index is 3 more: 76.
  EXPECT_EQ(out.at(0), (std::vector<float>{52, 76}));
}

TEST_F(Differential, ConvAutoPadSame) {
  for (const char* pad : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    const Dims x = {1, 2, Int(4, 7), Int(4, 7)};
    const int64_t s = Int(1, 2);
    Dims y = {1, 3, 0, 0};
    for (int d = 0; d < 2; ++d) {
      y[d + 2] = std::string(pad) == "VALID" ? (x[d + 2] - 3) / s + 1 : (x[d + 2] + s - 1) / s;
    }
    const Dims w = {3, 2, 3, 3};
    const std::vector<float> wv = Random(w);
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("x", x, t).Constant("w", w, wv, t).Value("y", y, t);
          g.Node("Conv", {"x", "w"}, {"y"}).String("auto_pad", pad).Ints("strides", {s, s});
          g.Inputs({"x"}).Outputs({"y"});
        },
        {Random(x)}, std::string("Conv auto_pad ") + pad, 1e-4, 1e-4);
  }
}

TEST_F(Differential, ConvTransposeRandomAttributes) {
  for (int trial = 0; trial < 6; ++trial) {
    const int64_t g = Int(1, 2), c = g * Int(1, 2), mg = Int(1, 3);
    const int spatial = trial == 5 ? 1 : 2;
    Dims x = {1, c}, w = {c, mg}, y = {1, g * mg};
    std::vector<int64_t> strides, pads(2 * spatial), output_padding, dilations;
    for (int d = 0; d < spatial; ++d) {
      const int64_t k = Int(1, 3), s = Int(1, 3), dil = Int(1, 2), in = Int(2, 5);
      strides.push_back(s);
      dilations.push_back(dil);
      pads[d] = Int(0, k - 1);
      pads[d + spatial] = Int(0, k - 1);
      output_padding.push_back(Int(0, s - 1));
      x.push_back(in);
      w.push_back(k);
      y.push_back(s * (in - 1) + output_padding[d] + (k - 1) * dil + 1 - pads[d] -
                  pads[d + spatial]);
    }
    const std::vector<float> wv = Random(w), bv = Random({g * mg});
    ExpectSame(
        [&](Graph& gr, hetrun_dtype_t t) {
          gr.Value("x", x, t).Constant("w", w, wv, t).Constant("b", {g * mg}, bv, t);
          gr.Value("y", y, t);
          gr.Node("ConvTranspose", {"x", "w", "b"}, {"y"})
              .Int("group", g)
              .Ints("strides", strides)
              .Ints("dilations", dilations)
              .Ints("pads", pads)
              .Ints("output_padding", output_padding);
          gr.Inputs({"x"}).Outputs({"y"});
        },
        {Random(x)}, "ConvTranspose x" + Str(x) + " w" + Str(w), 1e-4, 1e-4);
  }
  // output_shape instead of pads, with each auto_pad.
  const Dims x = {1, 2, 3, 3}, w = {2, 2, 3, 3};
  const std::vector<float> wv = Random(w), xv = Random(x);
  for (const char* pad : {"NOTSET", "SAME_UPPER", "SAME_LOWER"}) {
    for (const Dims& y : {Dims{1, 2, 7, 7}, Dims{1, 2, 8, 6}}) {
      ExpectSame(
          [&](Graph& g, hetrun_dtype_t t) {
            g.Value("x", x, t).Constant("w", w, wv, t).Value("y", y, t);
            g.Node("ConvTranspose", {"x", "w"}, {"y"})
                .Ints("strides", {3, 2})
                .String("auto_pad", pad)
                .Ints("output_shape", {y[2], y[3]});
            g.Inputs({"x"}).Outputs({"y"});
          },
          {xv}, std::string("ConvTranspose output_shape ") + Str(y) + " " + pad, 1e-4, 1e-4);
    }
  }
}

TEST_F(Differential, PoolsRandomAttributes) {
  for (int trial = 0; trial < 10; ++trial) {
    const bool is_max = trial % 2 == 0;
    const int spatial = trial < 8 ? 2 : 1;
    Dims x = {Int(1, 2), Int(1, 3)}, y = x;
    std::vector<int64_t> kernel, strides, pads(2 * spatial), dilations;
    const bool ceil = Int(0, 1);
    const bool include_pad = Int(0, 1);
    for (int d = 0; d < spatial; ++d) {
      const int64_t k = Int(1, 3), s = Int(1, 2), dil = is_max ? Int(1, 2) : 1;
      kernel.push_back(k);
      strides.push_back(s);
      dilations.push_back(dil);
      pads[d] = Int(0, k - 1);
      pads[d + spatial] = Int(0, k - 1);
      const int64_t in = Int((k - 1) * dil + 1, 7);
      x.push_back(in);
      y.push_back(WindowOut(in, k, s, dil, pads[d], pads[d + spatial], ceil));
    }
    const char* op = is_max ? "MaxPool" : "AveragePool";
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("x", x, t).Value("y", y, t);
          g.Node(op, {"x"}, {"y"})
              .Ints("kernel_shape", kernel)
              .Ints("strides", strides)
              .Ints("pads", pads)
              .Int("ceil_mode", ceil ? 1 : 0);
          if (is_max) g.Ints("dilations", dilations);
          if (!is_max) g.Int("count_include_pad", include_pad ? 1 : 0);
          g.Inputs({"x"}).Outputs({"y"});
        },
        {Random(x)},
        std::string(op) + " x" + Str(x) + " y" + Str(y) + (ceil ? " ceil" : "") +
            (include_pad ? " include_pad" : ""));
  }
}

TEST_F(Differential, GlobalPools) {
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    const Dims x = {2, 3, Int(1, 6), Int(1, 6)};
    const Dims y = {2, 3, 1, 1};
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("x", x, t).Value("y", y, t);
          g.Node(op, {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
        },
        {Random(x)}, op);
  }
}

TEST_F(Differential, GemmAllAttributes) {
  for (int trial = 0; trial < 6; ++trial) {
    const int64_t m = Int(1, 6), k = Int(1, 6), n = Int(1, 6);
    const bool ta = trial & 1, tb = trial & 2;
    const Dims a = ta ? Dims{k, m} : Dims{m, k}, b = tb ? Dims{n, k} : Dims{k, n};
    const Dims c = trial % 3 == 0 ? Dims{n} : (trial % 3 == 1 ? Dims{m, 1} : Dims{});
    const float alpha = Uniform(0.5f, 2), beta = Uniform(-1, 1);
    const std::vector<float> bv = Random(b), cv = Random(c);
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("a", a, t).Constant("b", b, bv, t).Constant("c", c, cv, t).Value("y", {m, n}, t);
          g.Node("Gemm", {"a", "b", "c"}, {"y"})
              .Int("transA", ta)
              .Int("transB", tb)
              .Float("alpha", alpha)
              .Float("beta", beta);
          g.Inputs({"a"}).Outputs({"y"});
        },
        {Random(a)}, "Gemm a" + Str(a) + " b" + Str(b) + " c" + Str(c));
  }
}

TEST_F(Differential, MatMulBatchedBroadcast) {
  struct Case {
    Dims a, b, y;
  };
  const std::vector<Case> cases = {{{3, 4}, {4, 5}, {3, 5}},
                                   {{2, 3, 4}, {4, 2}, {2, 3, 2}},
                                   {{2, 1, 3, 4}, {3, 4, 2}, {2, 3, 3, 2}},
                                   {{4}, {2, 4, 3}, {2, 3}},
                                   {{2, 3, 4}, {4}, {2, 3}},
                                   {{5}, {5}, {}}};
  for (const Case& c : cases) {
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          g.Value("a", c.a, t).Value("b", c.b, t).Value("y", c.y, t);
          g.Node("MatMul", {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
        },
        {Random(c.a), Random(c.b)}, "MatMul " + Str(c.a) + " " + Str(c.b));
  }
}

TEST_F(Differential, ConcatRandomAxis) {
  for (int trial = 0; trial < 4; ++trial) {
    const Dims base = RandomDims(1, 4);
    const int64_t rank = static_cast<int64_t>(base.size());
    const int64_t axis = Int(-rank, rank - 1);
    const size_t ax = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const int pieces = static_cast<int>(Int(1, 3));
    std::vector<Dims> dims;
    Dims y = base;
    y[ax] = 0;
    std::vector<std::vector<float>> inputs;
    std::vector<std::string> names;
    for (int p = 0; p < pieces; ++p) {
      Dims d = base;
      d[ax] = Int(1, 3);
      y[ax] += d[ax];
      dims.push_back(d);
      inputs.push_back(Random(d));
      names.push_back("x" + std::to_string(p));
    }
    ExpectSame(
        [&](Graph& g, hetrun_dtype_t t) {
          for (int p = 0; p < pieces; ++p)
            g.Value(names[static_cast<size_t>(p)], dims[static_cast<size_t>(p)], t);
          g.Value("y", y, t);
          g.Node("Concat", names, {"y"}).Int("axis", axis).Inputs(names).Outputs({"y"});
        },
        inputs, "Concat axis " + std::to_string(axis) + " y" + Str(y));
  }
}

TEST_F(Differential, ViewsAndSoftmax) {
  const Dims x = {2, 3, 4};
  ExpectSame(
      [&](Graph& g, hetrun_dtype_t t) {
        g.Value("x", x, t).Int64Constant("shape", {4, -1}).Value("r", {4, 6}, t);
        g.Value("f", {4, 6}, t).Int64Constant("axes", {0}).Value("u", {1, 4, 6}, t);
        g.Value("s", {4, 6}, t).Value("y", {4, 6}, t);
        g.Node("Reshape", {"x", "shape"}, {"r"});
        g.Node("Flatten", {"r"}, {"f"}).Int("axis", 1);
        g.Node("Unsqueeze", {"f", "axes"}, {"u"});
        g.Node("Squeeze", {"u", "axes"}, {"s"});
        g.Node("Softmax", {"s"}, {"y"}).Int("axis", 1);
        g.Inputs({"x"}).Outputs({"y", "r"});
      },
      {Random(x, -3, 3)}, "views then Softmax");
}

}  // namespace
}  // namespace hetrun::test
