#include "hetrun/runtime/session.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "container_support.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/partitioner/plan_format.h"
#include "scheduler.h"
#include "tuning/measured_costs.h"
#include "tuning/plan_check.h"
#include "warm_start.h"

namespace hetrun::runtime {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

partitioner::DeviceCost CostOf(const Device& device) {
  const DeviceProperties& p = device.properties();
  partitioner::DeviceCost cost;
  cost.name = device.display_name();
  cost.host_memory = (p.flags & HETRUN_DEVICE_HOST_MEMORY) != 0;
  cost.link_gbps = p.host_link_gbps;
  cost.link_latency_us = p.host_link_latency_us;
  cost.peak_gflops = p.peak_gflops;
  cost.memory_gbps = p.memory_gbps;
  cost.memory_bytes = p.memory_bytes;
  return cost;
}

// --cache-dir: each plugin keeps its compiled code in a directory of its own beside the plans.
std::string PluginCacheDir(const SessionOptions& options, const std::string& plugin) {
  if (options.cache_dir.empty()) return "";
  return (std::filesystem::path(options.cache_dir) / plugin).string();
}

}  // namespace

Result<FallbackPolicy> ParseFallbackPolicy(const std::string& text) {
  if (text == "none") return FallbackPolicy::kNone;
  if (text == "cpu") return FallbackPolicy::kCpu;
  return InvalidArgument("--fallback '" + text + "': expected none or cpu");
}

Session::Session() = default;
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::Create(const std::string& model_path,
                                                 const SessionOptions& options) {
  const bool warm_start = options.warm_start && !options.plan_only &&
                          options.devices != std::vector<std::string>{"cpu"};
  if (!options.cache_dir.empty() && !warm_start) return CreateCached(model_path, options);
  auto start = std::chrono::steady_clock::now();
  core::ImportOptions import_options;
  import_options.input_shapes = options.input_shapes;
  HETRUN_ASSIGN_OR_RETURN(core::Graph graph, core::ImportOnnxFile(model_path, import_options));
  const double import_ms = MsSince(start);
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Create(std::move(graph), options));
  session->import_ms_ = import_ms;
  session->create_ms_ = MsSince(start);
  return session;
}

Result<std::unique_ptr<Session>> Session::Create(core::Graph graph, const SessionOptions& options) {
  if (options.warm_start && !options.plan_only &&
      options.devices != std::vector<std::string>{"cpu"})
    return CreateWarmStart(std::move(graph), options);
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Session> session(new Session());
  session->Init(std::move(graph), options);
  HETRUN_RETURN_IF_ERROR(session->Prepare(options));
  session->create_ms_ = MsSince(start);
  return session;
}

void Session::Init(core::Graph graph, const SessionOptions& options) {
  graph_ = std::move(graph);
  timeout_ms_ = options.timeout_ms;
  verify_finite_ = options.verify_finite.value_or(options.fallback == FallbackPolicy::kCpu);
  profile_nodes_ = options.profile_nodes;
  plan_only_ = options.plan_only;
  for (core::ValueId id : graph_.inputs) {
    const core::Value& v = graph_.values[id];
    inputs_.push_back({v.name, v.dtype, v.shape});
  }
  for (core::ValueId id : graph_.outputs) {
    const core::Value& v = graph_.values[id];
    outputs_.push_back({v.name, v.dtype, v.shape});
  }
}

Status Session::Prepare(const SessionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  HETRUN_RETURN_IF_ERROR(OpenDevices(options));
  open_ms_ = MsSince(start);
  return PlanAndCompile(options, nullptr);
}

Status Session::PlanAndCompile(const SessionOptions& options,
                               const partitioner::CapabilityTable* known_answers) {
  auto start = std::chrono::steady_clock::now();
  HETRUN_RETURN_IF_ERROR(PlanParts(options, known_answers));
  partition_ms_ = MsSince(start);
  if (plan_only_) return Status::Ok();
  start = std::chrono::steady_clock::now();
  scheduler_ = std::make_unique<Scheduler>(*this, options.fallback);
  HETRUN_RETURN_IF_ERROR(scheduler_->Compile());
  compile_ms_ = MsSince(start);
  return Status::Ok();
}

Status Session::OpenDevices(const SessionOptions& options) {
  if (options.devices.empty()) return InvalidArgument("no devices given (e.g. --devices cpu)");
  registry_ = options.registry != nullptr
                  ? options.registry
                  : std::make_shared<plugin_api::PluginRegistry>(options.plugin_paths);
  // The selected devices in the user's order (only the plugins named are loaded).
  for (const std::string& text : options.devices) {
    HETRUN_ASSIGN_OR_RETURN(DeviceName name, DeviceName::Parse(text));
    for (const auto& seen : devices_)
      if (seen->display_name() == name.ToString())
        return InvalidArgument("device '" + seen->display_name() + "' listed twice");
    const auto load_start = std::chrono::steady_clock::now();
    HETRUN_ASSIGN_OR_RETURN(plugin_api::PluginLibrary * plugin, registry_->Load(name.plugin));
    plugin_load_ms_ += MsSince(load_start);
    HETRUN_ASSIGN_OR_RETURN(
        std::unique_ptr<Device> device,
        Device::Open(*plugin, name.index, name.ToString(), options.threads,
                     PluginCacheDir(options, name.plugin), options.profile_nodes));
    if (name.ToString() == "cpu") fallback_device_ = static_cast<int>(devices_.size());
    devices_.push_back(std::move(device));
  }
  selected_devices_ = devices_.size();
  // --fallback cpu needs a CPU device even when it was not selected; open it now so a missing
  // CPU plugin is reported before anything runs.
  if (options.fallback == FallbackPolicy::kCpu && fallback_device_ < 0) {
    const auto load_start = std::chrono::steady_clock::now();
    HETRUN_ASSIGN_OR_RETURN(plugin_api::PluginLibrary * cpu, registry_->Load("cpu"));
    plugin_load_ms_ += MsSince(load_start);
    HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Device> device,
                            Device::Open(*cpu, 0, "cpu", options.threads,
                                         PluginCacheDir(options, "cpu"), options.profile_nodes));
    fallback_device_ = static_cast<int>(devices_.size());
    devices_.push_back(std::move(device));
  }
  return Status::Ok();
}

Status Session::PlanParts(const SessionOptions& options,
                          const partitioner::CapabilityTable* known_answers) {
  // Ask every selected device about every node.
  std::unique_ptr<core::GraphView> whole = core::GraphView::Build(graph_);
  partitioner::PartitionRequest request;
  request.graph = &graph_;
  request.strategy = options.partition;
  request.pins = options.pins;
  request.answers.resize(selected_devices_);
  for (const auto& [name, bytes] : options.device_memory) {
    bool selected = false;
    for (size_t d = 0; d < selected_devices_; ++d) selected |= devices_[d]->display_name() == name;
    if (!selected)
      return InvalidArgument("--device-memory " + name + "=...: '" + name +
                             "' is not among the selected devices");
  }
  for (size_t d = 0; d < selected_devices_; ++d) {
    const Device& device = *devices_[d];
    request.devices.push_back(CostOf(device));
    if (auto it = options.device_memory.find(device.display_name());
        it != options.device_memory.end())
      request.devices.back().memory_bytes = it->second;
    if (known_answers != nullptr) {  // from the plan cache, for this graph and these devices
      request.answers[d] = (*known_answers)[d];
      continue;
    }
    std::vector<hetrun_node_support> support(graph_.nodes.size());
    for (hetrun_node_support& s : support) s.struct_size = sizeof(s);
    if (!graph_.nodes.empty())
      HETRUN_RETURN_IF_ERROR(
          device.Check(device.api().query_support(device.handle(), whole->view(), support.data()),
                       "query_support"));
    request.answers[d].resize(graph_.nodes.size());
    for (size_t n = 0; n < support.size(); ++n) {
      support[n].reason[sizeof(support[n].reason) - 1] = '\0';  // never trust a plugin's string
      request.answers[d][n] = {support[n].supported != 0, support[n].cost_us, support[n].reason};
      if (!request.answers[d][n].supported && request.answers[d][n].reason.empty())
        request.answers[d][n].reason = "declined without a reason";
    }
    if (!RunsPackedValues(device.api())) {
      const std::vector<std::string> touched = PackedValuesTouched(graph_);
      for (size_t n = 0; n < touched.size(); ++n)
        if (!touched[n].empty())
          request.answers[d][n] = {false, 0,
                                   "touches the string/sequence/optional value '" + touched[n] +
                                       "'; the plugin does not declare "
                                       "HETRUN_PLUGIN_PACKED_VALUES (declined by the host)"};
    }
  }
  // `hetrun tune`'s measurements replace estimates (answers from the plan cache have them already).
  for (const std::string& warning :
       tuning::ApplyMeasuredCosts(options.cache_dir, options.threads, devices_, graph_, request,
                                  options.apply_tuned_values, options.tuned_nodes.get()))
    cache_info_.warning += (cache_info_.warning.empty() ? "" : "; ") + warning;
  std::string measured_note;
  if (tuning::FollowsPlanCheck(options)) {
    std::vector<std::string> warnings;
    measured_note = tuning::ApplyPlanCheck(options.cache_dir, options.threads, devices_, graph_,
                                           request, &warnings);
    for (const std::string& warning : warnings)
      cache_info_.warning += (cache_info_.warning.empty() ? "" : "; ") + warning;
  }
  request.replay = options.replay;
  if (!options.plan_in.empty()) {
    std::ifstream in(options.plan_in);
    if (!in) return NotFound("--plan-in: cannot read '" + options.plan_in + "'");
    std::stringstream text;
    text << in.rdbuf();
    HETRUN_ASSIGN_OR_RETURN(request.replay, partitioner::ReadPlanJson(text.str()));
    if (request.replay.empty() && !graph_.nodes.empty())
      return InvalidArgument("--plan-in: '" + options.plan_in + "' has no nodes");
  }
  HETRUN_ASSIGN_OR_RETURN(plan_, partitioner::Partition(request));
  plan_.measured_note = std::move(measured_note);
  return Status::Ok();
}

std::vector<std::string> Session::track_names() const {
  if (warm_) return Active().track_names();
  std::vector<std::string> names;
  for (size_t d = 0; d < devices_.size(); ++d)
    names.push_back(devices_[d]->display_name() + (d >= selected_devices_ ? " (fallback)" : ""));
  names.push_back("transfers");
  return names;
}

std::vector<uint64_t> Session::peak_bytes() const {
  if (warm_) return Active().peak_bytes();
  if (!scheduler_) return std::vector<uint64_t>(devices_.size(), 0);
  return scheduler_->PeakBytes();
}

Status Session::CheckInput(const IoInfo& info, const core::Tensor& tensor) const {
  if (tensor.dtype() != info.dtype)
    return InvalidArgument("input '" + info.name + "': expected " +
                           std::string(core::DTypeName(info.dtype)) + ", got " +
                           std::string(core::DTypeName(tensor.dtype())));
  if (info.shape.rank_known) {
    bool ok = tensor.dims().size() == info.shape.dims.size();
    for (size_t i = 0; ok && i < tensor.dims().size(); ++i)
      ok = !info.shape.dims[i].known() || info.shape.dims[i].value == tensor.dims()[i];
    if (!ok)
      return InvalidArgument("input '" + info.name + "': expected shape " + info.shape.ToString() +
                             ", got " + tensor.Describe() + " (use --shape to fix dynamic dims)");
  }
  return Status::Ok();
}

Result<std::vector<core::Tensor>> Session::Run(const std::map<std::string, core::Tensor>& inputs,
                                               RunStats* stats) const {
  if (warm_) {
    const Session& active = Active();
    if (stats) stats->warm_start_cpu = &active == warm_->starter.get();
    return active.Run(inputs, stats);
  }
  if (!scheduler_) return InvalidArgument("this session was created to plan only; it cannot run");
  std::map<core::ValueId, core::Tensor> fed;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    auto it = inputs.find(inputs_[i].name);
    if (it == inputs.end()) return InvalidArgument("input '" + inputs_[i].name + "' not given");
    HETRUN_RETURN_IF_ERROR(CheckInput(inputs_[i], it->second));
    fed[graph_.inputs[i]] = it->second;
  }
  for (const auto& [name, tensor] : inputs) {
    bool known = false;
    for (const IoInfo& info : inputs_) known = known || info.name == name;
    if (!known) {
      std::string names;
      for (const IoInfo& info : inputs_) names += (names.empty() ? "" : ", ") + info.name;
      return InvalidArgument("the model has no input '" + name + "' (inputs: " + names + ")");
    }
  }
  HETRUN_ASSIGN_OR_RETURN(auto produced, scheduler_->Run(fed, stats));
  std::vector<core::Tensor> outputs;
  for (core::ValueId id : graph_.outputs) {
    const core::Value& v = graph_.values[id];
    if (auto it = produced.find(id); it != produced.end())
      outputs.push_back(std::move(it->second));
    else if (auto in = fed.find(id); in != fed.end())
      outputs.push_back(in->second);
    else if (v.constant)
      outputs.push_back(*v.constant);
    else
      return InternalError("output '" + v.name + "' was not computed");
  }
  return outputs;
}

}  // namespace hetrun::runtime
