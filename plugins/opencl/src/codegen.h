// The code generator: one OpenCL C kernel per node, every shape baked in as a constant (the plugin
// declines shapes unknown before run time). A kernel runs one work item per output element; its
// arguments are one buffer per tensor (inputs first, then outputs) followed by each tensor's
// element offset in its buffer, so tensors may sit anywhere in a buffer without sub-buffer
// alignment rules.
//
// float16 tensors are stored as `half` and read/written with vload_half/vstore_half_rte, computing
// in float: that needs no cl_khr_fp16, which many devices (PoCL's CPU device included) lack.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph_info.h"

namespace hetrun::opencl {

struct Kernel {
  std::string what;           // "node 'x' (Conv)", several joined by " + " when fused
  std::string source;         // OpenCL C with entry point `run`; empty for a copy
  std::vector<int32_t> args;  // value index per buffer argument, inputs first
  uint32_t num_inputs = 0;
  uint64_t work_items = 0;  // global size (1-D)
  bool copy = false;        // a view op: copy args[0]'s bytes to args[1], no kernel
};

// Every op family has a Check (the reason it cannot run a node exactly as ONNX specifies, "" if it
// can; dtypes and static shapes are checked before) and a Generate for nodes that passed Check.

// Unary, binary (multidirectional broadcasting) and Clip. A chain of them is fused into one kernel
// that keeps the values between its nodes in registers: fewer launches, less memory traffic.
bool IsElementwiseOp(const std::string& op);
std::string CheckElementwise(const GraphInfo& graph, uint32_t k);
// One kernel for `nodes` (in order; each but the last read only by the next, see CanFuse).
Kernel GenerateElementwise(const GraphInfo& graph, const std::vector<uint32_t>& nodes);
// Whether elementwise `consumer` may take `producer`'s output from a register: that output has
// the consumer's shape, is not a part output, and nothing else reads it.
bool CanFuse(const GraphInfo& graph, uint32_t producer, uint32_t consumer);

// Conv and ConvTranspose over N x C x 1-3 spatial dims.
std::string CheckConv(const GraphInfo& graph, uint32_t k);
Kernel GenerateConv(const GraphInfo& graph, uint32_t k);
// Multiply-adds of a supported Conv/ConvTranspose, for the cost estimate.
uint64_t ConvMacs(const GraphInfo& graph, uint32_t k);

// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
bool IsPoolOp(const std::string& op);
std::string CheckPool(const GraphInfo& graph, uint32_t k);
Kernel GeneratePool(const GraphInfo& graph, uint32_t k);

// Gemm and MatMul (batched, broadcasting).
std::string CheckMatMul(const GraphInfo& graph, uint32_t k);
Kernel GenerateMatMul(const GraphInfo& graph, uint32_t k);
// Length of the reduced dimension, for the cost estimate.
int64_t MatMulDepth(const GraphInfo& graph, uint32_t k);

// Concat, Softmax, and the view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity): a copy.
std::string CheckConcat(const GraphInfo& graph, uint32_t k);
Kernel GenerateConcat(const GraphInfo& graph, uint32_t k);
std::string CheckSoftmax(const GraphInfo& graph, uint32_t k);
Kernel GenerateSoftmax(const GraphInfo& graph, uint32_t k);
bool IsViewOp(const std::string& op);
std::string CheckView(const GraphInfo& graph, uint32_t k);
Kernel GenerateView(const GraphInfo& graph, uint32_t k);

// Input slots that are shapes/axes/bounds read on the host, never bound to the kernel.
bool IsHostSlot(const GraphInfo& graph, uint32_t k, uint32_t slot);

// Shared pieces of generated code (codegen_common.cpp).
namespace cl {
// The full kernel: accessors IN<j>(index) for input j and OUT<j>(index, value) for output j, then
// `long i` (the work item, < work_items) and `body`.
std::string Source(const GraphInfo& graph, const std::vector<int32_t>& args, uint32_t num_inputs,
                   uint64_t work_items, const std::string& body);
// An exact float literal ("0x1.99999ap-3f", "INFINITY").
std::string Float(float value);
// Declares `long <prefix>0 .. <prefix>{rank-1}`, the coordinates of flat index `index` in `dims`.
std::string Unravel(const std::vector<int64_t>& dims, const std::string& index,
                    const std::string& prefix);
// The flat index into a tensor of `dims` broadcast to `out` (numpy rules) at coordinates
// <prefix>0.. of `out`.
std::string BroadcastIndex(const std::vector<int64_t>& dims, const std::vector<int64_t>& out,
                           const std::string& prefix);
}  // namespace cl

}  // namespace hetrun::opencl
