#include "graph_info.h"

#include <algorithm>
#include <cstring>

#include "codegen.h"
#include "constant_folding.h"
#include "gen_errors.h"

namespace hetrun::vulkan {

bool ValueInfo::static_shape() const {
  if (rank < 0) return false;
  for (int64_t d : dims)
    if (d < 0) return false;
  return true;
}

uint64_t ValueInfo::elements() const {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

GraphInfo::GraphInfo(const hetrun_graph_view& view) : view_(view) {
  if (view.struct_size < sizeof(hetrun_graph_view)) {
    ThrowInvalid("graph view struct_size " + std::to_string(view.struct_size) + " is too small");
  }
  if ((view.num_values && !view.values) || (view.num_nodes && !view.nodes) ||
      (view.num_inputs && !view.inputs) || (view.num_outputs && !view.outputs)) {
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  }
  values_.resize(view.num_values);
  for (uint32_t i = 0; i < view.num_values; ++i) {
    const hetrun_value& in = view.values[i];
    ValueInfo& v = values_[i];
    v.name = in.name ? std::string(in.name) : std::string("#").append(std::to_string(i));
    v.dtype = in.dtype;
    v.rank = in.rank < 0 ? -1 : in.rank;
    if (v.rank > 0) {
      if (!in.dims) ThrowInvalid("value '" + v.name + "' has a rank but no dims");
      v.dims.assign(in.dims, in.dims + v.rank);
    }
    v.constant = (in.flags & HETRUN_VALUE_CONSTANT) && in.data;
    v.data = in.data;
    v.data_bytes = in.data_bytes;
  }
  auto check = [&](int32_t v, const char* role) {
    if (v >= 0 && static_cast<uint32_t>(v) >= view.num_values) {
      ThrowInvalid(std::string(role) + " value index " + std::to_string(v) + " is out of range");
    }
  };
  for (uint32_t i = 0; i < view.num_inputs; ++i) {
    check(view.inputs[i], "part input");
    if (view.inputs[i] >= 0) values_[view.inputs[i]].constant = false;  // the argument wins
  }
  for (uint32_t i = 0; i < view.num_outputs; ++i) {
    check(view.outputs[i], "part output");
    if (view.outputs[i] >= 0) values_[view.outputs[i]].part_output = true;
  }
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    const hetrun_node& node = view.nodes[k];
    if (!node.op_type || (node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
        (node.num_attributes && !node.attributes)) {
      ThrowInvalid(Describe(k) + ": NULL op_type, or a NULL array with a non-zero count");
    }
    for (uint32_t i = 0; i < node.num_inputs; ++i) {
      check(node.inputs[i], "input");
      if (node.inputs[i] >= 0) values_[node.inputs[i]].readers.push_back(k);
    }
    for (uint32_t o = 0; o < node.num_outputs; ++o) check(node.outputs[o], "output");
  }
  FoldConstants();
}

void GraphInfo::FoldConstants() {
  folded_nodes_.assign(view_.num_nodes, false);
  for (uint32_t k = 0; k < view_.num_nodes; ++k) {
    InferDims(k);
    FoldedValue result;
    if (!FoldNode(*this, k, &result)) continue;
    ValueInfo& out = values_[static_cast<size_t>(view_.nodes[k].outputs[0])];
    auto bytes =
        std::make_shared<std::vector<uint8_t>>(result.values.size() * plugin::DTypeSize(out.dtype));
    for (size_t i = 0; i < result.values.size(); ++i) {
      if (out.dtype == HETRUN_DTYPE_INT64) {
        std::memcpy(bytes->data() + i * 8, &result.values[i], 8);
      } else {  // int32: wraps, as Cast does
        const auto x = static_cast<int32_t>(result.values[i]);
        std::memcpy(bytes->data() + i * 4, &x, 4);
      }
    }
    out.rank = static_cast<int32_t>(result.dims.size());
    out.dims = result.dims;
    out.constant = true;
    out.data = bytes->data();
    out.data_bytes = bytes->size();
    out.folded = std::move(bytes);
    folded_nodes_[k] = true;
  }
}

void GraphInfo::InferDims(uint32_t k) {
  const hetrun_node& node = view_.nodes[k];
  if (node.num_outputs < 1 || node.outputs[0] < 0 || node.num_inputs < 1 || node.inputs[0] < 0) {
    return;
  }
  ValueInfo& out = values_[static_cast<size_t>(node.outputs[0])];
  const ValueInfo& in = values_[static_cast<size_t>(node.inputs[0])];
  if (out.static_shape() || !in.static_shape()) return;
  const std::string op = node.op_type;
  std::vector<int64_t> dims;
  if (op == "Reshape" && node.num_inputs == 2 && node.inputs[1] >= 0) {
    const ValueInfo& shape = values_[static_cast<size_t>(node.inputs[1])];
    if (!shape.constant || shape.dtype != HETRUN_DTYPE_INT64 || !shape.static_shape() ||
        shape.data_bytes < shape.elements() * 8) {
      return;
    }
    const auto* p = static_cast<const int64_t*>(shape.data);
    dims.assign(p, p + shape.elements());
    const bool allow_zero = plugin::AttrInt(node, "allowzero", 0) != 0;
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == 0 && !allow_zero) {
        if (d >= in.dims.size()) return;
        dims[d] = in.dims[d];
      }
      if (dims[d] == -1) {
        if (infer >= 0) return;
        infer = static_cast<int64_t>(d);
      } else if (dims[d] < 0) {
        return;
      } else {
        known *= dims[d];
      }
    }
    const auto total = static_cast<int64_t>(in.elements());
    if (infer >= 0) {
      if (known == 0 || total % known != 0) return;
      dims[static_cast<size_t>(infer)] = total / known;
    }
  } else if (op == "Identity" || op == "Softmax" || op == "LogSoftmax" || op == "Cast" ||
             op == "Dropout") {
    dims = in.dims;
  } else if (IsElementwiseOp(op)) {  // the inputs' broadcast
    dims = in.dims;
    for (uint32_t i = 1; i < node.num_inputs; ++i) {
      if (node.inputs[i] < 0) continue;
      const ValueInfo& other = values_[static_cast<size_t>(node.inputs[i])];
      if (!other.static_shape() || !BroadcastShapes(dims, other.dims, &dims)) return;
    }
  } else if ((op == "MatMul" || op == "Gemm") && node.num_inputs >= 2 && node.inputs[1] >= 0) {
    std::vector<int64_t> a = in.dims, b = values_[static_cast<size_t>(node.inputs[1])].dims;
    if (!values_[static_cast<size_t>(node.inputs[1])].static_shape() || a.empty() || b.empty()) {
      return;
    }
    if (op == "Gemm") {
      if (a.size() != 2 || b.size() != 2) return;
      const int64_t m = plugin::AttrInt(node, "transA", 0) ? a[1] : a[0];
      const int64_t n = plugin::AttrInt(node, "transB", 0) ? b[0] : b[1];
      dims = {m, n};
    } else {
      const bool a1 = a.size() == 1, b1 = b.size() == 1;
      if (a1) a.insert(a.begin(), 1);
      if (b1) b.push_back(1);
      const std::vector<int64_t> batch_a(a.begin(), a.end() - 2), batch_b(b.begin(), b.end() - 2);
      if (!BroadcastShapes(batch_a, batch_b, &dims)) return;
      if (!a1) dims.push_back(a[a.size() - 2]);
      if (!b1) dims.push_back(b.back());
    }
  } else {
    return;
  }
  if (out.rank >= 0) {  // the dims the graph knows must agree
    if (out.rank != static_cast<int32_t>(dims.size())) return;
    for (size_t d = 0; d < dims.size(); ++d)
      if (out.dims[d] >= 0 && out.dims[d] != dims[d]) return;
  }
  out.rank = static_cast<int32_t>(dims.size());
  out.dims = std::move(dims);
}

std::string GraphInfo::Describe(uint32_t k) const {
  return DescribeNode(view_.nodes[k].name, view_.nodes[k].op_type, k);
}

const float* GraphInfo::ScalarConstant(int32_t v) const {
  if (v < 0) return nullptr;
  const ValueInfo& info = value(v);
  if (!info.constant || info.dtype != HETRUN_DTYPE_FLOAT32 || !info.static_shape() ||
      info.elements() != 1 || info.data_bytes < sizeof(float)) {
    return nullptr;
  }
  return static_cast<const float*>(info.data);
}

bool BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                     std::vector<int64_t>* out) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    result[i] = da == 1 ? db : da;
  }
  *out = std::move(result);
  return true;
}

namespace {

bool IsViewOp(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Identity" || op == "Dropout";
}

// Input slot `slot` of `op` may be an int64 constant the plugin never reads (shapes, axes), or
// reads on the host (a reduction's axes).
bool IsShapeSlot(const std::string& op, uint32_t slot) {
  return slot == 1 && (op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" ||
                       (op.rfind("Reduce", 0) == 0 && IsReduceOp(op)));
}

std::string CheckView(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs < 1 || node.inputs[0] < 0 || node.num_outputs != 1) {
    return "expects one data input and one output";
  }
  const ValueInfo& in = graph.value(node.inputs[0]);
  const ValueInfo& out = graph.value(node.outputs[0]);
  if (in.elements() != out.elements()) {
    return "input has " + std::to_string(in.elements()) + " elements, output " +
           std::to_string(out.elements());
  }
  if (std::string(node.op_type) == "Dropout") {
    // Inference only: the ratio is ignored; a training_mode input (bool) is declined earlier.
    if (node.opset < 7) return "opset < 7 (is_test) is not supported";
    return node.num_inputs > 2 && node.inputs[2] >= 0 ? "training_mode is not supported" : "";
  }
  // A shape/axes input fed at run time is never read: the static output dims are the view's.
  return "";
}

}  // namespace

std::string CheckNodeSupported(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (graph.folded(k)) return "";
  if (node.domain && *node.domain && std::strcmp(node.domain, "ai.onnx") != 0) {
    return "op " + op + " of domain '" + node.domain + "' is not supported";
  }
  const bool known = IsElementwiseOp(op) || IsViewOp(op) || op == "MatMul" || op == "Gemm" ||
                     op == "Softmax" || op == "LogSoftmax" || op == "Hardmax" ||
                     IsTransposeOp(op) || IsWindowOp(op) || IsReduceOp(op) || IsMovementOp(op) ||
                     IsArgOp(op) || IsLossOp(op) || IsFillOp(op) || op == "Resize" ||
                     op == "ConvTranspose";
  if (!known) return "op " + op + " is not supported yet";
  // LayerNormalization may also write its Mean and InvStdDev; Split has one output per piece.
  const uint32_t max_outputs = op == "LayerNormalization"        ? 3
                               : op == "Split"                   ? 64
                               : op == "SoftmaxCrossEntropyLoss" ? 2
                                                                 : 1;
  if (node.num_outputs < 1 || node.num_outputs > max_outputs || node.outputs[0] < 0) {
    return op + " with " + std::to_string(node.num_outputs) + " outputs is not supported";
  }
  auto check_value = [&](int32_t v, bool shape_slot, bool index_slot) -> std::string {
    const ValueInfo& value = graph.value(v);
    if (index_slot) {
      if (value.dtype != HETRUN_DTYPE_INT64 && value.dtype != HETRUN_DTYPE_INT32) {
        return "index input '" + value.name + "' must be int32 or int64";
      }
      if (!value.static_shape()) return "dims of '" + value.name + "' unknown before run time";
      if (value.elements() == 0) return "empty tensor '" + value.name + "' not supported yet";
      return "";
    }
    if (shape_slot) {
      // A reduction's axes may be fed: the static dims tell them (codegen_reduce.cpp); so may a
      // view's shape or axes (the output dims are static, and the data does not move).
      const bool fed_axes = (IsReduceOp(op) || IsViewOp(op)) && value.static_shape();
      if (value.dtype != HETRUN_DTYPE_INT64 || (!value.constant && !fed_axes)) {
        return "shape input '" + value.name + "' must be an int64 constant";
      }
      return "";
    }
    if (value.dtype != HETRUN_DTYPE_FLOAT32) {
      // Elementwise ops, views, ArgMax/ArgMin and data movement also take int32/int64/bool.
      const bool typed = IsElementwiseOp(op) || IsViewOp(op) || IsArgOp(op) || IsLossOp(op) ||
                         IsFillOp(op) || op == "Resize" ||
                         (IsTypedMovement(op) && value.dtype != HETRUN_DTYPE_BOOL);
      if (!typed || !IsDeviceDType(value.dtype)) {
        return std::string(plugin::DTypeName(value.dtype)) + " is not supported ('" + value.name +
               "'; " + (typed ? "float32, int32, int64 and bool" : "only float32") + " here)";
      }
      if (value.dtype == HETRUN_DTYPE_INT64 && !limits.int64 && !IsViewOp(op)) {
        return "int64 tensor '" + value.name + "' needs the device's shaderInt64 feature";
      }
    }
    if (!value.static_shape()) return "dims of '" + value.name + "' unknown before run time";
    if (value.elements() == 0) return "empty tensor '" + value.name + "' not supported yet";
    const uint64_t bytes = value.elements() * plugin::DTypeSize(value.dtype);
    if (bytes > limits.max_buffer_bytes) {
      return "tensor '" + value.name + "' (" + std::to_string(bytes) +
             " bytes) exceeds the device's storage buffer limit of " +
             std::to_string(limits.max_buffer_bytes) + " bytes";
    }
    return "";
  };
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] < 0) continue;
    std::string reason = check_value(node.inputs[i], IsShapeSlot(op, i), IsIndexSlot(op, i));
    if (!reason.empty()) return reason;
  }
  for (uint32_t o = 0; o < node.num_outputs; ++o) {
    if (node.outputs[o] < 0) continue;
    std::string reason = check_value(node.outputs[o], false, false);
    if (!reason.empty()) return reason;
  }
  std::string reason;
  if (IsElementwiseOp(op)) {
    reason = CheckElementwise(graph, node);
  } else if (IsViewOp(op)) {
    reason = CheckView(graph, node);
  } else if (op == "MatMul" || op == "Gemm") {
    reason = CheckMatMul(graph, node, limits);
  } else if (IsTransposeOp(op)) {
    reason = CheckTranspose(graph, node);
  } else if (IsWindowOp(op)) {
    reason = CheckWindow(graph, node);
  } else if (IsReduceOp(op)) {
    reason = CheckReduceOrNorm(graph, node);
  } else if (IsMovementOp(op)) {
    reason = CheckMovement(graph, node);
  } else if (IsArgOp(op)) {
    reason = CheckArg(graph, node);
  } else if (IsLossOp(op)) {
    reason = CheckLoss(graph, node);
  } else if (IsFillOp(op)) {
    // Trilu and OneHot compute with int64 registers.
    reason = !limits.int64 && (op == "Trilu" || op == "OneHot")
                 ? "needs the device's shaderInt64 feature"
                 : CheckFill(graph, node);
  } else if (op == "Resize") {
    reason = CheckResize(graph, node);
  } else if (op == "ConvTranspose") {
    reason = CheckConvTranspose(graph, node);
  } else {
    reason = CheckSoftmax(graph, node);
  }
  return reason.empty() ? "" : op + ": " + reason;
}

}  // namespace hetrun::vulkan
