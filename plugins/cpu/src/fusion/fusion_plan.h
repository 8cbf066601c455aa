// Compile-time fusion planning for the CPU plugin: which nodes of a part run as one executable
// node. A group has a leader (the node whose kernel runs) and absorbed nodes whose work the leader
// does as it stores its output, so the values between them are never allocated. Support answers
// (query_support) stay per ONNX node: fusion only changes how a compiled part runs, never what
// runs or where.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fusion/epilogue_fusable.h"
#include "hetrun/plugin.h"

namespace hetrun::cpu {

struct NodeGroup {
  uint32_t leader = 0;             // node index in the part
  std::vector<uint32_t> absorbed;  // later nodes, in chain order; empty for a lone node
  Epilogue epilogue;               // what the absorbed nodes compute, for the leader to apply
  int32_t residual = -1;           // epilogue.residual: the addend's value index, else -1

  // The node whose outputs are the group's outputs.
  uint32_t last() const { return absorbed.empty() ? leader : absorbed.back(); }
  std::vector<uint32_t> members() const;
};

// The part's nodes as groups in execution order (each node in exactly one group; a group runs
// where its leader stood, which is safe because absorbed nodes read nothing but values of the
// group and constants). A Conv / Gemm / MatMul (float32) absorbs, when its output has exactly one
// reader and is not a part output: for Gemm / MatMul an Add of a constant vector along the last
// dim, for Conv an Add of a float32 value of exactly its output's static shape (a residual, e.g.
// ResNet's shortcut) that is a part input, a constant or produced before the Conv, then an
// activation (Relu, LeakyRelu, Clip with constant bounds, Sigmoid, HardSigmoid, HardSwish, Tanh)
// under the same condition, or the five nodes of an exported Gelu, or the four of an exported
// hardswish (Add 3, Clip 0..6, Mul by x, Div 6). Parts with subgraphs are not fused (their reads
// are only known once the kernels exist). Malformed nodes are left alone for compilation to report.
std::vector<NodeGroup> PlanFusion(const hetrun_graph_view& part);

// False when HETRUN_CPU_FUSION=0 (for comparing fused and unfused runs).
bool FusionEnabled();

// "conv_3+relu_4" from the members' names ("#k" for an unnamed node) and "Conv+Relu" likewise.
std::string GroupNodeNames(const hetrun_graph_view& part, const NodeGroup& group);
std::string GroupOpTypes(const hetrun_graph_view& part, const NodeGroup& group);

}  // namespace hetrun::cpu
