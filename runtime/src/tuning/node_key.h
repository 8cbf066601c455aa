// The identity of a node's measured cost: what decides how long it takes, not where it sits. Op,
// domain and opset, attributes, and per input and output the dtype and shape; small constant
// inputs (shapes, axes, pads: up to 64 elements) by content, weights only by shape. Two nodes
// with equal keys, in this model or another, cost the same on one device.
#pragma once

#include <string>

#include "hetrun/core/graph.h"

namespace hetrun::runtime::tuning {

// 16 hex digits.
std::string NodeKey(const core::Graph& graph, core::NodeId node);

// "Conv 1x64x56x56": op and first input's shape, for people reading a tuning file.
std::string NodeLabel(const core::Graph& graph, core::NodeId node);

// Whether every input and output of the node has a fully known shape (tuning measures only those:
// a dynamic dim would be measured at one size and reused for all).
bool HasStaticShapes(const core::Graph& graph, core::NodeId node);

}  // namespace hetrun::runtime::tuning
