// The CPU plugin's share of --cache-dir (hetrun_device_options.cache_dir): results of compile
// work worth keeping between processes, as one file per entry: Winograd-transformed, packed
// weights and the LLVM JIT's object code. The directory is the calling thread's: the plugin's
// query_support and compile entry points set their device's for the duration of the call (Scope),
// so devices with different directories, or none, never see each other's. Every entry carries its
// full key text and a checksum; one that does not match is ignored with a warning in the plugin log
// and rebuilt, so the cache only saves time. Writes are atomic (temporary file + rename). The
// directory holds machine code the plugin will run: it must be as trusted as the plugin directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hetrun::cpu {

// XXH3 from Debian's libxxhash (fast, not cryptographic; keys are compared in full on load).
uint64_t CacheHash64(const void* data, size_t size, uint64_t seed = 0);
std::string CacheHashHex(uint64_t hash);

// A loaded entry: its payload, 64-byte aligned, in a read-only map of the file (no copy, so a
// warm start does not fault in fresh memory for megabytes of weights). Entries are replaced by
// rename, never rewritten in place, so the map stays valid while held.
class CacheBlob {
 public:
  CacheBlob(void* map, size_t map_bytes, std::string_view payload)
      : map_(map), map_bytes_(map_bytes), payload_(payload) {}
  CacheBlob(const CacheBlob&) = delete;
  CacheBlob& operator=(const CacheBlob&) = delete;
  ~CacheBlob();
  std::string_view payload() const { return payload_; }

 private:
  void* map_;
  size_t map_bytes_;
  std::string_view payload_;
};

class CompileCache {
 public:
  static CompileCache& Get();
  // Sets the calling thread's directory until destroyed, then restores the previous one.
  class Scope {
   public:
    explicit Scope(const std::string& dir);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    std::string previous_;
  };
  void SetDirectory(const std::string& dir);  // the calling thread's; "" turns the cache off
  bool enabled() const;
  // The payload stored for `kind` ("winograd", "jit") and `key`, or null (none, or unusable).
  std::shared_ptr<const CacheBlob> Load(std::string_view kind, std::string_view key) const;
  // Best effort: a cache that cannot be written only costs the next process time (logged).
  void Store(std::string_view kind, std::string_view key, std::string_view payload) const;

 private:
  std::string Directory() const;
  std::string EntryPath(const std::string& dir, std::string_view kind, std::string_view key) const;
};

}  // namespace hetrun::cpu
