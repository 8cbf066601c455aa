#include "shader_compiler.h"

#include <glslang/Public/ResourceLimits.h>
#include <glslang/Public/ShaderLang.h>
#include <glslang/SPIRV/GlslangToSpv.h>

#include <mutex>
#include <spirv-tools/libspirv.hpp>

#include "errors.h"

namespace hetrun::vulkan {
namespace {

// glslang keeps process-wide state: initialised once, never finalised (the plugin may be loaded
// beside another glslang user), and calls are serialised.
std::mutex& GlslangMutex() {
  static std::mutex mutex;
  return mutex;
}

void InitGlslangOnce() {
  static const bool initialised = glslang::InitializeProcess();
  (void)initialised;
}

}  // namespace

std::string ValidateSpirv(const std::vector<uint32_t>& spirv) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string message;
  tools.SetMessageConsumer(
      [&](spv_message_level_t, const char*, const spv_position_t& position, const char* text) {
        if (!message.empty()) message += "; ";
        message += "word " + std::to_string(position.index) + ": " + text;
      });
  if (tools.Validate(spirv)) return "";
  return message.empty() ? "invalid SPIR-V" : message;
}

std::vector<uint32_t> CompileComputeShader(const std::string& glsl, const std::string& what) {
  std::vector<uint32_t> spirv;
  {
    std::lock_guard lock(GlslangMutex());
    InitGlslangOnce();
    glslang::TShader shader(EShLangCompute);
    const char* text = glsl.c_str();
    shader.setStrings(&text, 1);
    shader.setEnvInput(glslang::EShSourceGlsl, EShLangCompute, glslang::EShClientVulkan, 100);
    shader.setEnvClient(glslang::EShClientVulkan, glslang::EShTargetVulkan_1_1);
    shader.setEnvTarget(glslang::EShTargetSpv, glslang::EShTargetSpv_1_3);
    const auto messages = static_cast<EShMessages>(EShMsgSpvRules | EShMsgVulkanRules);
    if (!shader.parse(GetDefaultResources(), 450, false, messages)) {
      throw plugin::Error(HETRUN_STATUS_INTERNAL,
                          what + ": generated GLSL does not compile: " + shader.getInfoLog());
    }
    glslang::TProgram program;
    program.addShader(&shader);
    if (!program.link(messages)) {
      throw plugin::Error(HETRUN_STATUS_INTERNAL,
                          what + ": generated GLSL does not link: " + program.getInfoLog());
    }
    glslang::SpvOptions options;
    options.validate = false;  // done below with the full validator
    glslang::GlslangToSpv(*program.getIntermediate(EShLangCompute), spirv, &options);
  }
  const std::string invalid = ValidateSpirv(spirv);
  if (!invalid.empty()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL,
                        what + ": generated SPIR-V fails validation: " + invalid);
  }
  return spirv;
}

}  // namespace hetrun::vulkan
