// LLVM ORC JIT (libLLVM-16) for the CPU plugin: compiles vectorised float32 elementwise loops for
// the host CPU (features detected at run time). Kernels ask for a function by op name and fall back
// to their portable C++ loop when the JIT has none. The CPU-performance work grows this into fused
// chains, GEMM and convolution micro-kernels.
#pragma once

#include <cstdint>
#include <string_view>

namespace hetrun::cpu {

using JitUnaryFn = void (*)(const float* in, float* out, int64_t n);
using JitBinaryFn = void (*)(const float* a, const float* b, float* out, int64_t n);

class ElementwiseJit {
 public:
  // The process-wide JIT (created on first use; thread-safe).
  static ElementwiseJit& Get();
  // A compiled out[i] = op(in[i]) for op in {Relu, Neg, Abs, Sqrt, ...}, or nullptr if not
  // JIT-able.
  virtual JitUnaryFn Unary(std::string_view op) = 0;
  // A compiled out[i] = op(a[i], b[i]) for op in {Add, Sub, Mul, Div, Max, Min}, or nullptr.
  virtual JitBinaryFn Binary(std::string_view op) = 0;
  // "znver4 (avx512f ...)" — for device_info and logs.
  virtual const char* HostDescription() const = 0;

 protected:
  virtual ~ElementwiseJit() = default;
};

}  // namespace hetrun::cpu
