#include "hetrun/core/graph.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "topo_order.h"

namespace hetrun::core {
namespace {

using NameIndex = std::unordered_map<std::string, ValueId>;

NameIndex IndexNames(const Graph& g) {
  NameIndex index;
  index.reserve(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i)
    index.emplace(g.values[i].name, static_cast<ValueId>(i));
  return index;
}

std::string Describe(const Node& n) {
  return "node '" + n.name + "' (" + n.op_type + ")";
}

bool InRange(const Graph& g, ValueId v) {
  return v >= 0 && static_cast<size_t>(v) < g.values.size();
}

// Outer-scope names read by the subgraphs of `node` (nested subgraphs propagate their references
// into their parent's outer_scope, so one level is enough).
std::vector<std::string> SubgraphReferences(const Node& node) {
  std::vector<std::string> names;
  for (const Attribute& a : node.attributes) {
    if (a.type != Attribute::Type::kGraph || !a.graph) continue;
    for (ValueId v : a.graph->outer_scope) {
      if (InRange(*a.graph, v)) names.push_back(a.graph->values[static_cast<size_t>(v)].name);
    }
  }
  return names;
}

// Explicit inputs then implicit ones; reports subgraph references that resolve to nothing.
Status NodeReads(const Graph& g, const NameIndex& index, const Node& node,
                 std::vector<ValueId>* reads) {
  reads->clear();
  for (ValueId v : node.inputs) {
    if (v == kNoValue) continue;
    if (!InRange(g, v)) {
      return InvalidArgument(Describe(node) + " reads value id " + std::to_string(v) +
                             ", which is out of range");
    }
    reads->push_back(v);
  }
  for (const std::string& name : SubgraphReferences(node)) {
    auto it = index.find(name);
    if (it == index.end()) {
      return InvalidArgument(Describe(node) + ": a subgraph reads '" + name +
                             "', which this graph does not define");
    }
    reads->push_back(it->second);
  }
  return Status::Ok();
}

// Values available without a producer: graph inputs, constants and outer-scope references.
std::vector<bool> Sources(const Graph& g) {
  std::vector<bool> source(g.values.size(), false);
  for (size_t i = 0; i < g.values.size(); ++i) source[i] = g.values[i].constant != nullptr;
  for (ValueId v : g.inputs) {
    if (InRange(g, v)) source[static_cast<size_t>(v)] = true;
  }
  for (ValueId v : g.outer_scope) {
    if (InRange(g, v)) source[static_cast<size_t>(v)] = true;
  }
  return source;
}

Status CheckIdList(const Graph& g, const std::vector<ValueId>& ids, const char* what) {
  for (ValueId v : ids) {
    if (!InRange(g, v)) {
      return InvalidArgument(std::string(what) + " value id " + std::to_string(v) +
                             " is out of range");
    }
  }
  return Status::Ok();
}

}  // namespace

Shape Shape::Of(const std::vector<int64_t>& sizes) {
  Shape s;
  s.rank_known = true;
  s.dims.reserve(sizes.size());
  for (int64_t v : sizes) s.dims.push_back(Dim{v < 0 ? -1 : v, {}});
  return s;
}

bool Shape::fully_known() const {
  return rank_known &&
         std::all_of(dims.begin(), dims.end(), [](const Dim& d) { return d.known(); });
}

std::vector<int64_t> Shape::sizes() const {
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (const Dim& d : dims) out.push_back(d.known() ? d.value : -1);
  return out;
}

std::string Shape::ToString() const {
  if (!rank_known) return "?";
  if (dims.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += 'x';
    const Dim& d = dims[i];
    s += d.known() ? std::to_string(d.value) : (d.symbol.empty() ? "?" : d.symbol);
  }
  return s;
}

const Attribute* Node::FindAttribute(const std::string& attr_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

ValueId Graph::AddValue(Value v) {
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

std::optional<ValueId> Graph::FindValue(const std::string& value_name) const {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == value_name) return static_cast<ValueId>(i);
  }
  return std::nullopt;
}

int64_t Graph::OpsetFor(const std::string& domain) const {
  auto it = opsets.find(domain == "ai.onnx" ? std::string() : domain);
  return it == opsets.end() ? 0 : it->second;
}

std::vector<ValueId> Graph::ImplicitInputs(NodeId node) const {
  std::vector<ValueId> out;
  if (node < 0 || static_cast<size_t>(node) >= nodes.size()) return out;
  const std::vector<std::string> names = SubgraphReferences(nodes[static_cast<size_t>(node)]);
  if (names.empty()) return out;
  const NameIndex index = IndexNames(*this);
  for (const std::string& ref : names) {
    auto it = index.find(ref);
    if (it != index.end() && std::find(out.begin(), out.end(), it->second) == out.end()) {
      out.push_back(it->second);
    }
  }
  return out;
}

std::vector<std::vector<NodeId>> Graph::Consumers() const {
  std::vector<std::vector<NodeId>> consumers(values.size());
  const NameIndex index = IndexNames(*this);
  std::vector<ValueId> reads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    // Out-of-range ids and dangling references are Verify's business; skip them here.
    reads.clear();
    for (ValueId v : nodes[i].inputs) {
      if (InRange(*this, v)) reads.push_back(v);
    }
    for (const std::string& ref : SubgraphReferences(nodes[i])) {
      auto it = index.find(ref);
      if (it != index.end()) reads.push_back(it->second);
    }
    for (ValueId v : reads) {
      std::vector<NodeId>& list = consumers[static_cast<size_t>(v)];
      if (list.empty() || list.back() != static_cast<NodeId>(i))
        list.push_back(static_cast<NodeId>(i));
    }
  }
  return consumers;
}

Status Graph::TopologicalSort() {
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, inputs, "graph input"));
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, outputs, "graph output"));
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, outer_scope, "outer-scope"));
  const std::vector<bool> source = Sources(*this);

  std::vector<NodeId> producer(values.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (ValueId v : nodes[i].outputs) {
      if (v == kNoValue) continue;
      if (!InRange(*this, v)) {
        return InvalidArgument(Describe(nodes[i]) + " writes value id " + std::to_string(v) +
                               ", which is out of range");
      }
      const Value& value = values[static_cast<size_t>(v)];
      if (producer[static_cast<size_t>(v)] >= 0) {
        return InvalidArgument(
            "value '" + value.name + "' is produced by both " +
            Describe(nodes[static_cast<size_t>(producer[static_cast<size_t>(v)])]) + " and " +
            Describe(nodes[i]));
      }
      if (source[static_cast<size_t>(v)]) {
        return InvalidArgument(Describe(nodes[i]) + " writes '" + value.name +
                               "', which is a graph input or constant");
      }
      producer[static_cast<size_t>(v)] = static_cast<NodeId>(i);
    }
  }

  const NameIndex index = IndexNames(*this);
  std::vector<std::vector<int32_t>> deps(nodes.size());
  std::vector<ValueId> reads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    HETRUN_RETURN_IF_ERROR(NodeReads(*this, index, nodes[i], &reads));
    for (ValueId v : reads) {
      const NodeId p = producer[static_cast<size_t>(v)];
      if (p >= 0) {
        deps[i].push_back(p);
      } else if (!source[static_cast<size_t>(v)]) {
        return InvalidArgument("value '" + values[static_cast<size_t>(v)].name + "' used by " +
                               Describe(nodes[i]) +
                               " is not produced by any node and is not a graph input or constant");
      }
    }
  }
  for (ValueId v : outputs) {
    if (producer[static_cast<size_t>(v)] < 0 && !source[static_cast<size_t>(v)]) {
      return InvalidArgument("graph output '" + values[static_cast<size_t>(v)].name +
                             "' is not produced by any node and is not a graph input or constant");
    }
  }

  const detail::TopoOrder topo = detail::StableTopologicalOrder(deps);
  if (topo.cycle_node >= 0) {
    return InvalidArgument("graph has a cycle through " +
                           Describe(nodes[static_cast<size_t>(topo.cycle_node)]));
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (int32_t i : topo.order) sorted.push_back(std::move(nodes[static_cast<size_t>(i)]));
  nodes = std::move(sorted);
  for (Value& v : values) v.producer = -1;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (ValueId v : nodes[i].outputs) {
      if (v != kNoValue) values[static_cast<size_t>(v)].producer = static_cast<NodeId>(i);
    }
  }
  return Status::Ok();
}

Status Graph::Verify() const {
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, inputs, "graph input"));
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, outputs, "graph output"));
  HETRUN_RETURN_IF_ERROR(CheckIdList(*this, outer_scope, "outer-scope"));

  std::unordered_set<std::string> names;
  for (const Value& v : values) {
    if (v.name.empty()) return InvalidArgument("a value has an empty name");
    if (!names.insert(v.name).second)
      return InvalidArgument("duplicate value name '" + v.name + "'");
    if (v.producer < -1 || v.producer >= static_cast<NodeId>(nodes.size())) {
      return InvalidArgument("value '" + v.name + "' has an out-of-range producer");
    }
  }
  const std::vector<bool> source = Sources(*this);
  for (ValueId v : inputs) {
    if (values[static_cast<size_t>(v)].constant) {
      return InvalidArgument("graph input '" + values[static_cast<size_t>(v)].name +
                             "' is also a constant");
    }
  }
  for (size_t v = 0; v < values.size(); ++v) {
    if (source[v] && values[v].producer >= 0) {
      return InvalidArgument(
          "value '" + values[v].name +
          "' is a graph input, constant or outer-scope reference but has a producer");
    }
  }

  names.clear();
  const NameIndex index = IndexNames(*this);
  std::vector<ValueId> reads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    if (!node.name.empty() && !names.insert(node.name).second) {
      return InvalidArgument("duplicate node name '" + node.name + "'");
    }
    HETRUN_RETURN_IF_ERROR(NodeReads(*this, index, node, &reads));
    for (ValueId v : reads) {
      const Value& value = values[static_cast<size_t>(v)];
      if (source[static_cast<size_t>(v)]) continue;
      if (value.producer < 0 || value.producer >= static_cast<NodeId>(i)) {
        return InvalidArgument(Describe(node) + " reads '" + value.name +
                               "' before it is produced (nodes are not in topological order)");
      }
    }
    for (ValueId v : node.outputs) {
      if (v == kNoValue) continue;
      if (!InRange(*this, v)) {
        return InvalidArgument(Describe(node) + " writes value id " + std::to_string(v) +
                               ", which is out of range");
      }
      if (values[static_cast<size_t>(v)].producer != static_cast<NodeId>(i)) {
        return InvalidArgument("value '" + values[static_cast<size_t>(v)].name + "' written by " +
                               Describe(node) + " records a different producer");
      }
    }
    for (const Attribute& a : node.attributes) {
      if (a.type != Attribute::Type::kGraph) continue;
      if (!a.graph) {
        return InvalidArgument(Describe(node) + " attribute '" + a.name + "' has no graph");
      }
      HETRUN_RETURN_IF_ERROR(
          a.graph->Verify().WithContext(Describe(node) + " attribute '" + a.name + "'"));
    }
  }
  // A producer recorded on a value must really write it (catches stale ids after edits).
  for (size_t v = 0; v < values.size(); ++v) {
    const NodeId p = values[v].producer;
    if (p < 0) continue;
    const std::vector<ValueId>& outs = nodes[static_cast<size_t>(p)].outputs;
    if (std::find(outs.begin(), outs.end(), static_cast<ValueId>(v)) == outs.end()) {
      return InvalidArgument("value '" + values[v].name + "' names " +
                             Describe(nodes[static_cast<size_t>(p)]) +
                             " as producer, which does not write it");
    }
  }
  for (ValueId v : outputs) {
    const Value& value = values[static_cast<size_t>(v)];
    if (value.producer < 0 && !source[static_cast<size_t>(v)]) {
      return InvalidArgument("graph output '" + value.name + "' is never produced");
    }
  }
  return Status::Ok();
}

}  // namespace hetrun::core
