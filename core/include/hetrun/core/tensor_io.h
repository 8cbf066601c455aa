// Reading and writing tensors: numpy .npy (v1/v2/v3 headers, little-endian, C order) and ONNX
// TensorProto .pb files (the ONNX backend test data format).
#pragma once

#include <string>

#include "hetrun/core/tensor.h"
#include "hetrun/status.h"

namespace hetrun::core {

Result<Tensor> ReadNpy(const std::string& path);
Status WriteNpy(const std::string& path, const Tensor& tensor);
// A serialized onnx.TensorProto (raw_data or typed fields). `name` receives its name if not null.
Result<Tensor> ReadTensorProto(const std::string& path, std::string* name = nullptr);
// By extension: .npy or .pb.
Result<Tensor> ReadTensorFile(const std::string& path);

}  // namespace hetrun::core
