// A one-dimensional complex DFT of a fixed length, planned once and run many times (DFT, STFT):
// iterative radix-2 Cooley-Tukey when the length is a power of two, otherwise the direct O(n^2) sum
// over a table of twiddle factors. Everything is in double.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

namespace hetrun::cpu {

class FourierTransform {
 public:
  explicit FourierTransform(int64_t n);
  int64_t size() const { return n_; }
  // out[k] = sum_j in[j] exp(-2 pi i jk / n), or with +i and divided by n when `inverse`. `in` and
  // `out` hold size() values each and must not overlap.
  void Run(const std::complex<double>* in, std::complex<double>* out, bool inverse) const;

 private:
  int64_t n_;
  bool power_of_two_;
  std::vector<std::complex<double>> twiddle_;  // exp(-2 pi i k / n), k < n
};

}  // namespace hetrun::cpu
