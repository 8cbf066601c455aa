// Cast and CastLike to and from STRING (packed string tensors, packed_values.h). cast.cpp hands
// these over when either side is a string.
#pragma once

#include <memory>
#include <string>

#include "kernel.h"

namespace hetrun::cpu {

std::unique_ptr<Kernel> MakeStringCast(const KernelBuildContext& ctx, hetrun_dtype_t from,
                                       hetrun_dtype_t to);

// ONNX's (numpy's) text for a float: the shortest that reads back to the same value, "1.0" not "1",
// "nan", "inf", "-inf".
std::string FormatFloat(double value, bool single_precision);
// Reads a whole string as a double; accepts "NaN", "INF", "+INF", "-INF" in any case
// for floats. Throws INVALID_ARGUMENT naming the string when it is not one.
double ParseFloat(const std::string& text);

}  // namespace hetrun::cpu
