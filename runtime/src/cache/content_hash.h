// A fast 64-bit content hash (XXH3 from Debian's libxxhash) for the compiled-plan cache: model
// bytes are hashed on every session creation with --cache-dir, so it must run at memory speed. Not
// cryptographic: the cache guards against accidents (a changed model, a damaged entry), not against
// someone who can write to the cache directory, which must be as trusted as the plugin directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hetrun::runtime::cache {

uint64_t ContentHash64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t ContentHash64(std::string_view bytes, uint64_t seed = 0) {
  return ContentHash64(bytes.data(), bytes.size(), seed);
}
// 16 lowercase hex digits.
std::string HashHex(uint64_t hash);

}  // namespace hetrun::runtime::cache
