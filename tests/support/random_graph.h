// Random ONNX graphs for property tests, differential tests and benchmarks: seeded DAGs of float32
// elementwise ops, MatMul, Concat, Split and Reshape with concrete shapes, valid opset-17
// attributes and inputs, values read by several nodes, and optional constant initializers. The
// same seed and options always give the same graph.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/tensor.h"

namespace hetrun::testing {

struct RandomGraphOptions {
  int min_nodes = 3;
  int max_nodes = 24;
  int max_inputs = 3;          // graph inputs: 1..max_inputs
  int64_t max_dim = 8;         // every dim of a graph input or new constant is in 1..max_dim
  int64_t max_elements = 256;  // no value holds more elements than this
  double constant_probability = 0.25;  // a second operand is a new initializer instead of a value
  // How far back operands reach: with this probability an operand is one of the last few values
  // (deep, chain-like graphs), otherwise any earlier value (wide graphs with long edges).
  double recent_operand_probability = 0.6;
  // Each value nobody reads becomes a graph output with this probability (at least one always
  // does); below 1, some nodes are dead or have outputs nobody uses.
  double unread_output_probability = 1.0;
  // The first graph input is also listed as a graph output with this probability.
  double input_output_probability = 0.0;
};

// The op types the generator emits, for tests that build capability sets from them.
const std::vector<std::string>& RandomGraphOpTypes();

// A graph that passes TopologicalSort() and Verify(), with every value's shape set, every node
// named uniquely ("n<index>_<op>") and opsets[""] = 17. By default every value nobody reads is a
// graph output, so no node is dead. Each value's magnitude stays below a bound (ops that would
// exceed it are replaced by Tanh), so any float inputs in [-1, 1] give finite outputs.
core::Graph RandomGraph(uint32_t seed, const RandomGraphOptions& options = {});

// Float32 tensors in [-1, 1] for every graph input, keyed by input name.
std::map<std::string, core::Tensor> RandomInputs(const core::Graph& graph, std::mt19937& rng);

}  // namespace hetrun::testing
