#include "onnx_graph_builder.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "hetrun/core/tensor.h"
#include "onnx_tensor.h"

namespace hetrun::core::detail {
namespace {

std::string NodeLabel(const onnx::NodeProto& n) {
  return "node '" + n.name() + "' (" + n.op_type() + ")";
}

Status ApplyType(const onnx::TypeProto& type, const std::string& name, Value* v);

// A sequence of tensors, or an optional of a tensor or of such a sequence: the value's kind and the
// dtype of the tensors inside (container_value.h); its packed byte count is known only at run time.
Status ApplyContainerType(const onnx::TypeProto& type, const std::string& name, Value* v) {
  const bool optional = type.value_case() == onnx::TypeProto::kOptionalType;
  const onnx::TypeProto& inner =
      optional ? type.optional_type().elem_type() : type.sequence_type().elem_type();
  const bool inner_sequence = optional && inner.value_case() == onnx::TypeProto::kSequenceType;
  const onnx::TypeProto& tensor = inner_sequence ? inner.sequence_type().elem_type() : inner;
  if (tensor.value_case() != onnx::TypeProto::kTensorType &&
      tensor.value_case() != onnx::TypeProto::VALUE_NOT_SET) {
    return Unimplemented("value '" + name +
                         "' is a sequence or optional of something other than tensors (maps, "
                         "nested sequences); only tensors are supported inside them");
  }
  Value element;
  HETRUN_RETURN_IF_ERROR(ApplyType(tensor, name, &element));
  if (element.dtype == DType::kString) {
    return Unimplemented("value '" + name + "' is a sequence or optional of strings");
  }
  v->dtype = optional ? DType::kOptional : DType::kSequence;
  v->element_dtype = element.dtype;
  v->optional_of_sequence = inner_sequence;
  v->shape = Shape{true, {Dim{}}};
  return Status::Ok();
}

// dtype and shape of a value from its TypeProto; an absent type leaves both unknown.
Status ApplyType(const onnx::TypeProto& type, const std::string& name, Value* v) {
  switch (type.value_case()) {
    case onnx::TypeProto::VALUE_NOT_SET: return Status::Ok();
    case onnx::TypeProto::kTensorType: break;
    case onnx::TypeProto::kSequenceType:
    case onnx::TypeProto::kOptionalType: return ApplyContainerType(type, name, v);
    default:
      return Unimplemented(
          "value '" + name +
          "' is not a tensor, sequence or optional (a map or sparse tensor); those are not "
          "supported");
  }
  const onnx::TypeProto_Tensor& t = type.tensor_type();
  const std::optional<DType> dtype = DTypeFromCode(t.elem_type());
  if (!dtype) {
    return InvalidArgument("value '" + name + "' has unknown element type " +
                           std::to_string(t.elem_type()));
  }
  if (*dtype != DType::kUndefined) v->dtype = *dtype;
  if (!t.has_shape()) return Status::Ok();
  Shape shape;
  shape.rank_known = true;
  for (const onnx::TensorShapeProto_Dimension& d : t.shape().dim()) {
    Dim dim;
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        return InvalidArgument("value '" + name + "' has negative dimension " +
                               std::to_string(d.dim_value()));
      }
      dim.value = d.dim_value();
    } else if (d.has_dim_param()) {
      dim.symbol = d.dim_param();
    }
    shape.dims.push_back(std::move(dim));
  }
  // A declared shape whose byte size int64 cannot hold is never a real tensor; refusing it here
  // keeps the planner's and the runtime's size arithmetic free of overflow.
  std::vector<int64_t> known;
  for (const Dim& dim : shape.dims)
    if (dim.known()) known.push_back(dim.value);
  const int64_t width = std::max<int64_t>(1, static_cast<int64_t>(DTypeSize(v->dtype)));
  if (!CheckedElementCount(known, INT64_MAX / width).ok()) {
    return InvalidArgument("value '" + name + "' has shape " + shape.ToString() +
                           ", too large to hold in memory");
  }
  v->shape = std::move(shape);
  return Status::Ok();
}

class GraphBuilder {
 public:
  GraphBuilder(const onnx::GraphProto& proto, const std::map<std::string, int64_t>& opsets,
               const GraphBuilder* parent)
      : proto_(proto), opsets_(opsets), parent_(parent) {}

  Result<Graph> Build() {
    graph_.name = proto_.name();
    graph_.opsets = opsets_;
    if (proto_.sparse_initializer_size() > 0) {
      return Unimplemented("sparse initializer '" + proto_.sparse_initializer(0).values().name() +
                           "' is not supported");
    }
    // Declared types; node outputs take theirs from value_info (filled by shape inference).
    for (const auto& v : proto_.value_info()) types_[v.name()] = &v.type();
    for (const auto& v : proto_.output()) types_[v.name()] = &v.type();
    for (const auto& v : proto_.input()) types_[v.name()] = &v.type();

    std::unordered_set<std::string> initializer_names;
    for (const onnx::TensorProto& t : proto_.initializer()) initializer_names.insert(t.name());
    // Inputs that have an initializer are constants with a default; hetrun treats them as
    // constants (like ONNX Runtime without overridable initializers).
    for (const auto& in : proto_.input()) {
      if (initializer_names.count(in.name()) > 0) continue;
      HETRUN_ASSIGN_OR_RETURN(ValueId id, AddValue(in.name(), "graph input"));
      graph_.inputs.push_back(id);
    }
    for (const onnx::TensorProto& t : proto_.initializer())
      HETRUN_RETURN_IF_ERROR(AddInitializer(t));
    for (const onnx::NodeProto& n : proto_.node()) {
      for (const std::string& out : n.output()) {
        if (out.empty()) continue;
        auto added = AddValue(out, NodeLabel(n) + " output");
        if (!added.ok()) return added.status();
      }
    }
    // Nodes after every local value exists, so subgraphs can resolve any name of this graph.
    for (const onnx::NodeProto& n : proto_.node()) HETRUN_RETURN_IF_ERROR(AddNode(n));
    for (const auto& out : proto_.output()) {
      HETRUN_ASSIGN_OR_RETURN(ValueId id, Resolve(out.name(), "graph output '" + out.name() + "'"));
      graph_.outputs.push_back(id);
    }
    HETRUN_RETURN_IF_ERROR(graph_.TopologicalSort());
    HETRUN_RETURN_IF_ERROR(graph_.Verify());
    return std::move(graph_);
  }

 private:
  Result<ValueId> AddValue(const std::string& name, const std::string& what) {
    if (name.empty()) return InvalidArgument(what + " has an empty name");
    if (index_.count(name) > 0) return InvalidArgument("value '" + name + "' is defined twice");
    Value v;
    v.name = name;
    if (auto t = types_.find(name); t != types_.end()) {
      HETRUN_RETURN_IF_ERROR(ApplyType(*t->second, name, &v));
    }
    const ValueId id = graph_.AddValue(std::move(v));
    index_.emplace(name, id);
    return id;
  }

  Status AddInitializer(const onnx::TensorProto& t) {
    if (index_.count(t.name()) > 0) {
      return InvalidArgument("initializer '" + t.name() + "' is defined twice");
    }
    HETRUN_ASSIGN_OR_RETURN(Tensor tensor, DecodeTensorProto(t));
    Value v;
    v.name = t.name();
    // A graph input of the same name declares a type; it must agree with the data.
    if (auto declared = types_.find(t.name()); declared != types_.end()) {
      HETRUN_RETURN_IF_ERROR(ApplyType(*declared->second, t.name(), &v));
      if (v.dtype != DType::kUndefined && v.dtype != tensor.dtype()) {
        return InvalidArgument(
            "initializer '" + t.name() + "' holds " + std::string(DTypeName(tensor.dtype())) +
            " but the graph input of that name declares " + std::string(DTypeName(v.dtype)));
      }
    }
    v.dtype = tensor.dtype();
    v.shape = Shape::Of(tensor.dims());
    v.constant = std::make_shared<const Tensor>(std::move(tensor));
    const ValueId id = graph_.AddValue(std::move(v));
    index_.emplace(t.name(), id);
    return Status::Ok();
  }

  const Value* FindInScope(const std::string& name) const {
    if (auto it = index_.find(name); it != index_.end()) {
      return &graph_.values[static_cast<size_t>(it->second)];
    }
    return parent_ ? parent_->FindInScope(name) : nullptr;
  }

  // A local value, or a new outer-scope value when an enclosing graph defines the name.
  Result<ValueId> Resolve(const std::string& name, const std::string& user) {
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    const Value* outer = parent_ ? parent_->FindInScope(name) : nullptr;
    if (outer == nullptr) {
      return InvalidArgument(user + " reads '" + name +
                             "', which is not produced by any node and is not a graph input or "
                             "initializer");
    }
    Value v;
    v.name = name;
    v.dtype = outer->dtype;
    v.shape = outer->shape;
    v.element_dtype = outer->element_dtype;
    v.optional_of_sequence = outer->optional_of_sequence;
    const ValueId id = graph_.AddValue(std::move(v));
    index_.emplace(name, id);
    graph_.outer_scope.push_back(id);
    return id;
  }

  Status AddNode(const onnx::NodeProto& n) {
    Node node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.domain = n.domain();
    for (const std::string& in : n.input()) {
      if (in.empty()) {
        node.inputs.push_back(kNoValue);
        continue;
      }
      HETRUN_ASSIGN_OR_RETURN(ValueId id, Resolve(in, NodeLabel(n)));
      node.inputs.push_back(id);
    }
    for (const std::string& out : n.output()) {
      node.outputs.push_back(out.empty() ? kNoValue : index_.at(out));
    }
    for (const onnx::AttributeProto& a : n.attribute()) {
      auto attr = ConvertAttribute(a);
      if (!attr.ok())
        return attr.status().WithContext(NodeLabel(n) + " attribute '" + a.name() + "'");
      node.attributes.push_back(std::move(attr).value());
    }
    graph_.nodes.push_back(std::move(node));
    return Status::Ok();
  }

  Result<Attribute> ConvertAttribute(const onnx::AttributeProto& a) {
    if (!a.ref_attr_name().empty()) {
      return Unimplemented("attribute references exist only in functions, which are not supported");
    }
    Attribute attr;
    attr.name = a.name();
    switch (a.type()) {
      case onnx::AttributeProto::FLOAT: attr.f = a.f(); break;
      case onnx::AttributeProto::INT: attr.i = a.i(); break;
      case onnx::AttributeProto::STRING: attr.s = a.s(); break;
      case onnx::AttributeProto::FLOATS:
        attr.floats.assign(a.floats().begin(), a.floats().end());
        break;
      case onnx::AttributeProto::INTS: attr.ints.assign(a.ints().begin(), a.ints().end()); break;
      case onnx::AttributeProto::STRINGS:
        attr.strings.assign(a.strings().begin(), a.strings().end());
        break;
      case onnx::AttributeProto::TENSOR: {
        HETRUN_ASSIGN_OR_RETURN(Tensor t, DecodeTensorProto(a.t()));
        attr.tensor = std::make_shared<const Tensor>(std::move(t));
        break;
      }
      case onnx::AttributeProto::GRAPH: {
        HETRUN_ASSIGN_OR_RETURN(Graph sub, GraphBuilder(a.g(), opsets_, this).Build());
        // What the subgraph reads from outside must exist here too: locally, or as this graph's
        // own outer-scope reference (which is how references reach through nesting levels).
        for (ValueId v : sub.outer_scope) {
          const std::string& name = sub.values[static_cast<size_t>(v)].name;
          HETRUN_RETURN_IF_ERROR(Resolve(name, "a subgraph").status());
        }
        attr.graph = std::make_shared<const Graph>(std::move(sub));
        break;
      }
      case onnx::AttributeProto::TYPE_PROTO:
        // Only Optional has one: the type of an empty optional, which no op can observe. It
        // crosses as a string holding the serialized TypeProto.
        attr.s = a.tp().SerializeAsString();
        attr.type = Attribute::Type::kString;
        return attr;
      default:
        return Unimplemented("attribute type " + onnx::AttributeProto_AttributeType_Name(a.type()) +
                             " is not supported");
    }
    attr.type = static_cast<Attribute::Type>(a.type());
    return attr;
  }

  const onnx::GraphProto& proto_;
  const std::map<std::string, int64_t>& opsets_;
  const GraphBuilder* parent_;
  Graph graph_;
  std::unordered_map<std::string, ValueId> index_;
  std::unordered_map<std::string, const onnx::TypeProto*> types_;
};

}  // namespace

Result<Graph> BuildGraph(const onnx::GraphProto& proto,
                         const std::map<std::string, int64_t>& opsets) {
  return GraphBuilder(proto, opsets, nullptr).Build();
}

}  // namespace hetrun::core::detail
