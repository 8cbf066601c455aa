// Folds inference BatchNormalization into the Conv or Gemm that alone feeds it. BN computes, per
// channel c, y = x * k[c] + (beta[c] - mean[c] * k[c]) with k = scale / sqrt(var + eps); a Conv's
// output channel c is linear in W[c] and b[c] (for any group count, since W's first dim is the
// output channel), and a Gemm's output column c in the c-th column of op(B) and of C.
#include <cmath>

#include "graph_rewrite.h"
#include "hetrun/core/passes.h"

namespace hetrun::core {
namespace {

using detail::ValueOf;

// A float32 constant of shape [channels], or null.
const Tensor* ChannelVector(const Graph& graph, ValueId v, int64_t channels) {
  if (v == kNoValue) return nullptr;
  const Tensor* t = ValueOf(graph, v).constant.get();
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->dims() != std::vector<int64_t>{channels})
    return nullptr;
  return t;
}

// The per-channel affine transform of an inference BatchNormalization.
struct ChannelAffine {
  std::vector<double> multiplier, offset;
};

std::optional<ChannelAffine> InferenceAffine(const Graph& graph, const Node& bn, int64_t channels,
                                             const detail::ValueUses& uses) {
  if (bn.inputs.size() != 5 || detail::IntAttribute(bn, "training_mode", 0) != 0 ||
      detail::IntAttribute(bn, "spatial", 1) != 1 ||
      (graph.OpsetFor("") < 7 && detail::IntAttribute(bn, "is_test", 0) == 0)) {
    return std::nullopt;
  }
  // Outputs past the first exist only in training mode; they must be absent or unread.
  for (size_t k = 1; k < bn.outputs.size(); ++k) {
    const ValueId v = bn.outputs[k];
    if (v != kNoValue && (uses.ConsumerCount(v) > 0 || !uses.Redirectable(v))) return std::nullopt;
  }
  const Tensor* scale = ChannelVector(graph, bn.inputs[1], channels);
  const Tensor* beta = ChannelVector(graph, bn.inputs[2], channels);
  const Tensor* mean = ChannelVector(graph, bn.inputs[3], channels);
  const Tensor* var = ChannelVector(graph, bn.inputs[4], channels);
  if (!scale || !beta || !mean || !var) return std::nullopt;
  const Attribute* eps_attr = bn.FindAttribute("epsilon");
  const double eps = eps_attr ? eps_attr->f : 1e-5;
  ChannelAffine affine;
  for (int64_t c = 0; c < channels; ++c) {
    const double k =
        scale->data_as<float>()[c] / std::sqrt(static_cast<double>(var->data_as<float>()[c]) + eps);
    affine.multiplier.push_back(k);
    affine.offset.push_back(beta->data_as<float>()[c] - mean->data_as<float>()[c] * k);
  }
  return affine;
}

Tensor Float32Tensor(std::vector<int64_t> dims) {
  return std::move(Tensor::Create(DType::kFloat32, std::move(dims))).value();
}

// W'[c] = W[c] * k[c]; b'[c] = b[c] * k[c] + offset[c].
void RewriteConv(Graph& graph, Node& conv, const Tensor& w, const ChannelAffine& affine) {
  const int64_t channels = w.dims()[0];
  const int64_t per_channel = w.element_count() / channels;
  const Tensor* bias =
      conv.inputs.size() > 2 ? ChannelVector(graph, conv.inputs[2], channels) : nullptr;
  Tensor new_w = Float32Tensor(w.dims()), new_b = Float32Tensor({channels});
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t j = 0; j < per_channel; ++j) {
      const int64_t at = c * per_channel + j;
      new_w.mutable_data_as<float>()[at] =
          static_cast<float>(w.data_as<float>()[at] * affine.multiplier[static_cast<size_t>(c)]);
    }
    const double b = bias ? bias->data_as<float>()[c] : 0.0;
    new_b.mutable_data_as<float>()[c] = static_cast<float>(
        b * affine.multiplier[static_cast<size_t>(c)] + affine.offset[static_cast<size_t>(c)]);
  }
  conv.inputs.resize(3);
  conv.inputs[1] = detail::AddConstant(graph, conv.name + "_bn_folded_weight", std::move(new_w));
  conv.inputs[2] = detail::AddConstant(graph, conv.name + "_bn_folded_bias", std::move(new_b));
}

// Gemm: Y = alpha * A op(B) + beta * C. Column c of op(B) is scaled by k[c]; the new C, of shape
// [N] with beta 1, is beta * C[c] * k[c] + offset[c]. C must broadcast along rows (scalar, [N] or
// [1, N]), so that it has one value per column.
bool RewriteGemm(Graph& graph, Node& gemm, const Tensor& b, const ChannelAffine& affine) {
  const bool trans_b = detail::IntAttribute(gemm, "transB", 0) != 0;
  const int64_t columns = static_cast<int64_t>(affine.multiplier.size());
  const Tensor* c_in = nullptr;
  if (gemm.inputs.size() > 2 && gemm.inputs[2] != kNoValue) {
    c_in = ValueOf(graph, gemm.inputs[2]).constant.get();
    if (c_in == nullptr || c_in->dtype() != DType::kFloat32) return false;
    const std::vector<int64_t>& d = c_in->dims();
    const bool per_column =
        d.empty() || d == std::vector<int64_t>{1} || d == std::vector<int64_t>{columns} ||
        d == std::vector<int64_t>{1, columns} || d == std::vector<int64_t>{1, 1};
    if (!per_column) return false;
  }
  const Attribute* beta_attr = gemm.FindAttribute("beta");
  const double beta = beta_attr ? beta_attr->f : 1.0;
  Tensor new_b = Float32Tensor(b.dims()), new_c = Float32Tensor({columns});
  const int64_t rows = b.element_count() / columns;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < columns; ++c) {
      const int64_t at = trans_b ? c * rows + r : r * columns + c;
      new_b.mutable_data_as<float>()[at] =
          static_cast<float>(b.data_as<float>()[at] * affine.multiplier[static_cast<size_t>(c)]);
    }
  }
  for (int64_t c = 0; c < columns; ++c) {
    const double old_c =
        c_in == nullptr ? 0.0 : c_in->data_as<float>()[c_in->element_count() == 1 ? 0 : c];
    new_c.mutable_data_as<float>()[c] =
        static_cast<float>(beta * old_c * affine.multiplier[static_cast<size_t>(c)] +
                           affine.offset[static_cast<size_t>(c)]);
  }
  gemm.inputs.resize(3);
  gemm.inputs[1] = detail::AddConstant(graph, gemm.name + "_bn_folded_b", std::move(new_b));
  gemm.inputs[2] = detail::AddConstant(graph, gemm.name + "_bn_folded_c", std::move(new_c));
  std::erase_if(gemm.attributes, [](const Attribute& a) { return a.name == "beta"; });
  return true;
}

// The constant float32 weight of a Conv or Gemm producer whose channel count BN can use, or null.
const Tensor* FoldableWeight(const Graph& graph, const Node& producer, int64_t& channels) {
  if (!producer.domain.empty() || producer.inputs.size() < 2) return nullptr;
  const Tensor* w = ValueOf(graph, producer.inputs[1]).constant.get();
  if (w == nullptr || w->dtype() != DType::kFloat32 || w->element_count() == 0) return nullptr;
  if (producer.op_type == "Conv" && w->dims().size() >= 3) {
    channels = w->dims()[0];
    return w;
  }
  // Before opset 7 a Gemm's C broadcasts only with `broadcast` set; not worth handling.
  if (producer.op_type == "Gemm" && w->dims().size() == 2 && graph.OpsetFor("") >= 7) {
    channels = w->dims()[detail::IntAttribute(producer, "transB", 0) != 0 ? 0 : 1];
    return w;
  }
  return nullptr;
}

}  // namespace

Result<int> FoldBatchNormalization(Graph& graph) {
  const detail::ValueUses uses = detail::ValueUses::Of(graph);
  std::vector<bool> folded(graph.nodes.size(), false);
  int count = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& bn = graph.nodes[i];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.empty() ||
        bn.outputs.empty() || bn.outputs[0] == kNoValue || bn.inputs[0] == kNoValue)
      continue;
    const ValueId x = bn.inputs[0];
    const NodeId producer_id = ValueOf(graph, x).producer;
    // BN's input must be read by BN alone, since the producer will compute BN's output instead.
    if (producer_id < 0 || uses.ConsumerCount(x) != 1 || !uses.Redirectable(x)) continue;
    if (ValueOf(graph, x).dtype != DType::kFloat32) continue;
    Node& producer = graph.nodes[static_cast<size_t>(producer_id)];
    int64_t channels = 0;
    const Tensor* w = FoldableWeight(graph, producer, channels);
    if (w == nullptr || (producer.op_type == "Gemm" && ValueOf(graph, x).shape.rank() != 2))
      continue;
    if (producer.inputs.size() > 2 && producer.inputs[2] != kNoValue &&
        producer.op_type == "Conv" && !ChannelVector(graph, producer.inputs[2], channels))
      continue;
    const std::optional<ChannelAffine> affine = InferenceAffine(graph, bn, channels, uses);
    if (!affine) continue;
    const std::shared_ptr<const Tensor> weight = ValueOf(graph, producer.inputs[1]).constant;
    if (producer.op_type == "Conv") {
      RewriteConv(graph, producer, *weight, *affine);
    } else if (!RewriteGemm(graph, producer, *weight, *affine)) {
      continue;
    }
    // `graph.nodes[i]` is still BN: AddConstant grew only the value list.
    producer.outputs[0] = graph.nodes[i].outputs[0];
    folded[i] = true;
    ++count;
  }
  if (count > 0) HETRUN_RETURN_IF_ERROR(detail::RemoveNodes(graph, folded));
  return count;
}

}  // namespace hetrun::core
