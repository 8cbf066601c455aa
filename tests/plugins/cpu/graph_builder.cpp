#include "graph_builder.h"

#include <stdexcept>

namespace hetrun::test {

GraphBuilder& GraphBuilder::Value(const std::string& name, hetrun_dtype_t dtype,
                                  std::vector<int64_t> dims) {
  const auto rank = static_cast<int32_t>(dims.size());
  values_.push_back(ValueSpec{name, dtype, rank, std::move(dims)});
  return *this;
}

GraphBuilder& GraphBuilder::UnrankedValue(const std::string& name, hetrun_dtype_t dtype) {
  values_.push_back(ValueSpec{name, dtype, -1, {}});
  return *this;
}

GraphBuilder& GraphBuilder::Constant(const std::string& name, std::vector<int64_t> dims,
                                     std::vector<float> data) {
  Value(name, HETRUN_DTYPE_FLOAT32, std::move(dims));
  values_.back().flags = HETRUN_VALUE_CONSTANT;
  values_.back().data = std::move(data);
  return *this;
}

GraphBuilder& GraphBuilder::Node(const std::string& name, const std::string& op_type,
                                 const std::vector<std::string>& inputs,
                                 const std::vector<std::string>& outputs) {
  NodeSpec node{name, op_type, {}, {}};
  for (const std::string& in : inputs) node.inputs.push_back(in.empty() ? -1 : IndexOf(in));
  for (const std::string& out : outputs) node.outputs.push_back(out.empty() ? -1 : IndexOf(out));
  nodes_.push_back(std::move(node));
  return *this;
}

GraphBuilder& GraphBuilder::IntAttr(const std::string& name, int64_t value) {
  nodes_.back().attributes.push_back(AttrSpec{name, HETRUN_ATTR_INT, value, {}, nullptr});
  return *this;
}

GraphBuilder& GraphBuilder::IntsAttr(const std::string& name, std::vector<int64_t> values) {
  nodes_.back().attributes.push_back(
      AttrSpec{name, HETRUN_ATTR_INTS, 0, std::move(values), nullptr});
  return *this;
}

GraphBuilder& GraphBuilder::GraphAttr(const std::string& name, GraphBuilder& subgraph) {
  nodes_.back().attributes.push_back(AttrSpec{name, HETRUN_ATTR_GRAPH, 0, {}, &subgraph});
  return *this;
}

GraphBuilder& GraphBuilder::IntConstant(const std::string& name, hetrun_dtype_t dtype,
                                        std::vector<int64_t> dims,
                                        const std::vector<int64_t>& data) {
  Value(name, dtype, std::move(dims));
  ValueSpec& v = values_.back();
  v.flags = HETRUN_VALUE_CONSTANT;
  for (int64_t x : data) {
    if (dtype == HETRUN_DTYPE_INT64) {
      const auto* b = reinterpret_cast<const uint8_t*>(&x);
      v.bytes.insert(v.bytes.end(), b, b + sizeof(x));
    } else {
      v.bytes.push_back(static_cast<uint8_t>(x != 0));
    }
  }
  return *this;
}

GraphBuilder& GraphBuilder::Inputs(const std::vector<std::string>& names) {
  inputs_.clear();
  for (const std::string& n : names) {
    inputs_.push_back(IndexOf(n));
    values_[inputs_.back()].flags |= HETRUN_VALUE_GRAPH_INPUT;
  }
  return *this;
}

GraphBuilder& GraphBuilder::Outputs(const std::vector<std::string>& names) {
  outputs_.clear();
  for (const std::string& n : names) {
    outputs_.push_back(IndexOf(n));
    values_[outputs_.back()].flags |= HETRUN_VALUE_GRAPH_OUTPUT;
  }
  return *this;
}

int32_t GraphBuilder::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i)
    if (values_[i].name == name) return static_cast<int32_t>(i);
  throw std::invalid_argument("GraphBuilder: no value named " + name);
}

const hetrun_graph_view* GraphBuilder::view() {
  value_structs_.clear();
  for (const ValueSpec& v : values_) {
    hetrun_value s{};
    s.name = v.name.c_str();
    s.dtype = v.dtype;
    s.rank = v.rank;
    s.dims = v.dims.empty() ? nullptr : v.dims.data();
    s.flags = v.flags;
    s.data = v.data.empty() ? nullptr : v.data.data();
    s.data_bytes = v.data.size() * sizeof(float);
    if (!v.bytes.empty()) {
      s.data = v.bytes.data();
      s.data_bytes = v.bytes.size();
    }
    value_structs_.push_back(s);
  }
  node_structs_.clear();
  for (NodeSpec& n : nodes_) {
    n.attribute_structs.clear();
    for (const AttrSpec& a : n.attributes) {
      hetrun_attribute s{};
      s.name = a.name.c_str();
      s.type = a.type;
      s.i = a.i;
      s.count = static_cast<uint32_t>(a.ints.size());
      s.ints = a.ints.data();
      s.graph = a.graph ? a.graph->view() : nullptr;
      n.attribute_structs.push_back(s);
    }
    hetrun_node s{};
    s.name = n.name.c_str();
    s.op_type = n.op_type.c_str();
    s.domain = "";
    s.opset = 17;
    s.num_inputs = static_cast<uint32_t>(n.inputs.size());
    s.inputs = n.inputs.data();
    s.num_outputs = static_cast<uint32_t>(n.outputs.size());
    s.outputs = n.outputs.data();
    s.num_attributes = static_cast<uint32_t>(n.attribute_structs.size());
    s.attributes = n.attribute_structs.data();
    node_structs_.push_back(s);
  }
  view_ = hetrun_graph_view{};
  view_.struct_size = sizeof(hetrun_graph_view);
  view_.num_values = static_cast<uint32_t>(value_structs_.size());
  view_.values = value_structs_.data();
  view_.num_nodes = static_cast<uint32_t>(node_structs_.size());
  view_.nodes = node_structs_.data();
  view_.num_inputs = static_cast<uint32_t>(inputs_.size());
  view_.inputs = inputs_.data();
  view_.num_outputs = static_cast<uint32_t>(outputs_.size());
  view_.outputs = outputs_.data();
  return &view_;
}

}  // namespace hetrun::test
