// Error helpers shared by the CPU plugin's runtime: adding context ("node 'conv_3' (Conv)") to an
// exception while keeping its status code.
#pragma once

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::cpu {

[[noreturn]] inline void ThrowInvalid(const std::string& message) {
  throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, message);
}

// Call inside a catch block: rethrows the exception being handled as a plugin::Error whose message
// starts with "<context>: ". Codes of plugin::Error are kept; other exceptions become INTERNAL
// (std::bad_alloc: OUT_OF_MEMORY).
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
inline std::string FormatDims(const int64_t* dims, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i > 0) text += ',';
    text += std::to_string(dims[i]);
  }
  text += ']';
  return text;
}
inline std::string FormatDims(const std::vector<int64_t>& dims) {
  return FormatDims(dims.data(), dims.size());
}

// "node 'conv_3' (Conv)", or "node #3 (Conv)" for a node without a name.
inline std::string DescribeNode(const char* name, const char* op_type, size_t index) {
  std::string text =
      name && *name ? "node '" + std::string(name) + "'" : "node #" + std::to_string(index);
  return text + " (" + (op_type ? op_type : "?") + ")";
}

}  // namespace hetrun::cpu
