// The optimised IR graph in a compact binary form, so a warm --cache-dir session skips ONNX
// parsing, checking, shape inference and the graph passes. Constants are stored raw at 64-byte
// aligned offsets; reading views them in place when the bytes are a memory map kept alive by
// `owner` (no copy, no fresh pages), and copies them otherwise. Everything read is validated
// (dtypes, attribute types, value ids, nesting depth) and the result must pass Graph::Verify(), so
// a damaged entry is an error, never a malformed graph.
#pragma once

#include <memory>

#include "cache/byte_stream.h"
#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::runtime::cache {

// Appends `graph` to `out`.
void SerializeGraph(const core::Graph& graph, ByteWriter& out);
// Reads one graph written by SerializeGraph from `in`.
Result<core::Graph> DeserializeGraph(ByteReader& in,
                                     const std::shared_ptr<const void>& owner = nullptr);

}  // namespace hetrun::runtime::cache
