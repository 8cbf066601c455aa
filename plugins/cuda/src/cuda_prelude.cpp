// The GLSL built-ins the shared generator's kernels call, as CUDA device functions. Everything
// lives in namespace hr_glsl and the kernels are nested inside it, so an unqualified `abs`, `min`
// or `atomicOr` finds these overloads first (and only these): a GLSL call with no exact match here
// fails to compile instead of silently picking a CUDA overload with other semantics.
#include "cuda_source.h"

namespace hetrun::cuda {

const char* Prelude() {
  return R"(// hetrun: GLSL compute built-ins for the CUDA translation.
namespace hr_glsl {
typedef unsigned int uint;
typedef long long int64_t;
typedef unsigned long long uint64_t;

struct uvec3 { uint x, y, z; };
struct __align__(8) uvec2 {
  uint x, y;
  uvec2() = default;
  uvec2(uint a, uint b) : x(a), y(b) {}
};

// A storage buffer: `b<j>.d[i]` as in GLSL.
template <typename T> struct Buffer { T* d; };

inline uvec3 hr_global_id() {
  return uvec3{blockIdx.x * blockDim.x + threadIdx.x, blockIdx.y * blockDim.y + threadIdx.y,
               blockIdx.z * blockDim.z + threadIdx.z};
}
inline uvec3 hr_local_id() { return uvec3{threadIdx.x, threadIdx.y, threadIdx.z}; }
inline uvec3 hr_group_id() { return uvec3{blockIdx.x, blockIdx.y, blockIdx.z}; }
inline uvec3 hr_num_groups() { return uvec3{gridDim.x, gridDim.y, gridDim.z}; }
inline uvec3 hr_group_size() { return uvec3{blockDim.x, blockDim.y, blockDim.z}; }
#define gl_GlobalInvocationID (::hr_glsl::hr_global_id())
#define gl_LocalInvocationID (::hr_glsl::hr_local_id())
#define gl_WorkGroupID (::hr_glsl::hr_group_id())
#define gl_NumWorkGroups (::hr_glsl::hr_num_groups())
#define gl_WorkGroupSize (::hr_glsl::hr_group_size())
#define gl_LocalInvocationIndex (threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z))

inline void barrier() { __syncthreads(); }
inline void memoryBarrierShared() { __threadfence_block(); }
inline void memoryBarrierBuffer() { __threadfence(); }
inline void memoryBarrier() { __threadfence(); }
inline void groupMemoryBarrier() { __threadfence_block(); }

inline uint atomicOr(uint& m, uint v) { return ::atomicOr(&m, v); }
inline uint atomicAnd(uint& m, uint v) { return ::atomicAnd(&m, v); }
inline uint atomicAdd(uint& m, uint v) { return ::atomicAdd(&m, v); }
inline int atomicAdd(int& m, int v) { return ::atomicAdd(&m, v); }
inline uint atomicMax(uint& m, uint v) { return ::atomicMax(&m, v); }
inline uint atomicMin(uint& m, uint v) { return ::atomicMin(&m, v); }

inline float uintBitsToFloat(uint v) { return __uint_as_float(v); }
inline float intBitsToFloat(int v) { return __int_as_float(v); }
inline uint floatBitsToUint(float v) { return __float_as_uint(v); }
inline int floatBitsToInt(float v) { return __float_as_int(v); }

inline float abs(float x) { return fabsf(x); }
inline int abs(int x) { return x < 0 ? -x : x; }
inline int64_t abs(int64_t x) { return x < 0 ? -x : x; }
inline float sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); }
inline int sign(int x) { return (x > 0) - (x < 0); }
inline int64_t sign(int64_t x) { return (x > 0) - (x < 0); }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline uint min(uint a, uint b) { return a < b ? a : b; }
inline uint max(uint a, uint b) { return a > b ? a : b; }
inline int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max(int64_t a, int64_t b) { return a > b ? a : b; }
inline uint64_t min(uint64_t a, uint64_t b) { return a < b ? a : b; }
inline uint64_t max(uint64_t a, uint64_t b) { return a > b ? a : b; }
inline float clamp(float x, float lo, float hi) { return fminf(fmaxf(x, lo), hi); }
inline int clamp(int x, int lo, int hi) { return min(max(x, lo), hi); }
inline uint clamp(uint x, uint lo, uint hi) { return min(max(x, lo), hi); }
inline int64_t clamp(int64_t x, int64_t lo, int64_t hi) { return min(max(x, lo), hi); }
inline float mix(float a, float b, float t) { return a + (b - a) * t; }
inline float mix(float a, float b, bool t) { return t ? b : a; }
inline float step(float edge, float x) { return x < edge ? 0.0f : 1.0f; }
inline float floor(float x) { return floorf(x); }
inline float ceil(float x) { return ceilf(x); }
inline float trunc(float x) { return truncf(x); }
inline float round(float x) { return roundf(x); }
inline float roundEven(float x) { return rintf(x); }
inline float fract(float x) { return x - floorf(x); }
inline float mod(float x, float y) { return x - y * floorf(x / y); }
inline float fma(float a, float b, float c) { return fmaf(a, b, c); }
inline float exp(float x) { return expf(x); }
inline float exp2(float x) { return exp2f(x); }
inline float log(float x) { return logf(x); }
inline float log2(float x) { return log2f(x); }
inline float sqrt(float x) { return sqrtf(x); }
inline float inversesqrt(float x) { return rsqrtf(x); }
inline float pow(float x, float y) { return powf(x, y); }
inline float sin(float x) { return sinf(x); }
inline float cos(float x) { return cosf(x); }
inline float tan(float x) { return tanf(x); }
inline float asin(float x) { return asinf(x); }
inline float acos(float x) { return acosf(x); }
inline float atan(float x) { return atanf(x); }
inline float atan(float y, float x) { return atan2f(y, x); }
inline float sinh(float x) { return sinhf(x); }
inline float cosh(float x) { return coshf(x); }
inline float tanh(float x) { return tanhf(x); }
inline float asinh(float x) { return asinhf(x); }
inline float acosh(float x) { return acoshf(x); }
inline float atanh(float x) { return atanhf(x); }
inline bool isnan(float x) { return x != x; }
inline bool isinf(float x) { return fabsf(x) == __int_as_float(0x7f800000); }
}  // namespace hr_glsl
)";
}

}  // namespace hetrun::cuda
