// Sums and maxima over one contiguous row, with kRowLanes independent accumulators. A single
// running sum is a chain of dependent adds (one element per add latency) that the compiler may
// not reorder; separate lanes let it vectorise and overlap them. Sums accumulate in double.
#pragma once

#include <cstdint>

namespace hetrun::cpu {

inline constexpr int kRowLanes = 8;

template <typename T>
double SumRow(const T* x, int64_t n) {
  double acc[kRowLanes] = {};
  int64_t i = 0;
  for (; i + kRowLanes <= n; i += kRowLanes)
    for (int k = 0; k < kRowLanes; ++k) acc[k] += static_cast<double>(x[i + k]);
  double sum = 0;
  for (; i < n; ++i) sum += static_cast<double>(x[i]);
  for (int k = 0; k < kRowLanes; ++k) sum += acc[k];
  return sum;
}

// Sum of (x[i] - mean)^2.
template <typename T>
double SumSquaredDeviationRow(const T* x, int64_t n, double mean) {
  double acc[kRowLanes] = {};
  int64_t i = 0;
  for (; i + kRowLanes <= n; i += kRowLanes)
    for (int k = 0; k < kRowLanes; ++k) {
      const double c = static_cast<double>(x[i + k]) - mean;
      acc[k] += c * c;
    }
  double sum = 0;
  for (; i < n; ++i) {
    const double c = static_cast<double>(x[i]) - mean;
    sum += c * c;
  }
  for (int k = 0; k < kRowLanes; ++k) sum += acc[k];
  return sum;
}

// Largest element of a row of n >= 1; NaNs are skipped unless x[0] is one (like a running
// `m = max(m, x[i])`).
template <typename T>
T MaxRow(const T* x, int64_t n) {
  T acc[kRowLanes];
  for (int k = 0; k < kRowLanes; ++k) acc[k] = x[0];
  int64_t i = 0;
  for (; i + kRowLanes <= n; i += kRowLanes)
    for (int k = 0; k < kRowLanes; ++k) acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k];
  T m = x[0];
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (int k = 0; k < kRowLanes; ++k) m = acc[k] > m ? acc[k] : m;
  return m;
}

}  // namespace hetrun::cpu
