// The geometry of a sliding-window node (Conv, ConvTranspose, MaxPool, AveragePool): kernel size,
// strides, dilations and the leading pads per spatial dim, resolved from the ONNX attributes
// (auto_pad included) and checked against the output shape the graph declares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph_info.h"

namespace hetrun::opencl {

struct WindowGeometry {
  std::vector<int64_t> in, out;  // spatial dims of the input and output
  std::vector<int64_t> kernel, strides, dilations, pad_begin, pad_end;
};

// Reads the attributes of window node `k` whose kernel's spatial size is `kernel` (from the weights
// for Conv, from kernel_shape for pools). Returns "" and fills `g`, or the reason it cannot.
std::string ResolveWindow(const GraphInfo& graph, uint32_t k, const std::vector<int64_t>& kernel,
                          bool transposed, WindowGeometry* g);

}  // namespace hetrun::opencl
