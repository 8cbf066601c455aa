// Little binary writer and bounds-checked reader for cache entries. The reader never trusts the
// bytes: every read checks what is left, and counts are capped by the bytes that could hold them,
// so a truncated or hostile entry fails with a message instead of reading past the end or
// allocating without bound.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "hetrun/status.h"

namespace hetrun::runtime::cache {

class ByteWriter {
 public:
  template <typename T>
  void Put(T value) {
    static_assert(std::is_arithmetic_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void PutBytes(const void* data, size_t size) {
    Put<uint64_t>(size);
    out_.append(static_cast<const char*>(data), size);
  }
  void PutString(std::string_view s) { PutBytes(s.data(), s.size()); }
  // Bytes placed at a multiple of kAlign from the start of the output (the start of the file), so a
  // reader over a memory map can use them in place: size, pad count, pad, data.
  static constexpr size_t kAlign = 64;
  void PutAlignedBytes(const void* data, size_t size) {
    Put<uint64_t>(size);
    const size_t pad = (kAlign - (out_.size() + 1) % kAlign) % kAlign;
    Put<uint8_t>(static_cast<uint8_t>(pad));
    out_.append(pad, '\0');
    out_.append(static_cast<const char*>(data), size);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : rest_(bytes) {}
  template <typename T>
  Result<T> Get() {
    static_assert(std::is_arithmetic_v<T>);
    if (rest_.size() < sizeof(T)) return Truncated();
    T value;
    std::memcpy(&value, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return value;
  }
  // A count of items each at least `min_item_bytes` long: larger than the rest could hold fails.
  Result<uint64_t> GetCount(size_t min_item_bytes) {
    HETRUN_ASSIGN_OR_RETURN(uint64_t n, Get<uint64_t>());
    if (min_item_bytes > 0 && n > rest_.size() / min_item_bytes) return Truncated();
    return n;
  }
  // A view into the underlying bytes (valid while they are).
  Result<std::string_view> GetBytes() {
    HETRUN_ASSIGN_OR_RETURN(uint64_t n, Get<uint64_t>());
    if (n > rest_.size()) return Truncated();
    std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return out;
  }
  // Bytes written by PutAlignedBytes.
  Result<std::string_view> GetAlignedBytes() {
    HETRUN_ASSIGN_OR_RETURN(uint64_t n, Get<uint64_t>());
    HETRUN_ASSIGN_OR_RETURN(uint8_t pad, Get<uint8_t>());
    if (pad >= ByteWriter::kAlign || pad > rest_.size() || n > rest_.size() - pad)
      return Truncated();
    std::string_view out = rest_.substr(pad, n);
    rest_.remove_prefix(pad + n);
    return out;
  }
  Result<std::string> GetString() {
    HETRUN_ASSIGN_OR_RETURN(std::string_view v, GetBytes());
    return std::string(v);
  }
  bool empty() const { return rest_.empty(); }

 private:
  static Status Truncated() { return InvalidArgument("entry ends early"); }
  std::string_view rest_;
};

}  // namespace hetrun::runtime::cache
