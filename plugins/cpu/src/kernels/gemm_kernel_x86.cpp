// AVX-512 and AVX2+FMA GEMM micro-kernels. Compiled with per-function target attributes, so the
// plugin still runs on any x86-64; gemm.cpp picks one after checking the CPU's features.
#include "kernels/gemm_microkernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace hetrun::cpu {
namespace {

// 8 x 32 tile: 16 zmm accumulators, two B vectors per k, A broadcast from memory.
__attribute__((target("avx512f"))) void MicroAvx512(int64_t kc, const float* a, const float* b,
                                                    float* c, int64_t ldc, float alpha,
                                                    bool accumulate, const TileEpilogue* ep) {
  constexpr int MR = 8;
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += 32;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m512 r0 = acc[i][0], r1 = acc[i][1];
    if (alpha != 1.0f) {
      r0 = _mm512_mul_ps(r0, va);
      r1 = _mm512_mul_ps(r1, va);
    }
    if (accumulate) {
      r0 = _mm512_add_ps(r0, _mm512_loadu_ps(ci));
      r1 = _mm512_add_ps(r1, _mm512_loadu_ps(ci + 16));
    }
    if (ep) {
      if (ep->column_bias || ep->row_bias) {
        __m512 b0, b1;
        if (ep->column_bias) {
          b0 = _mm512_loadu_ps(ep->column_bias);
          b1 = _mm512_loadu_ps(ep->column_bias + 16);
          if (ep->row_bias) {
            b0 = _mm512_add_ps(b0, _mm512_set1_ps(ep->row_bias[i]));
            b1 = _mm512_add_ps(b1, _mm512_set1_ps(ep->row_bias[i]));
          }
        } else {
          b0 = b1 = _mm512_set1_ps(ep->row_bias[i]);
        }
        r0 = _mm512_add_ps(r0, b0);
        r1 = _mm512_add_ps(r1, b1);
      }
      if (ep->addend) {
        r0 = _mm512_add_ps(r0, _mm512_loadu_ps(ep->addend + i * ep->addend_ld));
        r1 = _mm512_add_ps(r1, _mm512_loadu_ps(ep->addend + i * ep->addend_ld + 16));
      }
      if (ep->relu) {  // r < 0 ? 0 : r, keeping NaN and -0 (a masked move: no _mm512_max_ps,
                       // which GCC 12 warns about)
        const __m512 zero = _mm512_setzero_ps();
        r0 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r0, zero, _CMP_NLT_UQ), r0);
        r1 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r1, zero, _CMP_NLT_UQ), r1);
      }
    }
    _mm512_storeu_ps(ci, r0);
    _mm512_storeu_ps(ci + 16, r1);
  }
}

// 6 x 16 tile: 12 ymm accumulators, two B vectors per k.
__attribute__((target("avx2,fma"))) void MicroAvx2(int64_t kc, const float* a, const float* b,
                                                   float* c, int64_t ldc, float alpha,
                                                   bool accumulate, const TileEpilogue* ep) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m256 r0 = acc[i][0], r1 = acc[i][1];
    if (alpha != 1.0f) {
      r0 = _mm256_mul_ps(r0, va);
      r1 = _mm256_mul_ps(r1, va);
    }
    if (accumulate) {
      r0 = _mm256_add_ps(r0, _mm256_loadu_ps(ci));
      r1 = _mm256_add_ps(r1, _mm256_loadu_ps(ci + 8));
    }
    if (ep) {
      if (ep->column_bias || ep->row_bias) {
        __m256 b0, b1;
        if (ep->column_bias) {
          b0 = _mm256_loadu_ps(ep->column_bias);
          b1 = _mm256_loadu_ps(ep->column_bias + 8);
          if (ep->row_bias) {
            b0 = _mm256_add_ps(b0, _mm256_set1_ps(ep->row_bias[i]));
            b1 = _mm256_add_ps(b1, _mm256_set1_ps(ep->row_bias[i]));
          }
        } else {
          b0 = b1 = _mm256_set1_ps(ep->row_bias[i]);
        }
        r0 = _mm256_add_ps(r0, b0);
        r1 = _mm256_add_ps(r1, b1);
      }
      if (ep->addend) {
        r0 = _mm256_add_ps(r0, _mm256_loadu_ps(ep->addend + i * ep->addend_ld));
        r1 = _mm256_add_ps(r1, _mm256_loadu_ps(ep->addend + i * ep->addend_ld + 8));
      }
      if (ep->relu) {  // max(0, r) is r when r is NaN or -0, as r < 0 ? 0 : r
        r0 = _mm256_max_ps(_mm256_setzero_ps(), r0);
        r1 = _mm256_max_ps(_mm256_setzero_ps(), r1);
      }
    }
    _mm256_storeu_ps(ci, r0);
    _mm256_storeu_ps(ci + 8, r1);
  }
}

// 8 rows of a row-major matrix (row stride rs, contiguous along k) into one panel [k][8]: 8x8
// blocks transposed in registers (the scalar loop stored one float at a time, 8% of a transformer).
__attribute__((target("avx2"))) void PackRows8Avx2(const float* s, int64_t rs, int64_t depth,
                                                   float* d) {
  int64_t k = 0;
  for (; k + 8 <= depth; k += 8) {
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * rs + k);
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    float* o = d + k * 8;
    _mm256_storeu_ps(o + 0, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(o + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(o + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(o + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(o + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(o + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(o + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; k < depth; ++k)
    for (int i = 0; i < 8; ++i) d[k * 8 + i] = s[i * rs + k];
}

// Four B panels at a time: four streams from memory in flight (a 1 x 512 x 1000 Gemm read its
// 2 MB of weights one panel after another at half the bandwidth ONNX Runtime's GEMV gets).
__attribute__((target("avx512f"))) void Gemv32Avx512(int64_t K, const float* a, int64_t a_stride,
                                                     const float* b, int64_t p0, int64_t p1,
                                                     float* c) {
  const int64_t panel = K * 32;
  int64_t p = p0;
  for (; p + 4 <= p1; p += 4) {
    const float* b0 = b + p * panel;
    const float* b1 = b0 + panel;
    const float* b2 = b1 + panel;
    const float* b3 = b2 + panel;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00;
    for (int64_t k = 0; k < K; ++k) {
      const __m512 x = _mm512_set1_ps(a[k * a_stride]);
      c00 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k * 32), c00);
      c01 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k * 32 + 16), c01);
      c10 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b1 + k * 32), c10);
      c11 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b1 + k * 32 + 16), c11);
      c20 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b2 + k * 32), c20);
      c21 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b2 + k * 32 + 16), c21);
      c30 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b3 + k * 32), c30);
      c31 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b3 + k * 32 + 16), c31);
    }
    float* o = c + p * 32;
    _mm512_storeu_ps(o, c00);
    _mm512_storeu_ps(o + 16, c01);
    _mm512_storeu_ps(o + 32, c10);
    _mm512_storeu_ps(o + 48, c11);
    _mm512_storeu_ps(o + 64, c20);
    _mm512_storeu_ps(o + 80, c21);
    _mm512_storeu_ps(o + 96, c30);
    _mm512_storeu_ps(o + 112, c31);
  }
  for (; p < p1; ++p) {
    const float* b0 = b + p * panel;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00;
    for (int64_t k = 0; k < K; ++k) {
      const __m512 x = _mm512_set1_ps(a[k * a_stride]);
      c00 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k * 32), c00);
      c01 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k * 32 + 16), c01);
    }
    _mm512_storeu_ps(c + p * 32, c00);
    _mm512_storeu_ps(c + p * 32 + 16, c01);
  }
}

}  // namespace

PackRows8Fn PackRows8() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? PackRows8Avx2 : nullptr;
}

const GemmIsa* GemmIsaAvx512() {
  static const GemmIsa isa{{8, 32, 256, 128, 4096, "avx512f"}, MicroAvx512, true, Gemv32Avx512};
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? &isa : nullptr;
}

const GemmIsa* GemmIsaAvx2() {
  static const GemmIsa isa{{6, 16, 256, 144, 4096, "avx2"}, MicroAvx2, true};
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &isa : nullptr;
}

}  // namespace hetrun::cpu

#else

namespace hetrun::cpu {
PackRows8Fn PackRows8() {
  return nullptr;
}
const GemmIsa* GemmIsaAvx512() {
  return nullptr;
}
const GemmIsa* GemmIsaAvx2() {
  return nullptr;
}
}  // namespace hetrun::cpu

#endif
