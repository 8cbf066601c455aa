#include "executable.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "errors.h"
#include "shader_compiler.h"

namespace hetrun::vulkan {
namespace {

// Runs `f` when the scope ends, however it ends (the Vulkan objects one run creates).
template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

uint64_t Bytes(const ValueInfo& value) {
  return value.elements() * plugin::DTypeSize(value.dtype);
}

}  // namespace

Limits DeviceLimits(const Device& device) {
  Limits limits;
  limits.max_buffer_bytes = device.limits().maxStorageBufferRange;
  for (int d = 0; d < 3; ++d) limits.max_groups[d] = device.limits().maxComputeWorkGroupCount[d];
  limits.int64 = device.shader_int64();
  limits.max_local_invocations = std::min({device.limits().maxComputeWorkGroupInvocations,
                                           device.limits().maxComputeWorkGroupSize[0],
                                           device.limits().maxComputeWorkGroupSize[1]});
  return limits;
}

uint32_t MaxBindings(const Device& device) {
  const VkPhysicalDeviceLimits& l = device.limits();
  return std::min({l.maxPerStageDescriptorStorageBuffers, l.maxDescriptorSetStorageBuffers,
                   l.maxPushConstantsSize / 4u, 32u});
}

std::shared_ptr<Executable> Executable::Compile(std::shared_ptr<Device> device,
                                                const hetrun_graph_view& part,
                                                const hetrun_tuning_value* values,
                                                uint32_t num_values) {
  device->CheckNotLost();
  std::shared_ptr<Executable> exe(new Executable(device));
  const GraphInfo graph(part);
  const Limits limits = DeviceLimits(*device);
  const PartTuning tuning = ResolveTuning(graph, limits, values, num_values);
  exe->plan_ = BuildPlan(graph, limits, MaxBindings(*device), tuning);
  for (int32_t v : exe->plan_.outputs) {
    const ValueInfo& value = exe->plan_.values[static_cast<size_t>(v)];
    if (v < 0 || (!exe->plan_.produced[exe->plan_.root[v]] && !value.constant &&
                  std::find(exe->plan_.inputs.begin(), exe->plan_.inputs.end(),
                            exe->plan_.root[v]) == exe->plan_.inputs.end())) {
      ThrowInvalid("part output '" + value.name + "' is not produced by the part");
    }
    if (!value.static_shape() || !IsDeviceDType(value.dtype)) {
      throw plugin::Error(
          HETRUN_STATUS_UNIMPLEMENTED,
          "part output '" + value.name + "' is not float32, int32, int64 or bool of static shape");
    }
  }
  const Plan& plan = exe->plan_;
  for (const Kernel& kernel : plan.kernels) {
    for (uint32_t j = 0; j < kernel.num_inputs; ++j) {
      const int32_t root = plan.root[kernel.bindings[j]];
      const bool fed = std::find(plan.inputs.begin(), plan.inputs.end(), root) != plan.inputs.end();
      if (!fed && !plan.produced[root] && !plan.values[root].constant) {
        ThrowInvalid(kernel.what + ": input '" + plan.values[root].name +
                     "' is neither a part input, a constant with data nor produced by the part");
      }
    }
  }
  for (const Kernel& kernel : plan.kernels) exe->CreatePipeline(kernel);
  exe->UploadConstants();
  plugin::Log(HETRUN_LOG_DEBUG, "compiled a part of " + std::to_string(part.num_nodes) +
                                    " nodes into " + std::to_string(exe->plan_.kernels.size()) +
                                    " kernels");
  return exe;
}

Executable::~Executable() {
  VkDevice vk = device_->handle();
  for (const Pipeline& p : pipelines_) {
    if (p.pipeline) vkDestroyPipeline(vk, p.pipeline, nullptr);
    if (p.layout) vkDestroyPipelineLayout(vk, p.layout, nullptr);
    if (p.set_layout) vkDestroyDescriptorSetLayout(vk, p.set_layout, nullptr);
  }
}

void Executable::CreatePipeline(const Kernel& kernel) {
  const std::vector<uint32_t> spirv = CompileComputeShader(kernel.glsl, kernel.what);
  VkDevice vk = device_->handle();
  pipelines_.emplace_back();
  Pipeline& p = pipelines_.back();
  std::vector<VkDescriptorSetLayoutBinding> bindings(kernel.bindings.size());
  for (size_t j = 0; j < bindings.size(); ++j) {
    bindings[j].binding = static_cast<uint32_t>(j);
    bindings[j].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[j].descriptorCount = 1;
    bindings[j].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = static_cast<uint32_t>(bindings.size());
  set_info.pBindings = bindings.data();
  VkCheck(vkCreateDescriptorSetLayout(vk, &set_info, nullptr, &p.set_layout),
          "vkCreateDescriptorSetLayout");
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           static_cast<uint32_t>(4 * kernel.bindings.size())};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &p.set_layout;
  layout_info.pushConstantRangeCount = kernel.bindings.empty() ? 0 : 1;
  layout_info.pPushConstantRanges = &push;
  VkCheck(vkCreatePipelineLayout(vk, &layout_info, nullptr, &p.layout), "vkCreatePipelineLayout");
  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = spirv.size() * sizeof(uint32_t);
  module_info.pCode = spirv.data();
  VkShaderModule module = VK_NULL_HANDLE;
  VkCheck(vkCreateShaderModule(vk, &module_info, nullptr, &module), "vkCreateShaderModule");
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.layout = p.layout;
  const VkResult result =
      vkCreateComputePipelines(vk, device_->pipeline_cache(), 1, &info, nullptr, &p.pipeline);
  vkDestroyShaderModule(vk, module, nullptr);
  VkCheck(result, "vkCreateComputePipelines");
}

void Executable::UploadConstants() {
  constants_.resize(plan_.values.size());
  auto upload = [&](int32_t v) {
    const ValueInfo& value = plan_.values[static_cast<size_t>(v)];
    if (!value.constant || constants_[v]) return;
    const uint64_t bytes = Bytes(value);
    if (value.data_bytes < bytes) {
      ThrowInvalid("constant '" + value.name + "' has " + std::to_string(value.data_bytes) +
                   " bytes, its shape needs " + std::to_string(bytes));
    }
    std::shared_ptr<Buffer> buffer = Buffer::Create(device_, bytes);
    if (buffer->mapped()) {
      std::memcpy(buffer->mapped(), value.data, bytes);
    } else {
      std::shared_ptr<Buffer> staging = Buffer::Create(device_, bytes, true);
      std::memcpy(staging->mapped(), value.data, bytes);
      device_->RunCommands([&](VkCommandBuffer commands) {
        const VkBufferCopy region{0, 0, bytes};
        vkCmdCopyBuffer(commands, staging->handle(), buffer->handle(), 1, &region);
      });
    }
    constants_[v] = std::move(buffer);
  };
  for (const Kernel& kernel : plan_.kernels)
    for (int32_t v : kernel.bindings) upload(v);
  for (int32_t v : plan_.outputs) upload(plan_.root[v]);  // a constant returned as an output
}

void Executable::CheckArg(const hetrun_tensor_arg& arg, int32_t v, const char* role,
                          uint64_t buffer_bytes) const {
  const ValueInfo& value = plan_.values[static_cast<size_t>(v)];
  const std::string what = std::string(role) + " '" + value.name + "'";
  if (arg.dtype != value.dtype) {
    ThrowInvalid(what + ": dtype " + plugin::DTypeName(arg.dtype) + " given, the part has " +
                 plugin::DTypeName(value.dtype));
  }
  if (std::string(role) == "input") {
    const std::vector<int64_t> dims(arg.dims, arg.dims + std::min(arg.rank, HETRUN_MAX_RANK));
    if (arg.rank > HETRUN_MAX_RANK || dims != value.dims) {
      ThrowInvalid(what + ": dims " + FormatDims(dims) + " given, the part was compiled for " +
                   FormatDims(value.dims));
    }
  }
  const uint64_t bytes = Bytes(value);
  if (arg.offset % plugin::DTypeSize(value.dtype) != 0) {
    ThrowInvalid(what + ": offset " + std::to_string(arg.offset) +
                 " is not a multiple of the element size");
  }
  if (arg.offset > buffer_bytes || bytes > buffer_bytes - arg.offset) {
    ThrowInvalid(what + ": " + std::to_string(bytes) + " bytes at offset " +
                 std::to_string(arg.offset) + " do not fit its buffer of " +
                 std::to_string(buffer_bytes) + " bytes");
  }
}

std::vector<std::shared_ptr<Buffer>> Executable::Run(const RunArgs& args, double* elapsed_us,
                                                     std::vector<NodeTime>* node_times) const {
  device_->CheckNotLost();
  const size_t n = plan_.values.size();
  std::vector<Bound> where(n);
  for (size_t i = 0; i < args.inputs.size(); ++i) where[plan_.inputs[i]] = args.inputs[i];
  for (size_t v = 0; v < n; ++v) {
    if (constants_[v]) where[v] = {constants_[v], 0};
  }
  // Kernel outputs: straight into the first part output they are, else an intermediate buffer.
  std::vector<std::shared_ptr<Buffer>> allocated(plan_.outputs.size());
  std::vector<bool> placed(plan_.outputs.size(), false);
  for (size_t v = 0; v < n; ++v) {
    if (!plan_.produced[v]) continue;
    const auto it = std::find(plan_.outputs.begin(), plan_.outputs.end(), static_cast<int32_t>(v));
    if (it != plan_.outputs.end()) {
      const size_t j = static_cast<size_t>(it - plan_.outputs.begin());
      if (!args.outputs[j].buffer) allocated[j] = Buffer::Create(device_, Bytes(plan_.values[v]));
      where[v] = args.outputs[j].buffer ? args.outputs[j] : Bound{allocated[j], 0};
      placed[j] = true;
    } else {
      where[v] = {Buffer::Create(device_, Bytes(plan_.values[v])), 0};
    }
  }
  for (size_t v = 0; v < n; ++v) {
    if (plan_.root[v] != static_cast<int32_t>(v)) where[v] = where[plan_.root[v]];
  }
  // Outputs not written in place by a kernel (views, pass-through inputs, constants) are copied.
  std::vector<std::pair<size_t, Bound>> copies;
  for (size_t j = 0; j < plan_.outputs.size(); ++j) {
    if (placed[j]) continue;
    const ValueInfo& value = plan_.values[static_cast<size_t>(plan_.outputs[j])];
    if (!args.outputs[j].buffer) allocated[j] = Buffer::Create(device_, Bytes(value));
    copies.push_back({j, args.outputs[j].buffer ? args.outputs[j] : Bound{allocated[j], 0}});
  }

  VkDevice vk = device_->handle();
  VkDescriptorPool pool = VK_NULL_HANDLE;
  size_t descriptors = 0;
  for (const Kernel& kernel : plan_.kernels) descriptors += kernel.bindings.size();
  std::vector<VkDescriptorSet> sets(plan_.kernels.size(), VK_NULL_HANDLE);
  if (!plan_.kernels.empty()) {
    const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                    static_cast<uint32_t>(std::max<size_t>(descriptors, 1))};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = static_cast<uint32_t>(plan_.kernels.size());
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &size;
    VkCheck(vkCreateDescriptorPool(vk, &pool_info, nullptr, &pool), "vkCreateDescriptorPool");
  }
  const ScopeExit guard([&] {
    if (pool) vkDestroyDescriptorPool(vk, pool, nullptr);
  });
  std::vector<std::vector<uint32_t>> offsets(plan_.kernels.size());
  for (size_t k = 0; k < plan_.kernels.size(); ++k) {
    const Kernel& kernel = plan_.kernels[k];
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &pipelines_[k].set_layout;
    VkCheck(vkAllocateDescriptorSets(vk, &alloc, &sets[k]), "vkAllocateDescriptorSets");
    std::vector<VkDescriptorBufferInfo> infos(kernel.bindings.size());
    std::vector<VkWriteDescriptorSet> writes(kernel.bindings.size());
    for (size_t j = 0; j < kernel.bindings.size(); ++j) {
      const Bound& b = where[static_cast<size_t>(kernel.bindings[j])];
      if (!b.buffer) throw plugin::Error(HETRUN_STATUS_INTERNAL, kernel.what + ": unbound tensor");
      // The whole buffer is bound, the tensor's place in it is a push constant: no alignment rule.
      infos[j] = {b.buffer->handle(), 0, VK_WHOLE_SIZE};
      // In the kernel's units: 4 bytes unless it says otherwise (bytes for bool).
      const ValueInfo& value = plan_.values[static_cast<size_t>(kernel.bindings[j])];
      const uint32_t unit = j < kernel.offset_units.size()     ? kernel.offset_units[j]
                            : value.dtype == HETRUN_DTYPE_BOOL ? 1u
                                                               : 4u;
      offsets[k].push_back(static_cast<uint32_t>(b.offset / unit));
      writes[j] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      writes[j].dstSet = sets[k];
      writes[j].dstBinding = static_cast<uint32_t>(j);
      writes[j].descriptorCount = 1;
      writes[j].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[j].pBufferInfo = &infos[j];
    }
    vkUpdateDescriptorSets(vk, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
  }

  // Timestamps, when the queue has them: before the dispatches, after the copies (the last), and
  // with `node_times` after each kernel's dispatch and barrier (query k + 1 for kernel k).
  VkQueryPool queries = VK_NULL_HANDLE;
  const uint32_t kernel_stamps = node_times ? static_cast<uint32_t>(plan_.kernels.size()) : 0;
  const uint32_t stamps_count = 2 + kernel_stamps;
  if ((elapsed_us || node_times) && device_->timestamp_bits() > 0) {
    VkQueryPoolCreateInfo query_info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    query_info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    query_info.queryCount = stamps_count;
    if (vkCreateQueryPool(vk, &query_info, nullptr, &queries) != VK_SUCCESS) {
      queries = VK_NULL_HANDLE;  // timed by the clock instead
    }
  }
  const ScopeExit query_guard([&] {
    if (queries) vkDestroyQueryPool(vk, queries, nullptr);
  });
  const auto started = std::chrono::steady_clock::now();
  device_->RunCommands([&](VkCommandBuffer commands) {
    if (queries) {
      vkCmdResetQueryPool(commands, queries, 0, stamps_count);
      vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0);
    }
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                            VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags stages =
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    for (size_t k = 0; k < plan_.kernels.size(); ++k) {
      const Kernel& kernel = plan_.kernels[k];
      vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines_[k].pipeline);
      vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines_[k].layout, 0, 1,
                              &sets[k], 0, nullptr);
      if (!offsets[k].empty()) {
        vkCmdPushConstants(commands, pipelines_[k].layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           static_cast<uint32_t>(offsets[k].size() * 4), offsets[k].data());
      }
      vkCmdDispatch(commands, kernel.groups[0], kernel.groups[1], kernel.groups[2]);
      vkCmdPipelineBarrier(commands, stages, stages, 0, 1, &barrier, 0, nullptr, 0, nullptr);
      if (queries && kernel_stamps)
        vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries,
                            static_cast<uint32_t>(k + 1));
    }
    for (const auto& [j, target] : copies) {
      const int32_t v = plan_.outputs[j];
      const Bound& source = where[static_cast<size_t>(v)];
      const VkBufferCopy region{source.offset, target.offset, Bytes(plan_.values[v])};
      vkCmdCopyBuffer(commands, source.buffer->handle(), target.buffer->handle(), 1, &region);
    }
    if (queries)
      vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries,
                          stamps_count - 1);
  });
  const std::chrono::duration<double, std::micro> wall = std::chrono::steady_clock::now() - started;
  if (elapsed_us) *elapsed_us = wall.count();
  std::vector<uint64_t> stamps(stamps_count, 0);
  if (queries && vkGetQueryPoolResults(vk, queries, 0, stamps_count,
                                       stamps.size() * sizeof(uint64_t), stamps.data(),
                                       sizeof(uint64_t), VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
    const uint32_t bits = device_->timestamp_bits();
    const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    const double us_per_tick = device_->limits().timestampPeriod / 1000.0;
    auto since = [&](uint32_t from, uint32_t to) {  // wraps around the counter's width
      return static_cast<double>(((stamps[to] & mask) - (stamps[from] & mask)) & mask) *
             us_per_tick;
    };
    if (elapsed_us) *elapsed_us = since(0, stamps_count - 1);
    if (node_times) {
      for (uint32_t k = 0; k < kernel_stamps; ++k) {
        const Kernel& kernel = plan_.kernels[k];
        node_times->push_back(
            {kernel.first_node, since(0, k), since(k, k + 1), kernel.profile_label});
      }
    }
  }
  return allocated;
}

}  // namespace hetrun::vulkan
