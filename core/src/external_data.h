// External tensor data (TensorProto.data_location = EXTERNAL): the weights of large models live in
// files beside the model. Those files are named by the (untrusted) model, so loading them is the
// importer's most attacked path (CVE-2022-25882, CVE-2024-27318, CVE-2026-34447: traversal,
// symlinks, offset overflow). Every rule below fails closed.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "hetrun/status.h"

namespace hetrun::core::detail {

struct ExternalDataLimits {
  uint64_t max_total_bytes = uint64_t{64} << 30;  // all external tensors of one model together
};

// Reads the external data of every tensor of `model` (initializers, sparse initializers, tensor
// attributes such as Constant's value, in the main graph, every subgraph and every function) into
// raw_data, so the rest of the importer sees ordinary tensors. `model_dir` is the directory the
// model was loaded from ("" when it came from memory: external data is then an error).
//
// Rules: keys only location/offset/length/checksum, each at most once; location non-empty,
// relative, with no "..", backslash, drive letter or NUL; offset and length plain decimal numbers;
// every path component opened relative to the model directory without following symlinks (so
// neither a symlinked file nor a symlinked parent directory is read, and a swap during loading
// cannot escape); the file regular with one link (hardlinks refused); offset + length within the
// file (overflow-safe) and length equal to what the tensor's dims and dtype need.
Status LoadExternalData(onnx::ModelProto* model, const std::string& model_dir,
                        const ExternalDataLimits& limits = {});

}  // namespace hetrun::core::detail
