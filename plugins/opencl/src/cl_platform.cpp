#include "cl_platform.h"

#include <algorithm>

namespace hetrun::opencl {
namespace {

std::string DeviceString(cl_device_id device, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string text(size, '\0');
  if (clGetDeviceInfo(device, what, size, text.data(), nullptr) != CL_SUCCESS) return "";
  text.resize(text.find('\0') == std::string::npos ? size : text.find('\0'));
  return text;
}

template <typename T>
T DeviceValue(cl_device_id device, cl_device_info what, T fallback) {
  T value{};
  return clGetDeviceInfo(device, what, sizeof value, &value, nullptr) == CL_SUCCESS ? value
                                                                                    : fallback;
}

ClDevice Describe(cl_platform_id platform, cl_device_id id) {
  ClDevice d;
  d.platform = platform;
  d.id = id;
  const cl_device_type type = DeviceValue<cl_device_type>(id, CL_DEVICE_TYPE, CL_DEVICE_TYPE_CPU);
  const cl_uint units = DeviceValue<cl_uint>(id, CL_DEVICE_MAX_COMPUTE_UNITS, 1);
  const cl_uint mhz = DeviceValue<cl_uint>(id, CL_DEVICE_MAX_CLOCK_FREQUENCY, 1000);
  const cl_uint width = DeviceValue<cl_uint>(id, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, 4);
  d.max_alloc_bytes = DeviceValue<cl_ulong>(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 0);
  d.name = DeviceString(id, CL_DEVICE_NAME) + " (OpenCL, " + std::to_string(units) + " CUs)";
  d.info.struct_size = sizeof(hetrun_device_info);
  d.info.name = d.name.c_str();
  const bool is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
  d.info.kind = is_cpu ? HETRUN_DEVICE_CPU
                       : ((type & CL_DEVICE_TYPE_GPU) ? HETRUN_DEVICE_GPU : HETRUN_DEVICE_OTHER);
  // Buffers of a CPU device live in host memory, but the plugin copies anyway (no buffer_map):
  // a real accelerator would not have that flag, and this is the template for one.
  d.info.flags = 0;
  d.info.memory_bytes = DeviceValue<cl_ulong>(id, CL_DEVICE_GLOBAL_MEM_SIZE, 0);
  d.info.compute_units = units;
  // Rough figures: one FMA per float lane per cycle; generated kernels are naive, so a quarter.
  d.info.peak_gflops = std::max(1.0, units * (mhz / 1000.0) * width * 2.0 / 4.0);
  d.info.memory_gbps = is_cpu ? 10.0 : 100.0;
  d.info.host_link_gbps = is_cpu ? 10.0 : 8.0;
  d.info.host_link_latency_us = is_cpu ? 10.0 : 20.0;
  return d;
}

}  // namespace

Platforms Platforms::Discover() {
  Platforms result;
  cl_uint count = 0;
  cl_int code = clGetPlatformIDs(0, nullptr, &count);
  if (code != CL_SUCCESS || count == 0) {
    result.reason_ = code == CL_SUCCESS || code == -1001  // CL_PLATFORM_NOT_FOUND_KHR
                         ? "no OpenCL platform found (is an ICD such as pocl-opencl-icd installed, "
                           "and OCL_ICD_VENDORS unset or pointing at it?)"
                         : std::string("clGetPlatformIDs failed: ") + ClErrorName(code);
    return result;
  }
  std::vector<cl_platform_id> platforms(count);
  if (clGetPlatformIDs(count, platforms.data(), nullptr) != CL_SUCCESS) {
    result.reason_ = "clGetPlatformIDs failed the second time";
    return result;
  }
  for (cl_platform_id platform : platforms) {
    cl_uint n = 0;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS || n == 0) {
      continue;
    }
    std::vector<cl_device_id> ids(n);
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, ids.data(), nullptr) != CL_SUCCESS)
      continue;
    for (cl_device_id id : ids) {
      if (!DeviceValue<cl_bool>(id, CL_DEVICE_AVAILABLE, CL_FALSE) ||
          !DeviceValue<cl_bool>(id, CL_DEVICE_COMPILER_AVAILABLE, CL_FALSE)) {
        continue;  // the code generator needs the online compiler
      }
      result.devices_.push_back(Describe(platform, id));
    }
  }
  // `info.name` points into `name`: fix the pointers now that the vector stopped moving.
  for (ClDevice& d : result.devices_) d.info.name = d.name.c_str();
  if (result.devices_.empty()) {
    result.reason_ = std::to_string(count) +
                     " OpenCL platform(s) found, but no available device with a compiler";
  }
  return result;
}

}  // namespace hetrun::opencl
