// A checked, static-shape reading of a graph view for the code generator and the capability answer:
// values with their dims, and which node reads each value.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::vulkan {

// Device limits the generated kernels must respect.
struct Limits {
  uint64_t max_buffer_bytes = uint64_t{128} << 20;  // maxStorageBufferRange
  uint32_t max_groups[3] = {65535, 65535, 65535};   // maxComputeWorkGroupCount
  bool int64 = true;                                // shaderInt64: int64 tensors in kernels
  uint32_t max_local_invocations = 256;  // maxComputeWorkGroupInvocations (and Size[0], [1])
};

struct ValueInfo {
  std::string name;
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  int32_t rank = -1;
  std::vector<int64_t> dims;
  bool constant = false;  // has data (and is not fed by the caller)
  const void* data = nullptr;
  uint64_t data_bytes = 0;
  std::vector<uint32_t> readers;  // nodes reading it (once per input slot)
  bool part_output = false;
  // The bytes `data` points at when the plugin computed the value itself (constant folding).
  std::shared_ptr<const std::vector<uint8_t>> folded;

  bool static_shape() const;
  uint64_t elements() const;  // product of dims (1 for rank 0); call only when static_shape()
};

class GraphInfo {
 public:
  // Throws plugin::Error(INVALID_ARGUMENT) for a malformed view (indices out of range, NULL
  // arrays).
  explicit GraphInfo(const hetrun_graph_view& view);

  const hetrun_graph_view& view() const { return view_; }
  const hetrun_node& node(uint32_t k) const { return view_.nodes[k]; }
  const ValueInfo& value(int32_t v) const { return values_[static_cast<size_t>(v)]; }
  size_t num_values() const { return values_.size(); }
  // "node 'x' (Add)".
  std::string Describe(uint32_t k) const;
  // True when node `k` was evaluated at compile time (constant_folding.h): it needs no kernel.
  bool folded(uint32_t k) const { return folded_nodes_[k]; }
  // A float32 constant of exactly one element, or nullptr.
  const float* ScalarConstant(int32_t v) const;

 private:
  const hetrun_graph_view& view_;
  std::vector<ValueInfo> values_;
  std::vector<bool> folded_nodes_;

  void FoldConstants();
  // Fills in the dims of output `k` the graph left unknown where they follow from static inputs
  // (Reshape with a constant shape, ops whose output has their input's dims).
  void InferDims(uint32_t k);
};

// Multidirectional (numpy) broadcast of `a` and `b`; false when they do not broadcast.
bool BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                     std::vector<int64_t>* out);

// "" when node `k` can run on this plugin exactly as ONNX specifies, else why not (the host
// prefixes the device name).
std::string CheckNodeSupported(const GraphInfo& graph, uint32_t k, const Limits& limits);

}  // namespace hetrun::vulkan
