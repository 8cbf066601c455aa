#include "subgraph.h"

#include <algorithm>
#include <unordered_set>

#include "common.h"
#include "control_flow_tensors.h"
#include "executable.h"
#include "handles.h"
#include "packed_values.h"

namespace hetrun::cpu {
namespace {

// Call inside a catch block: rethrows a plugin::Error with `context` in front of its message.
[[noreturn]] void RethrowIn(const std::string& context) {
  try {
    throw;
  } catch (const plugin::Error& e) {
    throw plugin::Error(e.code(), context + ": " + e.what());
  }
}

// The name the executor gives the value too ("#3" when it has none).
std::string NameOf(const hetrun_graph_view& graph, int32_t v) {
  const char* name = graph.values[v].name;
  return name ? std::string(name) : std::string("#").append(std::to_string(v));
}

void CheckIndex(const hetrun_graph_view& graph, int32_t v) {
  if (v >= 0 && static_cast<uint32_t>(v) >= graph.num_values) {
    ThrowInvalid("a subgraph has a value index out of range");
  }
}

void CheckArrays(const hetrun_graph_view& graph) {
  if (graph.struct_size < sizeof(hetrun_graph_view) || (graph.num_values && !graph.values) ||
      (graph.num_nodes && !graph.nodes) || (graph.num_inputs && !graph.inputs) ||
      (graph.num_outputs && !graph.outputs)) {
    ThrowInvalid("a subgraph view is too small or has a NULL array with a non-zero count");
  }
}

}  // namespace

std::vector<std::string> OuterScopeReads(const hetrun_graph_view& graph) {
  CheckArrays(graph);
  std::unordered_set<std::string> local;
  for (uint32_t i = 0; i < graph.num_inputs; ++i) {
    CheckIndex(graph, graph.inputs[i]);
    if (graph.inputs[i] >= 0) local.insert(NameOf(graph, graph.inputs[i]));
  }
  for (uint32_t v = 0; v < graph.num_values; ++v) {
    if (graph.values[v].flags & HETRUN_VALUE_CONSTANT) local.insert(NameOf(graph, v));
  }
  for (uint32_t k = 0; k < graph.num_nodes; ++k) {
    const hetrun_node& node = graph.nodes[k];
    if (node.num_outputs && !node.outputs) ThrowInvalid("a subgraph node has NULL outputs");
    for (uint32_t o = 0; o < node.num_outputs; ++o) {
      CheckIndex(graph, node.outputs[o]);
      if (node.outputs[o] >= 0) local.insert(NameOf(graph, node.outputs[o]));
    }
  }

  std::vector<std::string> reads;
  std::unordered_set<std::string> seen;
  auto read = [&](const std::string& name) {
    if (!local.count(name) && seen.insert(name).second) reads.push_back(name);
  };
  for (uint32_t k = 0; k < graph.num_nodes; ++k) {
    const hetrun_node& node = graph.nodes[k];
    if ((node.num_inputs && !node.inputs) || (node.num_attributes && !node.attributes)) {
      ThrowInvalid("a subgraph node has a NULL array with a non-zero count");
    }
    for (uint32_t i = 0; i < node.num_inputs; ++i) {
      CheckIndex(graph, node.inputs[i]);
      if (node.inputs[i] >= 0) read(NameOf(graph, node.inputs[i]));
    }
    // A nested subgraph's outer reads are reads of this graph: local here, or outer here too.
    for (uint32_t a = 0; a < node.num_attributes; ++a) {
      const hetrun_attribute& attr = node.attributes[a];
      if (attr.type != HETRUN_ATTR_GRAPH || !attr.graph) continue;
      for (const std::string& name : OuterScopeReads(*attr.graph)) read(name);
    }
  }
  for (uint32_t j = 0; j < graph.num_outputs; ++j) {
    CheckIndex(graph, graph.outputs[j]);
    if (graph.outputs[j] >= 0) read(NameOf(graph, graph.outputs[j]));
  }
  return reads;
}

std::vector<std::string> UnionOfOuterReads(const std::vector<const Subgraph*>& subgraphs) {
  std::vector<std::string> names;
  for (const Subgraph* subgraph : subgraphs) {
    for (const std::string& name : subgraph->outer_reads()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

Subgraph::Subgraph(const KernelBuildContext& ctx, const char* attribute)
    : description_(std::string(ctx.node.op_type) + "'s " + attribute) {
  const hetrun_attribute* attr = plugin::FindAttr(ctx.node, attribute);
  if (!attr || attr->type != HETRUN_ATTR_GRAPH || !attr->graph) {
    ThrowUnimplemented(std::string(ctx.node.op_type) + ": graph attribute '" + attribute +
                       "' is missing");
  }
  const hetrun_graph_view& graph = *attr->graph;
  try {
    outer_reads_ = OuterScopeReads(graph);
    // The executable takes the outer-scope values as inputs after the subgraph's own.
    std::vector<int32_t> inputs(graph.inputs, graph.inputs + graph.num_inputs);
    for (const std::string& name : outer_reads_) {
      int32_t found = -1;
      for (uint32_t v = 0; v < graph.num_values && found < 0; ++v) {
        if (NameOf(graph, static_cast<int32_t>(v)) == name) found = static_cast<int32_t>(v);
      }
      if (found < 0) {
        ThrowInvalid("a nested subgraph reads '" + name + "', which this subgraph does not list");
      }
      inputs.push_back(found);
    }
    hetrun_graph_view with_outer = graph;
    with_outer.num_inputs = static_cast<uint32_t>(inputs.size());
    with_outer.inputs = inputs.data();
    executable_ = Executable::Compile(ctx.device, with_outer);

    for (uint32_t i = 0; i < graph.num_inputs; ++i) {
      input_dtypes_.push_back(graph.values[graph.inputs[i]].dtype);
    }
    for (uint32_t j = 0; j < graph.num_outputs; ++j) {
      const hetrun_value& value = graph.values[graph.outputs[j]];
      DeclaredOutput& out = outputs_.emplace_back();
      out.dtype = value.dtype;
      out.rank = value.rank < 0 || (value.rank > 0 && !value.dims) ? -1 : value.rank;
      if (out.rank > 0) out.dims.assign(value.dims, value.dims + out.rank);
    }
  } catch (...) {
    RethrowIn(description_);
  }
}

Subgraph::~Subgraph() = default;

void Subgraph::BindOuterReads(const std::vector<std::string>& node_outer_inputs) {
  outer_slots_.clear();
  for (const std::string& name : outer_reads_) {
    const auto at = std::find(node_outer_inputs.begin(), node_outer_inputs.end(), name);
    if (at == node_outer_inputs.end()) {
      throw plugin::Error(HETRUN_STATUS_INTERNAL, description_ + ": '" + name + "' is not bound");
    }
    outer_slots_.push_back(static_cast<size_t>(at - node_outer_inputs.begin()));
  }
}

std::vector<BufferTensor> Subgraph::Run(const std::vector<BufferTensor>& inputs,
                                        const std::vector<const TensorRef*>& outer) const {
  if (!executable_->device()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, description_ + " was compiled without a device");
  }
  if (inputs.size() != input_dtypes_.size() || outer_slots_.size() != outer_reads_.size()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, description_ + ": wrong number of inputs");
  }
  Executable::RunArgs args;
  args.inputs.reserve(inputs.size() + outer_slots_.size());
  std::vector<BufferTensor> wrapped;  // keeps the optionals made below alive
  wrapped.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BufferTensor* given = &inputs[i];
    // An optional input given a tensor or sequence (Loop's carried optional after the body
    // returned a sequence, as ONNX allows) receives it as a present optional.
    if (input_dtypes_[i] == HETRUN_DTYPE_OPTIONAL && given->dtype != HETRUN_DTYPE_OPTIONAL &&
        given->dtype != HETRUN_DTYPE_UNDEFINED) {
      const TensorRef ref = given->ref();
      wrapped.push_back(PackOptional(&ref));
      given = &wrapped.back();
    }
    const BufferTensor& t = *given;
    if (input_dtypes_[i] != HETRUN_DTYPE_UNDEFINED && t.dtype != input_dtypes_[i]) {
      ThrowInvalid(description_ + ": input #" + std::to_string(i) + " is declared " +
                   plugin::DTypeName(input_dtypes_[i]) + ", the node gives it " +
                   plugin::DTypeName(t.dtype));
    }
    args.inputs.push_back(Executable::BoundInput{t.buffer, 0, t.dtype, t.dims});
  }
  for (size_t slot : outer_slots_) {
    const BufferTensor t = Borrow(*outer.at(slot));
    args.inputs.push_back(Executable::BoundInput{t.buffer, 0, t.dtype, t.dims});
  }
  // NULL output buffers: the run allocates each once its shape is known.
  std::vector<hetrun_tensor_arg> out_args(outputs_.size(), hetrun_tensor_arg{});
  args.outputs.resize(outputs_.size());
  for (size_t j = 0; j < out_args.size(); ++j) args.outputs[j].arg = &out_args[j];
  std::vector<BufferTensor> results(outputs_.size());
  try {
    executable_->Run(args);
  } catch (...) {
    RethrowIn(description_);
  }
  // Take the buffers out of the handles the run made for them, owning every handle first.
  std::vector<std::unique_ptr<hetrun_buffer_s>> handles(out_args.size());
  for (size_t j = 0; j < out_args.size(); ++j) handles[j].reset(out_args[j].buffer);
  for (size_t j = 0; j < out_args.size(); ++j) {
    results[j].dtype = out_args[j].dtype;
    results[j].dims.assign(out_args[j].dims, out_args[j].dims + out_args[j].rank);
    results[j].buffer = std::move(handles[j]->buffer);
  }
  return results;
}

}  // namespace hetrun::cpu
