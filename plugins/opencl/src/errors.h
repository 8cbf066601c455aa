// OpenCL error codes to typed ABI statuses: allocation failures become OUT_OF_MEMORY (so the host
// can retry elsewhere), everything unexpected INTERNAL, always with the OpenCL call and code named.
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "hetrun/plugin/errors.hpp"

namespace hetrun::opencl {

using plugin::ThrowInvalid;
using plugin::ThrowUnimplemented;

// "CL_OUT_OF_RESOURCES" for -5.
const char* ClErrorName(cl_int code);

inline hetrun_status_code_t StatusCodeOf(cl_int code) {
  switch (code) {
    case CL_OUT_OF_RESOURCES:
    case CL_OUT_OF_HOST_MEMORY:
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return HETRUN_STATUS_OUT_OF_MEMORY;
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_DEVICE_NOT_FOUND:
    case CL_COMPILER_NOT_AVAILABLE: return HETRUN_STATUS_UNAVAILABLE;
    case CL_INVALID_VALUE:
    case CL_INVALID_BUFFER_SIZE: return HETRUN_STATUS_INVALID_ARGUMENT;
    default: return HETRUN_STATUS_INTERNAL;
  }
}

// Throws plugin::Error("<what> failed: CL_...") with the mapped code unless `code` is CL_SUCCESS.
inline void ClCheck(cl_int code, const char* what) {
  if (code == CL_SUCCESS) return;
  throw plugin::Error(StatusCodeOf(code), std::string(what) + " failed: " + ClErrorName(code) +
                                              " (" + std::to_string(code) + ")");
}

// "[2,3,4]".
inline std::string FormatDims(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(dims[i]);
  }
  text += ']';
  return text;
}

}  // namespace hetrun::opencl
