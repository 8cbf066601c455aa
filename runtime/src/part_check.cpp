#include "hetrun/runtime/part_check.h"

#include <unordered_set>

#include "hetrun/core/tensor_compare.h"
#include "subgraph.h"

namespace hetrun::runtime {
namespace {

constexpr const char* kReference = "cpu";

using Values = std::map<std::string, core::Tensor>;

std::string NodeLabel(const core::Node& node) {
  return node.name + " (" + node.op_type + ")";
}

// Runs `nodes` of `graph` alone on `device`, fed from `values`; returns `outputs` by name.
Result<Values> RunNodes(const core::Graph& graph, const std::vector<core::NodeId>& nodes,
                        const std::vector<core::ValueId>& outputs, const std::string& device,
                        const SessionOptions& base, const Values& values) {
  HETRUN_ASSIGN_OR_RETURN(core::Graph sub, ExtractSubgraph(graph, nodes, outputs));
  SessionOptions options;
  options.devices = {device};
  options.plugin_paths = base.plugin_paths;
  options.threads = base.threads;
  options.timeout_ms = base.timeout_ms;
  Values feed;
  for (core::ValueId v : sub.inputs) {
    auto it = values.find(sub.values[v].name);
    if (it == values.end())
      return InternalError("no captured value for '" + sub.values[v].name + "'");
    feed.emplace(it->first, it->second);
  }
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                          Session::Create(std::move(sub), options));
  HETRUN_ASSIGN_OR_RETURN(std::vector<core::Tensor> results, session->Run(feed));
  Values out;
  for (size_t i = 0; i < results.size(); ++i)
    out.emplace(session->outputs()[i].name, std::move(results[i]));
  return out;
}

OutputCheck Compare(const std::string& name, const core::Tensor& device, const core::Tensor& cpu,
                    const PartCheckOptions& check) {
  const core::TensorComparison c = core::CompareTensors(device, cpu, check.rtol, check.atol);
  return {name, c.ok, c.max_abs_error, c.max_rel_error, c.mismatches, c.message};
}

// The first node of `nodes` (run on `device`) whose output diverges from the CPU's, by bisection
// over prefixes: a prefix diverges when any value it hands on (to later nodes, or out of the part)
// differs. Prefixes keep their natural fusion, so a fused-kernel bug shows up too.
Result<std::string> FirstDivergentNode(const core::Graph& graph,
                                       const std::vector<core::NodeId>& nodes,
                                       const std::string& device, const SessionOptions& base,
                                       const Values& values, const PartCheckOptions& check) {
  auto diverges = [&](size_t length) -> Result<bool> {
    const std::vector<core::NodeId> prefix(nodes.begin(), nodes.begin() + length);
    // Hand-on values of the prefix: read by the rest of the part or beyond.
    const std::vector<core::ValueId> outputs = BoundaryOutputs(graph, prefix);
    HETRUN_ASSIGN_OR_RETURN(Values on_device,
                            RunNodes(graph, prefix, outputs, device, base, values));
    HETRUN_ASSIGN_OR_RETURN(Values on_cpu,
                            RunNodes(graph, prefix, outputs, kReference, base, values));
    for (const auto& [name, tensor] : on_device)
      if (!Compare(name, tensor, on_cpu.at(name), check).ok) return true;
    return false;
  };
  size_t lo = 1, hi = nodes.size();  // invariant: the prefix of length hi diverges
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    HETRUN_ASSIGN_OR_RETURN(bool bad, diverges(mid));
    if (bad)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NodeLabel(graph.nodes[nodes[hi - 1]]);
}

}  // namespace

bool PartCheck::ok() const {
  for (const OutputCheck& o : outputs)
    if (!o.ok) return false;
  return true;
}

Result<std::vector<PartCheck>> CheckParts(const Session& session, const SessionOptions& options,
                                          const std::map<std::string, core::Tensor>& inputs,
                                          const PartCheckOptions& check) {
  const core::Graph& graph = session.graph();
  const partitioner::Plan& plan = session.plan();
  std::vector<PartCheck> checks;
  bool any_device_part = false;
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    PartCheck c;
    c.part = static_cast<int>(p);
    c.device = plan.devices[plan.parts[p].device];
    if (c.device == kReference || c.device == std::string(kReference) + ":0")
      c.note = "runs on the reference device";
    else
      any_device_part = true;
    checks.push_back(std::move(c));
  }
  if (!any_device_part) return checks;

  // Capture every value that crosses a part boundary, by running the same plan with those values
  // made graph outputs.
  core::Graph capture = graph;
  std::unordered_set<core::ValueId> exposed(capture.outputs.begin(), capture.outputs.end());
  for (const partitioner::Part& part : plan.parts)
    for (core::ValueId v : BoundaryOutputs(graph, part.nodes))
      if (exposed.insert(v).second) capture.outputs.push_back(v);
  SessionOptions capture_options = options;
  capture_options.plan_in.clear();
  capture_options.pins.clear();
  capture_options.fallback = FallbackPolicy::kNone;
  capture_options.replay.clear();
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    capture_options.replay.emplace_back(graph.nodes[n].name, plan.devices[plan.node_device[n]]);
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> capturing,
                          Session::Create(std::move(capture), capture_options));
  HETRUN_ASSIGN_OR_RETURN(std::vector<core::Tensor> captured, capturing->Run(inputs));
  Values values = inputs;
  for (size_t i = 0; i < captured.size(); ++i)
    values.emplace(capturing->outputs()[i].name, std::move(captured[i]));

  for (PartCheck& c : checks) {
    if (!c.note.empty()) continue;
    const std::vector<core::NodeId>& nodes = plan.parts[c.part].nodes;
    const std::vector<core::ValueId> outputs = BoundaryOutputs(graph, nodes);
    Result<Values> reference = RunNodes(graph, nodes, outputs, kReference, options, values);
    if (!reference.ok()) {
      c.note = "the CPU could not run it: " + reference.status().message();
      continue;
    }
    c.checked = true;
    for (core::ValueId v : outputs) {
      const std::string& name = graph.values[v].name;
      c.outputs.push_back(Compare(name, values.at(name), reference->at(name), check));
    }
    if (c.ok() || !check.bisect) continue;
    Result<std::string> node = FirstDivergentNode(graph, nodes, c.device, options, values, check);
    if (node.ok())
      c.first_divergent_node = *node;
    else
      c.note = "bisection failed: " + node.status().message();
  }
  return checks;
}

}  // namespace hetrun::runtime
