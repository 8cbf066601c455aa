#include "model_limits.h"

#include <cstdint>
#include <optional>
#include <string>

#include "hetrun/core/dtype.h"
#include "hetrun/core/tensor.h"
#include "onnx_tensor.h"

namespace hetrun::core::detail {
namespace {

using onnx::AttributeProto;
using onnx::GraphProto;
using onnx::NodeProto;
using onnx::TensorProto;

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

// Node names are not made unique yet (NormalizeModel does that next).
std::string NodeLabel(const NodeProto& n) {
  return (n.name().empty() ? std::string("unnamed node") : "node '" + n.name() + "'") + " (" +
         n.op_type() + ")";
}

class LimitChecker {
 public:
  explicit LimitChecker(const ModelLimits& limits) : limits_(limits) {}

  Status CheckGraph(const GraphProto& g, int depth) {
    for (const TensorProto& t : g.initializer()) HETRUN_RETURN_IF_ERROR(CheckTensor(t));
    for (const onnx::SparseTensorProto& s : g.sparse_initializer())
      HETRUN_RETURN_IF_ERROR(CheckTensor(s.values()));
    return CheckNodes(g.node(), depth);
  }

  // Nodes of a graph or of a model-local function body.
  Status CheckNodes(const google::protobuf::RepeatedPtrField<NodeProto>& nodes, int depth) {
    for (const NodeProto& n : nodes) {
      if (++nodes_ > limits_.max_nodes) {
        return InvalidArgument("more than " + std::to_string(limits_.max_nodes) +
                               " nodes, subgraphs included (ImportOptions::max_nodes): " +
                               NodeLabel(n) + " is node " + std::to_string(nodes_));
      }
      for (const AttributeProto& a : n.attribute()) {
        const std::string where = NodeLabel(n) + " attribute '" + a.name() + "'";
        HETRUN_RETURN_IF_ERROR(CheckString(a.s()).WithContext(where));
        for (const std::string& s : a.strings())
          HETRUN_RETURN_IF_ERROR(CheckString(s).WithContext(where));
        if (a.has_t()) HETRUN_RETURN_IF_ERROR(CheckTensor(a.t()).WithContext(where));
        for (const TensorProto& t : a.tensors())
          HETRUN_RETURN_IF_ERROR(CheckTensor(t).WithContext(where));
        if (a.has_sparse_tensor())
          HETRUN_RETURN_IF_ERROR(CheckTensor(a.sparse_tensor().values()).WithContext(where));
        if (!a.has_g() && a.graphs_size() == 0) continue;
        if (depth + 1 > limits_.max_subgraph_depth) {
          return InvalidArgument(where + ": subgraph at nesting depth " +
                                 std::to_string(depth + 1) + ", over the cap of " +
                                 std::to_string(limits_.max_subgraph_depth) +
                                 " (ImportOptions::max_subgraph_depth)");
        }
        if (a.has_g()) HETRUN_RETURN_IF_ERROR(CheckGraph(a.g(), depth + 1).WithContext(where));
        for (const GraphProto& sub : a.graphs())
          HETRUN_RETURN_IF_ERROR(CheckGraph(sub, depth + 1).WithContext(where));
      }
    }
    return Status::Ok();
  }

 private:
  Status CheckString(const std::string& s) const {
    if (s.size() <= limits_.max_string_bytes) return Status::Ok();
    return InvalidArgument("string of " + std::to_string(s.size()) + " bytes, over the cap of " +
                           std::to_string(limits_.max_string_bytes) +
                           " (ImportOptions::max_string_bytes)");
  }

  Status CheckTensor(const TensorProto& t) {
    const std::string label = TensorLabel(t);
    uint64_t bytes = 0;
    for (const std::string& s : t.string_data()) {
      HETRUN_RETURN_IF_ERROR(CheckString(s).WithContext(label));
      bytes = SaturatingAdd(bytes, s.size());
    }
    bytes = SaturatingAdd(bytes, DataBytes(t));
    total_bytes_ = SaturatingAdd(total_bytes_, bytes);
    if (total_bytes_ > limits_.max_initializer_bytes) {
      return InvalidArgument(label + " (" + std::to_string(bytes) +
                             " bytes) brings the model's constant tensor data over the cap of " +
                             std::to_string(limits_.max_initializer_bytes) +
                             " bytes (ImportOptions::max_initializer_bytes)");
    }
    return Status::Ok();
  }

  // What the tensor will occupy once decoded. External data counts by its dims (it has not been
  // read yet); embedded data by what the file holds, so a tensor whose dims and data disagree is
  // left to the validator's more precise message.
  static uint64_t DataBytes(const TensorProto& t) {
    const std::optional<DType> dtype = DTypeFromCode(t.data_type());
    const uint64_t width = dtype ? DTypeSize(*dtype) : 0;
    if (t.data_location() == TensorProto::EXTERNAL) {
      const Result<int64_t> count = CheckedElementCount({t.dims().begin(), t.dims().end()});
      return count.ok() ? SaturatingMul(static_cast<uint64_t>(*count), width) : 0;
    }
    // int32_data holds the 8/16-bit types too, one value per element.
    const uint64_t int32_width = width > 0 && width < 4 ? width : 4;
    uint64_t bytes = t.raw_data().size();
    bytes = SaturatingAdd(bytes, uint64_t{4} * static_cast<uint64_t>(t.float_data_size()));
    bytes = SaturatingAdd(bytes, int32_width * static_cast<uint64_t>(t.int32_data_size()));
    bytes = SaturatingAdd(bytes, uint64_t{8} * static_cast<uint64_t>(t.int64_data_size()));
    bytes = SaturatingAdd(bytes, uint64_t{8} * static_cast<uint64_t>(t.double_data_size()));
    bytes = SaturatingAdd(bytes, uint64_t{8} * static_cast<uint64_t>(t.uint64_data_size()));
    return bytes;
  }

  const ModelLimits& limits_;
  uint64_t nodes_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace

Status CheckModelLimits(const onnx::ModelProto& model, const ModelLimits& limits) {
  LimitChecker checker(limits);
  HETRUN_RETURN_IF_ERROR(checker.CheckGraph(model.graph(), 0));
  // Model-local functions are refused later, but their bodies are in memory already: count them.
  for (const onnx::FunctionProto& f : model.functions()) {
    HETRUN_RETURN_IF_ERROR(
        checker.CheckNodes(f.node(), 0).WithContext("function '" + f.name() + "'"));
  }
  return Status::Ok();
}

}  // namespace hetrun::core::detail
