// GLSL kernels of the shared GPU generator (plugins/vulkan/src/codegen.h) turned into CUDA C for
// NVRTC. The generator writes a small, known GLSL subset; a prelude defines its built-ins and types
// as device functions, the header lines (`#version`, local size, storage buffers, push constants)
// become kernel parameters, and the rest is kept as written (float literals get their `f`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen.h"

namespace hetrun::cuda {

// One storage buffer of the GLSL header: `layout(std430, set = 0, binding = j) readonly buffer Bj
// { TYPE d[]; } bj;`.
struct BindingDecl {
  std::string type;  // GLSL element type: float, int, uint, int64_t, uvec2
  bool readonly = false;
};

// What the GLSL header declared.
struct KernelHeader {
  uint32_t local_size[3] = {1, 1, 1};
  std::vector<BindingDecl> bindings;
  bool push_constants = false;  // the `pc` block of offsets o0..oN-1 (one per binding)
};

// A kernel ready for NVRTC (inside a module of several, see ModuleSource).
struct CudaKernel {
  std::string what;   // the generator's "node 'x' (Add)", for errors
  std::string entry;  // the extern "C" __global__ function's name
  std::string body;   // namespace with the kernel's code and its entry point
  KernelHeader header;
  uint32_t block[3] = {1, 1, 1};  // threads per block: the GLSL local size
  uint32_t grid[3] = {1, 1, 1};   // blocks: the generator's workgroup count
};

// Reads the header lines the generator writes (glsl::Header / glsl::TypedHeader). Throws
// plugin::Error(INTERNAL) naming `what` for anything else.
KernelHeader ParseHeader(const std::string& glsl, const std::string& what);

// Appends `f` to GLSL float literals (`1.0`, `.5`, `1e-5`) outside identifiers, and turns int64
// literals `5l` / `5ul` into `5ll` / `5ull` (C++ `long` would make overloads ambiguous).
std::string SuffixLiterals(const std::string& code);

// Translates `kernel`; `index` makes its names unique inside one module (hr_k<index>).
CudaKernel TranslateKernel(const vulkan::Kernel& kernel, uint32_t index);

// The built-ins and types the translated kernels use (compiled with NVRTC's -default-device).
const char* Prelude();
// One NVRTC source holding the prelude and `kernels`.
std::string ModuleSource(const std::vector<CudaKernel>& kernels);

}  // namespace hetrun::cuda
