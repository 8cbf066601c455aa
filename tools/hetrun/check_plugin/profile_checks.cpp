#include "profile_checks.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crash_reporter.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/runtime/device.h"
#include "plugin_runs.h"

namespace hetrun::cli::check_plugin {
namespace {

constexpr const char* kCheck = "profile.node_times";

// x -> op -> op -> y on float32[4x8]: two nodes, which a plugin may run as one kernel or two.
struct Chain {
  core::Graph graph;
  std::unique_ptr<core::GraphView> view;
};

Chain MakeChain(const std::string& op) {
  Chain c;
  c.graph.name = "profile_probe";
  c.graph.opsets[""] = 17;
  for (const char* name : {"x", "h", "y"}) {
    core::Value v;
    v.name = name;
    v.dtype = core::DType::kFloat32;
    v.shape = core::Shape::Of({4, 8});
    c.graph.AddValue(v);
  }
  c.graph.inputs = {0};
  c.graph.outputs = {2};
  for (int i = 0; i < 2; ++i) {
    core::Node n;
    n.name = "probe_" + op + "_" + std::to_string(i);
    n.op_type = op;
    n.inputs = {i};
    n.outputs = {i + 1};
    c.graph.nodes.push_back(n);
  }
  c.view = core::GraphView::Build(c.graph);
  return c;
}

bool ClaimsAll(const runtime::Device& d, const hetrun_graph_view* view) {
  std::vector<hetrun_node_support> answers(view->num_nodes);
  for (hetrun_node_support& s : answers) s.struct_size = sizeof s;
  if (!d.Check(d.api().query_support(d.handle(), view, answers.data()), "query_support").ok())
    return false;
  for (const hetrun_node_support& s : answers)
    if (!s.supported) return false;
  return true;
}

std::vector<hetrun_node_time> Entries(size_t n) {
  std::vector<hetrun_node_time> v(n);
  for (hetrun_node_time& e : v) {
    std::memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
  }
  return v;
}

// What is wrong with the answer, or "" when nothing is.
std::string Judge(const std::vector<hetrun_node_time>& times, uint32_t nodes,
                  std::optional<double> elapsed_us) {
  if (times.empty()) return "no entries for an execution of " + std::to_string(nodes) + " nodes";
  double previous_start = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    const hetrun_node_time& t = times[i];
    const std::string at = "entry " + std::to_string(i) + ": ";
    if (t.node >= nodes)
      return at + "node " + std::to_string(t.node) + " of a part of " + std::to_string(nodes);
    if (!std::isfinite(t.start_us) || !std::isfinite(t.duration_us) || t.start_us < 0 ||
        t.duration_us < 0)
      return at + "start " + std::to_string(t.start_us) + " us, duration " +
             std::to_string(t.duration_us) + " us (must be finite and >= 0)";
    if (t.start_us < previous_start)
      return at + "starts before the entry before it (entries come in run order)";
    previous_start = t.start_us;
    if (elapsed_us && t.start_us + t.duration_us > *elapsed_us * 1.01 + 5)
      return at + "ends at " + std::to_string(t.start_us + t.duration_us) +
             " us, after the execution's own " + std::to_string(*elapsed_us) + " us";
    if (std::memchr(t.label, '\0', sizeof t.label) == nullptr)
      return at + "label not NUL-terminated";
  }
  return "";
}

}  // namespace

void RunProfileChecks(plugin_api::PluginLibrary& plugin, uint32_t device, uint64_t timeout_ms,
                      CheckLog& log) {
  SetCurrentCheck(kCheck);
  const hetrun_plugin_v1& t = plugin.table();
  if (!plugin.HasSlot(offsetof(hetrun_plugin_v1, event_node_times) + sizeof(void*)) ||
      t.event_node_times == nullptr) {
    log.Skip(kCheck, "the plugin times parts only (no event_node_times)");
    return;
  }
  Result<std::unique_ptr<runtime::Device>> opened =
      runtime::Device::Open(plugin, device, plugin.name() + " (profiling)", 0, "", true);
  if (!opened.ok()) {
    log.Fail(kCheck, "device_open with profile_nodes = 1 failed: " + opened.status().message());
    return;
  }
  const runtime::Device& d = **opened;
  Chain chain;
  for (const char* op : {"Relu", "Abs", "Neg", "Sigmoid", "Add"}) {
    chain = MakeChain(op);
    if (ClaimsAll(d, chain.view->view())) break;
    chain.view.reset();
  }
  if (!chain.view) {
    log.Skip(kCheck, "the device claims none of Relu, Abs, Neg, Sigmoid, Add (two in a row)");
    return;
  }
  Result<Executable> exe = Compile(d, chain.view->view());
  if (!exe.ok()) {
    log.Fail(kCheck, "compile of a claimed two-node part failed: " + exe.status().message());
    return;
  }
  // The run, by hand: event_node_times needs the event.
  Result<runtime::DeviceBuffer> x = runtime::DeviceBuffer::Allocate(d, 4 * 8 * sizeof(float));
  if (!x.ok()) {
    log.Fail(kCheck, x.status().message());
    return;
  }
  std::vector<float> values(32, 0.5f);
  if (Status s = d.Check(d.api().buffer_write(d.handle(), x->get(), 0, values.data(),
                                              values.size() * sizeof(float)),
                         "buffer_write");
      !s.ok()) {
    log.Fail(kCheck, s.message());
    return;
  }
  hetrun_tensor_arg in = TensorArg(x->get(), 0, HETRUN_DTYPE_FLOAT32, {4, 8});
  hetrun_tensor_arg out{};
  hetrun_event_t raw = nullptr;
  if (Status s = d.Check(d.api().execute(exe->get(), &in, 1, &out, 1, nullptr, 0, &raw), "execute");
      !s.ok()) {
    log.Fail(kCheck, s.message());
    return;
  }
  runtime::DeviceEvent event(&d, raw);
  Status waited = event.Wait(timeout_ms, "event_wait");
  runtime::DeviceBuffer output(&d, out.buffer);  // released whatever happens
  if (!waited.ok()) {
    log.Fail(kCheck, waited.message());
    return;
  }
  const uint32_t nodes = chain.view->view()->num_nodes;
  uint32_t count = 0;
  Status counted = d.Check(t.event_node_times(d.handle(), raw, nullptr, 0, &count),
                           "event_node_times (no room)");
  if (counted.code() == StatusCode::kUnimplemented) {
    // The slot is there (the SDK's framework always fills it) but this plugin keeps no times.
    log.Skip(kCheck, "the plugin keeps no node times: " + counted.message());
    return;
  }
  if (!counted.ok()) {
    log.Fail(kCheck, counted.message());
    return;
  }
  std::vector<hetrun_node_time> times = Entries(std::max<uint32_t>(count, 1) + 1);
  uint32_t again = 0;
  Status listed = d.Check(t.event_node_times(d.handle(), raw, times.data(),
                                             static_cast<uint32_t>(times.size()), &again),
                          "event_node_times");
  if (!listed.ok()) {
    log.Fail(kCheck, listed.message());
    return;
  }
  if (again != count) {
    log.Fail(kCheck, "the count with no room (" + std::to_string(count) +
                         ") differs from the count with room (" + std::to_string(again) + ")");
    return;
  }
  times.resize(count);
  const std::string problem = Judge(times, nodes, d.ElapsedUs(raw));
  log.Expect(kCheck, problem.empty(),
             problem.empty()
                 ? std::to_string(count) + " entr" + (count == 1 ? "y" : "ies") + " for " +
                       std::to_string(nodes) + " " + chain.graph.nodes[0].op_type + " nodes"
                 : problem);
}

}  // namespace hetrun::cli::check_plugin
