// Tunable code-generator parameters (ABI minor 2): per node, the knobs that change how fast its
// kernel runs but never what it computes (work-group size, outputs per invocation, an algorithm).
// The defaults are the kernels compile() has always generated, which suit discrete GPUs; `hetrun
// tune` measures the candidates on the device at hand (lavapipe wants very different ones).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph_info.h"

namespace hetrun::vulkan {

struct Tunable {
  std::string name;         // [a-z0-9_]+
  std::string description;  // one line
  std::vector<int64_t> values;
  int64_t default_value = 0;
};

// Chosen values for one node's tunables, by name; a tunable not named keeps its default.
using NodeTuning = std::map<std::string, int64_t>;
// Per node of a part (empty, or one entry per node).
using PartTuning = std::vector<NodeTuning>;

// The tunables of node `k`, from its op, attributes and shapes only (never from whether its inputs
// are constant), so an answer holds for every node of the same op, attributes and shapes. Empty
// for a node with nothing to tune or one the plugin does not support.
std::vector<Tunable> ListTunables(const GraphInfo& graph, uint32_t k, const Limits& limits);

// Checks compile_tuned's values against ListTunables and returns them per node; throws
// plugin::Error(INVALID_ARGUMENT) naming the node, tunable and value at fault.
PartTuning ResolveTuning(const GraphInfo& graph, const Limits& limits,
                         const hetrun_tuning_value* values, uint32_t num_values);

// The value chosen for `name` in `tuning`, else `fallback` (the tunable's default).
int64_t TunedValue(const NodeTuning& tuning, const std::string& name, int64_t fallback);

// Per-op lists (codegen_matmul.cpp, codegen_window.cpp).
std::vector<Tunable> MatMulTunables(const GraphInfo& graph, const hetrun_node& node,
                                    const Limits& limits);
std::vector<Tunable> ConvTunables(const GraphInfo& graph, const hetrun_node& node,
                                  const Limits& limits);

}  // namespace hetrun::vulkan
