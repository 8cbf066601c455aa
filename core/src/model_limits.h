// Resource caps on a parsed model (reliability checklist 1.5 #3, #11; docs/reliability.md "Caps"),
// checked right after parsing: before external data is read and before any pass allocates from
// the model's sizes. One linear walk, itself bounded by the depth cap.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>

#include "hetrun/status.h"

namespace hetrun::core::detail {

struct ModelLimits {
  uint64_t max_nodes;              // nodes, subgraphs included
  int max_subgraph_depth;          // 1 = a subgraph of the main graph
  uint64_t max_initializer_bytes;  // constant tensor data, all tensors together
  uint64_t max_string_bytes;       // one attribute string or one string-tensor element
};

// Fails with InvalidArgument naming the cap (its ImportOptions field), the value found and the
// node or tensor that crosses it. Tensors whose dims or dtype are invalid count by the data they
// hold; the tensor validator refuses them later with a precise message.
Status CheckModelLimits(const onnx::ModelProto& model, const ModelLimits& limits);

}  // namespace hetrun::core::detail
