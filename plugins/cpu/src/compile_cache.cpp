#include "compile_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <xxhash.h>

#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace {

constexpr char kMagic[8] = {'H', 'T', 'R', 'N', 'C', 'P', 'U', 'C'};
constexpr uint32_t kFormatVersion = 1;
// magic, version u32, reserved u32, key bytes u64, payload bytes u64, hash of key + payload u64;
// then the key, zero padding, and the payload at the next multiple of 64 bytes.
constexpr size_t kHeaderBytes = 40;
size_t PayloadOffset(uint64_t key_bytes) {
  return (kHeaderBytes + key_bytes + 63) / 64 * 64;
}

uint64_t EntryHash(std::string_view key, std::string_view payload) {
  return CacheHash64(payload.data(), payload.size(), CacheHash64(key.data(), key.size()));
}

}  // namespace

uint64_t CacheHash64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::string CacheHashHex(uint64_t hash) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<size_t>(i)] = kDigits[hash & 15];
  return out;
}

CompileCache& CompileCache::Get() {
  static CompileCache cache;
  return cache;
}

namespace {
thread_local std::string t_directory;  // see CompileCache::Scope
}  // namespace

CompileCache::Scope::Scope(const std::string& dir) : previous_(std::move(t_directory)) {
  t_directory = dir;
}
CompileCache::Scope::~Scope() {
  t_directory = std::move(previous_);
}

void CompileCache::SetDirectory(const std::string& dir) {
  t_directory = dir;
}

bool CompileCache::enabled() const {
  return !t_directory.empty();
}

std::string CompileCache::Directory() const {
  return t_directory;
}

std::string CompileCache::EntryPath(const std::string& dir, std::string_view kind,
                                    std::string_view key) const {
  return dir + "/" + std::string(kind) + "-" + CacheHashHex(CacheHash64(key.data(), key.size())) +
         ".bin";
}

CacheBlob::~CacheBlob() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
}

std::shared_ptr<const CacheBlob> CompileCache::Load(std::string_view kind,
                                                    std::string_view key) const {
  const std::string dir = Directory();
  if (dir.empty()) return nullptr;
  const std::string path = EntryPath(dir, kind, key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE,
                 fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  const std::string_view bytes(static_cast<const char*>(map), static_cast<size_t>(st.st_size));
  auto reject = [&](const char* why) -> std::shared_ptr<const CacheBlob> {
    ::munmap(map, bytes.size());
    plugin::Log(HETRUN_LOG_WARNING, "cpu compile cache: ignored " + path + ": " + why);
    return nullptr;
  };
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return reject("not a cpu compile cache entry");
  uint32_t version;
  uint64_t key_bytes, payload_bytes, hash;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&key_bytes, bytes.data() + 16, 8);
  std::memcpy(&payload_bytes, bytes.data() + 24, 8);
  std::memcpy(&hash, bytes.data() + 32, 8);
  if (version != kFormatVersion) return reject("another entry format");
  if (key_bytes > bytes.size() || PayloadOffset(key_bytes) > bytes.size() ||
      payload_bytes != bytes.size() - PayloadOffset(key_bytes))
    return reject("truncated");
  const std::string_view stored_key(bytes.data() + kHeaderBytes, key_bytes);
  const std::string_view payload(bytes.data() + PayloadOffset(key_bytes), payload_bytes);
  if (EntryHash(stored_key, payload) != hash) return reject("checksum mismatch (damaged)");
  if (stored_key != key) return reject("written for another key");
  return std::make_shared<const CacheBlob>(map, bytes.size(), payload);
}

void CompileCache::Store(std::string_view kind, std::string_view key,
                         std::string_view payload) const {
  const std::string dir = Directory();
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = EntryPath(dir, kind, key);
  static std::atomic<uint64_t> counter{0};
  const std::string temp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  std::string header(PayloadOffset(key.size()), '\0');
  const uint64_t key_bytes = key.size(), payload_bytes = payload.size();
  const uint64_t hash = EntryHash(key, payload);
  std::memcpy(header.data(), kMagic, 8);
  std::memcpy(header.data() + 8, &kFormatVersion, 4);
  std::memcpy(header.data() + 16, &key_bytes, 8);
  std::memcpy(header.data() + 24, &payload_bytes, 8);
  std::memcpy(header.data() + 32, &hash, 8);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    std::memcpy(header.data() + kHeaderBytes, key.data(), key.size());
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temp, ec);
      plugin::Log(HETRUN_LOG_WARNING, "cpu compile cache: cannot write " + temp);
      return;
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    plugin::Log(HETRUN_LOG_WARNING, "cpu compile cache: cannot rename into " + path);
  }
}

}  // namespace hetrun::cpu
