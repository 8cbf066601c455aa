#include "hetrun/runtime/session.h"

#include <chrono>
#include <cstring>

#include "hetrun/core/graph_view.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/partitioner/priority_partitioner.h"

namespace hetrun::runtime {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

// A part compiled for its device, with the graph values it reads and writes in argument order.
struct Session::CompiledPart {
  size_t index = 0;
  const Device* device = nullptr;
  hetrun_executable_t executable = nullptr;
  std::vector<core::ValueId> inputs, outputs;
  ~CompiledPart() {
    if (executable != nullptr) device->api().executable_release(executable);
  }
};

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::Create(const std::string& model_path,
                                                 const SessionOptions& options) {
  std::unique_ptr<Session> session(new Session());
  session->timeout_ms_ = options.timeout_ms;
  auto start = std::chrono::steady_clock::now();
  core::ImportOptions import_options;
  import_options.input_shapes = options.input_shapes;
  HETRUN_ASSIGN_OR_RETURN(session->graph_, core::ImportOnnxFile(model_path, import_options));
  session->import_ms_ = MsSince(start);

  for (core::ValueId id : session->graph_.inputs) {
    const core::Value& v = session->graph_.values[id];
    session->inputs_.push_back({v.name, v.dtype, v.shape});
  }
  for (core::ValueId id : session->graph_.outputs) {
    const core::Value& v = session->graph_.values[id];
    session->outputs_.push_back({v.name, v.dtype, v.shape});
  }
  start = std::chrono::steady_clock::now();
  HETRUN_RETURN_IF_ERROR(session->Compile(options));
  session->compile_ms_ = MsSince(start);
  return session;
}

Status Session::Compile(const SessionOptions& options) {
  if (options.devices.empty()) return InvalidArgument("no devices given (e.g. --devices cpu)");
  registry_ = std::make_unique<plugin_api::PluginRegistry>(options.plugin_paths);

  // 1. Open the devices, in the user's order (only the plugins named are loaded).
  std::vector<std::string> device_names;
  for (const std::string& text : options.devices) {
    HETRUN_ASSIGN_OR_RETURN(DeviceName name, DeviceName::Parse(text));
    for (const std::string& seen : device_names)
      if (seen == name.ToString()) return InvalidArgument("device '" + seen + "' listed twice");
    HETRUN_ASSIGN_OR_RETURN(plugin_api::PluginLibrary * plugin, registry_->Load(name.plugin));
    HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<Device> device,
                            Device::Open(*plugin, name.index, name.ToString(), options.threads));
    devices_.push_back(std::move(device));
    device_names.push_back(name.ToString());
  }

  // 2. Ask every device about every node.
  std::unique_ptr<core::GraphView> whole = core::GraphView::Build(graph_);
  partitioner::CapabilityTable answers(devices_.size());
  for (size_t d = 0; d < devices_.size(); ++d) {
    const Device& device = *devices_[d];
    std::vector<hetrun_node_support> support(graph_.nodes.size());
    for (hetrun_node_support& s : support) s.struct_size = sizeof(s);
    HETRUN_RETURN_IF_ERROR(
        device.Check(device.api().query_support(device.handle(), whole->view(), support.data()),
                     "query_support"));
    answers[d].resize(graph_.nodes.size());
    for (size_t n = 0; n < support.size(); ++n) {
      support[n].reason[sizeof(support[n].reason) - 1] = '\0';  // never trust a plugin's string
      answers[d][n] = {support[n].supported != 0, support[n].cost_us, support[n].reason};
      if (!answers[d][n].supported && answers[d][n].reason.empty())
        answers[d][n].reason = "declined without a reason";
    }
  }

  // 3. Partition, then 4. compile each part on its device.
  HETRUN_ASSIGN_OR_RETURN(plan_, partitioner::PartitionByPriority(graph_, device_names, answers));
  std::vector<size_t> last_part_reading(graph_.values.size(), 0);
  for (size_t p = 0; p < plan_.parts.size(); ++p) {
    const partitioner::Part& part = plan_.parts[p];
    std::unique_ptr<core::GraphView> view = core::GraphView::BuildPart(graph_, part.nodes);
    auto compiled = std::make_unique<CompiledPart>();
    compiled->index = p;
    compiled->device = devices_[part.device].get();
    compiled->inputs = view->input_ids();
    compiled->outputs = view->output_ids();
    hetrun_executable_t executable = nullptr;
    HETRUN_RETURN_IF_ERROR(compiled->device->Check(
        compiled->device->api().compile(compiled->device->handle(), view->view(), &executable),
        "compile part " + std::to_string(p)));
    compiled->executable = executable;
    for (core::ValueId v : compiled->inputs) last_part_reading[v] = p;
    parts_.push_back(std::move(compiled));
  }

  // Host copies of values can be dropped after the last part that reads them (never graph outputs).
  release_after_part_.assign(parts_.size(), {});
  std::vector<bool> is_output(graph_.values.size(), false);
  for (core::ValueId v : graph_.outputs) is_output[v] = true;
  for (const auto& part : parts_)
    for (core::ValueId v : part->inputs)
      if (!is_output[v]) release_after_part_[last_part_reading[v]].push_back(v);
  return Status::Ok();
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

Status Session::RunPart(const CompiledPart& part,
                        std::map<core::ValueId, core::Tensor>& env) const {
  const Device& device = *part.device;
  const std::string where = "part " + std::to_string(part.index);
  std::vector<DeviceBuffer> buffers;
  std::vector<hetrun_tensor_arg> in_args(part.inputs.size());
  for (size_t i = 0; i < part.inputs.size(); ++i) {
    auto it = env.find(part.inputs[i]);
    if (it == env.end())
      return InternalError(where + ": value '" + graph_.values[part.inputs[i]].name + "' missing");
    const core::Tensor& t = it->second;
    if (t.dtype() == core::DType::kString)
      return Unimplemented(where + ": string tensors cannot be passed to a device");
    if (t.dims().size() > HETRUN_MAX_RANK)
      return Unimplemented(where + ": rank " + std::to_string(t.dims().size()) + " above " +
                           std::to_string(HETRUN_MAX_RANK));
    HETRUN_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(device, t.byte_size()));
    if (t.byte_size() > 0)
      HETRUN_RETURN_IF_ERROR(device.Check(
          device.api().buffer_write(device.handle(), buffer.get(), 0, t.data(), t.byte_size()),
          where + ": write input"));
    hetrun_tensor_arg& arg = in_args[i];
    arg.buffer = buffer.get();
    arg.dtype = static_cast<hetrun_dtype_t>(t.dtype());
    arg.rank = static_cast<uint32_t>(t.dims().size());
    std::copy(t.dims().begin(), t.dims().end(), arg.dims);
    buffers.push_back(std::move(buffer));
  }
  // Outputs are allocated by the plugin once their shapes are known (dynamic shapes work).
  std::vector<hetrun_tensor_arg> out_args(part.outputs.size());
  hetrun_event_t raw_event = nullptr;
  HETRUN_RETURN_IF_ERROR(device.Check(
      device.api().execute(part.executable, in_args.data(), static_cast<uint32_t>(in_args.size()),
                           out_args.data(), static_cast<uint32_t>(out_args.size()), nullptr, 0,
                           &raw_event),
      where + ": execute"));
  DeviceEvent event(&device, raw_event);
  // Adopt output buffers before checking the wait's status, so they are released on error too.
  Status waited = event.Wait(timeout_ms_, where);
  std::vector<DeviceBuffer> outputs;
  for (hetrun_tensor_arg& arg : out_args) outputs.emplace_back(&device, arg.buffer);
  HETRUN_RETURN_IF_ERROR(waited);

  for (size_t o = 0; o < part.outputs.size(); ++o) {
    const hetrun_tensor_arg& arg = out_args[o];
    const std::string& name = graph_.values[part.outputs[o]].name;
    if (arg.buffer == nullptr || arg.rank > HETRUN_MAX_RANK)
      return InternalError(where + ": plugin returned no valid tensor for output '" + name + "'");
    std::vector<int64_t> dims(arg.dims, arg.dims + arg.rank);
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t,
                            core::Tensor::Create(static_cast<core::DType>(arg.dtype), dims));
    if (t.byte_size() > 0)
      HETRUN_RETURN_IF_ERROR(
          device.Check(device.api().buffer_read(device.handle(), arg.buffer, arg.offset,
                                                t.mutable_data(), t.byte_size()),
                       where + ": read output '" + name + "'"));
    env[part.outputs[o]] = std::move(t);
  }
  return Status::Ok();
}

Result<std::vector<core::Tensor>> Session::Run(
    const std::map<std::string, core::Tensor>& inputs) const {
  std::map<core::ValueId, core::Tensor> env;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    auto it = inputs.find(inputs_[i].name);
    if (it == inputs.end()) return InvalidArgument("input '" + inputs_[i].name + "' not given");
    HETRUN_RETURN_IF_ERROR(CheckInput(inputs_[i], it->second));
    env[graph_.inputs[i]] = it->second;
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
  for (size_t p = 0; p < parts_.size(); ++p) {
    HETRUN_RETURN_IF_ERROR(RunPart(*parts_[p], env));
    for (core::ValueId v : release_after_part_[p]) env.erase(v);
  }
  std::vector<core::Tensor> outputs;
  for (core::ValueId id : graph_.outputs) {
    const core::Value& v = graph_.values[id];
    if (auto it = env.find(id); it != env.end())
      outputs.push_back(it->second);
    else if (v.constant)
      outputs.push_back(*v.constant);
    else
      return InternalError("output '" + v.name + "' was not computed");
  }
  return outputs;
}

}  // namespace hetrun::runtime
