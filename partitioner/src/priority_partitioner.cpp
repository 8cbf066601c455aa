#include "hetrun/partitioner/priority_partitioner.h"

namespace hetrun::partitioner {

Result<Plan> PartitionByPriority(const core::Graph& graph, const std::vector<std::string>& devices,
                                 const CapabilityTable& answers) {
  if (devices.empty()) return InvalidArgument("no devices selected");
  if (answers.size() != devices.size()) return InternalError("capability table size mismatch");
  Plan plan;
  plan.devices = devices;
  plan.node_device.assign(graph.nodes.size(), -1);

  std::string unsupported;
  int unsupported_count = 0;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    for (size_t d = 0; d < devices.size(); ++d) {
      if (answers[d].size() != graph.nodes.size())
        return InternalError("capability table size mismatch");
      if (answers[d][n].supported) {
        plan.node_device[n] = static_cast<int>(d);
        break;
      }
    }
    if (plan.node_device[n] != -1) continue;
    if (++unsupported_count > 5) continue;  // the first few are enough to act on
    const core::Node& node = graph.nodes[n];
    unsupported += (unsupported.empty() ? "" : "; ") + std::string("node '") + node.name + "' (" +
                   (node.domain.empty() ? "" : node.domain + ".") + node.op_type + ")";
    for (size_t d = 0; d < devices.size(); ++d)
      unsupported += " [" + devices[d] + ": " + answers[d][n].reason + "]";
  }
  if (unsupported_count > 0)
    return Unimplemented(std::to_string(unsupported_count) +
                         " node(s) not supported by any selected device: " + unsupported +
                         (unsupported_count > 5 ? "; ..." : ""));

  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    int d = plan.node_device[n];
    if (plan.parts.empty() || plan.parts.back().device != d) plan.parts.push_back(Part{d, {}});
    plan.parts.back().nodes.push_back(static_cast<core::NodeId>(n));
  }
  HETRUN_RETURN_IF_ERROR(VerifyPlan(graph, plan));
  return plan;
}

}  // namespace hetrun::partitioner
