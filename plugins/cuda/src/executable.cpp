#include "executable.h"

#include <algorithm>
#include <utility>

#include "cuda_target.h"
#include "gen_errors.h"
#include "graph_info.h"
#include "launch.h"
#include "nvrtc_compiler.h"

namespace hetrun::cuda {
namespace {

uint64_t Bytes(const vulkan::ValueInfo& value) {
  return value.elements() * plugin::DTypeSize(value.dtype);
}

}  // namespace

std::vector<char> CompileModule(const std::vector<CudaKernel>& kernels, const std::string& arch) {
  try {
    return CompileCuda(ModuleSource(kernels), arch, "the part's kernels").image;
  } catch (const plugin::Error&) {
    for (const CudaKernel& kernel : kernels) CompileCuda(ModuleSource({kernel}), arch, kernel.what);
    throw;  // each compiles alone: the module's error stands
  }
}

std::string NvrtcTargetFor(int arch) {
  const std::vector<int> known = NvrtcArchitectures();
  if (std::find(known.begin(), known.end(), arch) != known.end())
    return "sm_" + std::to_string(arch);
  int newest = 0;
  for (int a : known)
    if (a <= arch) newest = std::max(newest, a);
  if (newest == 0) {
    throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED,
                        "NVRTC " + NvrtcVersion() + " cannot compile for sm_" +
                            std::to_string(arch) + " or any older architecture");
  }
  return "compute_" + std::to_string(newest);
}

Executable::Executable(std::shared_ptr<Device> device, const hetrun_graph_view& part,
                       const vulkan::PartTuning& tuning)
    : device_(std::move(device)) {
  const vulkan::GraphInfo graph(part);
  const CudaTarget& target = device_->gpu().target;
  plan_ = vulkan::BuildPlan(graph, target.limits, target.max_bindings, tuning);
  for (int32_t v : plan_.outputs) {
    const vulkan::ValueInfo& value = plan_.values[static_cast<size_t>(v)];
    const bool fed =
        std::find(plan_.inputs.begin(), plan_.inputs.end(), plan_.root[v]) != plan_.inputs.end();
    if (!plan_.produced[plan_.root[v]] && !value.constant && !fed)
      vulkan::ThrowInvalid("part output '" + value.name + "' is not produced by the part");
    if (!value.static_shape() || !vulkan::IsDeviceDType(value.dtype)) {
      throw plugin::Error(
          HETRUN_STATUS_UNIMPLEMENTED,
          "part output '" + value.name + "' is not float32, int32, int64 or bool of static shape");
    }
  }
  for (uint32_t k = 0; k < plan_.kernels.size(); ++k)
    kernels_.push_back(TranslateKernel(plan_.kernels[k], k));
  const DriverApi& api = device_->context()->api();
  device_->context()->MakeCurrent();
  if (!kernels_.empty()) {
    const std::vector<char> image = CompileModule(kernels_, NvrtcTargetFor(target.arch));
    device_->context()->Check(api.cuModuleLoadData(&module_, image.data()), "cuModuleLoadData");
    for (const CudaKernel& kernel : kernels_) {
      CUfunction function = nullptr;
      device_->context()->Check(api.cuModuleGetFunction(&function, module_, kernel.entry.c_str()),
                                "cuModuleGetFunction");
      functions_.push_back(function);
    }
  }
  UploadConstants();
  plugin::Log(HETRUN_LOG_DEBUG, "compiled a part of " + std::to_string(part.num_nodes) +
                                    " nodes into " + std::to_string(kernels_.size()) +
                                    " CUDA kernels");
}

Executable::~Executable() {
  if (!module_) return;
  try {
    device_->context()->MakeCurrent();
    device_->context()->api().cuModuleUnload(module_);
  } catch (...) {
  }
}

void Executable::UploadConstants() {
  constants_.resize(plan_.values.size());
  auto upload = [&](int32_t v) {
    const vulkan::ValueInfo& value = plan_.values[static_cast<size_t>(v)];
    if (!value.constant || constants_[v]) return;
    const uint64_t bytes = Bytes(value);
    if (value.data_bytes < bytes) {
      vulkan::ThrowInvalid("constant '" + value.name + "' has " + std::to_string(value.data_bytes) +
                           " bytes, its shape needs " + std::to_string(bytes));
    }
    auto buffer = std::make_shared<DeviceBuffer>(device_->context(), bytes);
    if (bytes > 0) device_->Write(*buffer, 0, value.data, bytes);
    constants_[v] = std::move(buffer);
  };
  for (const vulkan::Kernel& kernel : plan_.kernels)
    for (int32_t v : kernel.bindings) upload(v);
  for (int32_t v : plan_.outputs) upload(plan_.root[v]);  // a constant returned as an output
}

std::shared_ptr<plugin::Event> Executable::Execute(
    const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs,
    std::vector<std::shared_ptr<plugin::Event>> waits) {
  std::shared_ptr<const Executable> self = shared_from_this();
  return device_->queue().SubmitAfter(
      std::move(waits), [self, inputs, outputs]() mutable { self->Run(inputs, outputs); });
}

void Executable::Run(const plugin::TensorArgs& inputs, plugin::MutableTensorArgs& outputs) const {
  const std::shared_ptr<Context>& context = device_->context();
  const DriverApi& api = context->api();
  context->MakeCurrent();
  const size_t n = plan_.values.size();
  auto slot_of = [](const std::shared_ptr<plugin::Buffer>& buffer, uint64_t offset) {
    return Slot{buffer, static_cast<DeviceBuffer&>(*buffer).pointer(), offset};
  };
  std::vector<Slot> where(n);
  for (size_t i = 0; i < inputs.size(); ++i)
    where[plan_.inputs[i]] = slot_of(inputs[i].buffer, inputs[i].offset);
  for (size_t v = 0; v < n; ++v) {
    if (constants_[v]) where[v] = slot_of(constants_[v], 0);
  }
  // Kernel outputs go straight into the first part output they are, else into a temporary.
  std::vector<bool> placed(plan_.outputs.size(), false);
  auto output_slot = [&](size_t j, const vulkan::ValueInfo& value) {
    if (outputs.NeedsAllocation(j)) {
      auto buffer = std::make_shared<DeviceBuffer>(context, Bytes(value));
      outputs.SetOutput(j, buffer, value.dtype, value.dims);
    }
    return slot_of(outputs[j].buffer, outputs[j].offset);
  };
  for (size_t v = 0; v < n; ++v) {
    if (!plan_.produced[v]) continue;
    const auto it = std::find(plan_.outputs.begin(), plan_.outputs.end(), static_cast<int32_t>(v));
    if (it != plan_.outputs.end()) {
      const size_t j = static_cast<size_t>(it - plan_.outputs.begin());
      where[v] = output_slot(j, plan_.values[v]);
      placed[j] = true;
    } else {
      where[v] = slot_of(std::make_shared<DeviceBuffer>(context, Bytes(plan_.values[v])), 0);
    }
  }
  for (size_t v = 0; v < n; ++v) {
    if (plan_.root[v] != static_cast<int32_t>(v)) where[v] = where[plan_.root[v]];
  }

  for (size_t k = 0; k < kernels_.size(); ++k) {
    const vulkan::Kernel& kernel = plan_.kernels[k];
    std::vector<hetrun_dtype_t> dtypes;
    std::vector<uint64_t> pointers, offsets;
    for (int32_t v : kernel.bindings) {
      const Slot& slot = where[static_cast<size_t>(v)];
      if (!slot.buffer)
        throw plugin::Error(HETRUN_STATUS_INTERNAL, kernel.what + ": unbound tensor");
      dtypes.push_back(plan_.values[static_cast<size_t>(v)].dtype);
      pointers.push_back(slot.pointer);
      offsets.push_back(slot.offset);
    }
    Launch launch = MakeLaunch(kernels_[k], kernel, dtypes, pointers, offsets);
    std::vector<void*> params = launch.Params();
    context->Check(api.cuLaunchKernel(functions_[k], launch.grid[0], launch.grid[1], launch.grid[2],
                                      launch.block[0], launch.block[1], launch.block[2], 0,
                                      context->stream(), params.data(), nullptr),
                   kernel.what.c_str());
  }
  // Outputs no kernel wrote in place (views, pass-through inputs, constants) are copied.
  for (size_t j = 0; j < plan_.outputs.size(); ++j) {
    if (placed[j]) continue;
    const vulkan::ValueInfo& value = plan_.values[static_cast<size_t>(plan_.outputs[j])];
    const Slot target = output_slot(j, value);
    const Slot& source = where[static_cast<size_t>(plan_.outputs[j])];
    if (Bytes(value) == 0) continue;
    context->Check(
        api.cuMemcpyDtoDAsync(target.pointer + target.offset, source.pointer + source.offset,
                              Bytes(value), context->stream()),
        "cuMemcpyDtoDAsync (part output)");
  }
  // The temporaries in `where` are freed after this wait, never under a running kernel.
  context->Finish();
}

}  // namespace hetrun::cuda
