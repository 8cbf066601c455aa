// Compile(): copying the part out of the graph view, creating the kernels, and the static part of
// memory planning (liveness, in-place candidates). BindArguments(): checking execute()'s arguments.
#include "executable.h"

#include <algorithm>

#include "errors.h"
#include "fusion/fusion_plan.h"
#include "handles.h"
#include "host_memory.h"

namespace hetrun::cpu {
namespace {

std::string Quoted(const std::string& name) {
  return "'" + name + "'";
}

void CheckNodeArrays(const hetrun_node& view) {
  if ((view.num_inputs && !view.inputs) || (view.num_outputs && !view.outputs) ||
      (view.num_attributes && !view.attributes) || !view.op_type) {
    ThrowInvalid("the node has a NULL array with a non-zero count, or no op_type");
  }
}

}  // namespace

std::shared_ptr<Executable> Executable::Compile(std::shared_ptr<Device> device,
                                                const hetrun_graph_view& part,
                                                std::vector<NodeTuning> tuning) {
  if (part.struct_size < sizeof(hetrun_graph_view)) {
    ThrowInvalid("graph view struct_size " + std::to_string(part.struct_size) + " is too small");
  }
  if ((part.num_values && !part.values) || (part.num_nodes && !part.nodes) ||
      (part.num_inputs && !part.inputs) || (part.num_outputs && !part.outputs)) {
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  }
  std::shared_ptr<Executable> exe(new Executable(std::move(device)));
  if (!tuning.empty() && tuning.size() != part.num_nodes)
    throw plugin::Error(HETRUN_STATUS_INTERNAL, "tuning values for a different number of nodes");
  exe->tuning_ = std::move(tuning);
  exe->CopyValues(part);
  exe->BindPartInputs(part);
  exe->CreateNodes(part);
  exe->BindPartOutputs(part);
  exe->PlanInPlace();
  plugin::Log(HETRUN_LOG_DEBUG, "compiled a part of " + std::to_string(exe->nodes_.size()) +
                                    " nodes, " + std::to_string(exe->inputs_.size()) + " inputs, " +
                                    std::to_string(exe->outputs_.size()) + " outputs");
  return exe;
}

void Executable::CopyValues(const hetrun_graph_view& part) {
  values_.resize(part.num_values);
  for (uint32_t i = 0; i < part.num_values; ++i) {
    const hetrun_value& in = part.values[i];
    Value& value = values_[i];
    // Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string.
    value.name = in.name ? std::string(in.name) : std::string("#").append(std::to_string(i));
    value.dtype = in.dtype;
    value.rank = in.rank < 0 ? -1 : in.rank;
    if (value.rank > 0) {
      if (!in.dims) ThrowInvalid("value " + Quoted(value.name) + " has a rank but no dims");
      value.dims.assign(in.dims, in.dims + value.rank);
    }
    if (in.flags & HETRUN_VALUE_CONSTANT) {
      value.source = Source::kConstant;
      value.data = in.data;
      value.data_bytes = in.data_bytes;
    }
  }
}

void Executable::BindPartInputs(const hetrun_graph_view& part) {
  for (uint32_t i = 0; i < part.num_inputs; ++i) {
    const int32_t v = part.inputs[i];
    if (v < 0 || static_cast<uint32_t>(v) >= values_.size()) {
      ThrowInvalid("part input #" + std::to_string(i) + " has no value (index " +
                   std::to_string(v) + ")");
    }
    if (values_[v].source == Source::kPartInput) {
      ThrowInvalid("value " + Quoted(values_[v].name) + " is listed twice as a part input");
    }
    // Fed by the caller even if the view also marks it constant: the argument wins.
    values_[v].source = Source::kPartInput;
    inputs_.push_back(v);
  }
}

void Executable::CheckConstant(const Value& value) const {
  if (value.rank < 0 || std::count(value.dims.begin(), value.dims.end(), -1) > 0) {
    ThrowInvalid("constant " + Quoted(value.name) + " has an unknown shape");
  }
  const uint64_t bytes = TensorBytes(value.dtype, value.dims);
  if (value.data_bytes < bytes || (bytes > 0 && !value.data)) {
    ThrowInvalid("constant " + Quoted(value.name) + " has " + std::to_string(value.data_bytes) +
                 " bytes of data, its shape needs " + std::to_string(bytes));
  }
}

// One executable node per fusion group (fusion_plan.h); a group whose leader's kernel turns the
// epilogue down runs as its separate nodes instead.
void Executable::CreateNodes(const hetrun_graph_view& part) {
  std::vector<NodeGroup> groups;
  if (FusionEnabled()) {
    groups = PlanFusion(part);
  } else {
    for (uint32_t k = 0; k < part.num_nodes; ++k) groups.push_back(NodeGroup{k, {}, {}});
  }
  nodes_.reserve(part.num_nodes);
  for (const NodeGroup& group : groups) {
    if (!group.absorbed.empty() && AddFusedNode(part, group)) continue;
    for (uint32_t m : group.members()) AddNode(part, m);
  }
}

void Executable::AddNode(const hetrun_graph_view& part, uint32_t index) {
  const hetrun_node& view = part.nodes[index];
  const auto k = static_cast<int32_t>(nodes_.size());
  Node& node = nodes_.emplace_back();
  node.description = DescribeNode(view.name, view.op_type, index);
  node.part_node = index;
  try {
    CheckNodeArrays(view);
    BindNodeValues(view, k);
    node.inputs.assign(view.inputs, view.inputs + view.num_inputs);
    node.outputs.assign(view.outputs, view.outputs + view.num_outputs);
    node.kernel = CreateKernel(BuildContext(part, index));
    if (!node.kernel) throw plugin::Error(HETRUN_STATUS_INTERNAL, "no kernel was created");
    node.pool = PoolFor(index);
    BindOuterScopeInputs(node, k);
  } catch (...) {
    RethrowWithContext(node.description);
  }
}

// The leader's kernel with the group's epilogue, reading the leader's inputs and writing the last
// member's outputs; the values in between are never allocated. False (nothing changed) when the
// kernel cannot be created or turns the epilogue down: AddNode then reports or runs each node.
bool Executable::AddFusedNode(const hetrun_graph_view& part, const NodeGroup& group) {
  const hetrun_node& leader = part.nodes[group.leader];
  std::unique_ptr<Kernel> kernel;
  try {
    kernel = CreateKernel(BuildContext(part, group.leader));
  } catch (...) {
    return false;
  }
  auto* fusable = dynamic_cast<EpilogueFusable*>(kernel.get());
  if (!fusable || !fusable->FuseEpilogue(group.epilogue)) return false;

  const auto k = static_cast<int32_t>(nodes_.size());
  Node& node = nodes_.emplace_back();
  node.profile_label = GroupNodeNames(part, group) + " (" + GroupOpTypes(part, group) + ")";
  node.description =
      "node " + Quoted(GroupNodeNames(part, group)) + " (" + GroupOpTypes(part, group) + ")";
  node.part_node = group.leader;
  try {
    for (uint32_t m : group.members()) BindNodeValues(part.nodes[m], k);
  } catch (...) {
    RethrowWithContext(node.description);
  }
  const hetrun_node& last = part.nodes[group.last()];
  node.inputs.assign(leader.inputs, leader.inputs + leader.num_inputs);
  if (group.epilogue.residual) {  // the addend goes in its own slot, after the leader's inputs
    node.inputs.resize(std::max(node.inputs.size(), kResidualInput), -1);
    node.inputs.insert(node.inputs.begin() + kResidualInput, group.residual);
  }
  node.outputs.assign(last.outputs, last.outputs + last.num_outputs);
  node.kernel = std::move(kernel);
  node.pool = PoolFor(group.leader);
  plugin::Log(HETRUN_LOG_DEBUG, "fused " + node.description);
  return true;
}

KernelBuildContext Executable::BuildContext(const hetrun_graph_view& part, uint32_t index) const {
  KernelBuildContext ctx{part.nodes[index], part, device_};
  if (index < tuning_.size()) ctx.tuning = &tuning_[index];
  return ctx;
}

// "threads": 1 runs on a pool of one (the caller alone, no workers, shared by every such node),
// a count between 1 and the device's on that many of the device pool's threads.
std::shared_ptr<ThreadPool> Executable::PoolFor(uint32_t index) const {
  if (index >= tuning_.size()) return nullptr;
  const int64_t threads = tuning_[index].Get(kThreadsTunable, device_->pool().threads());
  if (threads >= device_->pool().threads() || threads < 1) return nullptr;
  if (threads == 1) {
    static const auto serial = std::make_shared<ThreadPool>(1);
    return serial;
  }
  return ThreadPool::Share(device_->pool(), static_cast<int>(threads));
}

// Checks the node's value indices and records that executable node `k` reads its inputs (liveness)
// and produces its outputs.
void Executable::BindNodeValues(const hetrun_node& view, int32_t k) {
  for (uint32_t i = 0; i < view.num_inputs; ++i) {
    const int32_t v = view.inputs[i];
    if (v < 0) continue;
    if (static_cast<uint32_t>(v) >= values_.size()) {
      ThrowInvalid("input value index " + std::to_string(v) + " is out of range");
    }
    Value& value = values_[v];
    if (value.source == Source::kNone) {
      ThrowInvalid("input " + Quoted(value.name) +
                   " is not a part input, a constant or an output of an earlier node");
    }
    if (value.source == Source::kConstant) CheckConstant(value);
    value.last_use = k;
  }
  for (uint32_t i = 0; i < view.num_outputs; ++i) {
    const int32_t v = view.outputs[i];
    if (v < 0) continue;
    if (static_cast<uint32_t>(v) >= values_.size()) {
      ThrowInvalid("output value index " + std::to_string(v) + " is out of range");
    }
    if (values_[v].source != Source::kNone) {
      ThrowInvalid("output " + Quoted(values_[v].name) +
                   " is already an input, a constant or another node's output");
    }
    values_[v].source = Source::kNodeOutput;
  }
}

// Subgraph reads become extra inputs of the node, after its own: that keeps the values alive until
// it runs and hands them to the kernel like any other input.
void Executable::BindOuterScopeInputs(Node& node, int32_t k) {
  const std::vector<std::string> names = node.kernel->OuterScopeInputs();
  if (names.empty()) return;
  if (value_by_name_.empty()) {
    for (size_t v = 0; v < values_.size(); ++v) {
      value_by_name_.emplace(values_[v].name, static_cast<int32_t>(v));
    }
  }
  for (const std::string& name : names) {
    const auto found = value_by_name_.find(name);
    if (found == value_by_name_.end() || values_[found->second].source == Source::kNone) {
      ThrowInvalid("its subgraph reads " + Quoted(name) +
                   ", which is not a part input, a constant or an output of an earlier node");
    }
    Value& value = values_[found->second];
    if (value.source == Source::kConstant) CheckConstant(value);
    value.last_use = k;
    node.inputs.push_back(found->second);
  }
}

void Executable::BindPartOutputs(const hetrun_graph_view& part) {
  for (uint32_t j = 0; j < part.num_outputs; ++j) {
    const int32_t v = part.outputs[j];
    if (v < 0 || static_cast<uint32_t>(v) >= values_.size()) {
      ThrowInvalid("part output #" + std::to_string(j) + " has no value (index " +
                   std::to_string(v) + ")");
    }
    Value& value = values_[v];
    if (value.source == Source::kNone) {
      ThrowInvalid("output " + Quoted(value.name) + " is not produced by the part");
    }
    if (value.source == Source::kConstant) CheckConstant(value);
    if (value.part_output < 0) value.part_output = static_cast<int32_t>(j);
    outputs_.push_back(v);
  }
}

void Executable::PlanInPlace() {
  for (size_t k = 0; k < nodes_.size(); ++k) {
    Node& node = nodes_[k];
    node.in_place_input.assign(node.outputs.size(), -1);
    std::vector<bool> taken(node.inputs.size(), false);
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const int32_t out = node.outputs[o];
      // Part outputs are written straight into the caller's buffer, never into the arena.
      if (out < 0 || values_[out].part_output >= 0) continue;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const int32_t in = node.inputs[i];
        if (in < 0 || taken[i]) continue;
        const Value& value = values_[in];
        // Only an arena tensor that dies here may be overwritten: not a caller's input, not a
        // constant, not an output, and not read through a second input slot of this node.
        const bool dies_here = value.source == Source::kNodeOutput && value.part_output < 0 &&
                               value.last_use == static_cast<int32_t>(k) &&
                               std::count(node.inputs.begin(), node.inputs.end(), in) == 1;
        if (dies_here && node.kernel->AliasesInput(o, i)) {
          node.in_place_input[o] = static_cast<int32_t>(i);
          taken[i] = true;
          break;
        }
      }
    }
  }
}

Executable::RunArgs Executable::BindArguments(const hetrun_tensor_arg* inputs, uint32_t num_inputs,
                                              hetrun_tensor_arg* outputs,
                                              uint32_t num_outputs) const {
  if (num_inputs != inputs_.size()) {
    ThrowInvalid("the part takes " + std::to_string(inputs_.size()) + " inputs, execute got " +
                 std::to_string(num_inputs));
  }
  if (num_outputs != outputs_.size()) {
    ThrowInvalid("the part has " + std::to_string(outputs_.size()) + " outputs, execute got " +
                 std::to_string(num_outputs));
  }
  if ((num_inputs && !inputs) || (num_outputs && !outputs)) {
    ThrowInvalid("execute got a NULL argument array with a non-zero count");
  }

  RunArgs args;
  args.inputs.resize(num_inputs);
  for (uint32_t i = 0; i < num_inputs; ++i) {
    const hetrun_tensor_arg& arg = inputs[i];
    const Value& value = values_[inputs_[i]];
    const std::string what = "input " + Quoted(value.name);
    BoundInput& bound = args.inputs[i];
    bound.buffer = UnwrapBuffer(arg.buffer, (what + "'s buffer").c_str());
    if (value.dtype != HETRUN_DTYPE_UNDEFINED && arg.dtype != value.dtype) {
      ThrowInvalid(what + ": dtype " + plugin::DTypeName(arg.dtype) + " given, the part expects " +
                   plugin::DTypeName(value.dtype));
    }
    if (arg.rank > HETRUN_MAX_RANK) {
      ThrowInvalid(what + ": rank " + std::to_string(arg.rank) + " exceeds HETRUN_MAX_RANK");
    }
    if (value.rank >= 0 && arg.rank != static_cast<uint32_t>(value.rank)) {
      ThrowInvalid(what + ": rank " + std::to_string(arg.rank) + " given, the part expects " +
                   std::to_string(value.rank));
    }
    for (uint32_t d = 0; value.rank >= 0 && d < arg.rank; ++d) {
      if (value.dims[d] >= 0 && arg.dims[d] != value.dims[d]) {
        ThrowInvalid(what + ": dims " + FormatDims(arg.dims, arg.rank) +
                     " given, the part expects " + FormatDims(value.dims));
      }
    }
    uint64_t bytes = 0;
    try {
      bytes = TensorBytes(arg.dtype, arg.dims, arg.rank);
    } catch (...) {
      RethrowWithContext(what);
    }
    if (arg.offset % ElementBytes(arg.dtype) != 0) {
      ThrowInvalid(what + ": offset " + std::to_string(arg.offset) +
                   " is not a multiple of the element size");
    }
    if (!RangeFits(arg.offset, bytes, bound.buffer->bytes())) {
      ThrowInvalid(what + ": " + std::to_string(bytes) + " bytes at offset " +
                   std::to_string(arg.offset) + " do not fit its buffer of " +
                   std::to_string(bound.buffer->bytes()) + " bytes");
    }
    bound.offset = arg.offset;
    bound.dtype = arg.dtype;
    bound.dims.assign(arg.dims, arg.dims + arg.rank);
  }

  args.outputs.resize(num_outputs);
  for (uint32_t j = 0; j < num_outputs; ++j) {
    hetrun_tensor_arg& arg = outputs[j];
    BoundOutput& bound = args.outputs[j];
    bound.arg = &arg;
    if (!arg.buffer) continue;  // allocated by the run; the shape is not known yet
    const Value& value = values_[outputs_[j]];
    const std::string what = "output " + Quoted(value.name);
    bound.buffer = UnwrapBuffer(arg.buffer, (what + "'s buffer").c_str());
    if (value.dtype != HETRUN_DTYPE_UNDEFINED && arg.dtype != value.dtype) {
      ThrowInvalid(what + ": dtype " + plugin::DTypeName(arg.dtype) + " given, the part produces " +
                   plugin::DTypeName(value.dtype));
    }
    if (arg.rank > HETRUN_MAX_RANK) {
      ThrowInvalid(what + ": rank " + std::to_string(arg.rank) + " exceeds HETRUN_MAX_RANK");
    }
    const size_t element_bytes = ElementBytes(arg.dtype);
    if (element_bytes == 0 || arg.offset % element_bytes != 0) {
      ThrowInvalid(what + ": offset " + std::to_string(arg.offset) +
                   " is not a multiple of the element size of " + plugin::DTypeName(arg.dtype));
    }
    bound.offset = arg.offset;
    bound.dtype = arg.dtype;
    bound.dims.assign(arg.dims, arg.dims + arg.rank);
  }
  return args;
}

}  // namespace hetrun::cpu
