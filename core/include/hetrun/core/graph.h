// The core graph IR: a small, typed SSA graph. Values are tensors with a dtype and a (possibly
// symbolic) shape, or ONNX sequence / optional values (packed, see container_value.h); nodes are
// ONNX operators that consume and produce values. Nodes are kept in topological order. Passes and
// the partitioner work on this; plugins see it only as a C graph view.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/core/dtype.h"
#include "hetrun/core/tensor.h"

namespace hetrun::core {

// One dimension: a known size, or unknown (value < 0) with an optional symbolic name ("batch").
struct Dim {
  int64_t value = -1;
  std::string symbol;
  bool known() const { return value >= 0; }
};

struct Shape {
  bool rank_known = false;
  std::vector<Dim> dims;

  static Shape Unknown() { return {}; }
  static Shape Of(const std::vector<int64_t>& sizes);
  int64_t rank() const { return rank_known ? static_cast<int64_t>(dims.size()) : -1; }
  bool fully_known() const;
  // Sizes with -1 for unknown dims.
  std::vector<int64_t> sizes() const;
  // "1x3x?x224", "batchx3" or "?" for unknown rank.
  std::string ToString() const;
};

using ValueId = int32_t;
using NodeId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;         // kSequence / kOptional for the non-tensor kinds
  Shape shape;                             // for those: rank 1, the packed byte count (unknown)
  std::shared_ptr<const Tensor> constant;  // set for initializers and folded constants
  NodeId producer = -1;                    // -1 for graph inputs and constants
  // kSequence: the dtype of its tensors. kOptional: the dtype of the tensor(s) it wraps, and
  // `optional_of_sequence` when it wraps a sequence rather than a tensor.
  DType element_dtype = DType::kUndefined;
  bool optional_of_sequence = false;
};

class Graph;

struct Attribute {
  enum class Type : uint32_t {  // values equal ONNX AttributeProto.AttributeType
    kFloat = 1,
    kInt = 2,
    kString = 3,
    kTensor = 4,
    kGraph = 5,
    kFloats = 6,
    kInts = 7,
    kStrings = 8,
  };
  std::string name;
  Type type = Type::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::shared_ptr<const Tensor> tensor;
  std::shared_ptr<const Graph> graph;
};

struct Node {
  std::string name;  // unique in the graph (the importer names unnamed nodes)
  std::string op_type;
  std::string domain;            // "" = default ONNX domain
  std::vector<ValueId> inputs;   // kNoValue for omitted optional inputs
  std::vector<ValueId> outputs;  // kNoValue for omitted optional outputs
  std::vector<Attribute> attributes;

  const Attribute* FindAttribute(const std::string& attr_name) const;
};

class Graph {
 public:
  std::string name;
  std::map<std::string, int64_t> opsets;  // domain -> version imported by the model
  std::vector<Value> values;
  std::vector<Node> nodes;      // topological order
  std::vector<ValueId> inputs;  // graph inputs that are not constants
  std::vector<ValueId> outputs;
  // Only in subgraphs (If/Loop/Scan bodies): values read from an enclosing graph, by name. They
  // have no producer, are neither inputs nor constants, and carry the dtype and shape the enclosing
  // graph gave them. A name is listed here also when only a nested subgraph reads it.
  std::vector<ValueId> outer_scope;

  ValueId AddValue(Value v);
  std::optional<ValueId> FindValue(const std::string& value_name) const;
  int64_t OpsetFor(const std::string& domain) const;
  // The consumers of each value, indexed by ValueId. A node whose subgraphs read a value of this
  // graph (see ImplicitInputs) consumes it too. Each node appears at most once per value.
  std::vector<std::vector<NodeId>> Consumers() const;
  // Values of this graph that `node`'s subgraph attributes read as outer-scope references, in
  // first-use order. Names that resolve to nothing here are skipped (Verify reports them).
  std::vector<ValueId> ImplicitInputs(NodeId node) const;
  // Re-establishes producers and topological order (stable: ready nodes keep their relative order;
  // subgraph outer-scope reads count as dependencies). Fails naming a node on a cycle, or a value
  // consumed but never produced.
  Status TopologicalSort();
  // Checks internal invariants (ids in range, one producer per value, order); for tests and passes.
  Status Verify() const;
};

}  // namespace hetrun::core
