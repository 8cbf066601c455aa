// Drives a plugin the way the host does (dlopen + hetrun_plugin_query, a host services table whose
// statuses the test owns) with one open device: enough to run the same graph on the opencl/npu
// plugins and on the cpu plugin and compare.
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

#define CL_ASSERT_OK(expr)                                \
  do {                                                    \
    ::hetrun::test::Status cl_status_(expr);              \
    ASSERT_TRUE(cl_status_.ok()) << cl_status_.message(); \
  } while (0)

// The table of libhetrun_plugin_<name>.so from the build tree (loaded once, never unloaded).
const hetrun_plugin_v1* LoadPlugin(const std::string& name);
const hetrun_host_services* TestHost();

// An initialised plugin with device 0 open; releases everything it handed out.
class Session {
 public:
  explicit Session(const std::string& plugin);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const hetrun_plugin_v1* p() const { return p_; }
  void* self() const { return self_; }
  hetrun_device_t dev() const { return dev_; }
  bool ok() const { return dev_ != nullptr; }
  // The open status of device 0 (for tests of init/open failures).
  const std::string& error() const { return error_; }

  hetrun_buffer_t Allocate(uint64_t bytes);
  Status Compile(const hetrun_graph_view* part, hetrun_executable_t* out);
  // Compiles and runs `part` with `inputs` (in part input order, dims and dtype from the view;
  // float16 inputs are rounded from the floats, int64 ones must be whole), every output allocated
  // by the plugin; fills `outputs` (as floats) and `output_dims`.
  Status RunGraph(const hetrun_graph_view* part, const std::vector<std::vector<float>>& inputs,
                  std::vector<std::vector<float>>* outputs,
                  std::vector<std::vector<int64_t>>* output_dims = nullptr);
  // query_support's answers for every node of `graph`.
  std::vector<hetrun_node_support> Query(const hetrun_graph_view* graph);

 private:
  const hetrun_plugin_v1* p_ = nullptr;
  void* self_ = nullptr;
  hetrun_device_t dev_ = nullptr;
  std::string error_;
  std::vector<hetrun_buffer_t> buffers_;
  std::vector<hetrun_executable_t> executables_;
};

}  // namespace hetrun::test
