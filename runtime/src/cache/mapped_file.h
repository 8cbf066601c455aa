// A read-only memory map of a whole file: the cache reads model and entry bytes through the page
// cache without zero-filling and copying them into fresh memory first (which cost more than the
// hashing and parsing on a 20 MB model).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hetrun/status.h"

namespace hetrun::runtime::cache {

class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace hetrun::runtime::cache
