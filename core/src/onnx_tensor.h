// Decoding of onnx.TensorProto into Tensor: the one place that validates tensor data from files,
// used for initializers, Constant nodes, TENSOR attributes (onnx_import) and .pb tensor files
// (tensor_io).
#pragma once

#include <onnx/onnx_pb.h>

#include "hetrun/core/tensor.h"
#include "hetrun/status.h"

namespace hetrun::core::detail {

// Checks the dtype, the dims (no negatives, no overflow), that exactly the right data field holds
// exactly dims-product values (raw_data: times the dtype width) before allocating anything, and
// that typed values fit the dtype. External and segmented data are refused. Errors start with
// "tensor 'NAME': ".
Result<Tensor> DecodeTensorProto(const onnx::TensorProto& proto);

// The checks of DecodeTensorProto that need no allocation (dtype, dims, storage, data length), for
// validating every tensor of a model before libonnx's checker and shape inference look at them.
Status ValidateTensorProto(const onnx::TensorProto& proto);

// "tensor 'NAME'" (or "unnamed tensor"), for messages.
std::string TensorLabel(const onnx::TensorProto& proto);

}  // namespace hetrun::core::detail
