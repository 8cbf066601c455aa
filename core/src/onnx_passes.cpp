#include "onnx_passes.h"

#include <onnx/defs/schema.h>

#include <climits>
#include <unordered_map>
#include <unordered_set>

#include "onnx_tensor.h"
#include "topo_order.h"

namespace hetrun::core::detail {
namespace {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;

std::string NodeLabel(const NodeProto& n) {
  return "node '" + n.name() + "' (" + n.op_type() + ")";
}

// Calls fn(subgraph, attribute) for every subgraph a node carries (GRAPH and GRAPHS attributes).
template <typename Fn>
Status ForEachSubgraph(NodeProto* node, Fn fn) {
  for (onnx::AttributeProto& a : *node->mutable_attribute()) {
    if (a.has_g()) HETRUN_RETURN_IF_ERROR(fn(a.mutable_g(), a));
    for (GraphProto& g : *a.mutable_graphs()) HETRUN_RETURN_IF_ERROR(fn(&g, a));
  }
  return Status::Ok();
}

template <typename Fn>
Status ForEachSubgraph(const NodeProto& node, Fn fn) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.has_g()) HETRUN_RETURN_IF_ERROR(fn(a.g(), a));
    for (const GraphProto& g : a.graphs()) HETRUN_RETURN_IF_ERROR(fn(g, a));
  }
  return Status::Ok();
}

std::string AttributeContext(const NodeProto& node, const onnx::AttributeProto& a) {
  return NodeLabel(node) + " attribute '" + a.name() + "'";
}

// ---- NormalizeModel --------------------------------------------------------------------------

Status NormalizeGraph(GraphProto* g, int depth) {
  if (depth > kMaxSubgraphDepth) {
    return InvalidArgument("subgraphs are nested more than " + std::to_string(kMaxSubgraphDepth) +
                           " levels deep");
  }
  // Names already taken, so generated names never collide with a later explicit one.
  std::unordered_set<std::string> taken;
  for (const NodeProto& n : g->node()) {
    if (!n.name().empty()) taken.insert(n.name());
  }
  std::unordered_set<std::string> kept;
  for (int i = 0; i < g->node_size(); ++i) {
    NodeProto* n = g->mutable_node(i);
    if (n->domain() == "ai.onnx") n->set_domain("");
    if (!n->name().empty() && kept.insert(n->name()).second) continue;
    // Unnamed, or a repeated name: ONNX allows both, but messages and the IR need unique names.
    const std::string base = n->name().empty() ? n->op_type() + "_" + std::to_string(i) : n->name();
    std::string name = base;
    for (int k = 1; taken.count(name) > 0; ++k) name = base + "_" + std::to_string(k);
    taken.insert(name);
    kept.insert(name);
    n->set_name(name);
  }
  for (NodeProto& n : *g->mutable_node()) {
    HETRUN_RETURN_IF_ERROR(ForEachSubgraph(&n, [&](GraphProto* sub, const onnx::AttributeProto&) {
      return NormalizeGraph(sub, depth + 1);
    }));
  }
  return Status::Ok();
}

// ---- CheckModelSupport -----------------------------------------------------------------------

struct SupportContext {
  std::map<std::string, int64_t> opsets;
  std::unordered_set<std::string> functions;  // "domain:name" of model-local functions
};

Status CheckGraphSupport(const GraphProto& g, const SupportContext& ctx) {
  // Every tensor is validated here, before libonnx's checker and shape inference read it: they
  // trust dims and data lengths (reliability checklist 1.5 #7-#10, #15).
  for (const TensorProto& t : g.initializer()) HETRUN_RETURN_IF_ERROR(ValidateTensorProto(t));
  if (g.sparse_initializer_size() > 0) {
    return Unimplemented("sparse initializer '" + g.sparse_initializer(0).values().name() +
                         "' is not supported");
  }
  for (const NodeProto& n : g.node()) {
    for (const onnx::AttributeProto& a : n.attribute()) {
      const std::string where = AttributeContext(n, a);
      if (a.has_t()) HETRUN_RETURN_IF_ERROR(ValidateTensorProto(a.t()).WithContext(where));
      for (const TensorProto& t : a.tensors()) {
        HETRUN_RETURN_IF_ERROR(ValidateTensorProto(t).WithContext(where));
      }
      if (a.has_sparse_tensor()) {
        HETRUN_RETURN_IF_ERROR(ValidateTensorProto(a.sparse_tensor().values()).WithContext(where));
        HETRUN_RETURN_IF_ERROR(ValidateTensorProto(a.sparse_tensor().indices()).WithContext(where));
      }
    }
    auto opset = ctx.opsets.find(n.domain());
    if (opset == ctx.opsets.end()) {
      return InvalidArgument(NodeLabel(n) + ": domain '" + n.domain() +
                             "' is not imported by the model (no opset_import entry)");
    }
    // Versions of known domains were range-checked already; others find no schema anyway.
    const int version = static_cast<int>(std::min<int64_t>(opset->second, INT_MAX));
    if (onnx::OpSchemaRegistry::Schema(n.op_type(), version, n.domain()) == nullptr) {
      if (ctx.functions.count(n.domain() + ":" + n.op_type()) > 0) {
        return Unimplemented(NodeLabel(n) + ": calls a model-local function, not supported yet");
      }
      return Unimplemented(NodeLabel(n) + ": no operator " + n.op_type() + " in domain '" +
                           n.domain() + "' at opset " + std::to_string(opset->second));
    }
    HETRUN_RETURN_IF_ERROR(
        ForEachSubgraph(n, [&](const GraphProto& sub, const onnx::AttributeProto& a) {
          return CheckGraphSupport(sub, ctx).WithContext(AttributeContext(n, a));
        }));
  }
  return Status::Ok();
}

// ---- SortModelGraphs -------------------------------------------------------------------------

// Names defined by a graph and by the graphs enclosing it.
struct NameScope {
  const NameScope* parent = nullptr;
  std::unordered_set<std::string> names;
  bool Has(const std::string& name) const {
    for (const NameScope* s = this; s != nullptr; s = s->parent) {
      if (s->names.count(name) > 0) return true;
    }
    return false;
  }
};

// Sorts `g`; adds to `free_names` the names it (or a nested subgraph) reads from enclosing graphs.
Status SortGraph(GraphProto* g, const NameScope* parent,
                 std::unordered_set<std::string>* free_names) {
  std::unordered_set<std::string> sources;  // graph inputs and initializers
  for (const onnx::ValueInfoProto& v : g->input()) sources.insert(v.name());
  for (const TensorProto& t : g->initializer()) sources.insert(t.name());
  for (const onnx::SparseTensorProto& s : g->sparse_initializer())
    sources.insert(s.values().name());

  std::unordered_map<std::string, int32_t> producer;
  for (int i = 0; i < g->node_size(); ++i) {
    const NodeProto& n = g->node(i);
    for (const std::string& out : n.output()) {
      if (out.empty()) continue;
      if (sources.count(out) > 0) {
        return InvalidArgument(NodeLabel(n) + " writes '" + out +
                               "', which is a graph input or initializer");
      }
      auto [it, inserted] = producer.emplace(out, i);
      if (!inserted) {
        return InvalidArgument("value '" + out + "' is produced by both " +
                               NodeLabel(g->node(it->second)) + " and " + NodeLabel(n));
      }
    }
  }

  NameScope scope{parent, sources};
  for (const auto& [name, node] : producer) scope.names.insert(name);

  std::vector<std::vector<int32_t>> deps(static_cast<size_t>(g->node_size()));
  for (int i = 0; i < g->node_size(); ++i) {
    NodeProto* n = g->mutable_node(i);
    std::unordered_set<std::string> implicit;
    HETRUN_RETURN_IF_ERROR(ForEachSubgraph(n, [&](GraphProto* sub, const onnx::AttributeProto& a) {
      return SortGraph(sub, &scope, &implicit).WithContext(AttributeContext(*n, a));
    }));
    auto use = [&](const std::string& name, bool from_subgraph) -> Status {
      if (name.empty()) return Status::Ok();  // an omitted optional input
      if (auto p = producer.find(name); p != producer.end()) {
        deps[static_cast<size_t>(i)].push_back(p->second);
      } else if (sources.count(name) == 0) {
        if (parent == nullptr || !parent->Has(name)) {
          return InvalidArgument(
              NodeLabel(*n) + (from_subgraph ? ": a subgraph reads '" : ": input '") + name +
              (from_subgraph ? "', which" : "'") +
              " is not produced by any node and is not a graph input or initializer");
        }
        free_names->insert(name);
      }
      return Status::Ok();
    };
    for (const std::string& name : n->input()) HETRUN_RETURN_IF_ERROR(use(name, false));
    for (const std::string& name : implicit) HETRUN_RETURN_IF_ERROR(use(name, true));
  }
  for (const onnx::ValueInfoProto& v : g->output()) {
    if (producer.count(v.name()) > 0 || sources.count(v.name()) > 0) continue;
    if (parent == nullptr || !parent->Has(v.name())) {
      return InvalidArgument(
          "graph output '" + v.name() +
          "' is not produced by any node and is not a graph input or initializer");
    }
    free_names->insert(v.name());
  }

  const TopoOrder topo = StableTopologicalOrder(deps);
  if (topo.cycle_node >= 0) {
    return InvalidArgument("graph has a cycle through " + NodeLabel(g->node(topo.cycle_node)));
  }
  bool sorted = true;
  for (size_t k = 0; k < topo.order.size(); ++k) sorted &= topo.order[k] == static_cast<int32_t>(k);
  if (!sorted) {
    std::vector<NodeProto> nodes;
    nodes.reserve(topo.order.size());
    for (int32_t k : topo.order) nodes.push_back(std::move(*g->mutable_node(k)));
    g->clear_node();
    for (NodeProto& n : nodes) *g->add_node() = std::move(n);
  }
  return Status::Ok();
}

// ---- ApplyInputShapes ------------------------------------------------------------------------

std::string ShapeText(const onnx::TensorShapeProto& s) {
  std::string text;
  for (int i = 0; i < s.dim_size(); ++i) {
    if (i > 0) text += 'x';
    const auto& d = s.dim(i);
    text += d.has_dim_value() ? std::to_string(d.dim_value())
                              : (d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : "?");
  }
  return text.empty() ? "scalar" : text;
}

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += 'x';
    text += std::to_string(dims[i]);
  }
  return text.empty() ? "scalar" : text;
}

// ---- FoldConstantNodes -----------------------------------------------------------------------

Result<TensorProto> ConstantToTensor(const NodeProto& n) {
  if (n.output_size() != 1 || n.output(0).empty()) {
    return InvalidArgument(NodeLabel(n) + ": a Constant needs exactly one output");
  }
  if (n.attribute_size() != 1) {
    return InvalidArgument(NodeLabel(n) + ": a Constant needs exactly one value attribute, has " +
                           std::to_string(n.attribute_size()));
  }
  const onnx::AttributeProto& a = n.attribute(0);
  TensorProto t;
  const std::string& kind = a.name();
  if (kind == "value") {
    t = a.t();
  } else if (kind == "value_float") {
    t.set_data_type(TensorProto::FLOAT);
    t.add_float_data(a.f());
  } else if (kind == "value_floats") {
    t.set_data_type(TensorProto::FLOAT);
    t.add_dims(a.floats_size());
    *t.mutable_float_data() = a.floats();
  } else if (kind == "value_int") {
    t.set_data_type(TensorProto::INT64);
    t.add_int64_data(a.i());
  } else if (kind == "value_ints") {
    t.set_data_type(TensorProto::INT64);
    t.add_dims(a.ints_size());
    *t.mutable_int64_data() = a.ints();
  } else if (kind == "value_string") {
    t.set_data_type(TensorProto::STRING);
    t.add_string_data(a.s());
  } else if (kind == "value_strings") {
    t.set_data_type(TensorProto::STRING);
    t.add_dims(a.strings_size());
    *t.mutable_string_data() = a.strings();
  } else if (kind == "sparse_value") {
    return Unimplemented(NodeLabel(n) + ": sparse_value is not supported");
  } else {
    return InvalidArgument(NodeLabel(n) + ": unknown Constant attribute '" + kind + "'");
  }
  t.set_name(n.output(0));
  return t;
}

// The main graph's interface and metadata. libonnx's checker refuses the same models, but its
// messages ("Field 'type' of 'value_info' is required but missing") do not say which value.
Status CheckModelInterface(const ModelProto& model) {
  std::unordered_set<std::string> keys;
  for (const onnx::StringStringEntryProto& entry : model.metadata_props()) {
    if (!keys.insert(entry.key()).second) {
      return InvalidArgument("metadata key '" + entry.key() + "' appears twice");
    }
  }
  auto check = [](const onnx::ValueInfoProto& v, const std::string& what) -> Status {
    const std::string label = what + " '" + v.name() + "'";
    if (!v.has_type()) return InvalidArgument(label + " has no type");
    if (!v.type().has_tensor_type()) return Status::Ok();
    const onnx::TypeProto_Tensor& tensor = v.type().tensor_type();
    if (tensor.elem_type() == TensorProto::UNDEFINED ||
        !TensorProto::DataType_IsValid(tensor.elem_type())) {
      return InvalidArgument(label + " has unknown element type " +
                             std::to_string(tensor.elem_type()));
    }
    if (!tensor.has_shape()) {
      return InvalidArgument(label +
                             " has no shape (the main graph's inputs and outputs need "
                             "at least their rank)");
    }
    return Status::Ok();
  };
  for (const onnx::ValueInfoProto& v : model.graph().input())
    HETRUN_RETURN_IF_ERROR(check(v, "graph input"));
  std::unordered_set<std::string> outputs;
  for (const onnx::ValueInfoProto& v : model.graph().output()) {
    HETRUN_RETURN_IF_ERROR(check(v, "graph output"));
    if (!outputs.insert(v.name()).second) {
      return InvalidArgument("graph output '" + v.name() + "' is listed twice");
    }
  }
  return Status::Ok();
}

}  // namespace

Status NormalizeModel(ModelProto* model) {
  HETRUN_RETURN_IF_ERROR(CheckModelInterface(*model));
  std::unordered_set<std::string> seen;
  for (onnx::OperatorSetIdProto& op : *model->mutable_opset_import()) {
    if (op.domain() == "ai.onnx") op.set_domain("");
    if (op.version() <= 0) {
      return InvalidArgument("opset_import for domain '" + op.domain() + "' has version " +
                             std::to_string(op.version()));
    }
    if (!seen.insert(op.domain()).second) {
      return InvalidArgument("opset for domain '" + op.domain() + "' is imported twice");
    }
  }
  return NormalizeGraph(model->mutable_graph(), 0);
}

Status CheckModelSupport(const ModelProto& model) {
  SupportContext ctx;
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  for (const onnx::OperatorSetIdProto& op : model.opset_import()) {
    ctx.opsets[op.domain()] = op.version();
    auto range = known.find(op.domain());
    if (range != known.end() &&
        (op.version() < range->second.first || op.version() > range->second.second)) {
      return Unimplemented("opset " + std::to_string(op.version()) + " of domain '" + op.domain() +
                           "' is not supported (supported: " + std::to_string(range->second.first) +
                           " to " + std::to_string(range->second.second) + ")");
    }
  }
  for (const onnx::FunctionProto& f : model.functions()) {
    ctx.functions.insert(f.domain() + ":" + f.name());
  }
  return CheckGraphSupport(model.graph(), ctx);
}

Status SortModelGraphs(ModelProto* model) {
  std::unordered_set<std::string> free_names;
  return SortGraph(model->mutable_graph(), nullptr, &free_names);
}

Status ApplyInputShapes(GraphProto* graph,
                        const std::map<std::string, std::vector<int64_t>>& input_shapes) {
  std::unordered_set<std::string> initializers;
  for (const TensorProto& t : graph->initializer()) initializers.insert(t.name());
  for (const auto& [name, dims] : input_shapes) {
    onnx::ValueInfoProto* input = nullptr;
    std::string names;
    for (onnx::ValueInfoProto& v : *graph->mutable_input()) {
      if (initializers.count(v.name()) > 0) continue;
      if (!names.empty()) names += ", ";
      names += v.name();
      if (v.name() == name) input = &v;
    }
    if (input == nullptr) {
      if (initializers.count(name) > 0) {
        return InvalidArgument("cannot set the shape of '" + name +
                               "': it is a constant (initializer), not an input");
      }
      return InvalidArgument("cannot set the shape of '" + name +
                             "': the model has no such input (inputs: " +
                             (names.empty() ? std::string("none") : names) + ")");
    }
    for (int64_t d : dims) {
      if (d < 0) {
        return InvalidArgument("shape " + DimsText(dims) + " for input '" + name +
                               "' has a negative dimension");
      }
    }
    onnx::TypeProto* type = input->mutable_type();
    if (type->value_case() != onnx::TypeProto::kTensorType &&
        type->value_case() != onnx::TypeProto::VALUE_NOT_SET) {
      return InvalidArgument("cannot set the shape of input '" + name + "': it is not a tensor");
    }
    onnx::TypeProto_Tensor* tensor = type->mutable_tensor_type();
    const bool rank_known = tensor->has_shape();
    onnx::TensorShapeProto* shape = tensor->mutable_shape();
    if (rank_known && static_cast<size_t>(shape->dim_size()) != dims.size()) {
      return InvalidArgument("input '" + name + "' has rank " + std::to_string(shape->dim_size()) +
                             " (" + ShapeText(*shape) + ") in the model, but the given shape " +
                             DimsText(dims) + " has rank " + std::to_string(dims.size()));
    }
    if (!rank_known) {
      for (size_t k = 0; k < dims.size(); ++k) shape->add_dim();
    }
    for (size_t k = 0; k < dims.size(); ++k) {
      onnx::TensorShapeProto_Dimension* dim = shape->mutable_dim(static_cast<int>(k));
      if (dim->has_dim_value() && dim->dim_value() != dims[k]) {
        return InvalidArgument("input '" + name + "' dim " + std::to_string(k) + " is " +
                               std::to_string(dim->dim_value()) + " in the model (" +
                               ShapeText(*shape) + "), but the given shape " + DimsText(dims) +
                               " sets " + std::to_string(dims[k]));
      }
      dim->set_dim_value(dims[k]);  // replaces a dim_param: the dims form a oneof
    }
  }
  return Status::Ok();
}

Status FoldConstantNodes(GraphProto* graph) {
  const int n = graph->node_size();
  std::vector<bool> remove(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    NodeProto* node = graph->mutable_node(i);
    HETRUN_RETURN_IF_ERROR(
        ForEachSubgraph(node, [&](GraphProto* sub, const onnx::AttributeProto& a) {
          return FoldConstantNodes(sub).WithContext(AttributeContext(*node, a));
        }));
    if (node->op_type() != "Constant" || !node->domain().empty()) continue;
    HETRUN_ASSIGN_OR_RETURN(TensorProto t, ConstantToTensor(*node));
    *graph->add_initializer() = std::move(t);
    remove[static_cast<size_t>(i)] = true;
  }
  // Stable compaction: slots in [kept, i) hold removed nodes when node i is moved down.
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    if (remove[static_cast<size_t>(i)]) continue;
    if (kept != i) graph->mutable_node()->SwapElements(kept, i);
    ++kept;
  }
  graph->mutable_node()->DeleteSubrange(kept, n - kept);
  return Status::Ok();
}

std::string OneLine(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    const size_t first = line.find_first_not_of(" \t\r");
    const size_t last = line.find_last_not_of(" \t\r");
    line = first == std::string::npos ? "" : line.substr(first, last - first + 1);
    if (line.rfind("==> ", 0) == 0) line = line.substr(4);
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

}  // namespace hetrun::core::detail
