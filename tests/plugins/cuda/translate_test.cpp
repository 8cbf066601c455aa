// The GLSL -> CUDA C translation, NVRTC and the launch parameters, white box (no GPU needed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codegen.h"
#include "cuda_source.h"
#include "executable.h"
#include "launch.h"
#include "nvrtc_compiler.h"

namespace hetrun::cuda {
namespace {

using vulkan::Kernel;

Kernel SmallKernel(const std::string& what, const std::string& main_body) {
  Kernel k;
  k.what = what;
  k.bindings = {0, 1, 2};
  k.num_inputs = 2;
  k.groups[0] = 7;
  k.groups[1] = 3;
  k.glsl = vulkan::glsl::Header(64, 2, 2, 1) + "shared float tile[64];\n" +
           "float twice(float x) { return 2.0 * x; }\n" + "void main() {\n" + main_body + "}\n";
  return k;
}

TEST(CudaTranslate, ParsesTheGeneratorsHeaders) {
  KernelHeader h = ParseHeader(vulkan::glsl::Header(64, 2, 2, 1), "n");
  EXPECT_EQ(h.local_size[0], 64u);
  EXPECT_EQ(h.local_size[1], 2u);
  EXPECT_EQ(h.local_size[2], 1u);
  ASSERT_EQ(h.bindings.size(), 3u);
  EXPECT_TRUE(h.bindings[0].readonly);
  EXPECT_TRUE(h.bindings[1].readonly);
  EXPECT_FALSE(h.bindings[2].readonly);
  EXPECT_EQ(h.bindings[2].type, "float");
  EXPECT_TRUE(h.push_constants);

  h = ParseHeader(vulkan::glsl::TypedHeader(
                      128, 1, {HETRUN_DTYPE_INT64, HETRUN_DTYPE_BOOL, HETRUN_DTYPE_INT32}, 2),
                  "n");
  ASSERT_EQ(h.bindings.size(), 3u);
  EXPECT_EQ(h.bindings[0].type, "int64_t");
  EXPECT_EQ(h.bindings[1].type, "uint");  // bool tensors as their 32-bit words
  EXPECT_EQ(h.bindings[2].type, "int");
  EXPECT_EQ(h.local_size[0], 128u);
}

TEST(CudaTranslate, UnknownHeaderLineNamesTheNode) {
  try {
    ParseHeader("#version 450\nlayout(local_size_x = 1) in;\n", "node 'odd' (Add)");
    FAIL() << "no error";
  } catch (const plugin::Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'odd' (Add)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("layout(local_size_x = 1) in;"), std::string::npos);
  }
  // An element type the prelude does not define, a binding out of order, extra text.
  const std::string local = "layout(local_size_x = 8, local_size_y = 1, local_size_z = 1) in;\n";
  EXPECT_THROW(ParseHeader(local + "layout(std430, set = 0, binding = 0) buffer B0 { double d[]; } "
                                   "b0;\n",
                           "n"),
               plugin::Error);
  EXPECT_THROW(ParseHeader(local + "layout(std430, set = 0, binding = 1) buffer B1 { float d[]; } "
                                   "b1;\n",
                           "n"),
               plugin::Error);
  EXPECT_THROW(
      ParseHeader(local + "layout(std430, set = 0, binding = 0) coherent buffer B0 { float "
                          "d[]; } b0;\n",
                  "n"),
      plugin::Error);
  EXPECT_THROW(ParseHeader("void main() {}\n", "n"), plugin::Error);  // no local size
}

TEST(CudaTranslate, FloatLiteralsBecomeFloatAndInt64LiteralsLongLong) {
  EXPECT_EQ(SuffixLiterals("float x = 1.0 + .5 * 2e-3 - 1.5e+2 + 3.0f;"),
            "float x = 1.0f + .5f * 2e-3f - 1.5e+2f + 3.0f;");
  // Identifiers, member access, hex and unsigned literals are left alone.
  EXPECT_EQ(SuffixLiterals("b0.d[pc.o0 + 16u] = uintBitsToFloat(0x3f800000u) + v12;"),
            "b0.d[pc.o0 + 16u] = uintBitsToFloat(0x3f800000u) + v12;");
  EXPECT_EQ(SuffixLiterals("int64_t a = 5l, b = 7ul, c = 9ll;"),
            "int64_t a = 5ll, b = 7ull, c = 9ll;");
}

TEST(CudaTranslate, KernelBecomesAnEntryPointWithTheLaunchShape) {
  const CudaKernel k =
      TranslateKernel(SmallKernel("node 'a' (Add)",
                                  "  uint i = gl_GlobalInvocationID.x;\n"
                                  "  tile[gl_LocalInvocationID.x] = b0.d[pc.o0 + i];\n"
                                  "  barrier();\n"
                                  "  b2.d[pc.o2 + i] = twice(tile[0]) + b1.d[pc.o1 + i] * 0.5;\n"),
                      3);
  EXPECT_EQ(k.entry, "hr_k3");
  EXPECT_EQ(k.block[0], 64u);
  EXPECT_EQ(k.block[1], 2u);
  EXPECT_EQ(k.block[2], 1u);
  EXPECT_EQ(k.grid[0], 7u);
  EXPECT_EQ(k.grid[1], 3u);
  EXPECT_NE(k.body.find("__shared__ float tile[64];"), std::string::npos) << k.body;
  EXPECT_NE(k.body.find("extern \"C\" __global__ void __launch_bounds__(128) hr_k3("),
            std::string::npos)
      << k.body;
  EXPECT_NE(k.body.find("const float* d0, const float* d1, float* d2, Offsets pc"),
            std::string::npos)
      << k.body;
  EXPECT_NE(k.body.find("0.5f"), std::string::npos);
  for (const char* arch : {"compute_75", "compute_90"}) {
    const NvrtcOutput out = CompileCuda(ModuleSource({k}), arch, k.what);
    const std::string ptx(out.image.data());
    EXPECT_NE(ptx.find(".entry hr_k3"), std::string::npos) << arch;
    EXPECT_NE(ptx.find("bar.sync"), std::string::npos) << arch;  // barrier()
  }
}

TEST(CudaTranslate, BadKernelNamesTheNodeAndShowsNvrtcsLog) {
  const CudaKernel good = TranslateKernel(SmallKernel("node 'g' (Relu)", "  float x = 1.0;\n"), 0);
  const CudaKernel bad =
      TranslateKernel(SmallKernel("node 'broken' (Exp)", "  float x = no_such_builtin(1.0);\n"), 1);
  try {
    CompileModule({good, bad}, "compute_90");
    FAIL() << "no error";
  } catch (const plugin::Error& e) {
    const std::string text = e.what();
    EXPECT_EQ(e.code(), HETRUN_STATUS_INTERNAL);
    EXPECT_NE(text.find("node 'broken' (Exp)"), std::string::npos) << text;
    EXPECT_EQ(text.find("node 'g' (Relu)"), std::string::npos) << text;
    EXPECT_NE(text.find("no_such_builtin"), std::string::npos) << text;  // NVRTC's log
  }
}

TEST(CudaTranslate, CubinForKnownArchitecturesPtxBeyond) {
  EXPECT_EQ(NvrtcTargetFor(90), "sm_90");
  EXPECT_EQ(NvrtcTargetFor(75), "sm_75");
  const std::vector<int> known = NvrtcArchitectures();
  ASSERT_FALSE(known.empty());
  EXPECT_EQ(NvrtcTargetFor(known.back() + 1), "compute_" + std::to_string(known.back()));
  EXPECT_THROW(NvrtcTargetFor(30), plugin::Error);  // CUDA 13 starts at sm_75
}

TEST(CudaLaunch, GridBlockAndOffsetsInEachBindingsUnits) {
  Kernel k = SmallKernel("node 'a' (Add)", "");
  const CudaKernel t = TranslateKernel(k, 0);
  Launch launch = MakeLaunch(t, k, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_BOOL, HETRUN_DTYPE_INT32},
                             {0x1000, 0x2000, 0x3000}, {64, 3, 0});
  EXPECT_EQ(launch.grid[0], 7u);
  EXPECT_EQ(launch.grid[1], 3u);
  EXPECT_EQ(launch.grid[2], 1u);
  EXPECT_EQ(launch.block[0], 64u);
  EXPECT_EQ(launch.block[1], 2u);
  EXPECT_EQ(launch.offsets, (std::vector<uint32_t>{16, 3, 0}));  // float by 4, bool by byte
  std::vector<void*> params = launch.Params();
  ASSERT_EQ(params.size(), 4u);  // three pointers, then the offsets struct
  EXPECT_EQ(*static_cast<uint64_t*>(params[1]), 0x2000u);
  EXPECT_EQ(static_cast<uint32_t*>(params[3])[0], 16u);
  EXPECT_EQ(static_cast<uint32_t*>(params[3])[2], 0u);

  k.offset_units = {8, 4, 4};  // a movement kernel retyped to int64 (uvec2 elements)
  launch = MakeLaunch(t, k, {HETRUN_DTYPE_INT64, HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT32},
                      {1, 2, 3}, {80, 4, 8});
  EXPECT_EQ(launch.offsets, (std::vector<uint32_t>{10, 1, 2}));
  EXPECT_THROW(MakeLaunch(t, k, {HETRUN_DTYPE_INT64, HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT32},
                          {1, 2, 3}, {12, 0, 0}),
               plugin::Error);  // not a whole uvec2
  EXPECT_THROW(MakeLaunch(t, k, {HETRUN_DTYPE_FLOAT32}, {1}, {0}), plugin::Error);
}

TEST(CudaLaunch, KernelWithoutBindingsStillGetsItsOffsetsStruct) {
  Kernel k;
  k.what = "node 'f' (EyeLike)";
  k.glsl = vulkan::glsl::Header(32, 1, 0, 0) + "void main() {}\n";
  const CudaKernel t = TranslateKernel(k, 0);
  Launch launch = MakeLaunch(t, k, {}, {}, {});
  EXPECT_EQ(launch.offsets.size(), 1u);
  EXPECT_EQ(launch.Params().size(), 1u);
  const NvrtcOutput out = CompileCuda(ModuleSource({t}), "compute_90", t.what);
  EXPECT_FALSE(out.image.empty());
}

}  // namespace
}  // namespace hetrun::cuda
