#include "guarded_schemas.h"

#include <onnx/defs/shape_inference.h>

#include <optional>
#include <string_view>
#include <vector>

namespace hetrun::core::detail {
namespace {

// The convolution and pooling operators share libonnx's convPoolShapeInference /
// convTransposeShapeInference, which index their per-axis attributes and the weight's spatial
// dimensions by the input's spatial rank without comparing the lengths, and divide by the strides
// without checking them.
struct ConvPoolOp {
  std::string_view name;
  std::optional<size_t> weight_input;  // whose dims 2.. are the kernel when kernel_shape is absent
};
constexpr ConvPoolOp kConvPoolOps[] = {
    {"Conv", 1},     {"ConvInteger", 1},  {"QLinearConv", 3}, {"ConvTranspose", 1},
    {"MaxPool", {}}, {"AveragePool", {}}, {"LpPool", {}},
};

int RankOf(const onnx::TypeProto& type) {
  return type.tensor_type().shape().dim_size();
}

void CheckAttributeLength(onnx::InferenceContext& ctx, const std::string& name, size_t per_axis,
                          size_t spatial_axes) {
  const onnx::AttributeProto* attr = ctx.getAttribute(name);
  if (attr == nullptr || static_cast<size_t>(attr->ints_size()) == per_axis * spatial_axes) return;
  fail_shape_inference("attribute ", name, " has ", attr->ints_size(), " values, not ", per_axis,
                       " per spatial axis of input X (", spatial_axes, " axes)");
}

// libonnx divides by the strides (a 0 is SIGFPE: fuzz_import's find) and takes the others as
// given; the operators define all three as positive.
void CheckPositive(onnx::InferenceContext& ctx, const std::string& name) {
  const onnx::AttributeProto* attr = ctx.getAttribute(name);
  if (attr == nullptr) return;
  for (int i = 0; i < attr->ints_size(); ++i) {
    if (attr->ints(i) < 1) {
      fail_shape_inference("attribute ", name, "[", i, "] is ", attr->ints(i),
                           "; it must be at least 1");
    }
  }
}

void CheckConvPool(const ConvPoolOp& op, onnx::InferenceContext& ctx) {
  for (const char* name : {"kernel_shape", "strides", "dilations"}) CheckPositive(ctx, name);
  if (!onnx::hasInputShape(ctx, 0)) return;  // libonnx infers nothing either
  const int rank = RankOf(*ctx.getInputType(0));
  if (rank < 2) {
    fail_shape_inference("input X has rank ", rank, "; it needs at least 2 (N, C, spatial...)");
  }
  const size_t spatial = static_cast<size_t>(rank - 2);
  if (op.weight_input && onnx::hasInputShape(ctx, *op.weight_input)) {
    const int weight_rank = RankOf(*ctx.getInputType(*op.weight_input));
    if (weight_rank != rank) {
      fail_shape_inference("weight W has rank ", weight_rank, " but input X has rank ", rank,
                           "; they must match");
    }
  }
  for (const char* name : {"kernel_shape", "strides", "dilations", "output_padding"}) {
    CheckAttributeLength(ctx, name, 1, spatial);
  }
  CheckAttributeLength(ctx, "pads", 2, spatial);
}

}  // namespace

const GuardedSchemaRegistry& GuardedSchemaRegistry::Instance() {
  static const GuardedSchemaRegistry registry;
  return registry;
}

GuardedSchemaRegistry::GuardedSchemaRegistry() {
  for (const onnx::OpSchema& schema : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
    if (!schema.domain().empty() && schema.domain() != "ai.onnx") continue;
    for (const ConvPoolOp& op : kConvPoolOps) {
      if (schema.Name() != op.name) continue;
      const onnx::OpSchema* original =
          onnx::OpSchemaRegistry::Schema(schema.Name(), schema.since_version(), schema.domain());
      if (original == nullptr || !original->has_type_and_shape_inference_function()) continue;
      auto copy = std::make_unique<onnx::OpSchema>(*original);
      copy->TypeAndShapeInferenceFunction(
          [op, infer = original->GetTypeAndShapeInferenceFunction()](onnx::InferenceContext& ctx) {
            CheckConvPool(op, ctx);
            infer(ctx);
          });
      guarded_.emplace(original, std::move(copy));
    }
  }
}

const onnx::OpSchema* GuardedSchemaRegistry::GetSchema(const std::string& key,
                                                       int maxInclusiveVersion,
                                                       const std::string& domain) const {
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Instance()->GetSchema(key, maxInclusiveVersion, domain);
  const auto guarded = guarded_.find(schema);
  return guarded == guarded_.end() ? schema : guarded->second.get();
}

}  // namespace hetrun::core::detail
