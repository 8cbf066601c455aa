#include "cache/content_hash.h"

#include <xxhash.h>

namespace hetrun::runtime::cache {

uint64_t ContentHash64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::string HashHex(uint64_t hash) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<size_t>(i)] = kDigits[hash & 15];
  return out;
}

}  // namespace hetrun::runtime::cache
