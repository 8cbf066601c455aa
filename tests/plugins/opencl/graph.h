// Hand-built graph views for the OpenCL plugin tests: values, float32/float16/int64 constants and
// nodes with attributes, with storage that stays put while the view is in use.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::test {

class Graph {
 public:
  // A float32 value (dims may hold -1 for run-time dimensions).
  Graph& Value(const std::string& name, std::vector<int64_t> dims,
               hetrun_dtype_t dtype = HETRUN_DTYPE_FLOAT32);
  // A float constant stored as `dtype` (float32, or float16 rounded to nearest even).
  Graph& Constant(const std::string& name, std::vector<int64_t> dims, std::vector<float> data,
                  hetrun_dtype_t dtype = HETRUN_DTYPE_FLOAT32);
  // 1-D unless `dims` is given.
  Graph& Int64Constant(const std::string& name, std::vector<int64_t> data,
                       std::vector<int64_t> dims = {});
  // A node; "" marks an omitted optional input. Attributes follow with Float/Int/Ints/String.
  Graph& Node(const std::string& op_type, const std::vector<std::string>& inputs,
              const std::vector<std::string>& outputs, int64_t opset = 17);
  Graph& Float(const std::string& name, float value);
  Graph& Int(const std::string& name, int64_t value);
  Graph& String(const std::string& name, const std::string& value);
  Graph& Ints(const std::string& name, std::vector<int64_t> values);
  Graph& Inputs(const std::vector<std::string>& names);
  Graph& Outputs(const std::vector<std::string>& names);

  // The view; valid until the graph changes or dies.
  const hetrun_graph_view* view();

 private:
  struct ValueSpec {
    std::string name;
    hetrun_dtype_t dtype;
    std::vector<int64_t> dims;
    uint32_t flags = 0;
    std::vector<float> floats;
    std::vector<uint16_t> halves;
    std::vector<int64_t> ints;
  };
  struct AttrSpec {
    std::string name;
    hetrun_attr_type_t type;
    float f = 0;
    int64_t i = 0;
    std::vector<int64_t> ints;
    std::string s;
  };
  struct NodeSpec {
    std::string name, op_type;
    int64_t opset;
    std::vector<int32_t> inputs, outputs;
    std::deque<AttrSpec> attrs;
    std::vector<hetrun_attribute> attr_structs;
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
