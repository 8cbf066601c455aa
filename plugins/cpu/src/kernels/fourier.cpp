#include "kernels/fourier.h"

#include <cmath>
#include <numbers>

namespace hetrun::cpu {

FourierTransform::FourierTransform(int64_t n)
    : n_(n), power_of_two_(n > 0 && (n & (n - 1)) == 0), twiddle_(static_cast<size_t>(n)) {
  for (int64_t k = 0; k < n; ++k) {
    const double angle = -2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
    twiddle_[k] = {std::cos(angle), std::sin(angle)};
  }
}

void FourierTransform::Run(const std::complex<double>* in, std::complex<double>* out,
                           bool inverse) const {
  const int64_t n = n_;
  auto w = [&](int64_t k) { return inverse ? std::conj(twiddle_[k]) : twiddle_[k]; };
  if (power_of_two_) {
    // Bit-reversed copy, then log2(n) passes of butterflies over growing block lengths.
    for (int64_t i = 0, j = 0; i < n; ++i) {
      out[j] = in[i];
      int64_t bit = n >> 1;
      for (; bit && (j & bit); bit >>= 1) j ^= bit;
      j |= bit;
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
      const int64_t half = len >> 1, stride = n / len;
      for (int64_t start = 0; start < n; start += len)
        for (int64_t k = 0; k < half; ++k) {
          const std::complex<double> a = out[start + k], b = out[start + k + half] * w(k * stride);
          out[start + k] = a + b;
          out[start + k + half] = a - b;
        }
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      std::complex<double> sum = 0;
      for (int64_t j = 0, jk = 0; j < n; ++j, jk = (jk + k) % n) sum += in[j] * w(jk);
      out[k] = sum;
    }
  }
  if (inverse)
    for (int64_t k = 0; k < n; ++k) out[k] /= static_cast<double>(n);
}

}  // namespace hetrun::cpu
