#include "launch.h"

#include <string>

#include "hetrun/plugin.hpp"

namespace hetrun::cuda {

uint32_t OffsetUnit(const vulkan::Kernel& kernel, size_t j, hetrun_dtype_t dtype) {
  if (j < kernel.offset_units.size()) return kernel.offset_units[j];
  return dtype == HETRUN_DTYPE_BOOL ? 1u : 4u;
}

std::vector<void*> Launch::Params() {
  std::vector<void*> params;
  params.reserve(pointers.size() + 1);
  for (uint64_t& pointer : pointers) params.push_back(&pointer);
  params.push_back(offsets.data());
  return params;
}

Launch MakeLaunch(const CudaKernel& translated, const vulkan::Kernel& kernel,
                  const std::vector<hetrun_dtype_t>& dtypes, const std::vector<uint64_t>& pointers,
                  const std::vector<uint64_t>& byte_offsets) {
  const size_t count = kernel.bindings.size();
  if (dtypes.size() != count || pointers.size() != count || byte_offsets.size() != count) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL,
                        kernel.what + ": launch given " + std::to_string(pointers.size()) +
                            " buffers for " + std::to_string(count) + " bindings");
  }
  Launch launch;
  for (int d = 0; d < 3; ++d) {
    launch.grid[d] = translated.grid[d];
    launch.block[d] = translated.block[d];
  }
  launch.pointers = pointers;
  for (size_t j = 0; j < count; ++j) {
    const uint32_t unit = OffsetUnit(kernel, j, dtypes[j]);
    if (byte_offsets[j] % unit != 0 || byte_offsets[j] / unit > UINT32_MAX) {
      throw plugin::Error(HETRUN_STATUS_INTERNAL,
                          kernel.what + ": binding " + std::to_string(j) + " at byte offset " +
                              std::to_string(byte_offsets[j]) + " is not addressable in units of " +
                              std::to_string(unit) + " bytes");
    }
    launch.offsets.push_back(static_cast<uint32_t>(byte_offsets[j] / unit));
  }
  if (launch.offsets.empty()) launch.offsets.push_back(0);  // `Offsets { uint unused; }`
  return launch;
}

}  // namespace hetrun::cuda
