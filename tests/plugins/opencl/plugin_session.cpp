#include "plugin_session.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "half.h"

namespace hetrun::test {
namespace {

hetrun_status_t CreateStatus(hetrun_status_code_t code, const char* message) {
  return new hetrun_status_s{code, message ? message : ""};
}

void LogLine(hetrun_log_level_t, const char*) {}

size_t ElementSize(hetrun_dtype_t dtype) {
  return dtype == HETRUN_DTYPE_INT64 ? 8 : dtype == HETRUN_DTYPE_FLOAT16 ? 2 : 4;
}

std::vector<uint8_t> ToBytes(const std::vector<float>& values, hetrun_dtype_t dtype) {
  std::vector<uint8_t> bytes(values.size() * ElementSize(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == HETRUN_DTYPE_INT64) {
      const auto x = static_cast<int64_t>(values[i]);
      std::memcpy(&bytes[i * 8], &x, 8);
    } else if (dtype == HETRUN_DTYPE_FLOAT16) {
      const uint16_t x = FloatToHalf(values[i]);
      std::memcpy(&bytes[i * 2], &x, 2);
    } else {
      std::memcpy(&bytes[i * 4], &values[i], 4);
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
    } else if (dtype == HETRUN_DTYPE_FLOAT16) {
      uint16_t x;
      std::memcpy(&x, &bytes[i * 2], 2);
      values[i] = HalfToFloat(x);
    } else {
      std::memcpy(&values[i], &bytes[i * 4], 4);
    }
  }
  return values;
}

}  // namespace

const hetrun_plugin_v1* LoadPlugin(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, hetrun_plugin_query_fn> loaded;
  std::lock_guard lock(mutex);
  if (!loaded.count(name)) {
    setenv("POCL_CACHE_DIR", HETRUN_BINARY_DIR "/pocl-test-cache", 0);
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

Session::Session(const std::string& plugin) {
  p_ = LoadPlugin(plugin);
  if (!p_) return;
  Status init(p_->init(TestHost(), &self_));
  if (!init.ok()) {
    self_ = nullptr;
    error_ = plugin + " init: " + init.message();
    return;
  }
  Status open(p_->device_open(self_, 0, nullptr, &dev_));
  if (!open.ok()) error_ = plugin + " device_open: " + open.message();
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

Status Session::Compile(const hetrun_graph_view* part, hetrun_executable_t* out) {
  *out = nullptr;
  Status status(p_->compile(dev_, part, out));
  if (*out) executables_.push_back(*out);
  return status;
}

std::vector<hetrun_node_support> Session::Query(const hetrun_graph_view* graph) {
  std::vector<hetrun_node_support> answers(graph->num_nodes);
  for (hetrun_node_support& a : answers) a.struct_size = sizeof a;
  Status status(p_->query_support(dev_, graph, answers.data()));
  EXPECT_TRUE(status.ok()) << status.message();
  return answers;
}

Status Session::RunGraph(const hetrun_graph_view* part,
                         const std::vector<std::vector<float>>& inputs,
                         std::vector<std::vector<float>>* outputs,
                         std::vector<std::vector<int64_t>>* output_dims) {
  hetrun_executable_t exe = nullptr;
  Status compiled = Compile(part, &exe);
  if (!compiled.ok()) return compiled;
  std::vector<hetrun_tensor_arg> in_args;
  for (uint32_t i = 0; i < part->num_inputs; ++i) {
    const hetrun_value& value = part->values[part->inputs[i]];
    const std::vector<uint8_t> bytes = ToBytes(inputs.at(i), value.dtype);
    hetrun_buffer_t buffer = Allocate(std::max<size_t>(bytes.size(), 1));
    Status status(p_->buffer_write(dev_, buffer, 0, bytes.data(), bytes.size()));
    if (!status.ok()) return status;
    hetrun_tensor_arg arg{};
    arg.buffer = buffer;
    arg.dtype = value.dtype;
    arg.rank = static_cast<uint32_t>(value.rank);
    std::copy(value.dims, value.dims + value.rank, arg.dims);
    in_args.push_back(arg);
  }
  std::vector<hetrun_tensor_arg> out_args(part->num_outputs);  // buffers NULL: plugin allocates
  for (uint32_t j = 0; j < part->num_outputs; ++j) {
    out_args[j].dtype = part->values[part->outputs[j]].dtype;
  }
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
    std::vector<uint8_t> bytes(count * ElementSize(out.dtype));
    Status status(p_->buffer_read(dev_, out.buffer, out.offset, bytes.data(), bytes.size()));
    if (!status.ok()) return status;
    outputs->push_back(FromBytes(bytes, out.dtype));
    if (output_dims) output_dims->emplace_back(out.dims, out.dims + out.rank);
  }
  return Status();
}

}  // namespace hetrun::test
