// Drives a plugin the way the host does (dlopen + hetrun_plugin_query, a host services table whose
// statuses the test owns) with one open device: enough to run the same graph on the vulkan and the
// cpu plugin and compare. Loading pins Vulkan to lavapipe (VK_DRIVER_FILES) for determinism.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/plugin.h"

struct hetrun_status_s {
  hetrun_status_code_t code;
  std::string message;
};

namespace hetrun::test {

// Owns a status returned by a plugin (NULL = success).
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

 private:
  hetrun_status_t status_;
};

#define VK_ASSERT_OK(expr)                                \
  do {                                                    \
    ::hetrun::test::Status vk_status_(expr);              \
    ASSERT_TRUE(vk_status_.ok()) << vk_status_.message(); \
  } while (0)

#define VK_ASSERT_STATUS(expr)                            \
  do {                                                    \
    ::hetrun::test::Status vk_status_ = (expr);           \
    ASSERT_TRUE(vk_status_.ok()) << vk_status_.message(); \
  } while (0)

// The table of libhetrun_plugin_<name>.so from the build tree (loaded once, never unloaded).
const hetrun_plugin_v1* LoadPlugin(const std::string& name);
const hetrun_host_services* TestHost();
// Sets VK_DRIVER_FILES to lavapipe and HETRUN_VULKAN_CACHE_DIR into the build tree, unless the
// test environment already chose.
void UseLavapipe();

// An initialised plugin with device 0 open; releases everything it handed out.
class Session {
 public:
  // `profile_nodes`: hetrun_device_options.profile_nodes for the device (ABI minor 3).
  explicit Session(const std::string& plugin, uint32_t profile_nodes = 0);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const hetrun_plugin_v1* p() const { return p_; }
  hetrun_device_t dev() const { return dev_; }
  bool ok() const { return dev_ != nullptr; }

  hetrun_buffer_t Upload(const std::vector<float>& values);
  hetrun_buffer_t Allocate(uint64_t bytes);
  std::vector<float> Download(hetrun_buffer_t buffer, size_t count, uint64_t offset = 0);
  // Compiles `part`; the executable is released with the session.
  Status Compile(const hetrun_graph_view* part, hetrun_executable_t* out);
  // compile_tuned with `values`; the executable is released with the session.
  Status CompileTuned(const hetrun_graph_view* part, const std::vector<hetrun_tuning_value>& values,
                      hetrun_executable_t* out);
  // Compiles and runs `part` with `inputs` (in part input order, dims from the view), every
  // output allocated by the plugin; fills `outputs` (values) and `output_dims`.
  // Inputs of int32/int64/bool values are given as whole floats and uploaded in their dtype;
  // such outputs come back converted to floats the same way. With `tuning`, the part is compiled
  // by compile_tuned with those values.
  Status RunGraph(const hetrun_graph_view* part, const std::vector<std::vector<float>>& inputs,
                  std::vector<std::vector<float>>* outputs,
                  std::vector<std::vector<int64_t>>* output_dims = nullptr,
                  const std::vector<hetrun_tuning_value>* tuning = nullptr);

 private:
  const hetrun_plugin_v1* p_ = nullptr;
  void* self_ = nullptr;
  hetrun_device_t dev_ = nullptr;
  std::vector<hetrun_buffer_t> buffers_;
  std::vector<hetrun_executable_t> executables_;
};

hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, const std::vector<int64_t>& dims,
                            uint64_t offset = 0);

}  // namespace hetrun::test
