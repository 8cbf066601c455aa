#include "nvrtc_compiler.h"

#include <nvrtc.h>

#include <memory>

#include "hetrun/plugin.hpp"

namespace hetrun::cuda {
namespace {

void Check(nvrtcResult result, const char* call) {
  if (result == NVRTC_SUCCESS) return;
  throw plugin::Error(HETRUN_STATUS_INTERNAL,
                      std::string(call) + " failed: " + nvrtcGetErrorString(result));
}

struct ProgramRelease {
  void operator()(nvrtcProgram* program) const {
    nvrtcDestroyProgram(program);
    delete program;
  }
};

}  // namespace

NvrtcOutput CompileCuda(const std::string& source, const std::string& arch,
                        const std::string& what) {
  std::unique_ptr<nvrtcProgram, ProgramRelease> program(new nvrtcProgram(nullptr));
  Check(nvrtcCreateProgram(program.get(), source.c_str(), "hetrun_kernels.cu", 0, nullptr, nullptr),
        "nvrtcCreateProgram");
  const std::string arch_option = "--gpu-architecture=" + arch;
  // -default-device: the generator's helper functions need no __device__. No FMA contraction:
  // results stay those of the separate multiply and add the ONNX reference computes.
  const char* options[] = {arch_option.c_str(), "-default-device", "--std=c++17", "--fmad=false",
                           "-w"};
  const nvrtcResult compiled =
      nvrtcCompileProgram(*program, static_cast<int>(std::size(options)), options);
  NvrtcOutput out;
  size_t log_size = 0;
  Check(nvrtcGetProgramLogSize(*program, &log_size), "nvrtcGetProgramLogSize");
  if (log_size > 1) {
    out.log.resize(log_size);
    Check(nvrtcGetProgramLog(*program, out.log.data()), "nvrtcGetProgramLog");
    out.log.resize(log_size - 1);
  }
  if (compiled != NVRTC_SUCCESS) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL, what + ": NVRTC (" + arch + ") failed: " +
                                                    nvrtcGetErrorString(compiled) + "\n" + out.log);
  }
  const bool cubin = arch.rfind("sm_", 0) == 0;
  size_t size = 0;
  if (cubin) {
    Check(nvrtcGetCUBINSize(*program, &size), "nvrtcGetCUBINSize");
    out.image.resize(size);
    Check(nvrtcGetCUBIN(*program, out.image.data()), "nvrtcGetCUBIN");
  } else {
    Check(nvrtcGetPTXSize(*program, &size), "nvrtcGetPTXSize");
    out.image.resize(size);
    Check(nvrtcGetPTX(*program, out.image.data()), "nvrtcGetPTX");
  }
  return out;
}

std::vector<int> NvrtcArchitectures() {
  int count = 0;
  Check(nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
  std::vector<int> archs(static_cast<size_t>(count));
  if (count > 0) Check(nvrtcGetSupportedArchs(archs.data()), "nvrtcGetSupportedArchs");
  return archs;
}

std::string NvrtcVersion() {
  int major = 0, minor = 0;
  Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace hetrun::cuda
