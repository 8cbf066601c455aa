// The compiled-plan cache behind --cache-dir (OpenVINO's model cache idea): one file per key
// holding the optimised graph and every device's capability answers, so a warm session creation
// skips ONNX import, the graph passes and query_support; the partitioner then recomputes the same
// plan from the same answers in a millisecond. Plugins cache their own compiled code beside it
// (hetrun_device_options.cache_dir).
//
// Layout: DIR/<16 hex digits of the key hash>.hplan. An entry is a 32-byte header (magic
// "HTRNPLAN", format version, payload size, payload hash) and a payload that starts with the full
// key text, compared on load. Writes go to a temporary file renamed into place, so readers see a
// whole entry or none. A damaged, truncated or foreign entry is reported and treated as a miss.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "hetrun/core/graph.h"
#include "hetrun/partitioner/plan.h"
#include "hetrun/status.h"

namespace hetrun::runtime::cache {

// Bump when the entry layout or the IR it serialises changes (graph_serializer.cpp).
// 2: constants at 64-byte offsets; 3: each answer's cost source (measured or estimated).
inline constexpr uint32_t kEntryFormatVersion = 3;

// Everything a cached plan depends on, as "name=value" lines in a fixed order; the hash names the
// entry file. Equal text <=> equal key.
class CacheKey {
 public:
  void Add(std::string_view name, std::string_view value);
  const std::string& text() const { return text_; }
  uint64_t hash() const;
  std::string hex() const;

 private:
  std::string text_;
};

// "size:mtime_ns:inode" of a file, or "missing": what the key records for files it depends on
// without hashing them (external tensor data, plugin and host binaries).
std::string FileIdentity(const std::filesystem::path& path);
// The `location` strings of the external-data entries in ONNX model bytes (TensorProto
// external_data), found without parsing the model. Over-reporting is harmless (one more file
// identity in the key); every real entry is found because protobuf writes key then value.
std::vector<std::string> ExternalDataLocations(std::string_view model_bytes);

struct CacheEntry {
  core::Graph graph;
  partitioner::CapabilityTable answers;  // answers[d][n], as query_support gave them
};

// The entry file's bytes.
std::string EncodeEntry(const CacheKey& key, const core::Graph& graph,
                        const partitioner::CapabilityTable& answers);
// Checks header, size, payload hash and key text, then reads and validates the graph and answers.
// Errors say what is wrong ("payload hash mismatch", "written for another key").
Result<CacheEntry> DecodeEntry(std::string_view bytes, const CacheKey& key,
                               const std::shared_ptr<const void>& owner = nullptr);

class PlanCache {
 public:
  explicit PlanCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path EntryPath(const CacheKey& key) const;
  // nullopt: no entry. An error: an entry exists but cannot be used (the caller warns and
  // rebuilds, which overwrites it).
  Result<std::optional<CacheEntry>> Load(const CacheKey& key) const;
  // Creates the directory when needed; atomic (temporary file + rename).
  Status Store(const CacheKey& key, const core::Graph& graph,
               const partitioner::CapabilityTable& answers) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace hetrun::runtime::cache
