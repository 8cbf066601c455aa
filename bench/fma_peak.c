/* The machine's FP32 peak per core, measured: 12 independent multiply-add chains (enough to hide
 * the FMA latency on both pipes), 512-bit and 256-bit, on one thread. docs/performance.md compares
 * the attainable-peak probe and the mlp with it.
 *   gcc -O2 bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 12
#define STEPS 100000000L

__attribute__((target("avx512f,fma"))) static double Gflops512(void) {
  __m512 acc[CHAINS];
  const __m512 m = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_set1_ps((float)i);
  const double start = Now();
  for (long k = 0; k < STEPS; ++k) /* unrolled: the chains stay in registers */
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
  const double seconds = Now() - start;
  float sum = 0;
  for (int i = 0; i < CHAINS; ++i) sum += _mm512_reduce_add_ps(acc[i]);
  if (sum == 1234.5f) printf("(unlikely)\n"); /* keeps the chains live */
  return STEPS * CHAINS * 32.0 / seconds / 1e9;
}

__attribute__((target("avx2,fma"))) static double Gflops256(void) {
  __m256 acc[CHAINS];
  const __m256 m = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; ++i) acc[i] = _mm256_set1_ps((float)i);
  const double start = Now();
  for (long k = 0; k < STEPS; ++k) /* unrolled: the chains stay in registers */
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  const double seconds = Now() - start;
  float lanes[8], sum = 0;
  for (int i = 0; i < CHAINS; ++i) {
    _mm256_storeu_ps(lanes, acc[i]);
    sum += lanes[0];
  }
  if (sum == 1234.5f) printf("(unlikely)\n");
  return STEPS * CHAINS * 16.0 / seconds / 1e9;
}

int main(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) printf("AVX-512 FMA: %.1f GFLOP/s\n", Gflops512());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    printf("AVX2 FMA:    %.1f GFLOP/s\n", Gflops256());
  return 0;
}
