// Common-subexpression elimination by value numbering: in topological order, a node whose
// (operator, domain, attributes, inputs) key was seen before is replaced by the earlier node, whose
// outputs are then already computed wherever the later ones were read.
#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "graph_rewrite.h"
#include "hetrun/core/passes.h"

namespace hetrun::core {
namespace {

// Operators whose two identical calls may give different results.
bool Nondeterministic(const Node& node) {
  static const std::unordered_set<std::string> kOps = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
      "Multinomial",  "Bernoulli",     "Dropout"};
  return kOps.count(node.op_type) > 0;
}

void AppendBytes(std::string& key, const void* data, size_t bytes) {
  key.append(static_cast<const char*>(data), bytes);
}

void AppendInt(std::string& key, int64_t v) {
  AppendBytes(key, &v, sizeof v);
}

void AppendString(std::string& key, const std::string& s) {
  AppendInt(key, static_cast<int64_t>(s.size()));
  key += s;
}

void AppendTensor(std::string& key, const Tensor& t) {
  AppendInt(key, static_cast<int64_t>(t.dtype()));
  AppendInt(key, static_cast<int64_t>(t.dims().size()));
  for (int64_t d : t.dims()) AppendInt(key, d);
  AppendBytes(key, t.data(), t.byte_size());
  for (const std::string& s : t.strings()) AppendString(key, s);
}

// Everything that determines a node's results, as bytes (floats bitwise: -0.0 != 0.0).
std::string NodeKey(const Node& node) {
  std::string key;
  AppendString(key, node.op_type);
  AppendString(key, node.domain);
  AppendInt(key, static_cast<int64_t>(node.inputs.size()));
  for (ValueId v : node.inputs) AppendInt(key, v);
  AppendInt(key, static_cast<int64_t>(node.outputs.size()));
  for (const Attribute& a : node.attributes) {
    AppendString(key, a.name);
    AppendInt(key, static_cast<int64_t>(a.type));
    AppendBytes(key, &a.f, sizeof a.f);
    AppendInt(key, a.i);
    AppendString(key, a.s);
    AppendInt(key, static_cast<int64_t>(a.floats.size()));
    AppendBytes(key, a.floats.data(), a.floats.size() * sizeof(float));
    AppendInt(key, static_cast<int64_t>(a.ints.size()));
    AppendBytes(key, a.ints.data(), a.ints.size() * sizeof(int64_t));
    AppendInt(key, static_cast<int64_t>(a.strings.size()));
    for (const std::string& s : a.strings) AppendString(key, s);
    if (a.tensor) AppendTensor(key, *a.tensor);
  }
  return key;
}

// Exporters often repeat small constants (axes, shapes, scalars) per use; readers of equal copies
// are pointed at the first one, so that the nodes reading them can merge too.
int MergeEqualConstants(Graph& graph, const detail::ValueUses& uses) {
  constexpr int64_t kMaxElements = 64;  // keys stay small; weights are never duplicated anyway
  std::unordered_map<std::string, ValueId> first_with_contents;
  int count = 0;
  for (size_t v = 0; v < graph.values.size(); ++v) {
    const std::shared_ptr<const Tensor>& t = graph.values[v].constant;
    if (!t || t->element_count() > kMaxElements) continue;
    std::string key;
    AppendTensor(key, *t);
    auto [it, inserted] = first_with_contents.emplace(std::move(key), static_cast<ValueId>(v));
    if (inserted || !uses.Redirectable(static_cast<ValueId>(v)) ||
        uses.ConsumerCount(static_cast<ValueId>(v)) == 0)
      continue;
    detail::RedirectUses(graph, static_cast<ValueId>(v), it->second);
    ++count;
  }
  return count;
}

bool Eligible(const Node& node) {
  return node.domain.empty() && !Nondeterministic(node) && !detail::HasSubgraph(node) &&
         !node.outputs.empty();
}

}  // namespace

Result<int> EliminateCommonSubexpressions(Graph& graph) {
  const detail::ValueUses uses = detail::ValueUses::Of(graph);
  int count = MergeEqualConstants(graph, uses);
  std::unordered_map<std::string, NodeId> first_with_key;
  std::vector<bool> merged(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (!Eligible(node)) continue;
    // Keys use input ids after earlier merges were redirected, so chains merge in one sweep.
    auto [it, inserted] = first_with_key.emplace(NodeKey(node), static_cast<NodeId>(i));
    if (inserted) continue;
    const Node& kept = graph.nodes[static_cast<size_t>(it->second)];
    bool replaceable = true;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const ValueId out = node.outputs[k];
      if (out != kNoValue && (kept.outputs[k] == kNoValue || !uses.Redirectable(out)))
        replaceable = false;
    }
    if (!replaceable) continue;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k] != kNoValue)
        detail::RedirectUses(graph, node.outputs[k], kept.outputs[k]);
    }
    merged[i] = true;
    ++count;
  }
  if (std::find(merged.begin(), merged.end(), true) != merged.end())
    HETRUN_RETURN_IF_ERROR(detail::RemoveNodes(graph, merged));
  return count;
}

}  // namespace hetrun::core
