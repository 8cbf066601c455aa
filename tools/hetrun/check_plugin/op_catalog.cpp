#include "op_catalog.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

namespace hetrun::cli::check_plugin {
namespace {

using core::DType;
using Dims = std::vector<int64_t>;

constexpr DType kF32 = DType::kFloat32, kF16 = DType::kFloat16, kI32 = DType::kInt32,
                kI64 = DType::kInt64, kBool = DType::kBool;

// Random choices for one case.
struct Rng {
  std::mt19937& g;
  int64_t Int(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); }
  float Uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g); }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(g); }
  template <typename T>
  T Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Int(0, static_cast<int64_t>(items.size()) - 1))];
  }
  Dims RandomDims(int min_rank, int max_rank, int64_t max_dim = 5) {
    Dims dims(static_cast<size_t>(Int(min_rank, max_rank)));
    for (int64_t& d : dims) d = Int(1, max_dim);
    return dims;
  }
  // `out` with some leading dims dropped and some set to 1: broadcasts back to (part of) `out`.
  Dims BroadcastFrom(const Dims& out) {
    Dims dims(out.begin() + Int(0, static_cast<int64_t>(out.size())), out.end());
    for (int64_t& d : dims)
      if (Int(0, 2) == 0) d = 1;
    return dims;
  }
  // A random non-empty subset of [0, rank), some written as negative axes.
  Dims Axes(int64_t rank) {
    Dims axes;
    for (int64_t a = 0; a < rank; ++a)
      if (Coin()) axes.push_back(Coin(0.3) ? a - rank : a);
    if (axes.empty() && rank > 0) axes.push_back(Int(0, rank - 1));
    return axes;
  }
  int64_t Axis(int64_t rank) { return Int(-rank, rank - 1); }
};

bool IsFloat(DType t) {
  return t == kF32 || t == kF16;
}
Tolerance Exact(DType t, Tolerance float_tolerance) {
  return IsFloat(t) ? float_tolerance : Tolerance::kExact;
}
int64_t Count(const Dims& dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<>());
}

using Generator = std::function<OpCase(CaseBuilder&, Rng&)>;

// --- elementwise ------------------------------------------------------------------------------

Generator Unary(double lo, double hi, Tolerance tolerance,
                std::function<void(CaseBuilder&, Rng&)> attrs = nullptr) {
  return [=](CaseBuilder& b, Rng& r) {
    b.Input("x", b.dtype(), r.RandomDims(0, 4), IsFloat(b.dtype()) ? lo : -9,
            IsFloat(b.dtype()) ? hi : 9);
    b.Output("y");
    if (attrs) attrs(b, r);
    return b.Finish({"x"}, Exact(b.dtype(), tolerance));
  };
}

// Two broadcast-compatible shapes.
std::pair<Dims, Dims> BroadcastPair(Rng& r) {
  const Dims out = r.RandomDims(0, 4);
  Dims a = r.Coin() ? out : r.BroadcastFrom(out), b = r.BroadcastFrom(out);
  if (r.Coin()) std::swap(a, b);
  if (r.Coin(0.25)) b = a;
  return {a, b};
}

// Add, Sub, Mul, Max, Min, Sum, Mean (variadic ones get 1 to 3 inputs).
Generator Binary(Tolerance tolerance, bool variadic = false) {
  return [=](CaseBuilder& b, Rng& r) {
    auto [da, db] = BroadcastPair(r);
    std::vector<std::string> ins = {b.Input("a", da), b.Input("b", db)};
    if (variadic && r.Coin(0.3)) ins.push_back(b.Input("c", r.BroadcastFrom(da)));
    b.Output("y");
    return b.Finish(ins, Exact(b.dtype(), tolerance));
  };
}

OpCase Div(CaseBuilder& b, Rng& r) {
  auto [da, db] = BroadcastPair(r);
  if (IsFloat(b.dtype())) {
    b.Input("a", da, -2, 2);
    b.Input("b", db, 0.5, 2.5);  // away from zero; sign from a
  } else {
    b.Input("a", da, 0, 40);  // non-negative: truncating and flooring division agree
    b.Input("b", db, 1, 7);
  }
  b.Output("y");
  return b.Finish({"a", "b"}, Exact(b.dtype(), Tolerance::kArithmetic));
}

OpCase Pow(CaseBuilder& b, Rng& r) {
  auto [da, db] = BroadcastPair(r);
  b.Input("a", da, 0.2, 2.5);
  b.Input("b", db, -2, 2);
  b.Output("y");
  return b.Finish({"a", "b"}, Tolerance::kTranscendental);
}

OpCase PRelu(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  b.Input("x", x);
  b.Input("slope", r.BroadcastFrom(x), 0, 1);
  b.Output("y");
  return b.Finish({"x", "slope"}, Tolerance::kArithmetic);
}

// Equal, Less, ...: whole-number floats so that ties happen.
OpCase Comparison(CaseBuilder& b, Rng& r) {
  auto [da, db] = BroadcastPair(r);
  b.Input("a", b.dtype(), da, -3, 3, true);
  b.Input("b", b.dtype(), db, -3, 3, true);
  b.Output("y", kBool);
  return b.Finish({"a", "b"}, Tolerance::kExact);
}

OpCase Logical(CaseBuilder& b, Rng& r) {
  auto [da, db] = BroadcastPair(r);
  b.Input("a", da);
  b.Input("b", db);
  b.Output("y", kBool);
  return b.Finish({"a", "b"}, Tolerance::kExact);
}

OpCase Where(CaseBuilder& b, Rng& r) {
  auto [da, db] = BroadcastPair(r);
  b.Input("cond", kBool, r.Coin() ? da : r.BroadcastFrom(da));
  b.Input("x", da);
  b.Input("y", db);
  b.Output("z");
  return b.Finish({"cond", "x", "y"}, Tolerance::kExact);
}

OpCase Clip(CaseBuilder& b, Rng& r) {
  b.Input("x", r.RandomDims(0, 4));
  const double lo = IsFloat(b.dtype()) ? r.Uniform(-1.5f, 0) : static_cast<double>(r.Int(-5, 0));
  const double hi = IsFloat(b.dtype()) ? r.Uniform(0.1f, 1.5f) : static_cast<double>(r.Int(1, 5));
  const bool with_min = r.Coin(0.7), with_max = r.Coin(0.7);
  if (with_min) b.Constant("min", b.dtype(), {}, {lo}), b.Note("min=" + std::to_string(lo));
  if (with_max) b.Constant("max", b.dtype(), {}, {hi}), b.Note("max=" + std::to_string(hi));
  b.Output("y");
  return b.Finish({"x", with_min ? "min" : "", with_max ? "max" : ""},
                  Exact(b.dtype(), Tolerance::kArithmetic));
}

OpCase Cast(CaseBuilder& b, Rng& r) {
  std::vector<DType> targets = {kF32, kF16, kI32, kI64, kBool};
  targets.erase(std::find(targets.begin(), targets.end(), b.dtype()));
  const DType to = r.Pick(targets);
  // Floats cast to integers truncate; keep them in range of every target.
  b.Input("x", r.RandomDims(0, 4), -100, 100);
  b.Int("to", static_cast<int64_t>(to));
  b.Output("y", to);
  return b.Finish({"x"}, to == kF16 ? Tolerance::kArithmetic : Tolerance::kExact);
}

// --- linear algebra ---------------------------------------------------------------------------

OpCase MatMul(CaseBuilder& b, Rng& r) {
  const int64_t m = r.Int(1, 24), k = r.Int(1, 24), n = r.Int(1, 24);
  const Dims batch = r.RandomDims(0, 2, 3);
  Dims a = r.Coin() ? batch : r.BroadcastFrom(batch), c = r.BroadcastFrom(batch);
  a.push_back(m), a.push_back(k);
  c.push_back(k), c.push_back(n);
  if (r.Coin(0.15)) a = {k};  // vector operands drop a dimension
  if (r.Coin(0.15)) c = {k};
  const bool small = !IsFloat(b.dtype());
  b.Input("a", a, small ? -3 : -1, small ? 3 : 1);
  b.Input("b", c, small ? -3 : -1, small ? 3 : 1);
  b.Output("y");
  return b.Finish({"a", "b"}, Exact(b.dtype(), Tolerance::kAccumulating));
}

OpCase Gemm(CaseBuilder& b, Rng& r) {
  const int64_t m = r.Int(1, 24), k = r.Int(1, 24), n = r.Int(1, 24);
  const bool ta = r.Coin(), tb = r.Coin();
  b.Input("a", ta ? Dims{k, m} : Dims{m, k}, -1, 1);
  if (r.Coin(0.3))
    b.RandomConstant("b", tb ? Dims{n, k} : Dims{k, n}, -1, 1);
  else
    b.Input("b", tb ? Dims{n, k} : Dims{k, n}, -1, 1);
  std::vector<std::string> ins = {"a", "b"};
  if (r.Coin(0.8)) {
    const std::vector<Dims> c_shapes = {
        {}, {1}, {n}, {m, 1}, {m, n}};  // every broadcast C may take
    ins.push_back(b.Input("c", r.Pick(c_shapes), -1, 1));
    if (r.Coin(0.3)) b.Float("beta", r.Uniform(-1, 2));
  }
  if (ta) b.Int("transA", 1);
  if (tb) b.Int("transB", 1);
  if (r.Coin(0.3)) b.Float("alpha", r.Uniform(-1, 2));
  b.Output("y");
  return b.Finish(ins, Tolerance::kAccumulating);
}

// --- convolution and pooling ------------------------------------------------------------------

OpCase Conv(CaseBuilder& b, Rng& r) {
  const int64_t spatial = r.Coin(0.2) ? 1 : 2;  // the reference has no 3-D convolution
  const bool depthwise = r.Coin(0.2);
  const int64_t group = depthwise ? r.Int(2, 4) : r.Pick<int64_t>({1, 1, 1, 2, 3});
  const int64_t in_per_group = depthwise ? 1 : r.Int(1, 3);
  const int64_t out_channels = group * r.Int(1, 3);
  Dims kernel, strides, dilations, pads_begin, pads_end, x = {r.Int(1, 2), group * in_per_group};
  for (int64_t s = 0; s < spatial; ++s) {
    kernel.push_back(r.Int(1, 3));
    strides.push_back(r.Int(1, 2));
    dilations.push_back(r.Coin(0.25) ? 2 : 1);
    pads_begin.push_back(r.Int(0, 1));
    pads_end.push_back(r.Int(0, 1));
    const int64_t reach = dilations.back() * (kernel.back() - 1) + 1;
    const int64_t smallest = std::max<int64_t>(reach - pads_begin.back() - pads_end.back(), 1);
    x.push_back(r.Int(smallest, smallest + 6));
  }
  Dims w = {out_channels, in_per_group};
  w.insert(w.end(), kernel.begin(), kernel.end());
  b.Input("x", x, -1, 1);
  if (r.Coin(0.7))
    b.RandomConstant("w", w, -1, 1);  // weights are initializers in real models
  else
    b.Input("w", w, -1, 1);
  std::vector<std::string> ins = {"x", "w"};
  if (r.Coin()) ins.push_back(b.RandomConstant("bias", {out_channels}, -1, 1));
  if (r.Coin(0.7)) b.Ints("kernel_shape", kernel);
  if (group > 1) b.Int("group", group);
  b.Ints("strides", strides);
  b.Ints("dilations", dilations);
  if (r.Coin(0.15)) {
    b.String("auto_pad", r.Coin() ? "SAME_UPPER" : "SAME_LOWER");
  } else {
    Dims pads = pads_begin;
    pads.insert(pads.end(), pads_end.begin(), pads_end.end());
    b.Ints("pads", pads);
  }
  b.Output("y");
  return b.Finish(ins, Tolerance::kAccumulating);
}

OpCase ConvTranspose(CaseBuilder& b, Rng& r) {
  const int64_t spatial = r.Coin(0.2) ? 1 : 2;
  const int64_t group = r.Pick<int64_t>({1, 1, 2});
  const int64_t in_channels = group * r.Int(1, 3), out_per_group = r.Int(1, 3);
  Dims kernel, strides, pads, output_padding, x = {r.Int(1, 2), in_channels};
  for (int64_t s = 0; s < spatial; ++s) {
    kernel.push_back(r.Int(1, 3));
    strides.push_back(r.Int(1, 2));
    output_padding.push_back(strides.back() > 1 && r.Coin(0.3) ? 1 : 0);
    x.push_back(r.Int(1, 5));
  }
  for (int half = 0; half < 2; ++half)
    for (int64_t s = 0; s < spatial; ++s)
      pads.push_back(r.Int(0, std::min<int64_t>(kernel[static_cast<size_t>(s)] - 1, 1)));
  Dims w = {in_channels, out_per_group};
  w.insert(w.end(), kernel.begin(), kernel.end());
  b.Input("x", x, -1, 1);
  b.RandomConstant("w", w, -1, 1);
  std::vector<std::string> ins = {"x", "w"};
  if (r.Coin()) ins.push_back(b.RandomConstant("bias", {group * out_per_group}, -1, 1));
  b.Ints("kernel_shape", kernel);
  if (group > 1) b.Int("group", group);
  b.Ints("strides", strides);
  b.Ints("pads", pads);
  if (std::any_of(output_padding.begin(), output_padding.end(), [](int64_t p) { return p > 0; }))
    b.Ints("output_padding", output_padding);
  b.Output("y");
  return b.Finish(ins, Tolerance::kAccumulating);
}

OpCase Pool(CaseBuilder& b, Rng& r) {
  const bool max = b.op() == "MaxPool";
  const int64_t spatial = r.Coin(0.2) ? 1 : 2;
  Dims kernel, strides, pads_begin, pads_end, dilations, x = {r.Int(1, 2), r.Int(1, 4)};
  for (int64_t s = 0; s < spatial; ++s) {
    kernel.push_back(r.Int(1, 3));
    strides.push_back(r.Int(1, 2));
    dilations.push_back(max && r.Coin(0.2) ? 2 : 1);
    pads_begin.push_back(r.Int(0, kernel.back() - 1));  // ONNX: pads smaller than the kernel
    pads_end.push_back(r.Int(0, kernel.back() - 1));
    x.push_back(r.Int(dilations.back() * (kernel.back() - 1) + 1, 9));
  }
  b.Input("x", x);
  b.Ints("kernel_shape", kernel);
  b.Ints("strides", strides);
  Dims pads = pads_begin;
  pads.insert(pads.end(), pads_end.begin(), pads_end.end());
  b.Ints("pads", pads);
  if (max && r.Coin(0.3)) b.Ints("dilations", dilations);
  if (!max && r.Coin()) b.Int("count_include_pad", 1);
  if (r.Coin(0.2)) b.Int("ceil_mode", 1);
  b.Output("y");
  return b.Finish({"x"}, max ? Tolerance::kExact : Tolerance::kAccumulating);
}

OpCase GlobalPool(CaseBuilder& b, Rng& r) {
  b.Input("x", {r.Int(1, 2), r.Int(1, 4), r.Int(1, 7), r.Int(1, 7)});
  b.Output("y");
  return b.Finish({"x"}, Tolerance::kAccumulating);
}

// --- reductions and normalisation --------------------------------------------------------------

OpCase Reduce(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  const std::string& op = b.op();
  const double lo = op == "ReduceProd" ? 0.5 : (op == "ReduceLogSumExp" ? -2 : -2);
  const double hi = op == "ReduceProd" ? 1.5 : 2;
  if (IsFloat(b.dtype()))
    b.Input("x", x, lo, hi);
  else
    b.Input("x", x, op == "ReduceProd" ? -2 : -9, op == "ReduceProd" ? 2 : 9);
  std::vector<std::string> ins = {"x"};
  const bool all_axes = r.Coin(0.2);
  const Dims axes = r.Axes(static_cast<int64_t>(x.size()));
  if (!all_axes) {
    if (op == "ReduceSum")
      ins.push_back(b.Int64Constant("axes", axes));  // an input since opset 13
    else
      b.Ints("axes", axes);
  }
  if (r.Coin(0.4)) b.Int("keepdims", 0);
  b.Output("y");
  const bool exact = op == "ReduceMax" || op == "ReduceMin";
  return b.Finish(ins, Exact(b.dtype(), exact ? Tolerance::kExact : Tolerance::kAccumulating));
}

OpCase Softmax(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4, 7);
  b.Input("x", x, -4, 4);
  if (r.Coin(0.7)) b.Int("axis", r.Axis(static_cast<int64_t>(x.size())));
  b.Output("y");
  return b.Finish({"x"}, Tolerance::kTranscendental);
}

OpCase ArgMinMax(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  b.Input("x", x, -100, 100);  // few ties
  b.Int("axis", r.Axis(static_cast<int64_t>(x.size())));
  if (r.Coin(0.4)) b.Int("keepdims", 0);
  b.Output("y", kI64);
  return b.Finish({"x"}, Tolerance::kExact);
}

OpCase LayerNormalization(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4, 8);
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t axis = r.Coin(0.6) ? -1 : r.Axis(rank);
  const Dims normalized(x.begin() + (axis < 0 ? axis + rank : axis), x.end());
  b.Input("x", x);
  b.RandomConstant("scale", normalized, 0.5, 1.5);
  std::vector<std::string> ins = {"x", "scale"};
  if (r.Coin(0.7)) ins.push_back(b.RandomConstant("bias", normalized, -1, 1));
  b.Int("axis", axis);
  b.Float("epsilon", r.Coin() ? 1e-5f : 1e-3f);
  b.Output("y");
  return b.Finish(ins, Tolerance::kAccumulating);
}

OpCase BatchNormalization(CaseBuilder& b, Rng& r) {
  Dims x = {r.Int(1, 2), r.Int(1, 5)};
  for (int64_t s = r.Int(0, 2); s > 0; --s) x.push_back(r.Int(1, 6));
  const Dims c = {x[1]};
  b.Input("x", x);
  b.RandomConstant("scale", c, 0.5, 1.5);
  b.RandomConstant("bias", c, -1, 1);
  b.RandomConstant("mean", c, -0.5, 0.5);
  b.RandomConstant("var", c, 0.5, 2);
  b.Float("epsilon", 1e-5f);
  b.Output("y");
  return b.Finish({"x", "scale", "bias", "mean", "var"}, Tolerance::kArithmetic);
}

OpCase InstanceNormalization(CaseBuilder& b, Rng& r) {
  const Dims x = {r.Int(1, 2), r.Int(1, 4), r.Int(1, 6), r.Int(2, 6)};
  b.Input("x", x);
  b.RandomConstant("scale", {x[1]}, 0.5, 1.5);
  b.RandomConstant("bias", {x[1]}, -1, 1);
  b.Output("y");
  return b.Finish({"x", "scale", "bias"}, Tolerance::kAccumulating);
}

// --- data movement ------------------------------------------------------------------------------

OpCase Transpose(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 5, 4);
  b.Input("x", x);
  if (r.Coin(0.8)) {
    Dims perm(x.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), r.g);
    b.Ints("perm", perm);
  }
  b.Output("y");
  return b.Finish({"x"}, Tolerance::kExact);
}

OpCase Reshape(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  // The target: the element count refactored into a random shape, maybe with a -1 and a 0.
  int64_t left = Count(x);
  Dims shape;
  while (left > 1 && shape.size() < 4) {
    std::vector<int64_t> divisors;
    for (int64_t d = 1; d <= left; ++d)
      if (left % d == 0) divisors.push_back(d);
    const int64_t d = r.Pick(divisors);
    shape.push_back(d);
    left /= d;
  }
  if (left > 1) shape.push_back(left);
  if (shape.empty() || r.Coin(0.2)) shape.push_back(1);
  if (r.Coin(0.4))
    shape[static_cast<size_t>(r.Int(0, static_cast<int64_t>(shape.size()) - 1))] = -1;
  if (!shape.empty() && shape[0] == x[0] && r.Coin(0.5)) shape[0] = 0;  // "copy that dim"
  b.Input("x", x);
  b.Int64Constant("shape", shape);
  b.Output("y");
  return b.Finish({"x", "shape"}, Tolerance::kExact);
}

OpCase Flatten(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  b.Input("x", x);
  const int64_t rank = static_cast<int64_t>(x.size());
  if (r.Coin(0.8)) b.Int("axis", r.Int(-rank, rank));
  b.Output("y");
  return b.Finish({"x"}, Tolerance::kExact);
}

OpCase Squeeze(CaseBuilder& b, Rng& r) {
  Dims x = r.RandomDims(1, 4);
  Dims ones;
  for (size_t i = 0; i < x.size(); ++i)
    if (r.Coin()) x[i] = 1;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] == 1 && (ones.empty() || r.Coin())) ones.push_back(static_cast<int64_t>(i));
  b.Input("x", x);
  std::vector<std::string> ins = {"x"};
  if (!ones.empty() && r.Coin(0.8)) ins.push_back(b.Int64Constant("axes", ones));
  b.Output("y");
  return b.Finish(ins, Tolerance::kExact);
}

OpCase Unsqueeze(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(0, 3);
  const int64_t out_rank = static_cast<int64_t>(x.size()) + r.Int(1, 2);
  Dims all(static_cast<size_t>(out_rank));
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), r.g);
  Dims axes(all.begin(), all.begin() + (out_rank - static_cast<int64_t>(x.size())));
  for (int64_t& a : axes)
    if (r.Coin(0.3)) a -= out_rank;
  b.Input("x", x);
  b.Int64Constant("axes", axes);
  b.Output("y");
  return b.Finish({"x", "axes"}, Tolerance::kExact);
}

OpCase Concat(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  const int64_t rank = static_cast<int64_t>(x.size()), axis = r.Axis(rank);
  std::vector<std::string> ins;
  for (int64_t i = 0, n = r.Int(1, 4); i < n; ++i) {
    Dims d = x;
    d[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = r.Int(1, 4);
    ins.push_back(b.Input("x" + std::to_string(i), d));
  }
  b.Int("axis", axis);
  b.Output("y");
  return b.Finish(ins, Tolerance::kExact);
}

OpCase Split(CaseBuilder& b, Rng& r) {
  Dims x = r.RandomDims(1, 4);
  const int64_t rank = static_cast<int64_t>(x.size()), axis = r.Axis(rank);
  const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
  const int64_t parts = r.Int(1, 3);
  Dims sizes;
  for (int64_t p = 0; p < parts; ++p) sizes.push_back(r.Int(1, 3));
  const bool equal = r.Coin(0.3);
  if (equal) sizes.assign(static_cast<size_t>(parts), sizes[0]);
  x[a] = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  b.Input("x", x);
  std::vector<std::string> ins = {"x"};
  if (!equal) ins.push_back(b.Int64Constant("split", sizes));
  b.Int("axis", axis);
  for (int64_t p = 0; p < parts; ++p) b.Output("y" + std::to_string(p));
  return b.Finish(ins, Tolerance::kExact);
}

OpCase Slice(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4, 7);
  const int64_t rank = static_cast<int64_t>(x.size());
  Dims starts, ends, axes, steps;
  for (int64_t a = 0; a < rank; ++a) {
    if (!r.Coin(0.7)) continue;
    const int64_t d = x[static_cast<size_t>(a)];
    const int64_t step = r.Pick<int64_t>({1, 1, 2, -1, -2});
    int64_t s = r.Int(-d - 1, d + 1), e = r.Int(-d - 1, d + 1);
    if (r.Coin(0.1)) e = step > 0 ? INT64_MAX : INT64_MIN;  // "to the end", as exporters write it
    starts.push_back(s);
    ends.push_back(e);
    axes.push_back(r.Coin(0.3) ? a - rank : a);
    steps.push_back(step);
  }
  if (starts.empty()) starts = {0}, ends = {x[0]}, axes = {0}, steps = {1};
  b.Input("x", x);
  std::vector<std::string> ins = {"x", b.Int64Constant("starts", starts),
                                  b.Int64Constant("ends", ends), b.Int64Constant("axes", axes)};
  if (r.Coin(0.8)) ins.push_back(b.Int64Constant("steps", steps));
  b.Output("y");
  return b.Finish(ins, Tolerance::kExact);
}

OpCase Pad(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 4);
  const std::string mode = r.Pick<std::string>({"constant", "constant", "reflect", "edge"});
  Dims pads(x.size() * 2);
  for (size_t i = 0; i < pads.size(); ++i) {
    const int64_t d = x[i % x.size()];
    pads[i] = mode == "reflect" ? r.Int(0, d - 1) : r.Int(0, 2);  // reflect needs pad < dim
  }
  b.Input("x", x);
  std::vector<std::string> ins = {"x", b.Int64Constant("pads", pads)};
  if (mode != "constant" || r.Coin(0.3)) b.String("mode", mode);
  if (mode == "constant" && r.Coin())
    ins.push_back(b.Constant("value", b.dtype(), {}, {IsFloat(b.dtype()) ? 1.5 : 3.0}));
  b.Output("y");
  return b.Finish(ins, Tolerance::kExact);
}

OpCase Gather(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 3);
  const int64_t rank = static_cast<int64_t>(x.size()), axis = r.Axis(rank);
  const int64_t d = x[static_cast<size_t>(axis < 0 ? axis + rank : axis)];
  b.Input("x", x);
  b.Input("indices", kI64, r.RandomDims(0, 2, 4), static_cast<double>(-d),
          static_cast<double>(d - 1));
  b.Int("axis", axis);
  b.Output("y");
  return b.Finish({"x", "indices"}, Tolerance::kExact);
}

OpCase Expand(CaseBuilder& b, Rng& r) {
  const Dims out = r.RandomDims(1, 4);
  Dims shape = out;
  const Dims x = r.BroadcastFrom(out);
  for (int64_t& s : shape)
    if (r.Coin(0.2)) s = 1;  // Expand broadcasts both ways: 1 in shape keeps x's dim
  b.Input("x", x);
  b.Int64Constant("shape", shape);
  b.Output("y");
  return b.Finish({"x", "shape"}, Tolerance::kExact);
}

OpCase Tile(CaseBuilder& b, Rng& r) {
  const Dims x = r.RandomDims(1, 3);
  Dims repeats(x.size());
  for (int64_t& rep : repeats) rep = r.Int(1, 3);
  b.Input("x", x);
  b.Int64Constant("repeats", repeats);
  b.Output("y");
  return b.Finish({"x", "repeats"}, Tolerance::kExact);
}

OpCase Resize(CaseBuilder& b, Rng& r) {
  const Dims x = {r.Int(1, 2), r.Int(1, 3), r.Int(1, 6), r.Int(1, 6)};
  const std::string mode = r.Pick<std::string>({"nearest", "linear"});
  const std::string coords = mode == "nearest"
                                 ? r.Pick<std::string>({"asymmetric", "half_pixel"})
                                 : r.Pick<std::string>({"half_pixel", "align_corners", "asymmetric",
                                                        "pytorch_half_pixel"});
  b.Input("x", x);
  std::vector<std::string> ins = {"x", ""};
  if (r.Coin(0.6)) {
    const std::vector<double> choices = {0.5, 1.0, 1.5, 2.0, 3.0};
    const double sh = r.Pick(choices), sw = r.Pick(choices);
    ins.push_back(b.Constant("scales", kF32, {4}, {1.0, 1.0, sh, sw}));
    b.Note("scales=1,1," + std::to_string(sh) + "," + std::to_string(sw));
  } else {
    ins.push_back("");
    ins.push_back(b.Int64Constant("sizes", {x[0], x[1], r.Int(1, 12), r.Int(1, 12)}));
  }
  b.String("mode", mode);
  b.String("coordinate_transformation_mode", coords);
  if (mode == "nearest" && r.Coin())
    b.String("nearest_mode", r.Pick<std::string>({"floor", "ceil", "round_prefer_ceil"}));
  b.Output("y");
  return b.Finish(ins, mode == "nearest" ? Tolerance::kExact : Tolerance::kArithmetic);
}

// --- the catalog --------------------------------------------------------------------------------

struct Entry {
  std::vector<DType> dtypes;
  Generator generate;
};

const std::vector<DType> kFloat = {kF32, kF16};
const std::vector<DType> kNumeric = {kF32, kF16, kI32, kI64};
const std::vector<DType> kSigned = {kF32, kF16, kI32, kI64};
const std::vector<DType> kAll = {kF32, kF16, kI32, kI64, kBool};

void Alpha(CaseBuilder& b, Rng& r, float lo, float hi) {
  b.Float("alpha", r.Uniform(lo, hi));
}

const std::map<std::string, Entry>& Entries() {
  using T = Tolerance;
  static const std::map<std::string, Entry> entries = {
      {"Abs", {kSigned, Unary(-2, 2, T::kExact)}},
      {"Neg", {kSigned, Unary(-2, 2, T::kExact)}},
      {"Sign", {kSigned, Unary(-2, 2, T::kExact)}},
      {"Relu", {{kF32, kF16, kI32, kI64}, Unary(-2, 2, T::kExact)}},
      {"Identity", {kAll, Unary(-2, 2, T::kExact)}},
      {"Not", {{kBool}, Unary(0, 1, T::kExact)}},
      {"Sigmoid", {kFloat, Unary(-8, 8, T::kTranscendental)}},
      {"Tanh", {kFloat, Unary(-4, 4, T::kTranscendental)}},
      {"Exp", {kFloat, Unary(-4, 4, T::kTranscendental)}},
      {"Log", {kFloat, Unary(0.05, 5, T::kTranscendental)}},
      {"Sqrt", {kFloat, Unary(0, 5, T::kArithmetic)}},
      {"Reciprocal", {kFloat, Unary(0.5, 3, T::kArithmetic)}},
      {"Erf", {kFloat, Unary(-3, 3, T::kTranscendental)}},
      {"Sin", {kFloat, Unary(-3, 3, T::kTranscendental)}},
      {"Cos", {kFloat, Unary(-3, 3, T::kTranscendental)}},
      {"Floor", {kFloat, Unary(-5, 5, T::kExact)}},
      {"Ceil", {kFloat, Unary(-5, 5, T::kExact)}},
      {"Round", {kFloat, Unary(-5, 5, T::kExact)}},
      {"Softplus", {kFloat, Unary(-5, 5, T::kTranscendental)}},
      {"Softsign", {kFloat, Unary(-3, 3, T::kArithmetic)}},
      {"HardSwish", {kFloat, Unary(-5, 5, T::kArithmetic)}},
      {"HardSigmoid",
       {kFloat,
        Unary(-4, 4, T::kArithmetic,
              [](CaseBuilder& b, Rng& r) {
                b.Float("alpha", r.Uniform(0.1f, 0.5f)).Float("beta", r.Uniform(0.2f, 0.7f));
              })}},
      {"LeakyRelu",
       {kFloat,
        Unary(-2, 2, T::kArithmetic, [](CaseBuilder& b, Rng& r) { Alpha(b, r, 0.01f, 0.5f); })}},
      {"Elu",
       {kFloat,
        Unary(-3, 3, T::kTranscendental, [](CaseBuilder& b, Rng& r) { Alpha(b, r, 0.1f, 1.5f); })}},
      {"Selu", {kFloat, Unary(-3, 3, T::kTranscendental)}},
      {"Celu", {{kF32}, Unary(-3, 3, T::kTranscendental)}},
      {"Add", {kNumeric, Binary(T::kArithmetic)}},
      {"Sub", {kNumeric, Binary(T::kArithmetic)}},
      {"Mul", {kNumeric, Binary(T::kArithmetic)}},
      {"Div", {kNumeric, Div}},
      {"Pow", {{kF32}, Pow}},
      {"Max", {kNumeric, Binary(T::kExact, true)}},
      {"Min", {kNumeric, Binary(T::kExact, true)}},
      {"Sum", {kFloat, Binary(T::kArithmetic, true)}},
      {"Mean", {kFloat, Binary(T::kArithmetic, true)}},
      {"PRelu", {kFloat, PRelu}},
      {"Equal", {{kF32, kI32, kI64, kBool}, Comparison}},
      {"Less", {{kF32, kF16, kI32, kI64}, Comparison}},
      {"Greater", {{kF32, kF16, kI32, kI64}, Comparison}},
      {"LessOrEqual", {{kF32, kI32, kI64}, Comparison}},
      {"GreaterOrEqual", {{kF32, kI32, kI64}, Comparison}},
      {"And", {{kBool}, Logical}},
      {"Or", {{kBool}, Logical}},
      {"Xor", {{kBool}, Logical}},
      {"Where", {kAll, Where}},
      {"Clip", {{kF32, kF16, kI32, kI64}, Clip}},
      {"Cast", {kAll, Cast}},
      {"MatMul", {{kF32, kF16, kI32, kI64}, MatMul}},
      {"Gemm", {kFloat, Gemm}},
      {"Conv", {kFloat, Conv}},
      {"ConvTranspose", {kFloat, ConvTranspose}},
      {"MaxPool", {kFloat, Pool}},
      {"AveragePool", {kFloat, Pool}},
      {"GlobalAveragePool", {kFloat, GlobalPool}},
      {"GlobalMaxPool", {kFloat, GlobalPool}},
      {"ReduceSum", {kNumeric, Reduce}},
      {"ReduceMean", {kNumeric, Reduce}},
      {"ReduceMax", {kNumeric, Reduce}},
      {"ReduceMin", {kNumeric, Reduce}},
      {"ReduceProd", {kNumeric, Reduce}},
      {"ReduceL2", {kFloat, Reduce}},
      {"ReduceLogSumExp", {kFloat, Reduce}},
      {"ReduceSumSquare", {kFloat, Reduce}},
      {"Softmax", {kFloat, Softmax}},
      {"LogSoftmax", {kFloat, Softmax}},
      {"ArgMax", {{kF32, kF16, kI32, kI64}, ArgMinMax}},
      {"ArgMin", {{kF32, kF16, kI32, kI64}, ArgMinMax}},
      {"LayerNormalization", {kFloat, LayerNormalization}},
      {"BatchNormalization", {kFloat, BatchNormalization}},
      {"InstanceNormalization", {kFloat, InstanceNormalization}},
      {"Transpose", {kAll, Transpose}},
      {"Reshape", {kAll, Reshape}},
      {"Flatten", {kAll, Flatten}},
      {"Squeeze", {kAll, Squeeze}},
      {"Unsqueeze", {kAll, Unsqueeze}},
      {"Concat", {kAll, Concat}},
      {"Split", {kAll, Split}},
      {"Slice", {kAll, Slice}},
      {"Pad", {{kF32, kF16, kI32, kI64}, Pad}},
      {"Gather", {kAll, Gather}},
      {"Expand", {kAll, Expand}},
      {"Tile", {kAll, Tile}},
      {"Resize", {kFloat, Resize}},
  };
  return entries;
}

}  // namespace

const std::vector<CatalogOp>& OpCatalog() {
  static const std::vector<CatalogOp> catalog = [] {
    std::vector<CatalogOp> ops;
    for (const auto& [op, entry] : Entries()) ops.push_back({op, entry.dtypes});
    return ops;
  }();
  return catalog;
}

OpCase MakeOpCase(const std::string& op, core::DType dtype, uint32_t seed, int index) {
  // One stream per (seed, op, dtype, index): adding an op or a case leaves the others unchanged.
  uint32_t op_hash = 2166136261u;  // FNV-1a: the same on every platform, unlike std::hash
  for (char c : op) op_hash = (op_hash ^ static_cast<uint8_t>(c)) * 16777619u;
  std::seed_seq seq{seed, op_hash, static_cast<uint32_t>(dtype), static_cast<uint32_t>(index)};
  std::mt19937 g(seq);
  Rng r{g};
  CaseBuilder builder(op, dtype, g);
  return Entries().at(op).generate(builder, r);
}

}  // namespace hetrun::cli::check_plugin
