#include "cache/plan_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cache/byte_stream.h"
#include "cache/content_hash.h"
#include "cache/graph_serializer.h"
#include "cache/mapped_file.h"

namespace hetrun::runtime::cache {
namespace {

constexpr char kMagic[8] = {'H', 'T', 'R', 'N', 'P', 'L', 'A', 'N'};
constexpr size_t kHeaderBytes = 32;  // magic, version u32, reserved u32, size u64, hash u64
constexpr uint64_t kPayloadSeed = 0x68747270;

void WriteAnswers(ByteWriter& w, const partitioner::CapabilityTable& answers) {
  w.Put<uint64_t>(answers.size());
  for (const auto& device : answers) {
    w.Put<uint64_t>(device.size());
    for (const partitioner::NodeAnswer& a : device) {
      w.Put<uint8_t>(a.supported ? 1 : 0);
      w.Put<uint8_t>(static_cast<uint8_t>(a.source));
      w.Put<double>(a.cost_us);
      w.PutString(a.reason);
    }
  }
}

Result<partitioner::CapabilityTable> ReadAnswers(ByteReader& r, size_t nodes) {
  HETRUN_ASSIGN_OR_RETURN(uint64_t devices, r.GetCount(sizeof(uint64_t)));
  partitioner::CapabilityTable answers(devices);
  for (auto& device : answers) {
    HETRUN_ASSIGN_OR_RETURN(uint64_t n, r.GetCount(2 + sizeof(double) + sizeof(uint64_t)));
    if (n != nodes) return InvalidArgument("answers for the wrong number of nodes");
    device.resize(n);
    for (partitioner::NodeAnswer& a : device) {
      HETRUN_ASSIGN_OR_RETURN(uint8_t supported, r.Get<uint8_t>());
      a.supported = supported != 0;
      HETRUN_ASSIGN_OR_RETURN(uint8_t source, r.Get<uint8_t>());
      if (source > static_cast<uint8_t>(partitioner::CostSource::kMeasured))
        return InvalidArgument("unknown cost source " + std::to_string(source));
      a.source = static_cast<partitioner::CostSource>(source);
      HETRUN_ASSIGN_OR_RETURN(a.cost_us, r.Get<double>());
      HETRUN_ASSIGN_OR_RETURN(a.reason, r.GetString());
    }
  }
  return answers;
}

}  // namespace

void CacheKey::Add(std::string_view name, std::string_view value) {
  text_.append(name).append("=").append(value).append("\n");
}
uint64_t CacheKey::hash() const {
  return ContentHash64(text_);
}
std::string CacheKey::hex() const {
  return HashHex(hash());
}

std::string FileIdentity(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
}

std::vector<std::string> ExternalDataLocations(std::string_view model_bytes) {
  // StringStringEntryProto{key = "location", value = PATH}: field 1 (0x0a), length 8, "location",
  // then field 2 (0x12), a varint length and the path.
  static constexpr std::string_view kKey("\x0a\x08location\x12", 11);
  std::vector<std::string> out;
  for (size_t at = model_bytes.find(kKey); at != std::string_view::npos;
       at = model_bytes.find(kKey, at + 1)) {
    size_t p = at + kKey.size();
    uint64_t len = 0;
    for (int shift = 0; p < model_bytes.size() && shift < 35; shift += 7) {
      const auto byte = static_cast<unsigned char>(model_bytes[p++]);
      len |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (len == 0 || len > 4096 || p + len > model_bytes.size()) continue;
    out.emplace_back(model_bytes.substr(p, len));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string EncodeEntry(const CacheKey& key, const core::Graph& graph,
                        const partitioner::CapabilityTable& answers) {
  ByteWriter w;
  w.bytes().append(kHeaderBytes, '\0');  // filled in below, once the payload is known
  w.PutString(key.text());
  SerializeGraph(graph, w);
  WriteAnswers(w, answers);
  std::string& bytes = w.bytes();
  const uint64_t payload_size = bytes.size() - kHeaderBytes;
  const uint64_t payload_hash =
      ContentHash64(bytes.data() + kHeaderBytes, payload_size, kPayloadSeed);
  const uint32_t version = kEntryFormatVersion, reserved = 0;
  std::memcpy(bytes.data(), kMagic, 8);
  std::memcpy(bytes.data() + 8, &version, 4);
  std::memcpy(bytes.data() + 12, &reserved, 4);
  std::memcpy(bytes.data() + 16, &payload_size, 8);
  std::memcpy(bytes.data() + 24, &payload_hash, 8);
  return std::move(bytes);
}

Result<CacheEntry> DecodeEntry(std::string_view bytes, const CacheKey& key,
                               const std::shared_ptr<const void>& owner) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return InvalidArgument("not a hetrun plan cache entry");
  uint32_t version;
  uint64_t payload_size, payload_hash;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&payload_size, bytes.data() + 16, 8);
  std::memcpy(&payload_hash, bytes.data() + 24, 8);
  if (version != kEntryFormatVersion)
    return InvalidArgument("entry format " + std::to_string(version) + ", this build reads " +
                           std::to_string(kEntryFormatVersion));
  if (payload_size != bytes.size() - kHeaderBytes)
    return InvalidArgument("truncated (" + std::to_string(bytes.size() - kHeaderBytes) +
                           " payload bytes, header says " + std::to_string(payload_size) + ")");
  const std::string_view payload = bytes.substr(kHeaderBytes);
  if (ContentHash64(payload, kPayloadSeed) != payload_hash)
    return InvalidArgument("payload hash mismatch (damaged)");
  ByteReader r(payload);
  HETRUN_ASSIGN_OR_RETURN(std::string_view key_text, r.GetBytes());
  if (key_text != key.text()) return InvalidArgument("written for another key");
  CacheEntry entry;
  HETRUN_ASSIGN_OR_RETURN(entry.graph, DeserializeGraph(r, owner));
  HETRUN_ASSIGN_OR_RETURN(entry.answers, ReadAnswers(r, entry.graph.nodes.size()));
  if (!r.empty()) return InvalidArgument("bytes left after the entry");
  return entry;
}

std::filesystem::path PlanCache::EntryPath(const CacheKey& key) const {
  return dir_ / (key.hex() + ".hplan");
}

Result<std::optional<CacheEntry>> PlanCache::Load(const CacheKey& key) const {
  const std::filesystem::path path = EntryPath(key);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<CacheEntry>();
  Result<MappedFile> file = MappedFile::Open(path.string());
  if (!file.ok()) return file.status();
  // The graph's constants view the map (entries are replaced by rename, never rewritten in place).
  auto mapped = std::make_shared<const MappedFile>(std::move(file).value());
  Result<CacheEntry> entry = DecodeEntry(mapped->bytes(), key, mapped);
  if (!entry.ok()) return entry.status().WithContext(path.string());
  return std::optional<CacheEntry>(std::move(entry).value());
}

Status PlanCache::Store(const CacheKey& key, const core::Graph& graph,
                        const partitioner::CapabilityTable& answers) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Unavailable("cannot create '" + dir_.string() + "': " + ec.message());
  const std::string bytes = EncodeEntry(key, graph, answers);
  // A name no other writer uses (process id + counter), in the same directory so that rename is
  // atomic; concurrent writers of one key each rename a whole entry, the last one wins.
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path final_path = EntryPath(key);
  const std::filesystem::path temp =
      dir_ / (key.hex() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temp, ec);
      return Unavailable("cannot write '" + temp.string() + "'");
    }
  }
  std::filesystem::rename(temp, final_path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return Unavailable("cannot rename into '" + final_path.string() + "': " + ec.message());
  }
  return Status::Ok();
}

}  // namespace hetrun::runtime::cache
