// Finding OpenCL devices: every device of every platform the ICD loader knows, with the figures the
// partitioner's cost model reads. No platform (no ICD, an empty OCL_ICD_VENDORS) is not an error:
// zero devices and a reason, so the host can say why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "hetrun/plugin.h"

namespace hetrun::opencl {

struct ClDevice {
  cl_platform_id platform = nullptr;
  cl_device_id id = nullptr;
  std::string name;              // "cpu-znver3-... (pocl, 16 CUs)"
  hetrun_device_info info{};     // info.name points into `name`
  uint64_t max_alloc_bytes = 0;  // CL_DEVICE_MAX_MEM_ALLOC_SIZE
};

class Platforms {
 public:
  // Never throws for a missing driver; throws plugin::Error only for host memory exhaustion.
  static Platforms Discover();

  const std::vector<ClDevice>& devices() const { return devices_; }
  // Why there are no devices ("" when there are some).
  const std::string& unavailable_reason() const { return reason_; }

 private:
  std::vector<ClDevice> devices_;
  std::string reason_;
};

}  // namespace hetrun::opencl
