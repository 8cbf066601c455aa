// Drives the CPU plugin the way a host does: dlopen + hetrun_plugin_query, a host services table
// whose statuses the test owns, and a fixture with an initialised plugin and one open device.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

// The test host's status: what status_create was given.
struct hetrun_status_s {
  hetrun_status_code_t code;
  std::string message;
};

namespace hetrun::test {

// Owns a status returned by the plugin (NULL = success).
class Status {
 public:
  explicit Status(hetrun_status_t status = nullptr) : status_(status) {}
  ~Status() { delete status_; }
  Status(Status&& other) noexcept : status_(other.status_) { other.status_ = nullptr; }
  Status& operator=(Status&& other) noexcept {
    std::swap(status_, other.status_);
    return *this;
  }
  bool ok() const { return status_ == nullptr; }
  hetrun_status_code_t code() const { return status_ ? status_->code : HETRUN_STATUS_OK; }
  std::string message() const { return status_ ? status_->message : ""; }
  hetrun_status_t get() const { return status_; }

 private:
  hetrun_status_t status_;
};

#define HT_ASSERT_OK(expr)                                \
  do {                                                    \
    ::hetrun::test::Status ht_status_(expr);              \
    ASSERT_TRUE(ht_status_.ok()) << ht_status_.message(); \
  } while (0)
#define HT_EXPECT_OK(expr)                                \
  do {                                                    \
    ::hetrun::test::Status ht_status_(expr);              \
    EXPECT_TRUE(ht_status_.ok()) << ht_status_.message(); \
  } while (0)

// hetrun_plugin_query of libhetrun_plugin_cpu.so, loaded once per process (RTLD_NOW|RTLD_LOCAL).
hetrun_plugin_query_fn CpuPluginQuery();
// The table for this header's ABI version.
const hetrun_plugin_v1* CpuPlugin();
// Host services whose status_create makes hetrun_status_s and whose log records lines.
const hetrun_host_services* TestHost();
std::vector<std::string> LoggedLines();
void ClearLog();

// A tensor argument; dims.size() is the rank.
hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, hetrun_dtype_t dtype,
                            const std::vector<int64_t>& dims, uint64_t offset = 0);

class CpuPluginTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A buffer holding `values`, released at TearDown.
  hetrun_buffer_t Upload(const std::vector<float>& values);
  // A buffer of `bytes` undefined bytes, released at TearDown.
  hetrun_buffer_t Allocate(uint64_t bytes);
  std::vector<float> Download(hetrun_buffer_t buffer, size_t count, uint64_t offset = 0);
  // Compiles or fails the test; released at TearDown.
  hetrun_executable_t CompileOk(const hetrun_graph_view* part);
  // execute() then event_wait(forever); the first error of the two. The event is released.
  Status Run(hetrun_executable_t exe, const std::vector<hetrun_tensor_arg>& inputs,
             std::vector<hetrun_tensor_arg>& outputs,
             const std::vector<hetrun_event_t>& waits = {});
  // Takes ownership of a buffer the plugin allocated for an output.
  void Adopt(hetrun_buffer_t buffer) { buffers_.push_back(buffer); }

  const hetrun_plugin_v1* p_ = nullptr;
  void* self_ = nullptr;
  hetrun_device_t dev_ = nullptr;

 private:
  std::vector<hetrun_buffer_t> buffers_;
  std::vector<hetrun_executable_t> executables_;
};

}  // namespace hetrun::test
