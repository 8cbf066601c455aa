// GLSL compute shader -> SPIR-V 1.3 for Vulkan 1.1 through glslang's C++ API, every module then
// checked by SPIR-V Tools' validator. Never libshaderc (see plugins/vulkan/README.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hetrun::vulkan {

// Compiles `glsl`; throws plugin::Error(INTERNAL) naming `what` (the node or fused chain) with
// glslang's log when it does not compile, or the validator's message when the module is invalid.
std::vector<uint32_t> CompileComputeShader(const std::string& glsl, const std::string& what);

// The SPIR-V Tools validator (Vulkan 1.1 environment): "" when `spirv` is valid, else the message.
std::string ValidateSpirv(const std::vector<uint32_t>& spirv);

}  // namespace hetrun::vulkan
