#include "support.h"

#include <algorithm>
#include <cstring>

#include "errors.h"

namespace hetrun::opencl {
namespace {

bool IsKnown(const std::string& op) {
  return IsElementwiseOp(op) || IsViewOp(op) || IsPoolOp(op) || op == "Conv" ||
         op == "ConvTranspose" || op == "Gemm" || op == "MatMul" || op == "Concat" ||
         op == "Softmax";
}

std::string CheckOp(const GraphInfo& graph, uint32_t k) {
  const std::string op = graph.node(k).op_type;
  if (IsElementwiseOp(op)) return CheckElementwise(graph, k);
  if (IsViewOp(op)) return CheckView(graph, k);
  if (IsPoolOp(op)) return CheckPool(graph, k);
  if (op == "Conv" || op == "ConvTranspose") return CheckConv(graph, k);
  if (op == "Gemm" || op == "MatMul") return CheckMatMul(graph, k);
  if (op == "Concat") return CheckConcat(graph, k);
  return CheckSoftmax(graph, k);
}

}  // namespace

std::string CheckNode(const GraphInfo& graph, uint32_t k, const Profile* profile,
                      uint64_t max_alloc) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (node.domain && *node.domain && std::strcmp(node.domain, "ai.onnx") != 0) {
    return "op " + op + " of domain '" + node.domain + "' is not supported";
  }
  if (profile) {
    if (std::string reason = ProfileAllows(*profile, op); !reason.empty()) return reason;
  }
  if (!IsKnown(op)) return "op " + op + " is not supported by the OpenCL code generator";
  if (node.num_outputs < 1 || node.outputs[0] < 0) return op + ": needs an output";
  for (uint32_t o = 1; o < node.num_outputs; ++o) {
    if (node.outputs[o] >= 0 && !IsPoolOp(op)) return op + ": extra outputs are not supported";
  }
  // The node's element type: its first data input's (all of them share one type parameter T).
  hetrun_dtype_t dtype = graph.value(node.outputs[0]).dtype;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] >= 0 && !IsHostSlot(graph, k, i)) {
      dtype = graph.value(node.inputs[i]).dtype;
      break;
    }
  }
  auto check_value = [&](int32_t v, bool host_slot) -> std::string {
    const ValueInfo& value = graph.value(v);
    if (!value.static_shape()) {
      return "dims of '" + value.name + "' are unknown before run time (static shapes only)";
    }
    if (host_slot) return "";  // shapes and axes: the static output shape already says it all
    if (value.dtype != HETRUN_DTYPE_FLOAT32 && value.dtype != HETRUN_DTYPE_FLOAT16) {
      return std::string(plugin::DTypeName(value.dtype)) + " tensor '" + value.name +
             "' is not supported (float32 and float16 only)";
    }
    if (profile && !profile->dtypes.count(value.dtype)) {
      return std::string(plugin::DTypeName(value.dtype)) + " is not in the NPU profile";
    }
    if (value.dtype != dtype) return "mixed dtypes ('" + value.name + "')";
    if (value.elements() == 0) return "empty tensor '" + value.name + "' is not supported";
    if (value.bytes() > max_alloc) {
      return "tensor '" + value.name + "' is larger than the device's largest buffer";
    }
    return "";
  };
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] < 0) continue;
    if (std::string reason = check_value(node.inputs[i], IsHostSlot(graph, k, i));
        !reason.empty()) {
      return op + ": " + reason;
    }
  }
  if (std::string reason = check_value(node.outputs[0], false); !reason.empty()) {
    return op + ": " + reason;
  }
  std::string reason = CheckOp(graph, k);
  return reason.empty() ? "" : op + ": " + reason;
}

Kernel GenerateNode(const GraphInfo& graph, uint32_t k) {
  const std::string op = graph.node(k).op_type;
  if (IsElementwiseOp(op)) return GenerateElementwise(graph, std::vector<uint32_t>{k});
  if (IsViewOp(op)) return GenerateView(graph, k);
  if (IsPoolOp(op)) return GeneratePool(graph, k);
  if (op == "Conv" || op == "ConvTranspose") return GenerateConv(graph, k);
  if (op == "Gemm" || op == "MatMul") return GenerateMatMul(graph, k);
  if (op == "Concat") return GenerateConcat(graph, k);
  return GenerateSoftmax(graph, k);
}

double EstimateCostUs(const GraphInfo& graph, uint32_t k, const hetrun_device_info& info,
                      double launch_us) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  double bytes = 0;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] >= 0 && !IsHostSlot(graph, k, i)) {
      bytes += static_cast<double>(graph.value(node.inputs[i]).bytes());
    }
  }
  const ValueInfo& out = graph.value(node.outputs[0]);
  bytes += static_cast<double>(out.bytes());
  double flops = static_cast<double>(out.elements());
  if (op == "Conv" || op == "ConvTranspose") flops = 2.0 * static_cast<double>(ConvMacs(graph, k));
  if (op == "Gemm" || op == "MatMul") flops *= 2.0 * static_cast<double>(MatMulDepth(graph, k));
  if (op == "Softmax" || op == "Sigmoid" || op == "Exp" || op == "Tanh") flops *= 20.0;
  if (IsViewOp(op)) return launch_us / 2;  // a buffer copy, no arithmetic
  return launch_us + std::max(flops / (info.peak_gflops * 1e3), bytes / (info.memory_gbps * 1e3));
}

}  // namespace hetrun::opencl
