// Differential tests of the int32/int64/bool support against the cpu plugin: comparisons, logic,
// Where, Cast, integer arithmetic, moving int data, ArgMax/ArgMin, Trilu, the losses, fed
// reduction axes, and the shape subgraphs the plugin evaluates at compile time.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;
constexpr hetrun_dtype_t kI32 = HETRUN_DTYPE_INT32;
constexpr hetrun_dtype_t kI64 = HETRUN_DTYPE_INT64;
constexpr hetrun_dtype_t kBool = HETRUN_DTYPE_BOOL;

std::string Name(hetrun_dtype_t t) {
  return t == kF32 ? "float32" : t == kI32 ? "int32" : t == kI64 ? "int64" : "bool";
}

class TypedDifferential : public Differential {
 protected:
  // Whole numbers in [lo, hi] (0/1 for bool), as floats the session converts.
  std::vector<float> Whole(const Dims& dims, int64_t lo, int64_t hi) {
    std::vector<float> v(Count(dims));
    for (float& x : v) x = static_cast<float>(Int(lo, hi));
    return v;
  }
  std::vector<float> Values(const Dims& dims, hetrun_dtype_t t) {
    if (t == kBool) return Whole(dims, 0, 1);
    if (t == kF32) return Whole(dims, -3, 3);  // whole, so comparisons also see equal values
    return Whole(dims, -20, 20);
  }
};

TEST_F(TypedDifferential, ComparisonsBroadcast) {
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (hetrun_dtype_t t : {kF32, kI32, kI64}) {
      const Dims out = RandomDims(1, 4);
      const Dims a = out, b = BroadcastFrom(out);
      Graph g;
      g.Value("a", a, t).Value("b", b, t).Value("y", out, kBool).Node(op, {"a", "b"}, {"y"});
      g.Inputs({"a", "b"}).Outputs({"y"});
      ExpectSame(g, {Values(a, t), Values(b, t)}, 0, 0, std::string(op) + " " + Name(t));
    }
  }
}

TEST_F(TypedDifferential, LogicAndNot) {
  for (const char* op : {"And", "Or", "Xor", "Not"}) {
    for (int round = 0; round < 3; ++round) {
      const Dims out = RandomDims(1, 4, 9);  // odd sizes: bytes share words across invocations
      const Dims b = BroadcastFrom(out);
      Graph g;
      const bool unary = std::string(op) == "Not";
      g.Value("a", out, kBool).Value("b", b, kBool).Value("y", out, kBool);
      g.Node(op, unary ? std::vector<std::string>{"a"} : std::vector<std::string>{"a", "b"}, {"y"});
      if (unary) {
        g.Inputs({"a"}).Outputs({"y"});
        ExpectSame(g, {Whole(out, 0, 1)}, 0, 0, op);
      } else {
        g.Inputs({"a", "b"}).Outputs({"y"});
        ExpectSame(g, {Whole(out, 0, 1), Whole(b, 0, 1)}, 0, 0, op);
      }
    }
  }
}

TEST_F(TypedDifferential, WhereOverDtypes) {
  for (hetrun_dtype_t t : {kF32, kI32, kI64, kBool}) {
    const Dims out = RandomDims(1, 4);
    const Dims c = BroadcastFrom(out), y = BroadcastFrom(out);
    Graph g;
    g.Value("c", c, kBool).Value("x", out, t).Value("y", y, t).Value("z", out, t);
    g.Node("Where", {"c", "x", "y"}, {"z"}).Inputs({"c", "x", "y"}).Outputs({"z"});
    ExpectSame(g, {Whole(c, 0, 1), Values(out, t), Values(y, t)}, 0, 0, "Where " + Name(t));
  }
}

TEST_F(TypedDifferential, CastBetweenDtypes) {
  for (hetrun_dtype_t from : {kF32, kI32, kI64, kBool}) {
    for (hetrun_dtype_t to : {kF32, kI32, kI64, kBool}) {
      const Dims dims = RandomDims(0, 3, 7);
      std::vector<float> x = Values(dims, from);
      if (from == kF32) x = Random(dims, -50, 50);  // fractions: float -> int truncates
      Graph g;
      g.Value("x", dims, from).Value("y", dims, to).Node("Cast", {"x"}, {"y"});
      g.Int("to", to).Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {x}, 0, 0, "Cast " + Name(from) + " -> " + Name(to));
    }
  }
}

// A fused chain whose int64 and bool values stay in registers (no binding of those dtypes).
TEST_F(TypedDifferential, CastChainThroughRegisters) {
  const Dims dims = RandomDims(1, 3, 9);
  Graph g;
  g.Value("x", dims).Value("i", dims, kI64).Value("f", dims).Value("b", dims, kBool);
  g.Value("y", dims).Node("Cast", {"x"}, {"i"}).Int("to", kI64);
  g.Node("Cast", {"i"}, {"f"}).Int("to", kF32).Node("Cast", {"f"}, {"b"}).Int("to", kBool);
  g.Node("Where", {"b", "x", "f"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  ExpectSame(g, {Random(dims, -3, 3)}, 0, 0, "Cast chain");
}

TEST_F(TypedDifferential, IntegerArithmetic) {
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "Max", "Min", "Neg", "Abs"}) {
    for (hetrun_dtype_t t : {kI32, kI64}) {
      const Dims out = RandomDims(1, 4);
      const Dims b = BroadcastFrom(out);
      std::vector<float> bv = Whole(b, 1, 9);
      for (float& v : bv)
        if (Int(0, 1)) v = -v;  // mixed signs, never zero (Div and Mod)
      Graph g;
      const bool unary = std::string(op) == "Neg" || std::string(op) == "Abs";
      g.Value("a", out, t).Value("b", b, t).Value("y", out, t);
      if (unary) {
        g.Node(op, {"a"}, {"y"}).Inputs({"a"}).Outputs({"y"});
        ExpectSame(g, {Whole(out, -50, 50)}, 0, 0, std::string(op) + " " + Name(t));
        continue;
      }
      g.Node(op, {"a", "b"}, {"y"});
      if (std::string(op) == "Mod") g.Int("fmod", Int(0, 1));
      g.Inputs({"a", "b"}).Outputs({"y"});
      ExpectSame(g, {Whole(out, -50, 50), bv}, 0, 0, std::string(op) + " " + Name(t));
    }
  }
}

TEST_F(TypedDifferential, PowWithIntegerExponent) {
  for (hetrun_dtype_t t : {kI32, kI64}) {
    const Dims dims = RandomDims(1, 3);
    Graph g;
    g.Value("x", dims).Value("e", dims, t).Value("y", dims).Node("Pow", {"x", "e"}, {"y"});
    g.Inputs({"x", "e"}).Outputs({"y"});
    ExpectSame(g, {Random(dims, -3, 3), Whole(dims, -3, 4)}, 1e-4, 1e-5, "Pow " + Name(t));
  }
}

TEST_F(TypedDifferential, MovesIntegerData) {
  for (hetrun_dtype_t t : {kI32, kI64}) {
    const Dims a = RandomDims(2, 4), b = a;
    Dims cat = a;
    cat[0] += b[0];
    Graph g;
    g.Value("a", a, t).Value("b", b, t).Value("c", cat, t);
    Dims transposed(cat.rbegin(), cat.rend());
    g.Value("t", transposed, t).Node("Concat", {"a", "b"}, {"c"}).Int("axis", 0);
    g.Node("Transpose", {"c"}, {"t"}).Inputs({"a", "b"}).Outputs({"c", "t"});
    ExpectSame(g, {Whole(a, -1000, 1000), Whole(b, -1000, 1000)}, 0, 0, "Concat " + Name(t));
  }
}

TEST_F(TypedDifferential, ArgMaxArgMin) {
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (int round = 0; round < 4; ++round) {
      const Dims x = RandomDims(1, 4);
      const auto rank = static_cast<int64_t>(x.size());
      const int64_t axis = Int(-rank, rank - 1), keep = Int(0, 1);
      Dims y = x;
      const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
      if (keep) {
        y[a] = 1;
      } else {
        y.erase(y.begin() + static_cast<int64_t>(a));
      }
      Graph g;
      g.Value("x", x).Value("y", y, kI64).Node(op, {"x"}, {"y"}).Int("axis", axis);
      g.Int("keepdims", keep).Int("select_last_index", Int(0, 1)).Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {Whole(x, -2, 2)}, 0, 0, op);  // ties: first or last index matters
    }
  }
}

TEST_F(TypedDifferential, Trilu) {
  for (hetrun_dtype_t t : {kF32, kI64}) {
    for (int round = 0; round < 3; ++round) {
      const Dims x = RandomDims(2, 4);
      Graph g;
      g.Value("x", x, t).Value("k", {}, kI64).Value("y", x, t).Node("Trilu", {"x", "k"}, {"y"});
      g.Int("upper", Int(0, 1)).Inputs({"x", "k"}).Outputs({"y"});
      ExpectSame(g, {Values(x, t), {static_cast<float>(Int(-3, 3))}}, 0, 0, "Trilu " + Name(t));
    }
  }
}

TEST_F(TypedDifferential, LossesWithWeightsAndIgnoreIndex) {
  for (const char* op : {"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"}) {
    for (const char* reduction : {"none", "sum", "mean"}) {
      Dims x = RandomDims(2, 4);
      x[1] = Int(2, 5);
      Dims target = x;
      target.erase(target.begin() + 1);
      const Dims loss = std::string(reduction) == "none" ? target : Dims{};
      Graph g;
      g.Value("x", x).Value("t", target, kI64).Value("w", {x[1]}).Value("loss", loss);
      g.Node(op, {"x", "t", "w"}, {"loss"}).String("reduction", reduction).Int("ignore_index", 1);
      g.Inputs({"x", "t", "w"}).Outputs({"loss"});
      ExpectSame(g, {Random(x, -3, 3), Whole(target, 0, x[1] - 1), Random({x[1]}, 0.5f, 2)}, 1e-4,
                 1e-5, std::string(op) + " " + reduction);
    }
  }
}

TEST_F(TypedDifferential, ReduceSumWithFedAxes) {
  for (int round = 0; round < 4; ++round) {
    const Dims x = RandomDims(1, 4);
    Dims y = x;
    std::vector<float> axes;
    for (size_t d = 0; d < x.size(); ++d) {
      if (Int(0, 1)) {
        y[d] = 1;
        axes.push_back(static_cast<float>(d));
      }
    }
    if (axes.empty()) {
      y[0] = 1;
      axes.push_back(0);
    }
    Graph g;
    g.Value("x", x).Value("axes", {static_cast<int64_t>(axes.size())}, kI64).Value("y", y);
    g.Node("ReduceSum", {"x", "axes"}, {"y"}).Int("keepdims", 1);
    g.Inputs({"x", "axes"}).Outputs({"y"});
    ExpectSame(g, {Random(x, -2, 2), axes}, 1e-5, 1e-5, "ReduceSum " + std::to_string(round));
  }
}

TEST_F(TypedDifferential, IsInfIsNaN) {
  for (const char* op : {"IsInf", "IsNaN"}) {
    for (int round = 0; round < 3; ++round) {
      const Dims dims = RandomDims(1, 3, 9);
      std::vector<float> x = Random(dims, -2, 2);
      for (float& v : x) {
        const int64_t pick = Int(0, 5);
        if (pick == 0) v = INFINITY;
        if (pick == 1) v = -INFINITY;
        if (pick == 2) v = NAN;
      }
      Graph g;
      g.Value("x", dims).Value("y", dims, kBool).Node(op, {"x"}, {"y"});
      if (std::string(op) == "IsInf") {
        g.Int("detect_positive", Int(0, 1)).Int("detect_negative", Int(0, 1));
      }
      g.Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {x}, 0, 0, op);
    }
  }
}

TEST_F(TypedDifferential, EyeLike) {
  for (hetrun_dtype_t t : {kF32, kI32, kI64, kBool}) {
    const Dims dims = RandomDims(2, 2, 7);
    Graph g;
    g.Value("x", dims).Value("y", dims, t).Node("EyeLike", {"x"}, {"y"});
    g.Int("k", Int(-3, 3)).Int("dtype", t).Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {Random(dims, -1, 1)}, 0, 0, "EyeLike " + Name(t));
  }
}

TEST_F(TypedDifferential, ResizeNearestAndLinear) {
  const char* transforms[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  for (const char* ctm : transforms) {
    for (const char* mode : {"linear", "nearest"}) {
      const Dims x = {Int(1, 2), Int(1, 3), Int(2, 5), Int(2, 5)};
      Dims y = x;
      for (size_t d = 2; d < 4; ++d) {  // nearest: whole factors, so no coordinate is a tie
        y[d] = std::string(mode) == "linear" ? Int(1, 9) : x[d] * Int(1, 3);
      }
      Graph g;
      g.Value("x", x).Value("sizes", {4}, kI64).Value("y", y);
      g.Node("Resize", {"x", "", "", "sizes"}, {"y"}, 13).String("mode", mode);
      g.String("coordinate_transformation_mode", ctm).String("nearest_mode", "floor");
      g.Inputs({"x", "sizes"}).Outputs({"y"});
      std::vector<float> sizes(y.begin(), y.end());
      ExpectSame(g, {Random(x, -2, 2), sizes}, 1e-4, 1e-5, std::string(mode) + " " + ctm);
    }
  }
}

TEST_F(TypedDifferential, RangeAndOneHot) {
  for (hetrun_dtype_t t : {kF32, kI32, kI64}) {
    const int64_t n = Int(1, 9), start = Int(-5, 5), delta = Int(1, 3) * (Int(0, 1) ? 1 : -1);
    Graph g;
    g.Value("s", {}, t).Value("l", {}, t).Value("d", {}, t).Value("y", {n}, t);
    g.Node("Range", {"s", "l", "d"}, {"y"}).Inputs({"s", "l", "d"}).Outputs({"y"});
    ExpectSame(g,
               {{static_cast<float>(start)},
                {static_cast<float>(start + n * delta)},
                {static_cast<float>(delta)}},
               0, 0, "Range " + Name(t));
  }
  for (int round = 0; round < 4; ++round) {
    const Dims indices = RandomDims(1, 3);
    const int64_t depth = Int(2, 6);
    const auto rank = static_cast<int64_t>(indices.size()) + 1;
    const int64_t axis = Int(-rank, rank - 1);
    Dims y = indices;
    y.insert(y.begin() + (axis < 0 ? axis + rank : axis), depth);
    Graph g;
    g.Value("i", indices, kI64).Value("depth", {}, kI64).Value("v", {2}).Value("y", y);
    g.Node("OneHot", {"i", "depth", "v"}, {"y"}).Int("axis", axis);
    g.Inputs({"i", "depth", "v"}).Outputs({"y"});
    ExpectSame(g, {Whole(indices, -depth, depth - 1), {static_cast<float>(depth)}, {0.5f, 3}}, 0, 0,
               "OneHot " + std::to_string(round));
  }
}

// Shape -> Slice -> Cast -> Concat -> Reshape, as in ppocr_cls: evaluated when compiling.
TEST_F(TypedDifferential, FoldsShapeSubgraphs) {
  const Dims x = {Int(1, 4), Int(2, 5), Int(1, 3), Int(1, 3)};
  const Dims y = {x[0], x[1] * x[2] * x[3]};
  Graph g;
  g.Value("x", x).Value("s", {4}, kI64).Value("s1", {1}, kI64).Value("s32", {1}, kI32);
  g.Value("s64", {1}, kI64).Int64Constant("rest", {-1}).Value("shape", {2}, kI64);
  g.Value("y", y).Value("n", {}, kI64);
  g.Node("Shape", {"x"}, {"s"}).Node("Slice", {"s"}, {"s1"}, 9).Ints("starts", {0});
  g.Ints("ends", {1}).Ints("axes", {0}).Node("Cast", {"s1"}, {"s32"}).Int("to", kI32);
  g.Node("Cast", {"s32"}, {"s64"}).Int("to", kI64).Node("Concat", {"s64", "rest"}, {"shape"});
  g.Int("axis", 0).Node("Reshape", {"x", "shape"}, {"y"}).Node("Size", {"x"}, {"n"});
  g.Inputs({"x"}).Outputs({"y", "shape", "n"});
  ExpectSame(g, {Random(x, -1, 1)}, 0, 0, "shape subgraph");
}

}  // namespace
}  // namespace hetrun::test
