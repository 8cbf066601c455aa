// Elementwise chains that exporters write out node by node for one activation, recognised so the
// producer before them can apply the activation as its epilogue (fusion_plan.cpp). Today: the
// hardswish of PaddlePaddle / PyTorch exports, x * Clip(x + 3, 0, 6) / 6 as Add, Clip, Mul (x read
// a second time), Div; unfused it makes four passes over the tensor where one suffices.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace chain_detail {

inline bool IsPlainOp(const hetrun_node& node, std::string_view op, uint32_t inputs) {
  const bool default_domain =
      !node.domain || !*node.domain || std::string_view(node.domain) == "ai.onnx";
  return default_domain && std::string_view(node.op_type) == op && node.num_inputs == inputs &&
         node.num_outputs == 1 && node.outputs[0] >= 0;
}

inline bool Near(std::optional<float> got, float want) {
  return got && std::abs(*got - want) <= 1e-6f * std::max(1.0f, std::abs(want));
}

// The operand of binary node `node` other than `x` (either order unless `x_first`), or -1.
inline int32_t OtherOperand(const hetrun_node& node, int32_t x, bool x_first) {
  if (node.inputs[0] == x && node.inputs[1] != x) return node.inputs[1];
  if (!x_first && node.inputs[1] == x && node.inputs[0] != x) return node.inputs[0];
  return -1;
}

// Clip's bounds: attributes before opset 11, optional constant inputs from 11.
template <typename Facts>
bool ClipBoundsAre(const Facts& facts, const hetrun_node& clip, float lo, float hi) {
  if (clip.opset < 11)
    return clip.num_inputs == 1 && Near(plugin::AttrFloat(clip, "min", -1e30f), lo) &&
           Near(plugin::AttrFloat(clip, "max", 1e30f), hi);
  return clip.num_inputs == 3 && clip.inputs[1] >= 0 && clip.inputs[2] >= 0 &&
         Near(facts.ConstantScalar(clip.inputs[1]), lo) &&
         Near(facts.ConstantScalar(clip.inputs[2]), hi);
}

}  // namespace chain_detail

// Exported hardswish on float32 `x`: a = Add(x, 3), c = Clip(a, 0, 6), m = Mul(x, c), y = Div(m, 6)
// (Add and Mul in either operand order). `x` must be read by exactly the Add and the Mul, and a,
// c, m only by the next node of the pattern (Facts: fusion_plan.cpp's PartFacts). Records the
// four node indices, in order, in `nodes`; returns y's value index, or -1 (nodes untouched).
template <typename Facts>
int32_t MatchExportedHardSwish(const hetrun_graph_view& part, const Facts& facts, int32_t x,
                               std::vector<uint32_t>& nodes) {
  using namespace chain_detail;
  const std::vector<int32_t> readers = facts.InternalReaders(x);
  if (readers.size() != 2 || readers[0] == readers[1]) return -1;
  auto float_out = [&](const hetrun_node& node) {
    return facts.value(node.outputs[0]).dtype == HETRUN_DTYPE_FLOAT32;
  };
  for (int side = 0; side < 2; ++side) {
    const hetrun_node& add = part.nodes[readers[side]];
    const hetrun_node& mul = part.nodes[readers[1 - side]];
    if (!IsPlainOp(add, "Add", 2) || !float_out(add) ||
        !Near(facts.ConstantScalar(OtherOperand(add, x, false)), 3.0f))
      continue;
    const int32_t clip_k = facts.SoleReader(add.outputs[0]);
    if (clip_k < 0) return -1;
    const hetrun_node& clip = part.nodes[clip_k];
    if (!IsPlainOp(clip, "Clip", clip.num_inputs) || clip.num_inputs < 1 ||
        clip.inputs[0] != add.outputs[0] || !float_out(clip) ||
        !ClipBoundsAre(facts, clip, 0.0f, 6.0f))
      return -1;
    if (!IsPlainOp(mul, "Mul", 2) || !float_out(mul) ||
        OtherOperand(mul, x, false) != clip.outputs[0] ||
        facts.SoleReader(clip.outputs[0]) != readers[1 - side])
      return -1;
    const int32_t div_k = facts.SoleReader(mul.outputs[0]);
    if (div_k < 0) return -1;
    const hetrun_node& div = part.nodes[div_k];
    if (!IsPlainOp(div, "Div", 2) || !float_out(div) ||
        !Near(facts.ConstantScalar(OtherOperand(div, mul.outputs[0], true)), 6.0f))
      return -1;
    nodes = {static_cast<uint32_t>(readers[side]), static_cast<uint32_t>(clip_k),
             static_cast<uint32_t>(readers[1 - side]), static_cast<uint32_t>(div_k)};
    std::sort(nodes.begin(), nodes.end());
    return div.outputs[0];
  }
  return -1;
}

}  // namespace hetrun::cpu
