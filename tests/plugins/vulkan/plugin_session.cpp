#include "plugin_session.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace hetrun::test {
namespace {

hetrun_status_t CreateStatus(hetrun_status_code_t code, const char* message) {
  return new hetrun_status_s{code, message ? message : ""};
}

void LogLine(hetrun_log_level_t, const char*) {}

}  // namespace

void UseLavapipe() {
  setenv("VK_DRIVER_FILES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", 0);
  setenv("HETRUN_VULKAN_CACHE_DIR", HETRUN_BINARY_DIR "/vulkan-test-cache", 0);
}

const hetrun_plugin_v1* LoadPlugin(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, hetrun_plugin_query_fn> loaded;
  std::lock_guard lock(mutex);
  if (!loaded.count(name)) {
    UseLavapipe();
    const std::string path = std::string(HETRUN_PLUGIN_DIR) + "/libhetrun_plugin_" + name + ".so";
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
      return nullptr;
    }
    loaded[name] =
        reinterpret_cast<hetrun_plugin_query_fn>(dlsym(library, HETRUN_PLUGIN_ENTRY_SYMBOL));
  }
  hetrun_plugin_query_fn query = loaded[name];
  return query ? query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR) : nullptr;
}

const hetrun_host_services* TestHost() {
  static const hetrun_host_services host = {sizeof(hetrun_host_services), HETRUN_ABI_MAJOR,
                                            HETRUN_ABI_MINOR, CreateStatus, LogLine};
  return &host;
}

hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, const std::vector<int64_t>& dims,
                            uint64_t offset) {
  hetrun_tensor_arg arg{};
  arg.buffer = buffer;
  arg.offset = offset;
  arg.dtype = HETRUN_DTYPE_FLOAT32;
  arg.rank = static_cast<uint32_t>(dims.size());
  std::copy(dims.begin(), dims.end(), arg.dims);
  return arg;
}

Session::Session(const std::string& plugin, uint32_t profile_nodes) {
  p_ = LoadPlugin(plugin);
  if (!p_) return;
  Status init(p_->init(TestHost(), &self_));
  if (!init.ok()) {
    ADD_FAILURE() << plugin << " init: " << init.message();
    return;
  }
  hetrun_device_options options{};
  options.struct_size = sizeof options;
  options.profile_nodes = profile_nodes;
  Status open(p_->device_open(self_, 0, &options, &dev_));
  if (!open.ok()) ADD_FAILURE() << plugin << " device_open: " << open.message();
}

Session::~Session() {
  if (!p_) return;
  for (hetrun_executable_t exe : executables_) p_->executable_release(exe);
  for (hetrun_buffer_t buffer : buffers_) p_->buffer_release(dev_, buffer);
  if (dev_) p_->device_close(dev_);
  if (self_) p_->shutdown(self_);
}

hetrun_buffer_t Session::Allocate(uint64_t bytes) {
  hetrun_buffer_t buffer = nullptr;
  Status status(p_->buffer_alloc(dev_, bytes, &buffer));
  EXPECT_TRUE(status.ok()) << status.message();
  if (buffer) buffers_.push_back(buffer);
  return buffer;
}

hetrun_buffer_t Session::Upload(const std::vector<float>& values) {
  hetrun_buffer_t buffer = Allocate(values.size() * sizeof(float));
  Status status(p_->buffer_write(dev_, buffer, 0, values.data(), values.size() * sizeof(float)));
  EXPECT_TRUE(status.ok()) << status.message();
  return buffer;
}

std::vector<float> Session::Download(hetrun_buffer_t buffer, size_t count, uint64_t offset) {
  std::vector<float> values(count);
  Status status(p_->buffer_read(dev_, buffer, offset, values.data(), count * sizeof(float)));
  EXPECT_TRUE(status.ok()) << status.message();
  return values;
}

Status Session::Compile(const hetrun_graph_view* part, hetrun_executable_t* out) {
  *out = nullptr;
  Status status(p_->compile(dev_, part, out));
  if (*out) executables_.push_back(*out);
  return status;
}

Status Session::CompileTuned(const hetrun_graph_view* part,
                             const std::vector<hetrun_tuning_value>& values,
                             hetrun_executable_t* out) {
  *out = nullptr;
  Status status(
      p_->compile_tuned(dev_, part, values.data(), static_cast<uint32_t>(values.size()), out));
  if (*out) executables_.push_back(*out);
  return status;
}

namespace {

size_t ElementSize(hetrun_dtype_t dtype) {
  return dtype == HETRUN_DTYPE_INT64 ? 8 : dtype == HETRUN_DTYPE_BOOL ? 1 : 4;
}

std::vector<uint8_t> ToBytes(const std::vector<float>& values, hetrun_dtype_t dtype) {
  std::vector<uint8_t> bytes(values.size() * ElementSize(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == HETRUN_DTYPE_INT64) {
      const auto x = static_cast<int64_t>(values[i]);
      std::memcpy(&bytes[i * 8], &x, 8);
    } else if (dtype == HETRUN_DTYPE_INT32) {
      const auto x = static_cast<int32_t>(values[i]);
      std::memcpy(&bytes[i * 4], &x, 4);
    } else {
      bytes[i] = values[i] != 0 ? 1 : 0;
    }
  }
  return bytes;
}

std::vector<float> FromBytes(const std::vector<uint8_t>& bytes, hetrun_dtype_t dtype) {
  const size_t size = ElementSize(dtype);
  std::vector<float> values(bytes.size() / size);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == HETRUN_DTYPE_INT64) {
      int64_t x;
      std::memcpy(&x, &bytes[i * 8], 8);
      values[i] = static_cast<float>(x);
    } else if (dtype == HETRUN_DTYPE_INT32) {
      int32_t x;
      std::memcpy(&x, &bytes[i * 4], 4);
      values[i] = static_cast<float>(x);
    } else {
      values[i] = bytes[i];  // bool: 0 or 1 (anything else would show)
    }
  }
  return values;
}

}  // namespace

Status Session::RunGraph(const hetrun_graph_view* part,
                         const std::vector<std::vector<float>>& inputs,
                         std::vector<std::vector<float>>* outputs,
                         std::vector<std::vector<int64_t>>* output_dims,
                         const std::vector<hetrun_tuning_value>* tuning) {
  hetrun_executable_t exe = nullptr;
  Status compiled = tuning ? CompileTuned(part, *tuning, &exe) : Compile(part, &exe);
  if (!compiled.ok()) return compiled;
  std::vector<hetrun_tensor_arg> in_args;
  for (uint32_t i = 0; i < part->num_inputs; ++i) {
    const hetrun_value& value = part->values[part->inputs[i]];
    const std::vector<int64_t> dims(value.dims, value.dims + value.rank);
    if (value.dtype != HETRUN_DTYPE_FLOAT32) {  // the floats are whole numbers
      const std::vector<uint8_t> bytes = ToBytes(inputs.at(i), value.dtype);
      hetrun_buffer_t buffer = Allocate(std::max<size_t>(bytes.size(), 1));
      Status status(p_->buffer_write(dev_, buffer, 0, bytes.data(), bytes.size()));
      if (!status.ok()) return status;
      in_args.push_back(TensorArg(buffer, dims));
      in_args.back().dtype = value.dtype;
      continue;
    }
    in_args.push_back(TensorArg(Upload(inputs.at(i)), dims));
  }
  std::vector<hetrun_tensor_arg> out_args(part->num_outputs);  // buffers NULL: plugin allocates
  hetrun_event_t event = nullptr;
  Status executed(p_->execute(exe, in_args.data(), static_cast<uint32_t>(in_args.size()),
                              out_args.data(), static_cast<uint32_t>(out_args.size()), nullptr, 0,
                              &event));
  if (!executed.ok()) return executed;
  Status waited(p_->event_wait(dev_, event, UINT64_MAX));
  p_->event_release(dev_, event);
  if (!waited.ok()) return waited;
  outputs->clear();
  if (output_dims) output_dims->clear();
  for (const hetrun_tensor_arg& out : out_args) {
    buffers_.push_back(out.buffer);
    size_t count = 1;
    for (uint32_t d = 0; d < out.rank; ++d) count *= static_cast<size_t>(out.dims[d]);
    if (out.dtype == HETRUN_DTYPE_FLOAT32) {
      outputs->push_back(Download(out.buffer, count));
    } else {
      std::vector<uint8_t> bytes(count * ElementSize(out.dtype));
      Status status(p_->buffer_read(dev_, out.buffer, out.offset, bytes.data(), bytes.size()));
      if (!status.ok()) return status;
      outputs->push_back(FromBytes(bytes, out.dtype));
    }
    if (output_dims) output_dims->emplace_back(out.dims, out.dims + out.rank);
  }
  return Status();
}

}  // namespace hetrun::test
