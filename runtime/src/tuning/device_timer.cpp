#include "tuning/device_timer.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "hetrun/core/graph_view.h"

namespace hetrun::runtime::tuning {
namespace {

using Clock = std::chrono::steady_clock;

double UsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double Median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
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
Status ExecuteOnce(const Device& device, hetrun_executable_t executable,
                   const std::vector<hetrun_tensor_arg>& inputs, size_t num_outputs,
                   uint64_t timeout_ms, const std::string& what) {
  std::vector<hetrun_tensor_arg> outputs(num_outputs);
  hetrun_event_t raw = nullptr;
  HETRUN_RETURN_IF_ERROR(device.Check(
      device.api().execute(executable, inputs.data(), static_cast<uint32_t>(inputs.size()),
                           outputs.data(), static_cast<uint32_t>(outputs.size()), nullptr, 0, &raw),
      what + ": execute"));
  Status waited = DeviceEvent(&device, raw).Wait(timeout_ms, what);
  if (waited.code() == StatusCode::kTimeout) return waited;  // the plugin may still use the buffers
  std::vector<hetrun_buffer_t> released;
  for (const hetrun_tensor_arg& out : outputs)
    if (out.buffer && std::find(released.begin(), released.end(), out.buffer) == released.end()) {
      device.api().buffer_release(device.handle(), out.buffer);
      released.push_back(out.buffer);
    }
  return waited;
}

}  // namespace

Result<Timing> TimeNode(const Device& device, const core::Graph& graph, core::NodeId node,
                        const std::map<std::string, core::Tensor>& values,
                        const TimerLimits& limits) {
  const core::Node& n = graph.nodes[node];
  const std::string what = "node '" + n.name + "' (" + n.op_type + ")";
  std::unique_ptr<core::GraphView> view = core::GraphView::BuildPart(graph, {node});
  ExecutableHolder holder{device};
  HETRUN_RETURN_IF_ERROR(device.Check(
      device.api().compile(device.handle(), view->view(), &holder.executable), "compile " + what));

  std::vector<DeviceBuffer> buffers;
  std::vector<hetrun_tensor_arg> inputs(view->input_ids().size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& name = graph.values[view->input_ids()[i]].name;
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
    hetrun_tensor_arg& arg = inputs[i];
    arg.buffer = buffer.get();
    arg.offset = 0;
    arg.dtype = static_cast<hetrun_dtype_t>(t.dtype());
    arg.rank = static_cast<uint32_t>(t.dims().size());
    std::copy(t.dims().begin(), t.dims().end(), arg.dims);
    buffers.push_back(std::move(buffer));
  }
  const size_t num_outputs = view->output_ids().size();
  // Untimed first: lazy initialisation (JIT, pipeline creation, first-touch pages) is not the cost.
  HETRUN_RETURN_IF_ERROR(
      ExecuteOnce(device, holder.executable, inputs, num_outputs, limits.timeout_ms, what));
  std::vector<double> samples;
  const Clock::time_point begin = Clock::now();
  while (samples.empty() || (static_cast<int>(samples.size()) < limits.repetitions &&
                             UsSince(begin) < limits.max_ms * 1e3)) {
    const Clock::time_point start = Clock::now();
    HETRUN_RETURN_IF_ERROR(
        ExecuteOnce(device, holder.executable, inputs, num_outputs, limits.timeout_ms, what));
    samples.push_back(UsSince(start));
  }
  return Timing{Median(samples), static_cast<int>(samples.size())};
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
