#include "hetrun/core/graph_view.h"

#include <algorithm>

#include "hetrun/core/container_value.h"

namespace hetrun::core {

// Everything the C view points at (except constant data, which stays in the graph's tensors).
// Deques, because push_back there never moves earlier elements whose addresses are already taken.
struct GraphView::Storage {
  std::deque<std::string> strings;
  std::deque<std::vector<int64_t>> int64_arrays;
  std::deque<std::vector<int32_t>> int32_arrays;
  std::deque<std::vector<float>> float_arrays;
  std::deque<std::vector<std::byte>> packed_strings;
  std::deque<std::vector<const char*>> cstr_arrays;
  std::deque<std::vector<hetrun_attribute>> attribute_arrays;
  std::deque<hetrun_value> attribute_tensors;
  std::deque<std::unique_ptr<GraphView>> subgraphs;
  std::vector<hetrun_value> values;
  std::vector<hetrun_node> nodes;
  std::vector<int32_t> inputs, outputs;

  const char* Str(std::string s) { return strings.emplace_back(std::move(s)).c_str(); }
  const int64_t* Int64s(std::vector<int64_t> v) {
    return int64_arrays.emplace_back(std::move(v)).data();
  }
  const int32_t* Int32s(std::vector<int32_t> v) {
    return int32_arrays.emplace_back(std::move(v)).data();
  }
};

GraphView::GraphView() = default;

struct GraphViewBuilderImpl {
  using Storage = GraphView::Storage;

  // A constant's or a value's C description; `flags` beyond CONSTANT are the caller's.
  static hetrun_value DescribeValue(Storage& s, const std::string& name, DType dtype,
                                    const Shape& shape, const Tensor* constant) {
    hetrun_value v{};
    v.name = s.Str(name);
    v.dtype = static_cast<hetrun_dtype_t>(dtype);
    v.rank = shape.rank_known ? static_cast<int32_t>(shape.dims.size()) : -1;
    v.dims = shape.rank_known ? s.Int64s(shape.sizes()) : nullptr;
    if (dtype == DType::kString) {  // strings cross packed (plugin.h, minor 1): bytes, size unknown
      v.rank = 1;
      v.dims = s.Int64s({-1});
    }
    if (constant != nullptr) {
      v.flags |= HETRUN_VALUE_CONSTANT;
      if (constant->dtype() != DType::kString) {
        v.data = constant->data();
        v.data_bytes = constant->byte_size();
      } else if (Result<std::vector<std::byte>> packed = PackStrings(*constant); packed.ok()) {
        const std::vector<std::byte>& bytes = s.packed_strings.emplace_back(std::move(*packed));
        v.dims = s.Int64s({static_cast<int64_t>(bytes.size())});
        v.data = bytes.data();
        v.data_bytes = bytes.size();
      }
    }
    return v;
  }

  static hetrun_attribute ConvertAttribute(Storage& s, const Attribute& a) {
    hetrun_attribute h{};
    h.name = s.Str(a.name);
    h.type = static_cast<hetrun_attr_type_t>(a.type);
    switch (a.type) {
      case Attribute::Type::kFloat: h.f = a.f; break;
      case Attribute::Type::kInt: h.i = a.i; break;
      case Attribute::Type::kString:
        h.s = s.Str(a.s);
        h.s_size = a.s.size();
        break;
      case Attribute::Type::kFloats:
        h.count = static_cast<uint32_t>(a.floats.size());
        h.floats = s.float_arrays.emplace_back(a.floats).data();
        break;
      case Attribute::Type::kInts:
        h.count = static_cast<uint32_t>(a.ints.size());
        h.ints = s.Int64s(a.ints);
        break;
      case Attribute::Type::kStrings: {
        std::vector<const char*> ptrs;
        ptrs.reserve(a.strings.size());
        for (const std::string& str : a.strings) ptrs.push_back(s.Str(str));
        h.count = static_cast<uint32_t>(ptrs.size());
        h.strings = s.cstr_arrays.emplace_back(std::move(ptrs)).data();
        break;
      }
      case Attribute::Type::kTensor:
        if (a.tensor) {
          h.tensor = &s.attribute_tensors.emplace_back(DescribeValue(
              s, a.name, a.tensor->dtype(), Shape::Of(a.tensor->dims()), a.tensor.get()));
        }
        break;
      case Attribute::Type::kGraph:
        if (a.graph) h.graph = s.subgraphs.emplace_back(GraphView::Build(*a.graph))->view();
        break;
    }
    return h;
  }

  // A view of `node_ids` over the values `value_ids` (ascending), with the given inputs/outputs.
  static std::unique_ptr<GraphView> Make(const Graph& g, const std::vector<ValueId>& value_ids,
                                         const std::vector<NodeId>& node_ids,
                                         const std::vector<ValueId>& inputs,
                                         const std::vector<ValueId>& outputs) {
    std::unique_ptr<GraphView> view(new GraphView());
    view->storage_ = std::make_shared<Storage>();
    Storage& s = *view->storage_;

    std::vector<int32_t> index(g.values.size(), -1);  // graph ValueId -> view index
    for (size_t i = 0; i < value_ids.size(); ++i)
      index[static_cast<size_t>(value_ids[i])] = static_cast<int32_t>(i);
    auto remap = [&](ValueId v) { return v == kNoValue ? -1 : index[static_cast<size_t>(v)]; };

    s.values.reserve(value_ids.size());
    for (ValueId id : value_ids) {
      const Value& v = g.values[static_cast<size_t>(id)];
      s.values.push_back(DescribeValue(s, v.name, v.dtype, v.shape, v.constant.get()));
    }
    for (ValueId v : inputs) {
      s.inputs.push_back(remap(v));
      s.values[static_cast<size_t>(remap(v))].flags |= HETRUN_VALUE_GRAPH_INPUT;
    }
    for (ValueId v : outputs) {
      s.outputs.push_back(remap(v));
      s.values[static_cast<size_t>(remap(v))].flags |= HETRUN_VALUE_GRAPH_OUTPUT;
    }

    s.nodes.reserve(node_ids.size());
    for (NodeId id : node_ids) {
      const Node& n = g.nodes[static_cast<size_t>(id)];
      hetrun_node h{};
      h.name = s.Str(n.name);
      h.op_type = s.Str(n.op_type);
      h.domain = s.Str(n.domain);
      h.opset = g.OpsetFor(n.domain);
      std::vector<int32_t> ins, outs;
      for (ValueId v : n.inputs) ins.push_back(remap(v));
      for (ValueId v : n.outputs) outs.push_back(remap(v));
      h.num_inputs = static_cast<uint32_t>(ins.size());
      h.inputs = s.Int32s(std::move(ins));
      h.num_outputs = static_cast<uint32_t>(outs.size());
      h.outputs = s.Int32s(std::move(outs));
      std::vector<hetrun_attribute> attrs;
      attrs.reserve(n.attributes.size());
      for (const Attribute& a : n.attributes) attrs.push_back(ConvertAttribute(s, a));
      h.num_attributes = static_cast<uint32_t>(attrs.size());
      h.attributes = s.attribute_arrays.emplace_back(std::move(attrs)).data();
      s.nodes.push_back(h);
    }

    hetrun_graph_view& c = view->view_;
    c.struct_size = sizeof(hetrun_graph_view);
    c.num_values = static_cast<uint32_t>(s.values.size());
    c.values = s.values.data();
    c.num_nodes = static_cast<uint32_t>(s.nodes.size());
    c.nodes = s.nodes.data();
    c.num_inputs = static_cast<uint32_t>(s.inputs.size());
    c.inputs = s.inputs.data();
    c.num_outputs = static_cast<uint32_t>(s.outputs.size());
    c.outputs = s.outputs.data();
    view->value_ids_ = value_ids;
    view->input_ids_ = inputs;
    view->output_ids_ = outputs;
    return view;
  }
};

std::unique_ptr<GraphView> GraphView::Build(const Graph& graph) {
  std::vector<ValueId> values(graph.values.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<ValueId>(i);
  std::vector<NodeId> nodes(graph.nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) nodes[i] = static_cast<NodeId>(i);
  return GraphViewBuilderImpl::Make(graph, values, nodes, graph.inputs, graph.outputs);
}

std::unique_ptr<GraphView> GraphView::BuildPart(const Graph& graph,
                                                const std::vector<NodeId>& nodes,
                                                const std::vector<ValueId>& extra_outputs) {
  const size_t num_values = graph.values.size();
  std::vector<NodeId> part;
  for (NodeId n : nodes) {
    if (n >= 0 && static_cast<size_t>(n) < graph.nodes.size()) part.push_back(n);
  }
  std::sort(part.begin(), part.end());
  part.erase(std::unique(part.begin(), part.end()), part.end());
  std::vector<bool> in_part(graph.nodes.size(), false);
  for (NodeId n : part) in_part[static_cast<size_t>(n)] = true;

  std::vector<bool> produced(num_values, false), referenced(num_values, false);
  for (NodeId n : part) {
    for (ValueId v : graph.nodes[static_cast<size_t>(n)].outputs) {
      if (v != kNoValue)
        produced[static_cast<size_t>(v)] = referenced[static_cast<size_t>(v)] = true;
    }
  }

  // Inputs: what the part reads (directly, or through its subgraphs' outer-scope references) and
  // does not produce, in first-read order. Constants travel inside the view instead.
  std::vector<ValueId> inputs;
  std::vector<bool> is_input(num_values, false);
  for (NodeId n : part) {
    std::vector<ValueId> reads = graph.nodes[static_cast<size_t>(n)].inputs;
    for (ValueId v : graph.ImplicitInputs(n)) reads.push_back(v);
    for (ValueId v : reads) {
      if (v == kNoValue) continue;
      const size_t i = static_cast<size_t>(v);
      referenced[i] = true;
      if (produced[i] || is_input[i] || graph.values[i].constant) continue;
      is_input[i] = true;
      inputs.push_back(v);
    }
  }

  // Outputs: produced values that someone outside the part needs, in production order.
  std::vector<bool> needed(num_values, false);
  for (ValueId v : graph.outputs) needed[static_cast<size_t>(v)] = true;
  for (ValueId v : extra_outputs) {
    if (v >= 0 && static_cast<size_t>(v) < num_values) needed[static_cast<size_t>(v)] = true;
  }
  const std::vector<std::vector<NodeId>> consumers = graph.Consumers();
  for (size_t v = 0; v < num_values; ++v) {
    if (!produced[v] || needed[v]) continue;
    for (NodeId c : consumers[v]) needed[v] = needed[v] || !in_part[static_cast<size_t>(c)];
  }
  std::vector<ValueId> outputs;
  for (NodeId n : part) {
    for (ValueId v : graph.nodes[static_cast<size_t>(n)].outputs) {
      if (v != kNoValue && needed[static_cast<size_t>(v)] &&
          std::find(outputs.begin(), outputs.end(), v) == outputs.end()) {
        outputs.push_back(v);
      }
    }
  }

  std::vector<ValueId> values;
  for (size_t v = 0; v < num_values; ++v) {
    if (referenced[v]) values.push_back(static_cast<ValueId>(v));
  }
  return GraphViewBuilderImpl::Make(graph, values, part, inputs, outputs);
}

}  // namespace hetrun::core
