// The code generator: GLSL compute shaders for one node or one fused elementwise chain, with every
// shape baked in as a constant (the plugin declines dynamic shapes for now). Each kernel binds one
// storage buffer per tensor (inputs first, then outputs) and takes each tensor's element offset in
// its buffer as a push constant `o<binding>`, so tensors may sit anywhere in a buffer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph_info.h"
#include "tuning.h"

namespace hetrun::vulkan {

struct Kernel {
  std::string what;           // "node 'x' (Add)" or "fused chain: ..."; for errors
  uint32_t first_node = 0;    // the part's node it computes (a fused chain's first), for profiles
  std::string profile_label;  // "" for one node; "a+b (Add+Relu)" for a fused chain
  std::string glsl;
  std::vector<int32_t> bindings;  // value index per binding
  uint32_t num_inputs = 0;        // the first bindings are read, the rest written
  uint32_t groups[3] = {1, 1, 1};
  // Bytes per unit of each binding's offset push constant; empty: 4 for every binding (int64
  // index inputs are read as int pairs). Typed kernels use their element size.
  std::vector<uint32_t> offset_units;
};

// The dtypes kernels read and write: float32, int32, int64 (with the device's shaderInt64) and bool
// (one byte each, read and written through the 32-bit words that hold them).
bool IsDeviceDType(hetrun_dtype_t t);

// Elementwise ops (unary, binary with multidirectional broadcasting, variadic, Clip, ...).
bool IsElementwiseOp(const std::string& op);
// "" when the elementwise node is supported, else the reason (the host prefixes the device name).
std::string CheckElementwise(const GraphInfo& graph, const hetrun_node& node);
// One kernel computing `nodes` (elementwise, all with the output shape of the last) in registers;
// values produced inside are written out only where `stored[value]` is true.
Kernel GenerateElementwise(const GraphInfo& graph, const std::vector<uint32_t>& nodes,
                           const std::vector<bool>& stored, const Limits& limits);

// Elementwise ops over int32/int64/bool tensors, and the ones that only exist for them or between
// dtypes: comparisons, And/Or/Xor/Not, Where, Cast, integer Mod (codegen_typed.cpp).
bool IsTypedOnlyOp(const std::string& op);
// Data movement kernels that also move int32/int64 data (Concat, Slice, Gather, Transpose, ...).
bool IsTypedMovement(const std::string& op);
// Retypes a generated float32 movement kernel to move `dtype` elements instead (bit copies).
void RetypeMovement(hetrun_dtype_t dtype, Kernel* kernel);
// True when the node is handled by the typed generator (a typed-only op, or non-float tensors).
bool IsTypedNode(const GraphInfo& graph, const hetrun_node& node);
std::string CheckTypedElementwise(const GraphInfo& graph, const hetrun_node& node);
// Pow of a float32 base with an int32/int64 exponent: the float generator's expression.
bool IsFloatPow(const GraphInfo& graph, const hetrun_node& node);
// The GLSL expression of a typed node over its input registers v<value>.
std::string TypedExpression(const GraphInfo& graph, const hetrun_node& node);

// ArgMax / ArgMin: int64 indices of the first (or last) extreme along one axis.
bool IsArgOp(const std::string& op);
std::string CheckArg(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateArg(const GraphInfo& graph, uint32_t k, const Limits& limits);

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (reductions none, sum, mean; weights,
// ignore_index; SoftmaxCrossEntropyLoss's log_prob output).
bool IsLossOp(const std::string& op);
std::string CheckLoss(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateLoss(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Trilu over any device dtype (k constant or fed), EyeLike and ConstantOfShape whose shape is fed
// (the static output dims decide) (codegen_fill.cpp).
bool IsFillOp(const std::string& op);
// ConvTranspose, direct (codegen_conv_transpose.cpp).
std::string CheckConvTranspose(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateConvTranspose(const GraphInfo& graph, uint32_t k, const Limits& limits);
// Resize, nearest and linear (codegen_resize.cpp).
std::string CheckResize(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateResize(const GraphInfo& graph, uint32_t k, const Limits& limits);
std::string CheckFill(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateFill(const GraphInfo& graph, uint32_t k, const Limits& limits);
std::string CheckTrilu(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateTrilu(const GraphInfo& graph, uint32_t k, const Limits& limits);

// MatMul (batched, broadcasting) and Gemm: 16x16 tiles through shared memory, or (tuned) register
// blocks without shared memory.
std::string CheckMatMul(const GraphInfo& graph, const hetrun_node& node, const Limits& limits);
Kernel GenerateMatMul(const GraphInfo& graph, uint32_t k, const Limits& limits,
                      const NodeTuning& tuning = {});

// Softmax / LogSoftmax / Hardmax (opset 13 single-axis semantics; opset < 13 coerces to 2-D at
// `axis`).
std::string CheckSoftmax(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateSoftmax(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Transpose (default perm: the axes reversed), DepthToSpace and SpaceToDepth.
bool IsTransposeOp(const std::string& op);
std::string CheckTranspose(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateTranspose(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool over N x C x 1-3 spatial dims; LRN.
bool IsWindowOp(const std::string& op);
std::string CheckWindow(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateWindow(const GraphInfo& graph, uint32_t k, const Limits& limits,
                      const NodeTuning& tuning = {});
// Multiply-adds of a (supported) Conv, for the cost estimate.
uint64_t ConvMacs(const GraphInfo& graph, const hetrun_node& node);

// Reduce* ops, BatchNormalization (inference), LayerNormalization and InstanceNormalization.
bool IsReduceOp(const std::string& op);
std::string CheckReduceOrNorm(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateReduceOrNorm(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Concat, Slice, Gather, GatherElements, Split, Expand, Tile and Pad.
bool IsMovementOp(const std::string& op);
// Input slots holding int32/int64 indices (Slice's starts..steps, Pad's pads, Gather's indices), or
// shapes never read (Expand's shape, Tile's repeats: the output dims decide).
bool IsIndexSlot(const std::string& op, uint32_t slot);
std::string CheckMovement(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateMovement(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Slice with starts/axes/steps fed at run time, and Pad (codegen_indexed.cpp).
bool RuntimeSlice(const GraphInfo& graph, const hetrun_node& node);
std::string CheckRuntimeSlice(const GraphInfo& graph, const hetrun_node& node);
Kernel GenerateRuntimeSlice(const GraphInfo& graph, uint32_t k, const Limits& limits);
std::string CheckPad(const GraphInfo& graph, const hetrun_node& node);
Kernel GeneratePad(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Shared pieces of the generated GLSL.
namespace glsl {
// "#version 450", the local size, buffers b0..bN-1 and the push constants o0..oN-1.
std::string Header(uint32_t local_x, uint32_t local_y, uint32_t num_inputs, uint32_t num_outputs);
// Header with the element type of each binding from its tensor's dtype (see IsDeviceDType).
std::string TypedHeader(uint32_t local_x, uint32_t local_y,
                        const std::vector<hetrun_dtype_t>& dtypes, uint32_t num_inputs);
// The register type of a dtype: float, int, int64_t or bool.
std::string RegisterType(hetrun_dtype_t t);
// The expression loading element `index` (a uint expression, offset included) of binding `b`.
std::string Load(hetrun_dtype_t t, uint32_t b, const std::string& index);
// The statement storing `value` at element `index` (offset included) of binding `b`.
std::string Store(hetrun_dtype_t t, uint32_t b, const std::string& index, const std::string& value);
// A float literal exact to the bit: uintBitsToFloat(0x3f800000u).
std::string Float(float value);
// Groups for `threads` invocations of local size `local`: x capped at the device limit, the rest
// in y. Returns the invocation stride of one y step.
uint32_t SpreadGroups(uint64_t threads, uint32_t local, const Limits& limits, uint32_t groups[3]);
// `float hr_log(float)`: log with relative accuracy near 1 (the built-in's is absolute there).
const char* LogHelper();
}  // namespace glsl

}  // namespace hetrun::vulkan
