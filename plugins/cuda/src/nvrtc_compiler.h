// CUDA C to PTX or cubin with NVRTC, in process and without a driver: the plugin compiles a part's
// kernels for its device's architecture, the tests compile them for sm_75 and sm_90 offline.
#pragma once

#include <string>
#include <vector>

namespace hetrun::cuda {

struct NvrtcOutput {
  std::string log;          // NVRTC's log (warnings too)
  std::vector<char> image;  // PTX text (NUL-terminated) or a cubin
};

// Compiles `source` for `arch`: "compute_90" gives PTX, "sm_90" a cubin. `what` names the kernels
// ("node 'x' (Add)") in the error: plugin::Error(INTERNAL) with NVRTC's log when it does not
// compile.
NvrtcOutput CompileCuda(const std::string& source, const std::string& arch,
                        const std::string& what);

// The "sm_XY" architectures this NVRTC can target, oldest first.
std::vector<int> NvrtcArchitectures();
// "major.minor" of the NVRTC library.
std::string NvrtcVersion();

}  // namespace hetrun::cuda
