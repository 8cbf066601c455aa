#include "planner.h"

#include <algorithm>
#include <set>

#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

bool IsView(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Identity" || op == "Dropout";
}

// A run of elementwise nodes that becomes one kernel.
struct Group {
  std::vector<uint32_t> nodes;
  std::vector<int64_t> shape;
  std::set<int32_t> produced, loaded;
};

}  // namespace

Plan BuildPlan(const GraphInfo& graph, const Limits& limits, uint32_t max_bindings,
               const PartTuning& tuning) {
  const hetrun_graph_view& view = graph.view();
  Plan plan;
  plan.values.reserve(graph.num_values());
  for (size_t v = 0; v < graph.num_values(); ++v)
    plan.values.push_back(graph.value(static_cast<int32_t>(v)));
  plan.root.resize(plan.values.size());
  for (size_t v = 0; v < plan.root.size(); ++v) plan.root[v] = static_cast<int32_t>(v);
  plan.produced.assign(plan.values.size(), false);
  plan.inputs.assign(view.inputs, view.inputs + view.num_inputs);
  plan.outputs.assign(view.outputs, view.outputs + view.num_outputs);

  // Steps in order: a group of elementwise nodes, or one other node (index in `singles`).
  struct Step {
    int32_t group = -1;
    uint32_t node = 0;
  };
  std::vector<Step> steps;
  std::vector<Group> groups;
  std::vector<int32_t> producer_group(plan.values.size(), -1);
  for (uint32_t k = 0; k < view.num_nodes; ++k) {
    const std::string reason = CheckNodeSupported(graph, k, limits);
    if (!reason.empty())
      throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, graph.Describe(k) + ": " + reason);
    if (graph.folded(k)) continue;  // its output is a constant now
    const hetrun_node& node = graph.node(k);
    const std::string op = node.op_type;
    const int32_t out = node.outputs[0];
    if (node.num_inputs + node.num_outputs > max_bindings) {
      throw plugin::Error(
          HETRUN_STATUS_UNIMPLEMENTED,
          graph.Describe(k) + ": more tensors than the device's storage buffer bindings");
    }
    if (IsView(op)) {
      plan.root[out] = plan.root[node.inputs[0]];
      continue;
    }
    for (uint32_t o = 0; o < node.num_outputs; ++o)
      if (node.outputs[o] >= 0) plan.produced[node.outputs[o]] = true;
    if (!IsElementwiseOp(op)) {
      steps.push_back({-1, k});
      continue;
    }
    const std::vector<int64_t>& shape = graph.value(out).dims;
    // Join the previous step when it is an elementwise group of the same shape that produces one of
    // this node's inputs in a register, and no input is read back from that group's memory.
    bool join = !steps.empty() && steps.back().group >= 0;
    Group* group = join ? &groups[static_cast<size_t>(steps.back().group)] : nullptr;
    if (join) join = group->shape == shape;
    bool feeds = false;
    std::set<int32_t> loads;
    for (uint32_t i = 0; join && i < node.num_inputs; ++i) {
      const int32_t v = node.inputs[i];
      if (v < 0) continue;
      if (group->produced.count(v)) {
        feeds = true;
      } else if (producer_group[plan.root[v]] == steps.back().group) {
        join = false;  // a view of the group's output: other invocations write it
      } else if (!graph.ScalarConstant(v) && !group->loaded.count(v)) {
        loads.insert(v);
      }
    }
    join = join && feeds &&
           group->loaded.size() + loads.size() + group->produced.size() + 1 <= max_bindings;
    if (!join) {
      groups.push_back(Group{{}, shape, {}, {}});
      steps.push_back({static_cast<int32_t>(groups.size() - 1), k});
      group = &groups.back();
      loads.clear();
      for (uint32_t i = 0; i < node.num_inputs; ++i) {
        if (node.inputs[i] >= 0 && !graph.ScalarConstant(node.inputs[i]))
          loads.insert(node.inputs[i]);
      }
    }
    group->nodes.push_back(k);
    group->produced.insert(out);
    group->loaded.insert(loads.begin(), loads.end());
    producer_group[out] = steps.back().group;
  }

  const NodeTuning untuned;
  for (const Step& step : steps) {
    if (step.group < 0) {
      const NodeTuning& tuned = step.node < tuning.size() ? tuning[step.node] : untuned;
      const std::string op = graph.node(step.node).op_type;
      if (op == "MatMul" || op == "Gemm") {
        plan.kernels.push_back(GenerateMatMul(graph, step.node, limits, tuned));
      } else if (IsTransposeOp(op)) {
        plan.kernels.push_back(GenerateTranspose(graph, step.node, limits));
        RetypeMovement(graph.value(graph.node(step.node).outputs[0]).dtype, &plan.kernels.back());
      } else if (IsWindowOp(op)) {
        plan.kernels.push_back(GenerateWindow(graph, step.node, limits, tuned));
      } else if (IsReduceOp(op)) {
        plan.kernels.push_back(GenerateReduceOrNorm(graph, step.node, limits));
      } else if (IsMovementOp(op)) {
        plan.kernels.push_back(GenerateMovement(graph, step.node, limits));
        RetypeMovement(graph.value(graph.node(step.node).outputs[0]).dtype, &plan.kernels.back());
      } else if (IsArgOp(op)) {
        plan.kernels.push_back(GenerateArg(graph, step.node, limits));
      } else if (IsLossOp(op)) {
        plan.kernels.push_back(GenerateLoss(graph, step.node, limits));
      } else if (IsFillOp(op)) {
        plan.kernels.push_back(GenerateFill(graph, step.node, limits));
      } else if (op == "Resize") {
        plan.kernels.push_back(GenerateResize(graph, step.node, limits));
      } else if (op == "ConvTranspose") {
        plan.kernels.push_back(GenerateConvTranspose(graph, step.node, limits));
      } else {
        plan.kernels.push_back(GenerateSoftmax(graph, step.node, limits));
      }
      plan.kernels.back().first_node = step.node;
      continue;
    }
    const Group& group = groups[static_cast<size_t>(step.group)];
    // A value leaves the registers when it is a part output or read by a node outside the group.
    std::vector<bool> stored(plan.values.size(), false);
    for (int32_t v : group.produced) {
      const ValueInfo& info = graph.value(v);
      stored[v] = info.part_output;
      for (uint32_t reader : info.readers) {
        if (std::find(group.nodes.begin(), group.nodes.end(), reader) == group.nodes.end()) {
          stored[v] = true;
        }
      }
    }
    plan.kernels.push_back(GenerateElementwise(graph, group.nodes, stored, limits));
    Kernel& kernel = plan.kernels.back();
    kernel.first_node = group.nodes.front();
    if (group.nodes.size() > 1) {  // named as the CPU plugin names its fused groups
      std::string names, ops;
      for (uint32_t k : group.nodes) {
        const hetrun_node& node = graph.node(k);
        names += (names.empty() ? "" : "+") + std::string(node.name ? node.name : "");
        ops += (ops.empty() ? "" : "+") + std::string(node.op_type);
      }
      kernel.profile_label = names + " (" + ops + ")";
    }
  }
  return plan;
}

}  // namespace hetrun::vulkan
