#include "container_support.h"

namespace hetrun::runtime {
namespace {

// The first packed value `graph`'s nodes (and nested subgraphs) read or write, or "".
std::string FirstPackedIn(const core::Graph& graph) {
  for (const core::Value& v : graph.values)
    if (IsPackedDType(v.dtype)) return v.name;
  for (const core::Node& node : graph.nodes)
    for (const core::Attribute& a : node.attributes)
      if (a.graph)
        if (std::string name = FirstPackedIn(*a.graph); !name.empty()) return name;
  return {};
}

}  // namespace

std::vector<std::string> PackedValuesTouched(const core::Graph& graph) {
  std::vector<std::string> touched(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    for (const std::vector<core::ValueId>* ids : {&node.inputs, &node.outputs})
      for (core::ValueId v : *ids)
        if (v != core::kNoValue && touched[n].empty() &&
            IsPackedDType(graph.values[static_cast<size_t>(v)].dtype))
          touched[n] = graph.values[static_cast<size_t>(v)].name;
    for (const core::Attribute& a : node.attributes)
      if (a.graph && touched[n].empty()) touched[n] = FirstPackedIn(*a.graph);
  }
  return touched;
}

size_t DeviceElementBytes(core::DType dtype) {
  return dtype == core::DType::kString ? 1 : core::DTypeSize(dtype);
}

}  // namespace hetrun::runtime
