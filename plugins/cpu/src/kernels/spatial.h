// Window geometry shared by Conv and the pooling ops: kernel size, strides, dilations, explicit or
// automatic padding, and the output size they give.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::cpu {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct WindowAttrs {
  std::string op;
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel;     // may be empty until known (Conv takes it from W)
  std::vector<int64_t> strides;    // empty = all 1
  std::vector<int64_t> dilations;  // empty = all 1
  std::vector<int64_t> pads;       // [begin..., end...]; empty = all 0
  bool ceil_mode = false;
};

// Reads auto_pad, kernel_shape, strides, dilations, pads (and ceil_mode); throws UNIMPLEMENTED for
// values it does not know.
WindowAttrs ReadWindowAttrs(const hetrun_node& node);

// The resolved geometry for one input's spatial dims.
struct WindowGeometry {
  std::vector<int64_t> in, out, kernel, stride, dilation, pad_begin, pad_end;
};

// Resolves the geometry for `spatial_in` (the input's dims after N and C); throws INVALID_ARGUMENT
// when attributes and input disagree or the window does not fit.
WindowGeometry ResolveWindow(const WindowAttrs& attrs, const std::vector<int64_t>& spatial_in);

}  // namespace hetrun::cpu
