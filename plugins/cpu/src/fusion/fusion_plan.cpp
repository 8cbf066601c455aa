// PlanFusion: counts each value's readers, then grows a chain from every Conv / Gemm / MatMul
// through the node patterns its kernel can apply as an epilogue.
#include "fusion/fusion_plan.h"
#include "fusion/elementwise_chain.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace {

bool IsDefaultDomain(const hetrun_node& node) {
  return !node.domain || !*node.domain || std::string_view(node.domain) == "ai.onnx";
}

// What the planner needs to know about the part's values.
class PartFacts {
 public:
  explicit PartFacts(const hetrun_graph_view& part)
      : part_(part),
        readers_(part.num_values),
        producer_(part.num_values, -1),
        external_(part.num_values, false) {
    for (uint32_t k = 0; k < part.num_nodes; ++k) {
      const hetrun_node& node = part.nodes[k];
      for (uint32_t i = 0; i < node.num_inputs; ++i)
        if (node.inputs[i] >= 0) readers_[node.inputs[i]].push_back(static_cast<int32_t>(k));
      for (uint32_t o = 0; o < node.num_outputs; ++o)
        if (node.outputs[o] >= 0) producer_[node.outputs[o]] = static_cast<int32_t>(k);
    }
    // Part inputs and outputs are seen by the caller: never fused away, never taken as constants.
    for (uint32_t i = 0; i < part.num_inputs; ++i)
      if (InRange(part.inputs[i])) external_[part.inputs[i]] = true;
    for (uint32_t i = 0; i < part.num_outputs; ++i)
      if (InRange(part.outputs[i])) external_[part.outputs[i]] = true;
  }

  bool InRange(int32_t v) const { return v >= 0 && static_cast<uint32_t>(v) < part_.num_values; }
  const hetrun_value& value(int32_t v) const { return part_.values[v]; }

  // The one node reading `v` (once), when `v` is an intermediate nobody else sees; else -1.
  int32_t SoleReader(int32_t v) const {
    return readers_[v].size() == 1 && !external_[v] ? readers_[v][0] : -1;
  }
  // The node producing `v`, or -1 for a part input or a constant.
  int32_t Producer(int32_t v) const { return producer_[v]; }
  // The nodes reading `v` (once per input slot), or none when the caller sees `v`.
  std::vector<int32_t> InternalReaders(int32_t v) const {
    return external_[v] ? std::vector<int32_t>() : readers_[v];
  }

  // Constant data the executable may keep a pointer to (not fed by the caller).
  const float* ConstantFloats(int32_t v, int64_t count) const {
    if (!InRange(v) || external_[v]) return nullptr;
    const hetrun_value& x = part_.values[v];
    if (!(x.flags & HETRUN_VALUE_CONSTANT) || !x.data || x.dtype != HETRUN_DTYPE_FLOAT32 ||
        x.data_bytes < static_cast<uint64_t>(count) * sizeof(float))
      return nullptr;
    return static_cast<const float*>(x.data);
  }

  // A constant with one element, as Clip's bounds must be.
  std::optional<float> ConstantScalar(int32_t v) const {
    if (!InRange(v) || value(v).rank < 0) return std::nullopt;
    for (int32_t d = 0; d < value(v).rank; ++d)
      if (value(v).dims[d] != 1) return std::nullopt;
    const float* data = ConstantFloats(v, 1);
    if (!data) return std::nullopt;
    return *data;
  }

 private:
  const hetrun_graph_view& part_;
  std::vector<std::vector<int32_t>> readers_;  // per value, the node of each input slot reading it
  std::vector<int32_t> producer_;              // per value, the node writing it, or -1
  std::vector<bool> external_;
};

bool WellFormed(const hetrun_graph_view& part, const hetrun_node& node) {
  if (!node.op_type || (node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
      (node.num_attributes && !node.attributes))
    return false;
  auto in_range = [&](int32_t v) { return v >= -1 && v < static_cast<int32_t>(part.num_values); };
  for (uint32_t i = 0; i < node.num_inputs; ++i)
    if (!in_range(node.inputs[i])) return false;
  for (uint32_t i = 0; i < node.num_outputs; ++i)
    if (!in_range(node.outputs[i])) return false;
  return true;
}

bool HasSubgraph(const hetrun_node& node) {
  for (uint32_t a = 0; a < node.num_attributes; ++a)
    if (node.attributes[a].type == HETRUN_ATTR_GRAPH) return true;
  return false;
}

// The node's single float32 output, or -1.
int32_t SingleFloatOutput(const PartFacts& facts, const hetrun_node& node) {
  if (node.num_outputs != 1 || node.outputs[0] < 0) return -1;
  return facts.value(node.outputs[0]).dtype == HETRUN_DTYPE_FLOAT32 ? node.outputs[0] : -1;
}

bool IsEpilogueProducer(const hetrun_node& node) {
  const std::string_view op = node.op_type;
  return IsDefaultDomain(node) && (op == "Conv" || op == "Gemm" || op == "MatMul");
}

// The activation `node` applies to `chain` (its first input), if a producer can apply it too.
std::optional<Activation> MatchActivation(const PartFacts& facts, const hetrun_node& node,
                                          int32_t chain) {
  if (!IsDefaultDomain(node) || node.num_inputs < 1 || node.inputs[0] != chain) return std::nullopt;
  for (uint32_t i = 1; i < node.num_inputs; ++i)
    if (node.inputs[i] == chain) return std::nullopt;
  const std::string_view op = node.op_type;
  Activation act;
  if (op == "Relu") {
    act.kind = ActivationKind::kRelu;
  } else if (op == "LeakyRelu") {
    act = {ActivationKind::kLeakyRelu, plugin::AttrFloat(node, "alpha", 0.01f), 0.0f};
  } else if (op == "Sigmoid") {
    act.kind = ActivationKind::kSigmoid;
  } else if (op == "Tanh") {
    act.kind = ActivationKind::kTanh;
  } else if (op == "HardSigmoid") {
    act = {ActivationKind::kHardSigmoid, plugin::AttrFloat(node, "alpha", 0.2f),
           plugin::AttrFloat(node, "beta", 0.5f)};
  } else if (op == "HardSwish") {
    act.kind = ActivationKind::kHardSwish;
  } else if (op == "Clip") {
    // Absent bounds as the Clip kernel has them.
    act = {ActivationKind::kClip, std::numeric_limits<float>::lowest(),
           std::numeric_limits<float>::max()};
    if (node.opset < 11) {  // bounds are attributes
      act.a = plugin::AttrFloat(node, "min", std::numeric_limits<float>::lowest());
      act.b = plugin::AttrFloat(node, "max", std::numeric_limits<float>::max());
    } else {  // bounds are optional inputs, which must be constants to be fused
      for (uint32_t i = 1; i < node.num_inputs && i < 3; ++i) {
        if (node.inputs[i] < 0) continue;
        const std::optional<float> bound = facts.ConstantScalar(node.inputs[i]);
        if (!bound) return std::nullopt;
        (i == 1 ? act.a : act.b) = *bound;
      }
    }
  } else {
    return std::nullopt;
  }
  if (node.num_inputs != (op == "Clip" ? std::min<uint32_t>(node.num_inputs, 3) : 1))
    return std::nullopt;
  return act;
}

// An Add of `chain` and a constant vector along its last dim ([L], [1, L], ... with L the chain's
// static last dim, of no higher rank than the chain): records the vector in `epilogue`.
bool MatchColumnBiasAdd(const PartFacts& facts, const hetrun_node& node, int32_t chain,
                        Epilogue& epilogue) {
  if (!IsDefaultDomain(node) || std::string_view(node.op_type) != "Add" || node.num_inputs != 2)
    return false;
  const int32_t other = node.inputs[0] == chain ? node.inputs[1] : node.inputs[0];
  if (node.inputs[0] != chain && node.inputs[1] != chain) return false;
  if (other == chain || !facts.InRange(other)) return false;
  const hetrun_value &x = facts.value(chain), &bias = facts.value(other);
  if (x.rank < 1 || bias.rank < 1 || bias.rank > x.rank) return false;
  const int64_t length = x.dims[x.rank - 1];
  if (length <= 0 || bias.dims[bias.rank - 1] != length) return false;
  for (int32_t d = 0; d + 1 < bias.rank; ++d)
    if (bias.dims[d] != 1) return false;
  const float* data = facts.ConstantFloats(other, length);
  if (!data) return false;
  epilogue.column_bias = data;
  epilogue.column_bias_size = length;
  return true;
}

// True when `v` has a known rank and only known dims, all equal to `dims` (of rank `rank`).
bool SameStaticShape(const hetrun_value& v, int32_t rank, const int64_t* dims) {
  if (v.rank < 0 || v.rank != rank) return false;
  for (int32_t d = 0; d < rank; ++d)
    if (v.dims[d] < 0 || v.dims[d] != dims[d]) return false;
  return true;
}

// An Add of `chain` (the output of leader node `k`) and a float32 value of exactly its static
// shape, no broadcasting, available before node `k` runs (the group runs at the leader's place):
// returns the addend's value index, or -1.
int32_t MatchResidualAdd(const PartFacts& facts, const hetrun_node& node, int32_t chain,
                         uint32_t k) {
  if (!IsDefaultDomain(node) || std::string_view(node.op_type) != "Add" || node.num_inputs != 2 ||
      SingleFloatOutput(facts, node) < 0)
    return -1;
  if (node.inputs[0] != chain && node.inputs[1] != chain) return -1;
  const int32_t other = node.inputs[0] == chain ? node.inputs[1] : node.inputs[0];
  if (other == chain || !facts.InRange(other)) return -1;
  const hetrun_value &x = facts.value(chain), &addend = facts.value(other);
  if (x.rank < 1 || addend.dtype != HETRUN_DTYPE_FLOAT32 || !SameStaticShape(x, x.rank, x.dims) ||
      !SameStaticShape(addend, x.rank, x.dims) ||
      !SameStaticShape(facts.value(node.outputs[0]), x.rank, x.dims))
    return -1;
  if (facts.Producer(other) >= static_cast<int32_t>(k)) return -1;
  return other;
}

// An elementwise binary node `op`(x, constant) in either operand order (only the given order for
// Div) whose constant is the scalar `want`, to float rounding (stored in `found` if given);
// returns its output or -1.
int32_t MatchScalarOp(const PartFacts& facts, const hetrun_node& node, std::string_view op,
                      int32_t x, float want, float* found = nullptr) {
  if (!IsDefaultDomain(node) || std::string_view(node.op_type) != op || node.num_inputs != 2 ||
      SingleFloatOutput(facts, node) < 0)
    return -1;
  int32_t other = -1;
  if (node.inputs[0] == x)
    other = node.inputs[1];
  else if (node.inputs[1] == x && op != "Div")
    other = node.inputs[0];
  if (other < 0 || other == x) return -1;
  const std::optional<float> c = facts.ConstantScalar(other);
  if (!c || std::abs(*c - want) > 1e-6f * std::abs(want)) return -1;
  if (found) *found = *c;
  return node.outputs[0];
}

// Gelu as exporters write it, on `x`: x * 0.5 * (1 + Erf(x / sqrt(2))), the 0.5 applied to x
// first (Mul, Div, Erf, Add, Mul) or last (Div, Erf, Add, Mul, Mul). Every value in between must
// be read only inside the pattern. Records the five nodes in `nodes` and the divisor in
// `divisor`; returns the output or -1.
int32_t MatchGelu(const hetrun_graph_view& part, const PartFacts& facts, int32_t x,
                  std::vector<uint32_t>& nodes, float& divisor) {
  const std::vector<int32_t> readers = facts.InternalReaders(x);
  if (readers.size() != 2 || readers[0] == readers[1]) return -1;
  const float sqrt2 = 1.41421356f;
  for (int side = 0; side < 2; ++side) {
    const int32_t div = readers[side], other = readers[1 - side];
    const int32_t scaled = MatchScalarOp(facts, part.nodes[div], "Div", x, sqrt2, &divisor);
    if (scaled < 0) continue;
    const int32_t erf_node = facts.SoleReader(scaled);
    if (erf_node < 0 || std::string_view(part.nodes[erf_node].op_type) != "Erf" ||
        !IsDefaultDomain(part.nodes[erf_node]) || part.nodes[erf_node].num_inputs != 1 ||
        SingleFloatOutput(facts, part.nodes[erf_node]) < 0)
      return -1;
    const int32_t erf_out = part.nodes[erf_node].outputs[0];
    const int32_t add = facts.SoleReader(erf_out);
    const int32_t one_plus =
        add < 0 ? -1 : MatchScalarOp(facts, part.nodes[add], "Add", erf_out, 1.0f);
    if (one_plus < 0) return -1;
    const int32_t mul = facts.SoleReader(one_plus);
    if (mul < 0) return -1;
    const hetrun_node& m = part.nodes[mul];
    if (!IsDefaultDomain(m) || std::string_view(m.op_type) != "Mul" || m.num_inputs != 2 ||
        SingleFloatOutput(facts, m) < 0)
      return -1;
    const int32_t partner = m.inputs[0] == one_plus ? m.inputs[1] : m.inputs[0];
    int32_t out = -1, half = -1;
    if (mul == other && partner == x) {  // 0.5 last: Mul(x, 1 + erf), then Mul(., 0.5)
      half = facts.SoleReader(m.outputs[0]);
      if (half >= 0) out = MatchScalarOp(facts, part.nodes[half], "Mul", m.outputs[0], 0.5f);
    } else if (MatchScalarOp(facts, part.nodes[other], "Mul", x, 0.5f) == partner &&
               facts.SoleReader(partner) == mul) {  // 0.5 first: Mul(x, 0.5) times (1 + erf)
      half = other;
      out = m.outputs[0];
    }
    if (out < 0) return -1;
    nodes = {static_cast<uint32_t>(div), static_cast<uint32_t>(erf_node),
             static_cast<uint32_t>(add), static_cast<uint32_t>(mul), static_cast<uint32_t>(half)};
    std::sort(nodes.begin(), nodes.end());
    return out;
  }
  return -1;
}

// MatMul's columns are its output's last dim only when B is a matrix (or a stack of them).
bool ColumnsAreLastDim(const PartFacts& facts, const hetrun_node& leader) {
  if (std::string_view(leader.op_type) != "MatMul") return true;
  return leader.num_inputs == 2 && leader.inputs[1] >= 0 && facts.value(leader.inputs[1]).rank >= 2;
}

// Grows the group led by node `k` as far as the patterns allow.
NodeGroup GrowGroup(const hetrun_graph_view& part, const PartFacts& facts, uint32_t k) {
  NodeGroup group;
  group.leader = k;
  const hetrun_node& leader = part.nodes[k];
  if (!IsEpilogueProducer(leader)) return group;
  int32_t chain = SingleFloatOutput(facts, leader);
  if (chain < 0) return group;

  auto next_reader = [&]() -> const hetrun_node* {
    const int32_t r = facts.SoleReader(chain);
    return r > static_cast<int32_t>(k) ? &part.nodes[r] : nullptr;
  };
  const bool takes_bias = std::string_view(leader.op_type) != "Conv";
  if (const hetrun_node* add = next_reader();
      add && takes_bias && ColumnsAreLastDim(facts, leader) &&
      SingleFloatOutput(facts, *add) >= 0 &&
      MatchColumnBiasAdd(facts, *add, chain, group.epilogue)) {
    group.absorbed.push_back(static_cast<uint32_t>(add - part.nodes));
    chain = add->outputs[0];
  } else if (const hetrun_node* residual = next_reader(); residual && !takes_bias) {
    if (const int32_t addend = MatchResidualAdd(facts, *residual, chain, k); addend >= 0) {
      group.epilogue.residual = true;
      group.residual = addend;
      group.absorbed.push_back(static_cast<uint32_t>(residual - part.nodes));
      chain = residual->outputs[0];
    }
  }
  if (const hetrun_node* act_node = next_reader();
      act_node && SingleFloatOutput(facts, *act_node) >= 0) {
    if (const std::optional<Activation> act = MatchActivation(facts, *act_node, chain)) {
      group.epilogue.activation = *act;
      group.absorbed.push_back(static_cast<uint32_t>(act_node - part.nodes));
    }
    return group;
  }
  std::vector<uint32_t> gelu;
  float divisor = 0.0f;
  if (MatchGelu(part, facts, chain, gelu, divisor) >= 0 && gelu.front() > k) {
    group.epilogue.activation = {ActivationKind::kGelu, divisor, 0.0f};
    group.absorbed.insert(group.absorbed.end(), gelu.begin(), gelu.end());
  } else if (std::vector<uint32_t> hs; MatchExportedHardSwish(part, facts, chain, hs) >= 0 &&
                                       hs.front() > k) {  // fusion/elementwise_chain.h
    group.epilogue.activation.kind = ActivationKind::kHardSwish;
    group.absorbed.insert(group.absorbed.end(), hs.begin(), hs.end());
  }
  return group;
}

std::string NodeName(const hetrun_graph_view& part, uint32_t k) {
  const char* name = part.nodes[k].name;
  return name && *name ? std::string(name) : std::string("#").append(std::to_string(k));
}

}  // namespace

std::vector<uint32_t> NodeGroup::members() const {
  std::vector<uint32_t> all{leader};
  all.insert(all.end(), absorbed.begin(), absorbed.end());
  return all;
}

std::vector<NodeGroup> PlanFusion(const hetrun_graph_view& part) {
  std::vector<NodeGroup> groups;
  bool fusable = part.num_values == 0 || part.values;
  for (uint32_t k = 0; fusable && k < part.num_nodes; ++k)
    fusable = WellFormed(part, part.nodes[k]) && !HasSubgraph(part.nodes[k]);
  if (!fusable) {
    for (uint32_t k = 0; k < part.num_nodes; ++k) groups.push_back(NodeGroup{k, {}, {}});
    return groups;
  }
  const PartFacts facts(part);
  std::vector<bool> absorbed(part.num_nodes, false);
  for (uint32_t k = 0; k < part.num_nodes; ++k) {
    if (absorbed[k]) continue;
    NodeGroup group = GrowGroup(part, facts, k);
    for (uint32_t m : group.absorbed) absorbed[m] = true;
    groups.push_back(std::move(group));
  }
  return groups;
}

bool FusionEnabled() {
  const char* env = std::getenv("HETRUN_CPU_FUSION");
  return !(env && std::string_view(env) == "0");
}

std::string GroupNodeNames(const hetrun_graph_view& part, const NodeGroup& group) {
  std::string text = NodeName(part, group.leader);
  for (uint32_t m : group.absorbed) text.append("+").append(NodeName(part, m));
  return text;
}

std::string GroupOpTypes(const hetrun_graph_view& part, const NodeGroup& group) {
  std::string text = part.nodes[group.leader].op_type;
  for (uint32_t m : group.absorbed) text.append("+").append(part.nodes[m].op_type);
  return text;
}

}  // namespace hetrun::cpu
