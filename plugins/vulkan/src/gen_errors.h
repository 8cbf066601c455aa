// Error helpers of the GPU kernel generator (shared by the Vulkan and CUDA plugins), with no
// device API in sight: INVALID_ARGUMENT errors, context ("node 'mm' (MatMul)") added to an
// exception keeping its code, and the formatting of dims and node names.
#pragma once

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {

[[noreturn]] inline void ThrowInvalid(const std::string& message) {
  throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, message);
}

// Call inside a catch block: rethrows as a plugin::Error whose message starts with "<context>: ".
[[noreturn]] inline void RethrowWithContext(const std::string& context) {
  try {
    throw;
  } catch (const plugin::Error& e) {
    throw plugin::Error(e.code(), context + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY, context + ": out of host memory");
  } catch (const std::exception& e) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, context + ": " + e.what());
  } catch (...) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, context + ": unknown exception");
  }
}

// Call inside a catch block: the status code and message the exception being handled stands for.
inline std::pair<hetrun_status_code_t, std::string> DescribeCurrentException() {
  try {
    throw;
  } catch (const plugin::Error& e) {
    return {e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {HETRUN_STATUS_OUT_OF_MEMORY, "out of host memory"};
  } catch (const std::exception& e) {
    return {HETRUN_STATUS_INTERNAL, e.what()};
  } catch (...) {
    return {HETRUN_STATUS_INTERNAL, "unknown exception"};
  }
}

// "[2,3,-1]". (Appends piecewise: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + string.)
inline std::string FormatDims(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(dims[i]);
  }
  text += ']';
  return text;
}

// "node 'mm_3' (MatMul)", or "node #3 (MatMul)" for a node without a name.
inline std::string DescribeNode(const char* name, const char* op_type, size_t index) {
  std::string text =
      name && *name ? "node '" + std::string(name) + "'" : "node #" + std::to_string(index);
  return text + " (" + (op_type ? op_type : "?") + ")";
}

}  // namespace hetrun::vulkan
