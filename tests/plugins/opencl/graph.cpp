#include "graph.h"

#include "half.h"

#include <stdexcept>

namespace hetrun::test {

Graph& Graph::Value(const std::string& name, std::vector<int64_t> dims, hetrun_dtype_t dtype) {
  values_.push_back(ValueSpec{name, dtype, std::move(dims)});
  return *this;
}

Graph& Graph::Constant(const std::string& name, std::vector<int64_t> dims, std::vector<float> data,
                       hetrun_dtype_t dtype) {
  Value(name, std::move(dims), dtype);
  values_.back().flags = HETRUN_VALUE_CONSTANT;
  if (dtype == HETRUN_DTYPE_FLOAT16) {
    for (float x : data) values_.back().halves.push_back(FloatToHalf(x));
  } else {
    values_.back().floats = std::move(data);
  }
  return *this;
}

Graph& Graph::Int64Constant(const std::string& name, std::vector<int64_t> data,
                            std::vector<int64_t> dims) {
  if (dims.empty()) dims = {static_cast<int64_t>(data.size())};
  Value(name, std::move(dims), HETRUN_DTYPE_INT64);
  values_.back().flags = HETRUN_VALUE_CONSTANT;
  values_.back().ints = std::move(data);
  return *this;
}

Graph& Graph::Node(const std::string& op_type, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, int64_t opset) {
  NodeSpec node{op_type + "_" + std::to_string(nodes_.size()), op_type, opset, {}, {}, {}, {}};
  for (const std::string& in : inputs) node.inputs.push_back(in.empty() ? -1 : IndexOf(in));
  for (const std::string& out : outputs) node.outputs.push_back(IndexOf(out));
  nodes_.push_back(std::move(node));
  return *this;
}

Graph& Graph::Float(const std::string& name, float value) {
  nodes_.back().attrs.push_back(AttrSpec{name, HETRUN_ATTR_FLOAT, value, 0, {}});
  return *this;
}

Graph& Graph::Int(const std::string& name, int64_t value) {
  nodes_.back().attrs.push_back(AttrSpec{name, HETRUN_ATTR_INT, 0, value, {}});
  return *this;
}

Graph& Graph::String(const std::string& name, const std::string& value) {
  nodes_.back().attrs.push_back(AttrSpec{name, HETRUN_ATTR_STRING, 0, 0, {}, value});
  return *this;
}

Graph& Graph::Ints(const std::string& name, std::vector<int64_t> values) {
  nodes_.back().attrs.push_back(AttrSpec{name, HETRUN_ATTR_INTS, 0, 0, std::move(values)});
  return *this;
}

Graph& Graph::Inputs(const std::vector<std::string>& names) {
  inputs_.clear();
  for (const std::string& n : names) {
    inputs_.push_back(IndexOf(n));
    values_[static_cast<size_t>(inputs_.back())].flags |= HETRUN_VALUE_GRAPH_INPUT;
  }
  return *this;
}

Graph& Graph::Outputs(const std::vector<std::string>& names) {
  outputs_.clear();
  for (const std::string& n : names) {
    outputs_.push_back(IndexOf(n));
    values_[static_cast<size_t>(outputs_.back())].flags |= HETRUN_VALUE_GRAPH_OUTPUT;
  }
  return *this;
}

int32_t Graph::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i)
    if (values_[i].name == name) return static_cast<int32_t>(i);
  throw std::invalid_argument("Graph: no value named " + name);
}

const hetrun_graph_view* Graph::view() {
  value_structs_.clear();
  for (const ValueSpec& v : values_) {
    hetrun_value s{};
    s.name = v.name.c_str();
    s.dtype = v.dtype;
    s.rank = static_cast<int32_t>(v.dims.size());
    s.dims = v.dims.empty() ? nullptr : v.dims.data();
    s.flags = v.flags;
    if (!v.floats.empty()) s.data = v.floats.data(), s.data_bytes = v.floats.size() * 4;
    if (!v.ints.empty()) s.data = v.ints.data(), s.data_bytes = v.ints.size() * 8;
    if (!v.halves.empty()) s.data = v.halves.data(), s.data_bytes = v.halves.size() * 2;
    value_structs_.push_back(s);
  }
  node_structs_.clear();
  for (NodeSpec& n : nodes_) {
    n.attr_structs.clear();
    for (const AttrSpec& a : n.attrs) {
      hetrun_attribute s{};
      s.name = a.name.c_str();
      s.type = a.type;
      s.f = a.f;
      s.i = a.i;
      s.count = static_cast<uint32_t>(a.ints.size());
      s.ints = a.ints.empty() ? nullptr : a.ints.data();
      s.s = a.s.c_str();
      s.s_size = a.s.size();
      n.attr_structs.push_back(s);
    }
    hetrun_node s{};
    s.name = n.name.c_str();
    s.op_type = n.op_type.c_str();
    s.domain = "";
    s.opset = n.opset;
    s.num_inputs = static_cast<uint32_t>(n.inputs.size());
    s.inputs = n.inputs.data();
    s.num_outputs = static_cast<uint32_t>(n.outputs.size());
    s.outputs = n.outputs.data();
    s.num_attributes = static_cast<uint32_t>(n.attr_structs.size());
    s.attributes = n.attr_structs.data();
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
