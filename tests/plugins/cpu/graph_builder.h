// Builds hetrun_graph_view structs by hand for plugin tests: values and nodes by name, with storage
// that stays put while the view is in use.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::test {

// "v3" from ("v", 3): a value or node name. (Appends: GCC 12 at -O3 warns falsely (-Wrestrict) on
// "literal" + std::string.)
inline std::string Numbered(const char* prefix, int64_t n) {
  return std::string(prefix).append(std::to_string(n));
}

class GraphBuilder {
 public:
  // A value of known rank (dims may hold -1 for run-time dimensions).
  GraphBuilder& Value(const std::string& name, hetrun_dtype_t dtype, std::vector<int64_t> dims);
  // A value of unknown rank.
  GraphBuilder& UnrankedValue(const std::string& name, hetrun_dtype_t dtype);
  // A float32 constant (initializer); the data lives as long as the builder.
  GraphBuilder& Constant(const std::string& name, std::vector<int64_t> dims,
                         std::vector<float> data);
  // A node; "" marks an omitted optional input or output.
  GraphBuilder& Node(const std::string& name, const std::string& op_type,
                     const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs);
  // Attributes of the node added last. A subgraph builder must outlive this one's views; its view
  // is rebuilt with this one's. (Values a subgraph reads from an enclosing graph are declared in it
  // by name, with no producer, as the host's views show them.)
  GraphBuilder& IntAttr(const std::string& name, int64_t value);
  GraphBuilder& IntsAttr(const std::string& name, std::vector<int64_t> values);
  GraphBuilder& GraphAttr(const std::string& name, GraphBuilder& subgraph);
  // Value types of `name` constant data other than float32: int64 or bool (0/1), given as int64s.
  GraphBuilder& IntConstant(const std::string& name, hetrun_dtype_t dtype,
                            std::vector<int64_t> dims, const std::vector<int64_t>& data);
  GraphBuilder& Inputs(const std::vector<std::string>& names);
  GraphBuilder& Outputs(const std::vector<std::string>& names);

  // The view; valid until the builder changes or dies.
  const hetrun_graph_view* view();

 private:
  struct ValueSpec {
    std::string name;
    hetrun_dtype_t dtype;
    int32_t rank;
    std::vector<int64_t> dims;
    uint32_t flags = 0;
    std::vector<float> data;
    std::vector<uint8_t> bytes;  // IntConstant's data
  };
  struct AttrSpec {
    std::string name;
    hetrun_attr_type_t type;
    int64_t i = 0;
    std::vector<int64_t> ints;
    GraphBuilder* graph = nullptr;
  };
  struct NodeSpec {
    std::string name, op_type;
    std::vector<int32_t> inputs, outputs;
    std::deque<AttrSpec> attributes;
    std::vector<hetrun_attribute> attribute_structs;
  };
  int32_t IndexOf(const std::string& name) const;

  std::deque<ValueSpec> values_;
  std::deque<NodeSpec> nodes_;
  std::vector<int32_t> inputs_, outputs_;
  std::vector<hetrun_value> value_structs_;
  std::vector<hetrun_node> node_structs_;
  hetrun_graph_view view_{};
};

}  // namespace hetrun::test
