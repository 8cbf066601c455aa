// The CUDA driver API through dlopen("libcuda.so.1"): a table of the entry points the plugin uses,
// loaded once, never linked (the toolkit's libcuda.so is a stub that fails at run time, see
// ../shared/research/toolchain.md §7). With no driver or no GPU the table is absent and the reason
// says why; the plugin then reports zero devices.
#pragma once

#include <cuda.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda_target.h"
#include "hetrun/plugin.h"

namespace hetrun::cuda {

// X-macro of the driver functions used. cuda.h maps several names to their _v2 symbols
// (cuMemAlloc -> cuMemAlloc_v2); the table loads whatever the header's name expands to.
#define HETRUN_CUDA_DRIVER_FUNCTIONS(X) \
  X(cuInit)                             \
  X(cuDriverGetVersion)                 \
  X(cuGetErrorName)                     \
  X(cuGetErrorString)                   \
  X(cuDeviceGetCount)                   \
  X(cuDeviceGet)                        \
  X(cuDeviceGetName)                    \
  X(cuDeviceGetAttribute)               \
  X(cuDeviceTotalMem)                   \
  X(cuDevicePrimaryCtxRetain)           \
  X(cuDevicePrimaryCtxRelease)          \
  X(cuCtxSetCurrent)                    \
  X(cuStreamCreate)                     \
  X(cuStreamDestroy)                    \
  X(cuStreamSynchronize)                \
  X(cuEventCreate)                      \
  X(cuEventRecord)                      \
  X(cuEventSynchronize)                 \
  X(cuEventDestroy)                     \
  X(cuMemAlloc)                         \
  X(cuMemFree)                          \
  X(cuMemAllocHost)                     \
  X(cuMemFreeHost)                      \
  X(cuMemcpyHtoDAsync)                  \
  X(cuMemcpyDtoHAsync)                  \
  X(cuMemcpyDtoDAsync)                  \
  X(cuModuleLoadData)                   \
  X(cuModuleUnload)                     \
  X(cuModuleGetFunction)                \
  X(cuLaunchKernel)

struct DriverApi {
#define HETRUN_CUDA_MEMBER(name) decltype(&::name) name = nullptr;
  HETRUN_CUDA_DRIVER_FUNCTIONS(HETRUN_CUDA_MEMBER)
#undef HETRUN_CUDA_MEMBER
};

// One GPU the driver reported.
struct GpuInfo {
  CUdevice handle = 0;
  std::string name;
  int major = 0, minor = 0;
  hetrun_device_info info{};  // name points into `name`
  CudaTarget target;
};

// The driver and its GPUs, found once per process (the first call loads libcuda.so.1 and calls
// cuInit). `api` is null and `reason` set when there is no usable driver or no GPU.
struct Driver {
  const DriverApi* api = nullptr;
  std::vector<GpuInfo> gpus;
  std::string reason;
  int version = 0;  // cuDriverGetVersion, e.g. 13000
};
const Driver& GetDriver();
// Loads `library` (a name for dlopen or a path) and finds its GPUs; GetDriver() uses
// "libcuda.so.1". Exposed so a test can check the table against the toolkit's stub library.
Driver LoadDriver(const std::string& library);

// The ABI code a CUresult stands for (device loss and out-of-memory typed).
hetrun_status_code_t StatusOf(CUresult result);
// Throws plugin::Error("<what> failed: CUDA_ERROR_...: text") unless `result` is CUDA_SUCCESS.
void CuCheck(const DriverApi& api, CUresult result, const char* what);

}  // namespace hetrun::cuda
