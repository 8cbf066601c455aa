// Packed values (plugin ABI minor 1: sequences, optionals and string tensors) reach only plugins
// that declare HETRUN_PLUGIN_PACKED_VALUES: the host declines, on behalf of any other plugin, every
// node that touches such a value (its inputs, outputs or anything inside its subgraphs). Strings
// are packed and unpacked where they cross to and from a device.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/tensor.h"
#include "hetrun/plugin.h"

namespace hetrun::runtime {

// True for the dtypes that cross the plugin ABI packed: sequence, optional and string.
inline bool IsPackedDType(core::DType t) {
  return core::IsContainerDType(t) || t == core::DType::kString;
}

// For each node of `graph` that touches a packed value: the name of one such value; "" for the
// others.
std::vector<std::string> PackedValuesTouched(const core::Graph& graph);

// True when the plugin's table declares that it runs nodes on packed values.
inline bool RunsPackedValues(const hetrun_plugin_v1& table) {
  return (table.flags & HETRUN_PLUGIN_PACKED_VALUES) != 0;
}

// Bytes a device buffer of `dtype` and `dims` holds: packed values (strings included) count one
// byte per element of their rank-1 byte shape.
size_t DeviceElementBytes(core::DType dtype);

}  // namespace hetrun::runtime
