#include "tuning/device_timer.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "hetrun/core/graph_view.h"
#include "tuning/median.h"

namespace hetrun::runtime::tuning {
namespace {

using Clock = std::chrono::steady_clock;

double UsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// Releases an executable when the measurement ends, however it ends.
struct ExecutableHolder {
  const Device& device;
  hetrun_executable_t executable = nullptr;
  ~ExecutableHolder() {
    if (executable) device.api().executable_release(executable);
  }
};

// One execute() of a compiled part: inputs bound, outputs allocated by the plugin and released.
// `device_us`, when given, receives the device's own time of the run (if it reports one).
Status ExecuteOnce(const Device& device, hetrun_executable_t executable,
                   const std::vector<hetrun_tensor_arg>& inputs, size_t num_outputs,
                   uint64_t timeout_ms, const std::string& what,
                   std::optional<double>* device_us = nullptr) {
  std::vector<hetrun_tensor_arg> outputs(num_outputs);
  hetrun_event_t raw = nullptr;
  HETRUN_RETURN_IF_ERROR(device.Check(
      device.api().execute(executable, inputs.data(), static_cast<uint32_t>(inputs.size()),
                           outputs.data(), static_cast<uint32_t>(outputs.size()), nullptr, 0, &raw),
      what + ": execute"));
  DeviceEvent event(&device, raw);
  Status waited = event.Wait(timeout_ms, what);
  if (waited.code() == StatusCode::kTimeout) return waited;  // the plugin may still use the buffers
  if (waited.ok() && device_us) *device_us = device.ElapsedUs(event.get());
  std::vector<hetrun_buffer_t> released;
  for (const hetrun_tensor_arg& out : outputs)
    if (out.buffer && std::find(released.begin(), released.end(), out.buffer) == released.end()) {
      device.api().buffer_release(device.handle(), out.buffer);
      released.push_back(out.buffer);
    }
  return waited;
}

}  // namespace

Result<std::unique_ptr<NodeTimer>> NodeTimer::Create(
    const Device& device, const core::Graph& graph, core::NodeId node,
    const std::map<std::string, core::Tensor>& values) {
  const core::Node& n = graph.nodes[node];
  std::unique_ptr<NodeTimer> timer(new NodeTimer(device));
  timer->what_ = "node '" + n.name + "' (" + n.op_type + ")";
  const std::string& what = timer->what_;
  timer->view_ = core::GraphView::BuildPart(graph, {node});
  const core::GraphView& view = *timer->view_;
  timer->inputs_.resize(view.input_ids().size());
  for (size_t i = 0; i < timer->inputs_.size(); ++i) {
    const std::string& name = graph.values[view.input_ids()[i]].name;
    auto it = values.find(name);
    if (it == values.end())
      return InternalError(what + ": no captured value for input '" + name + "'");
    const core::Tensor& t = it->second;
    if (t.dtype() == core::DType::kString)
      return Unimplemented(what + ": string inputs are not timed");
    if (t.dims().size() > HETRUN_MAX_RANK)
      return Unimplemented(what + ": input '" + name + "' has a rank above the ABI's");
    HETRUN_ASSIGN_OR_RETURN(DeviceBuffer buffer,
                            DeviceBuffer::Allocate(device, std::max<uint64_t>(t.byte_size(), 1)));
    if (t.byte_size() > 0)
      HETRUN_RETURN_IF_ERROR(device.Check(
          device.api().buffer_write(device.handle(), buffer.get(), 0, t.data(), t.byte_size()),
          what + ": write input '" + name + "'"));
    hetrun_tensor_arg& arg = timer->inputs_[i];
    arg.buffer = buffer.get();
    arg.offset = 0;
    arg.dtype = static_cast<hetrun_dtype_t>(t.dtype());
    arg.rank = static_cast<uint32_t>(t.dims().size());
    std::copy(t.dims().begin(), t.dims().end(), arg.dims);
    timer->buffers_.push_back(std::move(buffer));
  }
  return timer;
}

Result<Timing> NodeTimer::Time(const NodeTuning& tuning, const TimerLimits& limits) const {
  const std::string what = tuning.empty() ? what_ : what_ + " with " + FormatNodeTuning(tuning);
  ExecutableHolder holder{device_};
  HETRUN_RETURN_IF_ERROR(device_.Compile(view(), {tuning}, &holder.executable, what));
  const size_t num_outputs = view_->output_ids().size();
  // Untimed first: lazy initialisation (JIT, pipeline creation, first-touch pages) is not the cost.
  HETRUN_RETURN_IF_ERROR(
      ExecuteOnce(device_, holder.executable, inputs_, num_outputs, limits.timeout_ms, what));
  std::vector<double> samples, device_samples;
  const Clock::time_point begin = Clock::now();
  while (samples.empty() || (static_cast<int>(samples.size()) < limits.repetitions &&
                             UsSince(begin) < limits.max_ms * 1e3)) {
    const Clock::time_point start = Clock::now();
    std::optional<double> device_us;
    HETRUN_RETURN_IF_ERROR(ExecuteOnce(device_, holder.executable, inputs_, num_outputs,
                                       limits.timeout_ms, what, &device_us));
    samples.push_back(UsSince(start));
    if (device_us) device_samples.push_back(*device_us);
  }
  Timing timing{Median(samples), 0, static_cast<int>(samples.size())};
  // Only when every run had one: a median over a mix would compare unlike things.
  if (device_samples.size() == samples.size()) timing.device_median_us = Median(device_samples);
  return timing;
}

Result<Timing> TimeNode(const Device& device, const core::Graph& graph, core::NodeId node,
                        const std::map<std::string, core::Tensor>& values,
                        const TimerLimits& limits) {
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<NodeTimer> timer,
                          NodeTimer::Create(device, graph, node, values));
  return timer->Time({}, limits);
}

Result<double> TimePartOverhead(const Device& device, const TimerLimits& limits) {
  for (const char* op : {"Relu", "Identity"}) {
    core::Graph graph;
    graph.name = "part_overhead";
    graph.opsets[""] = 17;
    core::Value x;
    x.name = "x";
    x.dtype = core::DType::kFloat32;
    x.shape.rank_known = true;
    x.shape.dims = {core::Dim{1}};
    core::Value y = x;
    y.name = "y";
    const core::ValueId in = graph.AddValue(x), out = graph.AddValue(y);
    graph.inputs = {in};
    graph.outputs = {out};
    core::Node node;
    node.name = std::string("probe_") + op;
    node.op_type = op;
    node.inputs = {in};
    node.outputs = {out};
    graph.nodes.push_back(node);
    graph.values[out].producer = 0;

    std::unique_ptr<core::GraphView> view = core::GraphView::Build(graph);
    hetrun_node_support support{};
    support.struct_size = sizeof(support);
    HETRUN_RETURN_IF_ERROR(device.Check(
        device.api().query_support(device.handle(), view->view(), &support), "query_support"));
    if (!support.supported) continue;
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, core::Tensor::Create(core::DType::kFloat32, {1}));
    std::map<std::string, core::Tensor> values;
    values.emplace("x", std::move(t));
    TimerLimits many = limits;
    many.repetitions = std::max(limits.repetitions, 21);
    HETRUN_ASSIGN_OR_RETURN(Timing timing, TimeNode(device, graph, 0, values, many));
    return timing.median_us;
  }
  return 0.0;
}

Result<LinkTiming> TimeLink(const Device& device) {
  constexpr uint64_t kSmall = 4 << 10, kLarge = 8 << 20;
  std::vector<char> host(kLarge, 1);
  HETRUN_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(device, kLarge));
  auto time_copies = [&](uint64_t bytes) -> Result<double> {
    std::vector<double> samples;
    for (int r = 0; r < 7; ++r) {
      const Clock::time_point start = Clock::now();
      HETRUN_RETURN_IF_ERROR(device.Check(
          device.api().buffer_write(device.handle(), buffer.get(), 0, host.data(), bytes),
          "time the host link: write"));
      HETRUN_RETURN_IF_ERROR(device.Check(
          device.api().buffer_read(device.handle(), buffer.get(), 0, host.data(), bytes),
          "time the host link: read"));
      if (r > 0) samples.push_back(UsSince(start) / 2);  // the first pair warms up
    }
    return Median(samples);
  };
  HETRUN_ASSIGN_OR_RETURN(double small_us, time_copies(kSmall));
  HETRUN_ASSIGN_OR_RETURN(double large_us, time_copies(kLarge));
  LinkTiming link;
  const double extra_us = std::max(large_us - small_us, 1e-3);
  link.gbps = static_cast<double>(kLarge - kSmall) / (extra_us * 1e3);
  link.latency_us = std::max(small_us - static_cast<double>(kSmall) / (link.gbps * 1e3), 0.0);
  return link;
}

}  // namespace hetrun::runtime::tuning
