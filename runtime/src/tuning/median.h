// The median of timing samples (0 for none): what every tuning measurement reports.
#pragma once

#include <algorithm>
#include <vector>

namespace hetrun::runtime::tuning {

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace hetrun::runtime::tuning
