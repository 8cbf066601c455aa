// The launch of one translated kernel: grid and block from the generator's Kernel, and the
// parameters the entry point takes (one device pointer per binding, then the offsets struct, each
// offset in its binding's units as in the Vulkan push constants). Pure data: unit-tested without
// a device.
#pragma once

#include <cstdint>
#include <vector>

#include "codegen.h"
#include "cuda_source.h"
#include "hetrun/plugin.h"

namespace hetrun::cuda {

// Bytes per unit of binding `j`'s offset: the kernel's offset_units, else 1 for bool (read by
// byte index through its words) and 4 otherwise.
uint32_t OffsetUnit(const vulkan::Kernel& kernel, size_t j, hetrun_dtype_t dtype);

struct Launch {
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  std::vector<uint64_t> pointers;  // CUdeviceptr of each binding's buffer (its start)
  std::vector<uint32_t> offsets;   // the `pc` struct: at least one entry, as the entry declares

  // cuLaunchKernel's kernelParams: pointers into this object, valid while it lives unmoved.
  std::vector<void*> Params();
};

// Binding j of `kernel` reads or writes the tensor at `byte_offsets[j]` in the buffer at
// `pointers[j]` (of `dtypes[j]`). Throws plugin::Error(INTERNAL) naming the kernel when an offset
// is not a whole number of units or does not fit 32 bits.
Launch MakeLaunch(const CudaKernel& translated, const vulkan::Kernel& kernel,
                  const std::vector<hetrun_dtype_t>& dtypes, const std::vector<uint64_t>& pointers,
                  const std::vector<uint64_t>& byte_offsets);

}  // namespace hetrun::cuda
