// The capability profile: what the `npu` device accepts, read from a small text file so a vendor
// can describe its accelerator without touching code. The `opencl` device runs without one
// (everything the code generator supports).
//
//   ops = Conv, Relu, ...      node types allowed (the code generator must support them too)
//   dtypes = float32, float16  element types allowed
//   static_shapes = 1          decline dimensions unknown before run time
//   memory_mib = 256           device memory: reported to the partitioner, enforced on allocation
//   peak_gflops = 1000         optional: the accelerator's figures for the partitioner's cost
//   memory_gbps = 50           model (hetrun_device_info); without them the OpenCL device's own
//   host_link_gbps = 8         estimates are reported
//   launch_us = 2              optional: fixed cost of one kernel launch (default 5)
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "hetrun/plugin.h"

namespace hetrun::opencl {

struct Profile {
  std::set<std::string> ops;
  std::set<hetrun_dtype_t> dtypes;
  bool static_shapes = true;
  uint64_t memory_bytes = uint64_t{256} << 20;
  // Cost-model figures; 0 = not given (use the OpenCL device's).
  double peak_gflops = 0, memory_gbps = 0, host_link_gbps = 0, launch_us = 0;

  // Throws plugin::Error(INVALID_ARGUMENT) naming `origin` and the line for a malformed profile.
  static Profile Parse(const std::string& text, const std::string& origin);
  // Reads and parses `path`; a missing or unreadable file is an error too.
  static Profile Load(const std::string& path);
  // Where the npu profile is: $HETRUN_NPU_PROFILE if set, else `npu.profile` next to this module.
  static std::string DefaultPath();
};

// "" when `op` on `dtype` is allowed, else why not.
std::string ProfileAllows(const Profile& profile, const std::string& op);

}  // namespace hetrun::opencl
