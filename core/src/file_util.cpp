#include "file_util.h"

#include <filesystem>
#include <fstream>
#include <new>
#include <system_error>

namespace hetrun::core::detail {

Result<std::string> ReadFileBytes(const std::string& path, uint64_t max_bytes,
                                  const std::string& too_big_hint) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) return NotFound(path + ": no such file");
  if (ec) return InvalidArgument(path + ": " + ec.message());
  if (fs::is_directory(st)) return InvalidArgument(path + ": is a directory, not a file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return InvalidArgument(path + ": " + ec.message());
  if (size > max_bytes) {
    return InvalidArgument(path + ": file is " + std::to_string(size) +
                           " bytes, over the limit of " + std::to_string(max_bytes) + too_big_hint);
  }
  std::string bytes;
  try {
    bytes.resize(static_cast<size_t>(size));
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory,
                  path + ": out of memory reading " + std::to_string(size) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open for reading");
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size) {
    return InvalidArgument(path + ": read " + std::to_string(in.gcount()) + " of " +
                           std::to_string(size) + " bytes");
  }
  return bytes;
}

}  // namespace hetrun::core::detail
