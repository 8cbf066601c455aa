// Builds small graphs by hand for the graph-pass tests: values by name, constants from literals,
// nodes with attributes, then sorted and verified.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"

namespace hetrun::core::testing {

inline Attribute IntAttr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}
inline Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute FloatAttr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kFloat;
  a.f = v;
  return a;
}
inline Attribute GraphAttr(const std::string& name, Graph g) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kGraph;
  a.graph = std::make_shared<const Graph>(std::move(g));
  return a;
}

template <typename T>
Tensor MakeTensor(DType dtype, std::vector<int64_t> dims, const std::vector<T>& data) {
  Tensor t = std::move(Tensor::Create(dtype, std::move(dims))).value();
  EXPECT_EQ(static_cast<size_t>(t.element_count()), data.size());
  if (!data.empty()) std::memcpy(t.mutable_data(), data.data(), data.size() * sizeof(T));
  return t;
}

// A graph under construction. Values are looked up by name in node lists.
class GraphMaker {
 public:
  GraphMaker() { graph_.opsets[""] = 17; }

  ValueId Input(const std::string& name, std::vector<int64_t> dims, DType dtype = DType::kFloat32) {
    const ValueId id = Add(name, dtype, std::move(dims));
    graph_.inputs.push_back(id);
    return id;
  }
  // A node output; without dims its shape is unknown.
  ValueId Temp(const std::string& name, std::optional<std::vector<int64_t>> dims = std::nullopt,
               DType dtype = DType::kFloat32) {
    return Add(name, dtype, std::move(dims));
  }
  ValueId Output(const std::string& name, std::optional<std::vector<int64_t>> dims = std::nullopt,
                 DType dtype = DType::kFloat32) {
    const ValueId id = Add(name, dtype, std::move(dims));
    graph_.outputs.push_back(id);
    return id;
  }
  ValueId Constant(const std::string& name, Tensor t) {
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = Shape::Of(t.dims());
    v.constant = std::make_shared<const Tensor>(std::move(t));
    return graph_.AddValue(std::move(v));
  }
  ValueId Ints(const std::string& name, std::vector<int64_t> data) {
    const auto n = static_cast<int64_t>(data.size());
    return Constant(name, MakeTensor<int64_t>(DType::kInt64, {n}, data));
  }
  ValueId Floats(const std::string& name, std::vector<int64_t> dims, std::vector<float> data) {
    return Constant(name, MakeTensor<float>(DType::kFloat32, std::move(dims), data));
  }
  void Node(const std::string& op, std::vector<ValueId> in, std::vector<ValueId> out,
            std::vector<Attribute> attrs = {}, const std::string& domain = "") {
    core::Node n;
    n.name = op + "_" + std::to_string(graph_.nodes.size());
    n.op_type = op;
    n.domain = domain;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attributes = std::move(attrs);
    graph_.nodes.push_back(std::move(n));
  }
  Graph& graph() { return graph_; }
  // Sorted and verified.
  Graph Build() {
    EXPECT_TRUE(graph_.TopologicalSort().ok());
    EXPECT_TRUE(graph_.Verify().ok()) << graph_.Verify().message();
    return std::move(graph_);
  }

 private:
  ValueId Add(const std::string& name, DType dtype, std::optional<std::vector<int64_t>> dims) {
    Value v;
    v.name = name;
    v.dtype = dtype;
    if (dims) v.shape = Shape::Of(*dims);
    return graph_.AddValue(std::move(v));
  }
  Graph graph_;
};

inline std::vector<std::string> OpTypes(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op_type);
  return ops;
}

inline const Value& Named(const Graph& g, const std::string& name) {
  return g.values[static_cast<size_t>(g.FindValue(name).value())];
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data_as<T>(), t.data_as<T>() + t.element_count());
}

}  // namespace hetrun::core::testing
