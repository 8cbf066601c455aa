// Shape-op simplification: removes data-movement nodes that do nothing (Identity, Reshape to the
// same static shape, identity Transpose, Unsqueeze/Squeeze pairs over the same axes) and merges
// Reshape -> Reshape and Transpose -> Transpose chains into one node.
#include <algorithm>
#include <numeric>

#include "graph_rewrite.h"
#include "hetrun/core/passes.h"

namespace hetrun::core {
namespace {

using detail::ValueOf;

bool Is(const Node& node, const char* op) {
  return node.domain.empty() && node.op_type == op;
}

// The node producing input `k` of `node`, or null for graph inputs, constants and absent inputs.
const Node* InputProducer(const Graph& graph, const Node& node, size_t k) {
  if (k >= node.inputs.size() || node.inputs[k] == kNoValue) return nullptr;
  const NodeId p = ValueOf(graph, node.inputs[k]).producer;
  return p < 0 ? nullptr : &graph.nodes[static_cast<size_t>(p)];
}

// Axes of Squeeze/Unsqueeze (input from opset 13, attribute before) normalised against `rank`
// and sorted; nullopt when they are not constant, absent, out of range or repeated.
std::optional<std::vector<int64_t>> NormalizedAxes(const Graph& graph, const Node& node,
                                                   int64_t rank) {
  std::optional<std::vector<int64_t>> axes;
  if (node.inputs.size() > 1 && node.inputs[1] != kNoValue) {
    axes = detail::ConstantInts(graph, node.inputs[1]);
  } else if (const Attribute* a = node.FindAttribute("axes")) {
    axes = a->ints;
  }
  if (!axes || axes->empty() || rank < 0) return std::nullopt;
  for (int64_t& a : *axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return std::nullopt;
  }
  std::sort(axes->begin(), axes->end());
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end()) return std::nullopt;
  return axes;
}

// Transpose's permutation (reversed dims when the attribute is absent), or nullopt.
std::optional<std::vector<int64_t>> Permutation(const Node& transpose, int64_t rank) {
  if (const Attribute* a = transpose.FindAttribute("perm")) return a->ints;
  if (rank < 0) return std::nullopt;
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  std::iota(perm.rbegin(), perm.rend(), 0);
  return perm;
}

bool IsIdentityPermutation(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

bool SameStaticShape(const Shape& a, const Shape& b) {
  return a.fully_known() && b.fully_known() && a.sizes() == b.sizes();
}

// The value `node`'s output equals when the node (maybe with its producer) is a no-op.
ValueId NoOpSource(const Graph& graph, const Node& node) {
  // An absent output (empty name, legal in ONNX) has nothing to redirect.
  if (node.inputs.empty() || node.inputs[0] == kNoValue || node.outputs.size() != 1 ||
      node.outputs[0] == kNoValue)
    return kNoValue;
  const ValueId in = node.inputs[0];
  const Value& out = ValueOf(graph, node.outputs[0]);
  if (Is(node, "Identity")) return in;
  if ((Is(node, "Reshape") || Is(node, "Squeeze") || Is(node, "Unsqueeze") ||
       Is(node, "Flatten")) &&
      SameStaticShape(ValueOf(graph, in).shape, out.shape))
    return in;
  if (Is(node, "Transpose")) {
    const auto perm = Permutation(node, ValueOf(graph, in).shape.rank());
    if (perm && IsIdentityPermutation(*perm)) return in;
  }
  const Node* inner = InputProducer(graph, node, 0);
  if (inner == nullptr || inner->inputs.empty() || inner->inputs[0] == kNoValue) return kNoValue;
  const ValueId source = inner->inputs[0];
  const int64_t source_rank = ValueOf(graph, source).shape.rank();
  const int64_t middle_rank = ValueOf(graph, in).shape.rank();
  // Unsqueeze then Squeeze (or the reverse) of the same axes, both counted in the larger rank.
  if (Is(node, "Squeeze") && Is(*inner, "Unsqueeze")) {
    const auto a = NormalizedAxes(graph, *inner, middle_rank),
               b = NormalizedAxes(graph, node, middle_rank);
    if (a && a == b) return source;
  }
  if (Is(node, "Unsqueeze") && Is(*inner, "Squeeze")) {
    const auto a = NormalizedAxes(graph, *inner, source_rank),
               b = NormalizedAxes(graph, node, source_rank);
    if (a && a == b) return source;
  }
  return kNoValue;
}

// Reshape(Reshape(x)) -> Reshape(x) when the outer shape does not copy dims (0 entries) from the
// intermediate; Transpose(Transpose(x)) -> Transpose(x) with the composed permutation.
bool MergeWithProducer(Graph& graph, Node& node) {
  const Node* inner = InputProducer(graph, node, 0);
  if (inner == nullptr || inner->inputs.empty() || inner->inputs[0] == kNoValue) return false;
  const ValueId source = inner->inputs[0];
  if (Is(node, "Reshape") && Is(*inner, "Reshape") && node.inputs.size() == 2) {
    const auto shape = detail::ConstantInts(graph, node.inputs[1]);
    const bool copies_dims = detail::IntAttribute(node, "allowzero", 0) == 0 &&
                             (!shape || std::count(shape->begin(), shape->end(), 0) > 0);
    if (!shape || copies_dims) return false;
    node.inputs[0] = source;
    return true;
  }
  if (Is(node, "Transpose") && Is(*inner, "Transpose")) {
    const auto outer_perm = Permutation(node, ValueOf(graph, node.inputs[0]).shape.rank());
    const auto inner_perm = Permutation(*inner, ValueOf(graph, source).shape.rank());
    if (!outer_perm || !inner_perm || outer_perm->size() != inner_perm->size()) return false;
    // Output axis i is intermediate axis outer[i], which is source axis inner[outer[i]].
    std::vector<int64_t> composed;
    for (int64_t axis : *outer_perm) {
      if (axis < 0 || axis >= static_cast<int64_t>(inner_perm->size())) return false;
      composed.push_back((*inner_perm)[static_cast<size_t>(axis)]);
    }
    std::erase_if(node.attributes, [](const Attribute& a) { return a.name == "perm"; });
    Attribute perm;
    perm.name = "perm";
    perm.type = Attribute::Type::kInts;
    perm.ints = std::move(composed);
    node.attributes.push_back(std::move(perm));
    node.inputs[0] = source;
    return true;
  }
  return false;
}

}  // namespace

Result<int> SimplifyShapeOps(Graph& graph) {
  const detail::ValueUses uses = detail::ValueUses::Of(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  int count = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& node = graph.nodes[i];
    if (MergeWithProducer(graph, node)) ++count;  // may turn the node into a no-op, checked next
    const ValueId source = NoOpSource(graph, node);
    if (source == kNoValue || !uses.Redirectable(node.outputs[0])) continue;
    const Value& out = ValueOf(graph, node.outputs[0]);
    if (out.dtype != ValueOf(graph, source).dtype) continue;
    detail::RedirectUses(graph, node.outputs[0], source);
    removed[i] = true;
    ++count;
  }
  if (count > 0) HETRUN_RETURN_IF_ERROR(detail::RemoveNodes(graph, removed));
  return count;
}

}  // namespace hetrun::core
