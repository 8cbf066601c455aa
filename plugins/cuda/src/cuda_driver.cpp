#include "cuda_driver.h"

#include <dlfcn.h>

#include <memory>
#include <mutex>

#include "hetrun/plugin.hpp"

#define HETRUN_CUDA_STR2(x) #x
#define HETRUN_CUDA_STR(x) HETRUN_CUDA_STR2(x)

namespace hetrun::cuda {
namespace {

std::string ErrorText(const DriverApi& api, CUresult result) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.cuGetErrorName) api.cuGetErrorName(result, &name);
  if (api.cuGetErrorString) api.cuGetErrorString(result, &text);
  std::string out = name ? name : "CUDA error " + std::to_string(static_cast<int>(result));
  if (text) out += std::string(": ") + text;
  return out;
}

int Attribute(const DriverApi& api, CUdevice device, CUdevice_attribute attribute) {
  int value = 0;
  if (api.cuDeviceGetAttribute(&value, attribute, device) != CUDA_SUCCESS) return 0;
  return value;
}

GpuInfo Describe(const DriverApi& api, int ordinal) {
  GpuInfo gpu;
  CuCheck(api, api.cuDeviceGet(&gpu.handle, ordinal), "cuDeviceGet");
  char name[256] = {};
  CuCheck(api, api.cuDeviceGetName(name, sizeof name - 1, gpu.handle), "cuDeviceGetName");
  gpu.major = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  gpu.minor = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  gpu.name = std::string(name) + " (sm_" + std::to_string(gpu.major * 10 + gpu.minor) + ")";
  size_t memory = 0;
  CuCheck(api, api.cuDeviceTotalMem(&memory, gpu.handle), "cuDeviceTotalMem");
  const uint32_t grid[3] = {
      static_cast<uint32_t>(Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X)),
      static_cast<uint32_t>(Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y)),
      static_cast<uint32_t>(Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z))};
  gpu.target = DeviceTarget(gpu.major, gpu.minor, memory, grid);

  // Rough figures for the partitioner: FP32 lanes per SM (128 from Ampere on, 64 on Turing) at
  // the reported clock, and the memory bus's bandwidth (DDR).
  const double sms = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  // Newer drivers may report 0 for the (deprecated) clock attributes: assume 1.5 GHz and 1 TB/s.
  double clock_khz = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
  if (clock_khz <= 0) clock_khz = 1.5e6;
  const double lanes = gpu.major >= 8 ? 128 : 64;
  const double memory_khz = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
  const double bus_bits = Attribute(api, gpu.handle, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
  gpu.info.struct_size = sizeof gpu.info;
  gpu.info.kind = HETRUN_DEVICE_GPU;
  gpu.info.memory_bytes = memory;
  gpu.info.compute_units = static_cast<uint32_t>(sms);
  gpu.info.peak_gflops = sms * lanes * 2 * clock_khz * 1e-6;
  gpu.info.memory_gbps = 2 * memory_khz * 1e3 * bus_bits / 8 * 1e-9;
  if (gpu.info.memory_gbps <= 0) gpu.info.memory_gbps = 1000;
  if (gpu.info.peak_gflops <= 0) gpu.info.peak_gflops = 10000;
  gpu.info.host_link_gbps = 25;  // PCIe 4 x16, about
  gpu.info.host_link_latency_us = 10;
  return gpu;
}

}  // namespace

Driver LoadDriver(const std::string& library_name) {
  Driver driver;
  void* library = dlopen(library_name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* error = dlerror();
    driver.reason = "NVIDIA driver not found (" + (error ? std::string(error) : library_name) + ")";
    return driver;
  }
  // The library and the table stay for the process's life: buffers and modules may outlive every
  // plugin object.
  DriverApi& api = *new DriverApi;
  std::string missing;
#define HETRUN_CUDA_LOAD(name)                                                            \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(library, HETRUN_CUDA_STR(name))); \
  if (!api.name) missing += std::string(missing.empty() ? "" : ", ") + HETRUN_CUDA_STR(name);
  HETRUN_CUDA_DRIVER_FUNCTIONS(HETRUN_CUDA_LOAD)
#undef HETRUN_CUDA_LOAD
  if (!missing.empty()) {
    driver.reason = "the NVIDIA driver (" + library_name + ") is too old: it lacks " + missing;
    return driver;
  }
  const CUresult init = api.cuInit(0);
  if (init != CUDA_SUCCESS) {
    // No device (100), a driver too old for what we ask, or the toolkit's stub (34).
    driver.reason = "cuInit failed: " + ErrorText(api, init);
    return driver;
  }
  api.cuDriverGetVersion(&driver.version);
  int count = 0;
  CuCheck(api, api.cuDeviceGetCount(&count), "cuDeviceGetCount");
  for (int i = 0; i < count; ++i) driver.gpus.push_back(Describe(api, i));
  for (GpuInfo& gpu : driver.gpus) gpu.info.name = gpu.name.c_str();
  if (driver.gpus.empty()) driver.reason = "the NVIDIA driver reports no CUDA device";
  driver.api = &api;
  return driver;
}

const Driver& GetDriver() {
  static const Driver driver = [] {
    try {
      return LoadDriver("libcuda.so.1");
    } catch (const std::exception& e) {
      Driver failed;
      failed.reason = e.what();
      return failed;
    }
  }();
  return driver;
}

hetrun_status_code_t StatusOf(CUresult result) {
  switch (result) {
    case CUDA_ERROR_OUT_OF_MEMORY: return HETRUN_STATUS_OUT_OF_MEMORY;
    case CUDA_ERROR_ILLEGAL_ADDRESS:
    case CUDA_ERROR_LAUNCH_FAILED:
    case CUDA_ERROR_ECC_UNCORRECTABLE:
    case CUDA_ERROR_HARDWARE_STACK_ERROR:
    case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case CUDA_ERROR_MISALIGNED_ADDRESS:
    case CUDA_ERROR_CONTEXT_IS_DESTROYED: return HETRUN_STATUS_DEVICE_LOST;
    case CUDA_ERROR_NO_DEVICE:
    case CUDA_ERROR_STUB_LIBRARY: return HETRUN_STATUS_UNAVAILABLE;
    case CUDA_ERROR_LAUNCH_TIMEOUT: return HETRUN_STATUS_TIMEOUT;
    default: return HETRUN_STATUS_INTERNAL;
  }
}

void CuCheck(const DriverApi& api, CUresult result, const char* what) {
  if (result == CUDA_SUCCESS) return;
  throw plugin::Error(StatusOf(result), std::string(what) + " failed: " + ErrorText(api, result));
}

}  // namespace hetrun::cuda
