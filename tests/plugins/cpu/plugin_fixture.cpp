#include "plugin_fixture.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace hetrun::test {
namespace {

std::mutex g_log_mutex;
std::vector<std::string> g_log;

hetrun_status_t CreateStatus(hetrun_status_code_t code, const char* message) {
  return new hetrun_status_s{code, message ? message : ""};
}

void LogLine(hetrun_log_level_t level, const char* message) {
  std::lock_guard lock(g_log_mutex);
  g_log.push_back(std::to_string(level) + ": " + (message ? message : ""));
}

}  // namespace

hetrun_plugin_query_fn CpuPluginQuery() {
  static hetrun_plugin_query_fn query = [] {
    const std::string path = std::string(HETRUN_PLUGIN_DIR) + "/libhetrun_plugin_cpu.so";
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
      return static_cast<hetrun_plugin_query_fn>(nullptr);
    }
    // Never closed: the JIT's code and the plugin's threads live for the whole test process.
    return reinterpret_cast<hetrun_plugin_query_fn>(dlsym(library, HETRUN_PLUGIN_ENTRY_SYMBOL));
  }();
  return query;
}

const hetrun_plugin_v1* CpuPlugin() {
  hetrun_plugin_query_fn query = CpuPluginQuery();
  return query ? query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR) : nullptr;
}

const hetrun_host_services* TestHost() {
  static const hetrun_host_services host = {sizeof(hetrun_host_services), HETRUN_ABI_MAJOR,
                                            HETRUN_ABI_MINOR, CreateStatus, LogLine};
  return &host;
}

std::vector<std::string> LoggedLines() {
  std::lock_guard lock(g_log_mutex);
  return g_log;
}

void ClearLog() {
  std::lock_guard lock(g_log_mutex);
  g_log.clear();
}

hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, hetrun_dtype_t dtype,
                            const std::vector<int64_t>& dims, uint64_t offset) {
  hetrun_tensor_arg arg{};
  arg.buffer = buffer;
  arg.offset = offset;
  arg.dtype = dtype;
  arg.rank = static_cast<uint32_t>(dims.size());
  std::copy(dims.begin(), dims.end(), arg.dims);
  return arg;
}

void CpuPluginTest::SetUp() {
  p_ = CpuPlugin();
  ASSERT_NE(p_, nullptr);
  HT_ASSERT_OK(p_->init(TestHost(), &self_));
  HT_ASSERT_OK(p_->device_open(self_, 0, nullptr, &dev_));
}

void CpuPluginTest::TearDown() {
  if (!p_) return;
  for (hetrun_executable_t exe : executables_) p_->executable_release(exe);
  for (hetrun_buffer_t buffer : buffers_) p_->buffer_release(dev_, buffer);
  p_->device_close(dev_);
  if (self_) p_->shutdown(self_);
}

hetrun_buffer_t CpuPluginTest::Upload(const std::vector<float>& values) {
  hetrun_buffer_t buffer = Allocate(values.size() * sizeof(float));
  Status status(p_->buffer_write(dev_, buffer, 0, values.data(), values.size() * sizeof(float)));
  EXPECT_TRUE(status.ok()) << status.message();
  return buffer;
}

hetrun_buffer_t CpuPluginTest::Allocate(uint64_t bytes) {
  hetrun_buffer_t buffer = nullptr;
  Status status(p_->buffer_alloc(dev_, bytes, &buffer));
  EXPECT_TRUE(status.ok()) << status.message();
  buffers_.push_back(buffer);
  return buffer;
}

std::vector<float> CpuPluginTest::Download(hetrun_buffer_t buffer, size_t count, uint64_t offset) {
  std::vector<float> values(count);
  Status status(p_->buffer_read(dev_, buffer, offset, values.data(), count * sizeof(float)));
  EXPECT_TRUE(status.ok()) << status.message();
  return values;
}

hetrun_executable_t CpuPluginTest::CompileOk(const hetrun_graph_view* part) {
  hetrun_executable_t exe = nullptr;
  Status status(p_->compile(dev_, part, &exe));
  EXPECT_TRUE(status.ok()) << status.message();
  if (exe) executables_.push_back(exe);
  return exe;
}

Status CpuPluginTest::Run(hetrun_executable_t exe, const std::vector<hetrun_tensor_arg>& inputs,
                          std::vector<hetrun_tensor_arg>& outputs,
                          const std::vector<hetrun_event_t>& waits) {
  hetrun_event_t event = nullptr;
  Status status(p_->execute(exe, inputs.data(), static_cast<uint32_t>(inputs.size()),
                            outputs.data(), static_cast<uint32_t>(outputs.size()), waits.data(),
                            static_cast<uint32_t>(waits.size()), &event));
  if (!status.ok()) return status;
  Status waited(p_->event_wait(dev_, event, UINT64_MAX));
  p_->event_release(dev_, event);
  return waited;
}

}  // namespace hetrun::test
