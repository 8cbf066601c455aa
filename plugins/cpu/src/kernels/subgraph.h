// A subgraph of a control-flow node (If's branches, Loop's and Scan's body), compiled into an
// executable of its own when the node's kernel is created. The subgraph's reads of enclosing-graph
// values become extra inputs after its own, fed by name from the node's outer-scope inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel.h"

namespace hetrun::cpu {

class Executable;

// Names of the values `graph` (and the subgraphs nested in it) reads but does not define, in
// first-use order: its outer-scope references.
std::vector<std::string> OuterScopeReads(const hetrun_graph_view& graph);

class Subgraph {
 public:
  // Compiles the graph attribute `attribute` of `ctx.node`. Throws UNIMPLEMENTED when it is missing
  // or one of its nodes is not supported, naming the attribute and the node.
  Subgraph(const KernelBuildContext& ctx, const char* attribute);
  ~Subgraph();
  Subgraph(const Subgraph&) = delete;
  Subgraph& operator=(const Subgraph&) = delete;

  size_t num_inputs() const { return input_dtypes_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  const std::vector<std::string>& outer_reads() const { return outer_reads_; }
  // What the subgraph declares for output `j` (dtype may be UNDEFINED, rank -1 when unknown).
  hetrun_dtype_t output_dtype(size_t j) const { return outputs_[j].dtype; }
  int32_t output_rank(size_t j) const { return outputs_[j].rank; }
  const std::vector<int64_t>& output_dims(size_t j) const { return outputs_[j].dims; }

  // Where each of outer_reads() sits in `node_outer_inputs` (the node's OuterScopeInputs()).
  void BindOuterReads(const std::vector<std::string>& node_outer_inputs);
  // Runs the subgraph on `inputs` (its own, in order) with `outer` (the node's outer-scope inputs,
  // in the order given to BindOuterReads), read in place. Returns every output, in buffers of
  // their own. Throws INVALID_ARGUMENT for an input of the wrong dtype; errors inside name the
  // subgraph.
  std::vector<BufferTensor> Run(const std::vector<BufferTensor>& inputs,
                                const std::vector<const TensorRef*>& outer) const;

 private:
  struct DeclaredOutput {
    hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
    int32_t rank = -1;
    std::vector<int64_t> dims;
  };

  std::string description_;  // "Loop's body"
  std::shared_ptr<Executable> executable_;
  std::vector<hetrun_dtype_t> input_dtypes_;
  std::vector<DeclaredOutput> outputs_;
  std::vector<std::string> outer_reads_;
  std::vector<size_t> outer_slots_;  // per outer read: its position among the node's
};

// The names of `subgraphs`' outer-scope reads, each once, in order: a node's OuterScopeInputs().
std::vector<std::string> UnionOfOuterReads(const std::vector<const Subgraph*>& subgraphs);

}  // namespace hetrun::cpu
