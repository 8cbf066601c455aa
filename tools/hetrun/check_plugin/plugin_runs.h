// Compiling and running one graph view on a device through the raw ABI, in the two ways the kit
// needs: with outputs the plugin allocates (the reference run, which also tells the output shapes),
// and with every tensor inside a larger host-chosen buffer, at a non-zero offset, between guard
// bytes of a known pattern that are checked after the run (out-of-bounds writes, modified inputs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/core/tensor.h"
#include "hetrun/plugin.h"
#include "hetrun/runtime/device.h"
#include "hetrun/status.h"

namespace hetrun::cli::check_plugin {

// Bytes of guard pattern before and after every tensor of a guarded run (a multiple of every
// element size, so the tensor's offset stays aligned).
inline constexpr uint64_t kGuardBytes = 256;

// Owns one compiled executable.
class Executable {
 public:
  Executable(const runtime::Device& device, hetrun_executable_t exe)
      : device_(&device), exe_(exe) {}
  Executable(Executable&& o) noexcept : device_(o.device_), exe_(o.exe_) { o.exe_ = nullptr; }
  Executable& operator=(Executable&&) = delete;
  ~Executable() {
    if (exe_ != nullptr) device_->api().executable_release(exe_);
  }
  hetrun_executable_t get() const { return exe_; }

 private:
  const runtime::Device* device_;
  hetrun_executable_t exe_;
};

Result<Executable> Compile(const runtime::Device& device, const hetrun_graph_view* part);

// A tensor argument describing `dims` of `dtype` at `offset` in `buffer`.
hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, uint64_t offset, hetrun_dtype_t dtype,
                            const std::vector<int64_t>& dims);

// Inputs uploaded at offset 0, `num_outputs` outputs allocated by the plugin; the outputs come
// back with the dtype and dims the plugin stored.
Result<std::vector<core::Tensor>> RunPluginAllocated(const runtime::Device& device,
                                                     const Executable& exe,
                                                     const std::vector<core::Tensor>& inputs,
                                                     size_t num_outputs, uint64_t timeout_ms);

struct OutputSpec {
  core::DType dtype;
  std::vector<int64_t> dims;
};

struct GuardedRun {
  std::vector<core::Tensor> outputs;
  // Empty, or what was overwritten: "guard bytes after output 0 overwritten (first at +4)",
  // "input 1 modified".
  std::string guard_error;
};

// Every input and output tensor at offset kGuardBytes of its own buffer with kGuardBytes of
// pattern on both sides (the output's own bytes start as a pattern too, so an output the plugin
// never writes does not pass by chance).
Result<GuardedRun> RunGuarded(const runtime::Device& device, const Executable& exe,
                              const std::vector<core::Tensor>& inputs,
                              const std::vector<OutputSpec>& outputs, uint64_t timeout_ms);

}  // namespace hetrun::cli::check_plugin
