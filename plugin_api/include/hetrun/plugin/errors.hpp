// Exceptions to (code, message) pairs, for work that runs off the ABI call (on a queue thread) and
// so reports through an Event instead of plugin::Guard, and for adding context ("node 'r' (Relu):
// ...") to an error while keeping its code.
#pragma once

#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::plugin {

// Call inside a catch block: the status code and message the exception being handled stands for
// (the same mapping plugin::Guard uses).
inline std::pair<hetrun_status_code_t, std::string> DescribeCurrentException() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {HETRUN_STATUS_OUT_OF_MEMORY, "out of host memory"};
  } catch (const std::exception& e) {
    return {HETRUN_STATUS_INTERNAL, e.what()};
  } catch (...) {
    return {HETRUN_STATUS_INTERNAL, "unknown exception"};
  }
}

// Call inside a catch block: rethrows as an Error whose message starts with "<context>: ".
[[noreturn]] inline void RethrowWithContext(const std::string& context) {
  std::pair<hetrun_status_code_t, std::string> described = DescribeCurrentException();
  throw Error(described.first, context + ": " + described.second);
}

[[noreturn]] inline void ThrowInvalid(const std::string& message) {
  throw Error(HETRUN_STATUS_INVALID_ARGUMENT, message);
}

[[noreturn]] inline void ThrowUnimplemented(const std::string& message) {
  throw Error(HETRUN_STATUS_UNIMPLEMENTED, message);
}

// "node 'mm_3' (MatMul)", or "node #3 (MatMul)" for a node without a name: the prefix of every
// message about a node, so the user can find it in the model.
inline std::string DescribeNode(const hetrun_node& node, size_t index) {
  std::string text = node.name && *node.name ? "node '" + std::string(node.name) + "'"
                                             : "node #" + std::to_string(index);
  text += " (";
  text += node.op_type ? node.op_type : "?";
  text += ')';
  return text;
}

}  // namespace hetrun::plugin
