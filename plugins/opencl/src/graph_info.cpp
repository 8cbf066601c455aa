#include "graph_info.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "errors.h"

namespace hetrun::opencl {

bool ValueInfo::static_shape() const {
  if (rank < 0) return false;
  return std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0; });
}

uint64_t ValueInfo::elements() const {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

GraphInfo::GraphInfo(const hetrun_graph_view& view) : view_(view) {
  if (view.struct_size < sizeof(hetrun_graph_view)) {
    ThrowInvalid("graph view struct_size " + std::to_string(view.struct_size) + " is too small");
  }
  if ((view.num_values && !view.values) || (view.num_nodes && !view.nodes) ||
      (view.num_inputs && !view.inputs) || (view.num_outputs && !view.outputs)) {
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  }
  values_.resize(view.num_values);
  for (uint32_t i = 0; i < view.num_values; ++i) {
    const hetrun_value& in = view.values[i];
    ValueInfo& v = values_[i];
    v.name = in.name ? std::string(in.name) : "#" + std::to_string(i);
    v.dtype = in.dtype;
    v.rank = in.rank < 0 ? -1 : in.rank;
    if (v.rank > 0) {
      if (!in.dims) ThrowInvalid("value '" + v.name + "' has a rank but no dims");
      v.dims.assign(in.dims, in.dims + v.rank);
    }
    v.constant = (in.flags & HETRUN_VALUE_CONSTANT) && in.data;
    v.data = in.data;
    v.data_bytes = in.data_bytes;
  }
  auto check = [&](int32_t v, const char* role) {
    if (v >= 0 && static_cast<uint32_t>(v) >= view.num_values) {
      ThrowInvalid(std::string(role) + " value index " + std::to_string(v) + " is out of range");
    }
  };
  for (uint32_t i = 0; i < view.num_inputs; ++i) {
    check(view.inputs[i], "part input");
    if (view.inputs[i] >= 0) values_[view.inputs[i]].constant = false;  // the argument wins
  }
  for (uint32_t i = 0; i < view.num_outputs; ++i) {
    check(view.outputs[i], "part output");
    if (view.outputs[i] >= 0) values_[view.outputs[i]].part_output = true;
  }
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    const hetrun_node& node = view.nodes[k];
    if (!node.op_type || (node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
        (node.num_attributes && !node.attributes)) {
      ThrowInvalid(Describe(k) + ": NULL op_type, or a NULL array with a non-zero count");
    }
    for (uint32_t i = 0; i < node.num_inputs; ++i) check(node.inputs[i], "input");
    for (uint32_t o = 0; o < node.num_outputs; ++o) check(node.outputs[o], "output");
  }
}

std::string GraphInfo::Describe(uint32_t k) const {
  return plugin::DescribeNode(view_.nodes[k], k);
}

int32_t GraphInfo::Input(uint32_t k, uint32_t slot) const {
  const hetrun_node& n = node(k);
  return slot < n.num_inputs ? n.inputs[slot] : -1;
}

bool GraphInfo::ScalarConstant(int32_t v, float* out) const {
  if (v < 0) return false;
  const ValueInfo& info = value(v);
  if (!info.constant || !info.static_shape() || info.elements() != 1) return false;
  if (info.dtype == HETRUN_DTYPE_FLOAT32 && info.data_bytes >= 4) {
    std::memcpy(out, info.data, 4);
    return true;
  }
  if (info.dtype == HETRUN_DTYPE_FLOAT16 && info.data_bytes >= 2) {
    uint16_t bits;
    std::memcpy(&bits, info.data, 2);
    *out = HalfToFloat(bits);
    return true;
  }
  return false;
}

bool BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                     std::vector<int64_t>* out) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    result[i] = da == 1 ? db : da;
  }
  *out = std::move(result);
  return true;
}

float HalfToFloat(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    value = mantissa ? NAN : INFINITY;
  } else {
    value = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return (bits & 0x8000) ? -value : value;
}

}  // namespace hetrun::opencl
