#include "support/random_graph.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <utility>

namespace hetrun::testing {
namespace {

using core::ValueId;

// Magnitude bound past which an op is replaced by Tanh: keeps products and sums finite and far
// from float's range, so relative comparisons stay meaningful.
constexpr double kMaxBound = 1e4;
constexpr size_t kRecentWindow = 6;

enum class Op {
  kAdd,
  kSub,
  kMul,
  kRelu,
  kSigmoid,
  kTanh,
  kAbs,
  kNeg,
  kMatMul,
  kConcat,
  kSplit,
  kReshape
};

struct OpInfo {
  Op op;
  const char* name;
  double weight;
};

constexpr OpInfo kOps[] = {
    {Op::kAdd, "Add", 2.0},       {Op::kSub, "Sub", 1.5},         {Op::kMul, "Mul", 1.5},
    {Op::kRelu, "Relu", 1.0},     {Op::kSigmoid, "Sigmoid", 0.7}, {Op::kTanh, "Tanh", 0.7},
    {Op::kAbs, "Abs", 0.7},       {Op::kNeg, "Neg", 0.7},         {Op::kMatMul, "MatMul", 1.5},
    {Op::kConcat, "Concat", 1.2}, {Op::kSplit, "Split", 1.2},     {Op::kReshape, "Reshape", 1.2},
};

int64_t Elements(const std::vector<int64_t>& dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<>());
}

[[noreturn]] void GeneratorBug(uint32_t seed, const std::string& what) {
  std::fprintf(stderr, "RandomGraph(seed %u): %s\n", seed, what.c_str());
  std::abort();
}

class Builder {
 public:
  Builder(uint32_t seed, const RandomGraphOptions& options)
      : seed_(seed), rng_(seed), options_(options) {}

  core::Graph Build() {
    graph_.name = "random_" + std::to_string(seed_);
    graph_.opsets[""] = 17;
    const int nodes = Uniform(std::max(1, options_.min_nodes), std::max(1, options_.max_nodes));
    const int inputs = Uniform(1, std::clamp(options_.max_inputs, 1, nodes));
    for (int i = 0; i < inputs; ++i) {
      const ValueId v = NewValue("x" + std::to_string(i), RandomDims(Uniform(1, 3)), 1.0, -1);
      graph_.inputs.push_back(v);
    }
    for (int i = 0; i < nodes; ++i) {
      // The first nodes read the inputs in turn, so every input is used.
      const ValueId x = i < inputs ? graph_.inputs[i] : PickOperand();
      AddNode(PickOp(), x);
    }
    // Values nobody reads are outputs (see the options); sometimes one that is also read.
    std::vector<ValueId> unread = unread_;
    std::sort(unread.begin(), unread.end());
    std::vector<ValueId> outputs;
    for (ValueId v : unread)
      if (Chance(options_.unread_output_probability)) outputs.push_back(v);
    if (outputs.empty()) outputs.push_back(unread.back());
    if (Chance(options_.input_output_probability)) outputs.push_back(graph_.inputs[0]);
    if (Chance(0.5)) {
      const ValueId extra = pool_[Uniform(0, static_cast<int>(pool_.size()) - 1)];
      if (graph_.values[extra].producer >= 0 &&
          std::find(outputs.begin(), outputs.end(), extra) == outputs.end())
        outputs.push_back(extra);
    }
    graph_.outputs = std::move(outputs);
    if (Status s = graph_.TopologicalSort(); !s.ok()) GeneratorBug(seed_, s.message());
    if (Status s = graph_.Verify(); !s.ok()) GeneratorBug(seed_, s.message());
    return std::move(graph_);
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  const std::vector<int64_t>& DimsOf(ValueId v) const { return dims_[v]; }

  std::vector<int64_t> RandomDims(int rank) {
    std::vector<int64_t> dims;
    int64_t elements = 1;
    for (int i = 0; i < rank; ++i) {
      const int64_t cap = std::max<int64_t>(1, options_.max_elements / elements);
      const int64_t d = Uniform(1, static_cast<int>(std::min(options_.max_dim, cap)));
      dims.push_back(d);
      elements *= d;
    }
    return dims;
  }

  // A float value in the pool of operands (producer -1 for graph inputs).
  ValueId NewValue(const std::string& name, std::vector<int64_t> dims, double bound,
                   core::NodeId producer) {
    const ValueId v =
        graph_.AddValue({name, core::DType::kFloat32, core::Shape::Of(dims), nullptr, producer});
    dims_.resize(graph_.values.size());
    bound_.resize(graph_.values.size(), 0);
    unread_pos_.resize(graph_.values.size(), -1);
    dims_[v] = dims;
    bound_[v] = bound;
    by_shape_[dims].push_back(v);
    pool_.push_back(v);
    unread_pos_[v] = static_cast<int>(unread_.size());
    unread_.push_back(v);
    return v;
  }

  ValueId NewConstant(core::DType dtype, const std::vector<int64_t>& dims,
                      const std::vector<int64_t>& ints = {}) {
    Result<core::Tensor> tensor = core::Tensor::Create(dtype, dims);
    if (!tensor.ok()) GeneratorBug(seed_, tensor.status().message());
    if (dtype == core::DType::kFloat32) {
      std::uniform_real_distribution<float> value(-1, 1);
      float* data = tensor->mutable_data_as<float>();
      for (int64_t i = 0; i < tensor->element_count(); ++i) data[i] = value(rng_);
    } else {
      std::copy(ints.begin(), ints.end(), tensor->mutable_data_as<int64_t>());
    }
    core::Value value{"c" + std::to_string(constants_++), dtype, core::Shape::Of(dims), nullptr,
                      -1};
    value.constant = std::make_shared<const core::Tensor>(std::move(*tensor));
    const ValueId v = graph_.AddValue(std::move(value));
    dims_.resize(graph_.values.size());
    bound_.resize(graph_.values.size(), 1.0);
    unread_pos_.resize(graph_.values.size(), -1);
    dims_[v] = dims;
    bound_[v] = 1.0;
    return v;
  }

  ValueId PickOperand() {
    if (!unread_.empty() && Chance(0.25))
      return unread_[Uniform(0, static_cast<int>(unread_.size()) - 1)];
    const int n = static_cast<int>(pool_.size());
    if (Chance(options_.recent_operand_probability))
      return pool_[Uniform(std::max(0, n - static_cast<int>(kRecentWindow)), n - 1)];
    return pool_[Uniform(0, n - 1)];
  }

  // A random pool value with exactly these dims, or kNoValue.
  ValueId FindShaped(const std::vector<int64_t>& dims) {
    auto it = by_shape_.find(dims);
    if (it == by_shape_.end()) return core::kNoValue;
    return it->second[Uniform(0, static_cast<int>(it->second.size()) - 1)];
  }

  Op PickOp() {
    double total = 0;
    for (const OpInfo& info : kOps) total += info.weight;
    double r = std::uniform_real_distribution<double>(0, total)(rng_);
    for (const OpInfo& info : kOps) {
      if (r < info.weight) return info.op;
      r -= info.weight;
    }
    return Op::kAdd;
  }

  static const char* Name(Op op) {
    for (const OpInfo& info : kOps)
      if (info.op == op) return info.name;
    return "?";
  }

  core::Node& Emit(Op op, std::vector<ValueId> inputs,
                   const std::vector<std::vector<int64_t>>& output_dims, double bound) {
    const core::NodeId id = static_cast<core::NodeId>(graph_.nodes.size());
    core::Node node;
    node.name = "n" + std::to_string(id) + "_" + Name(op);
    node.op_type = Name(op);
    for (ValueId v : inputs) MarkRead(v);
    node.inputs = std::move(inputs);
    for (const std::vector<int64_t>& dims : output_dims)
      node.outputs.push_back(NewValue(
          "v" + std::to_string(id) + "_" + std::to_string(node.outputs.size()), dims, bound, id));
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back();
  }

  void MarkRead(ValueId v) {
    if (v >= static_cast<ValueId>(unread_pos_.size()) || unread_pos_[v] < 0) return;
    const int pos = unread_pos_[v];
    unread_[pos] = unread_.back();
    unread_pos_[unread_[pos]] = pos;
    unread_.pop_back();
    unread_pos_[v] = -1;
  }

  static void SetIntAttribute(core::Node& node, const char* name, int64_t value) {
    core::Attribute a;
    a.name = name;
    a.type = core::Attribute::Type::kInt;
    a.i = value;
    node.attributes.push_back(std::move(a));
  }

  void AddNode(Op op, ValueId x) {
    bool done = false;
    switch (op) {
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul: done = AddBinary(op, x); break;
      case Op::kMatMul: done = AddMatMul(x); break;
      case Op::kConcat: done = AddConcat(x); break;
      case Op::kSplit: done = AddSplit(x); break;
      case Op::kReshape: done = AddReshape(x); break;
      case Op::kRelu:
      case Op::kAbs:
      case Op::kNeg:
        Emit(op, {x}, {DimsOf(x)}, bound_[x]);
        done = true;
        break;
      case Op::kSigmoid:
      case Op::kTanh:
        Emit(op, {x}, {DimsOf(x)}, 1.0);
        done = true;
        break;
    }
    if (!done) Emit(Op::kTanh, {x}, {DimsOf(x)}, 1.0);  // the op did not fit x: squash instead
  }

  bool AddBinary(Op op, ValueId x) {
    const std::vector<int64_t> dims = DimsOf(x);  // a copy: new values reallocate dims_
    // The second operand broadcasts to x: the same dims, some dims 1, or a suffix of them.
    std::vector<int64_t> other = dims;
    const int form = Uniform(0, 3);
    if (form == 2) {
      for (int64_t& d : other)
        if (Chance(0.4)) d = 1;
    } else if (form == 3 && other.size() > 1) {
      other.erase(other.begin(), other.begin() + Uniform(1, static_cast<int>(other.size()) - 1));
    }
    ValueId y = Chance(options_.constant_probability) ? core::kNoValue : FindShaped(other);
    if (y == core::kNoValue)
      y = options_.constant_probability > 0 ? NewConstant(core::DType::kFloat32, other) : x;
    const double bound = op == Op::kMul ? bound_[x] * bound_[y] : bound_[x] + bound_[y];
    if (bound > kMaxBound) return false;
    std::vector<ValueId> inputs{x, y};
    if (Chance(0.5)) std::swap(inputs[0], inputs[1]);
    Emit(op, inputs, {dims}, bound);
    return true;
  }

  bool AddMatMul(ValueId x) {
    const std::vector<int64_t> dims = DimsOf(x);  // a copy: new values reallocate dims_
    if (dims.size() < 2) return false;
    const int64_t k = dims.back();
    const int64_t n = Uniform(1, static_cast<int>(options_.max_dim));
    std::vector<int64_t> out = dims;
    out.back() = n;
    if (Elements(out) > options_.max_elements) return false;
    // The right operand is [K, N] or carries x's batch dims.
    std::vector<int64_t> right{k, n};
    if (Chance(0.3)) {
      right.assign(dims.begin(), dims.end() - 2);
      right.push_back(k);
      right.push_back(n);
    }
    ValueId y = Chance(options_.constant_probability) ? core::kNoValue : FindShaped(right);
    if (y == core::kNoValue) {
      if (options_.constant_probability <= 0) return false;
      y = NewConstant(core::DType::kFloat32, right);
    }
    const double bound = static_cast<double>(k) * bound_[x] * bound_[y];
    if (bound > kMaxBound) return false;
    Emit(Op::kMatMul, {x, y}, {out}, bound);
    return true;
  }

  bool AddConcat(ValueId x) {
    const std::vector<int64_t> dims = DimsOf(x);  // a copy: new values reallocate dims_
    const int rank = static_cast<int>(dims.size());
    const int axis = Uniform(0, rank - 1);
    std::vector<ValueId> inputs{x};
    std::vector<int64_t> out = dims;
    const int partners = Uniform(1, 2);
    for (int i = 0; i < partners; ++i) {
      // A value that differs from x only along the axis (x itself when there is none).
      std::vector<int64_t> shape = dims;
      shape[axis] = Uniform(1, static_cast<int>(options_.max_dim));
      ValueId y = FindShaped(shape);
      if (y == core::kNoValue) y = x;
      inputs.push_back(y);
      out[axis] += DimsOf(y)[axis];
    }
    if (Elements(out) > options_.max_elements) return false;
    double bound = 0;
    for (ValueId v : inputs) bound = std::max(bound, bound_[v]);
    std::shuffle(inputs.begin(), inputs.end(), rng_);
    core::Node& node = Emit(Op::kConcat, inputs, {out}, bound);
    SetIntAttribute(node, "axis", Chance(0.3) ? axis - rank : axis);  // negative axes are valid
    return true;
  }

  bool AddSplit(ValueId x) {
    const std::vector<int64_t> dims = DimsOf(x);  // a copy: new values reallocate dims_
    std::vector<int> axes;
    for (size_t a = 0; a < dims.size(); ++a)
      if (dims[a] >= 2) axes.push_back(static_cast<int>(a));
    if (axes.empty()) return false;
    const int axis = axes[Uniform(0, static_cast<int>(axes.size()) - 1)];
    const int64_t size = dims[axis];
    const int count = Uniform(2, static_cast<int>(std::min<int64_t>(3, size)));
    // Random positive sizes that add up to the dim: cut points chosen without repetition.
    std::vector<int64_t> cuts(static_cast<size_t>(size - 1));
    std::iota(cuts.begin(), cuts.end(), 1);
    std::shuffle(cuts.begin(), cuts.end(), rng_);
    cuts.resize(static_cast<size_t>(count - 1));
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(size);
    std::vector<int64_t> sizes;
    int64_t previous = 0;
    for (int64_t c : cuts) {
      sizes.push_back(c - previous);
      previous = c;
    }
    const bool equal = size % count == 0;
    if (equal && Chance(0.4)) sizes.assign(static_cast<size_t>(count), size / count);
    std::vector<std::vector<int64_t>> outs;
    for (int64_t s : sizes) {
      outs.push_back(dims);
      outs.back()[axis] = s;
    }
    // Opset 13+: `split` is an optional int64 input; omitted, the parts are equal.
    std::vector<ValueId> inputs{x};
    const bool omit =
        equal && sizes == std::vector<int64_t>(sizes.size(), size / count) && Chance(0.5);
    if (!omit)
      inputs.push_back(NewConstant(core::DType::kInt64, {static_cast<int64_t>(count)}, sizes));
    core::Node& node = Emit(Op::kSplit, inputs, outs, bound_[x]);
    SetIntAttribute(node, "axis", axis);
    return true;
  }

  bool AddReshape(ValueId x) {
    const std::vector<int64_t> dims = DimsOf(x);  // a copy: new values reallocate dims_
    int64_t left = Elements(dims);
    const int rank = Uniform(1, 4);
    std::vector<int64_t> out;
    for (int i = 0; i + 1 < rank; ++i) {
      std::vector<int64_t> divisors;
      for (int64_t d = 1; d <= left; ++d)
        if (left % d == 0) divisors.push_back(d);
      out.push_back(divisors[Uniform(0, static_cast<int>(divisors.size()) - 1)]);
      left /= out.back();
    }
    out.push_back(left);
    // The shape input may say 0 (copy the input's dim) or -1 (infer one dim).
    std::vector<int64_t> shape = out;
    for (size_t i = 0; i < shape.size() && i < dims.size(); ++i)
      if (shape[i] == dims[i] && Chance(0.2)) shape[i] = 0;
    if (Chance(0.3)) shape[Uniform(0, static_cast<int>(shape.size()) - 1)] = -1;
    const ValueId s = NewConstant(core::DType::kInt64, {static_cast<int64_t>(shape.size())}, shape);
    Emit(Op::kReshape, {x, s}, {out}, bound_[x]);
    return true;
  }

  uint32_t seed_;
  std::mt19937 rng_;
  RandomGraphOptions options_;
  core::Graph graph_;
  std::vector<std::vector<int64_t>> dims_;  // per value
  std::vector<double> bound_;               // per value: |element| <= bound for inputs in [-1, 1]
  std::vector<ValueId> pool_;               // float values operands may use, in creation order
  std::map<std::vector<int64_t>, std::vector<ValueId>> by_shape_;
  std::vector<ValueId> unread_;  // pool values no node reads yet
  std::vector<int> unread_pos_;  // per value: index in unread_, or -1
  int constants_ = 0;
};

}  // namespace

const std::vector<std::string>& RandomGraphOpTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const OpInfo& info : kOps) t.push_back(info.name);
    return t;
  }();
  return types;
}

core::Graph RandomGraph(uint32_t seed, const RandomGraphOptions& options) {
  return Builder(seed, options).Build();
}

std::map<std::string, core::Tensor> RandomInputs(const core::Graph& graph, std::mt19937& rng) {
  std::map<std::string, core::Tensor> inputs;
  std::uniform_real_distribution<float> value(-1, 1);
  for (core::ValueId id : graph.inputs) {
    const core::Value& v = graph.values[id];
    Result<core::Tensor> tensor = core::Tensor::Create(v.dtype, v.shape.sizes());
    if (!tensor.ok()) GeneratorBug(0, tensor.status().message());
    float* data = tensor->mutable_data_as<float>();
    for (int64_t i = 0; i < tensor->element_count(); ++i) data[i] = value(rng);
    inputs.emplace(v.name, std::move(*tensor));
  }
  return inputs;
}

}  // namespace hetrun::testing
