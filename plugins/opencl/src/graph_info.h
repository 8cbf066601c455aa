// A checked reading of a graph view: values with their dims, for the code generator and the
// capability answer. Malformed views (indices out of range, NULL arrays) are INVALID_ARGUMENT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::opencl {

struct ValueInfo {
  std::string name;
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  int32_t rank = -1;
  std::vector<int64_t> dims;
  bool constant = false;  // has data and is not fed by the caller
  const void* data = nullptr;
  uint64_t data_bytes = 0;
  bool part_output = false;

  bool static_shape() const;
  uint64_t elements() const;  // product of dims (1 for rank 0); call only when static_shape()
  uint64_t bytes() const { return elements() * plugin::DTypeSize(dtype); }
};

class GraphInfo {
 public:
  explicit GraphInfo(const hetrun_graph_view& view);

  const hetrun_graph_view& view() const { return view_; }
  const hetrun_node& node(uint32_t k) const { return view_.nodes[k]; }
  const ValueInfo& value(int32_t v) const { return values_[static_cast<size_t>(v)]; }
  const std::vector<ValueInfo>& values() const { return values_; }
  // "node 'x' (Add)".
  std::string Describe(uint32_t k) const;
  // Input `slot` of node `k` as a value index, or -1 when absent/omitted.
  int32_t Input(uint32_t k, uint32_t slot) const;
  // A constant float32/float16 tensor of exactly one element, read as float; false otherwise.
  bool ScalarConstant(int32_t v, float* out) const;

 private:
  const hetrun_graph_view& view_;
  std::vector<ValueInfo> values_;
};

// Multidirectional (numpy) broadcast of `a` and `b`; false when they do not broadcast.
bool BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                     std::vector<int64_t>* out);

// IEEE half bits to float (for constants read on the host).
float HalfToFloat(uint16_t bits);

}  // namespace hetrun::opencl
