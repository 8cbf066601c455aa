// The plugin is built for baseline x86-64, where float loops vectorise only 4 wide. The hottest
// elementwise loops are compiled a second time for AVX2 (8 wide) and picked at run time. The
// clones leave FMA out, so they round exactly as the baseline loops do. The hottest of all (float
// binary ops) get an AVX-512 clone as well (16 wide), likewise without FMA.
#pragma once

#include <cstdlib>
#include <string_view>

namespace hetrun::cpu {

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HETRUN_CPU_AVX2_CLONES 1
#define HETRUN_TARGET_AVX2 [[gnu::target("avx2")]]
#define HETRUN_TARGET_AVX512 [[gnu::target("avx512f,avx512vl,prefer-vector-width=512")]]
inline bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
inline bool CpuHasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  return has;
}
#else
#define HETRUN_CPU_AVX2_CLONES 0
#define HETRUN_TARGET_AVX2
#define HETRUN_TARGET_AVX512
inline bool CpuHasAvx2() {
  return false;
}
inline bool CpuHasAvx512() {
  return false;
}
#endif

// Whether loops cloned for AVX-512 may run: the CPU has it and HETRUN_CPU_GEMM_ISA (generic or
// avx2) does not ask for narrower code, which the tests use to cover the baseline loops too.
inline bool UseAvx512Loops() {
  static const bool use = [] {
    const char* env = secure_getenv("HETRUN_CPU_GEMM_ISA");
    const std::string_view want = env ? env : "";
    return CpuHasAvx512() && want != "generic" && want != "avx2";
  }();
  return use;
}

}  // namespace hetrun::cpu
