#include "cl_context.h"

#include <vector>

namespace hetrun::opencl {

ClContext::ClContext(cl_platform_id platform, cl_device_id device, uint64_t memory_cap,
                     bool profiling)
    : device_(device), cap_(memory_cap) {
  const cl_context_properties properties[] = {CL_CONTEXT_PLATFORM,
                                              reinterpret_cast<cl_context_properties>(platform), 0};
  cl_int code = CL_SUCCESS;
  context_ = clCreateContext(properties, 1, &device_, nullptr, nullptr, &code);
  ClCheck(code, "clCreateContext");
  // In order: each kernel sees the results of the ones enqueued before it.
  queue_ =
      clCreateCommandQueue(context_, device_, profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &code);
  if (code != CL_SUCCESS) {
    clReleaseContext(context_);
    ClCheck(code, "clCreateCommandQueue");
  }
}

ClContext::~ClContext() {
  clFinish(queue_);
  for (auto& entry : programs_) clReleaseProgram(entry.second);
  clReleaseCommandQueue(queue_);
  clReleaseContext(context_);
}

cl_kernel ClContext::CreateKernel(const std::string& source, const std::string& what) {
  cl_program program = nullptr;
  {
    // Held while building: two threads compiling the same source would build it twice.
    std::lock_guard<std::mutex> lock(programs_mutex_);
    auto found = programs_.find(source);
    if (found != programs_.end()) {
      program = found->second;
    } else {
      cl_int code = CL_SUCCESS;
      const char* text = source.c_str();
      const size_t length = source.size();
      program = clCreateProgramWithSource(context_, 1, &text, &length, &code);
      ClCheck(code, "clCreateProgramWithSource");
      // No fast-math: results must match the CPU plugin within ONNX test tolerances.
      code = clBuildProgram(program, 1, &device_, "-cl-std=CL1.2", nullptr, nullptr);
      if (code != CL_SUCCESS) {
        size_t size = 0;
        clGetProgramBuildInfo(program, device_, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
        std::string log(size, '\0');
        clGetProgramBuildInfo(program, device_, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
        clReleaseProgram(program);
        if (log.size() > 4000) log = log.substr(0, 4000) + "...";
        throw plugin::Error(HETRUN_STATUS_INTERNAL,
                            what + ": the generated OpenCL kernel did not build (" +
                                ClErrorName(code) + "); this is a plugin bug. Build log:\n" + log);
      }
      programs_.emplace(source, program);
    }
  }
  cl_int code = CL_SUCCESS;
  cl_kernel kernel = clCreateKernel(program, "run", &code);
  ClCheck(code, "clCreateKernel");
  return kernel;
}

void ClContext::Reserve(uint64_t bytes) {
  const uint64_t before = used_.fetch_add(bytes);
  if (cap_ != 0 && (bytes > cap_ || before > cap_ - bytes)) {
    used_ -= bytes;
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY, "allocating " + std::to_string(bytes) +
                                                         " bytes would exceed the device's " +
                                                         std::to_string(cap_) + " bytes (" +
                                                         std::to_string(before) + " in use)");
  }
}

ClBuffer::ClBuffer(std::shared_ptr<ClContext> context, uint64_t bytes)
    : context_(std::move(context)), bytes_(bytes) {
  context_->Reserve(bytes);
  cl_int code = CL_SUCCESS;
  // OpenCL has no empty buffers: a zero-byte request gets one byte.
  mem_ = clCreateBuffer(context_->context(), CL_MEM_READ_WRITE, bytes ? bytes : 1, nullptr, &code);
  if (code != CL_SUCCESS) {
    context_->Unreserve(bytes);
    if (code == CL_INVALID_BUFFER_SIZE) code = CL_MEM_OBJECT_ALLOCATION_FAILURE;  // too big
    ClCheck(code, ("clCreateBuffer of " + std::to_string(bytes) + " bytes").c_str());
  }
}

ClBuffer::~ClBuffer() {
  clReleaseMemObject(mem_);
  context_->Unreserve(bytes_);
}

}  // namespace hetrun::opencl
