#include "tuning/tsv_file.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hetrun::runtime::tuning {

namespace fs = std::filesystem;

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(
        line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

std::optional<double> ParseCost(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value >= 0) || value > 1e12)
    return std::nullopt;
  return value;
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

TsvReader::TsvReader(const fs::path& file, std::string what)
    : file_(file), what_(std::move(what)), in_(file) {
  std::error_code ec;
  missing_ = !in_ && !fs::exists(file, ec);
}

Status TsvReader::open_status() const {
  if (in_ || missing_) return Status::Ok();
  return Unavailable("cannot read the " + what_ + " '" + file_.string() + "'");
}

bool TsvReader::Next() {
  if (!std::getline(in_, line_)) return false;
  ++number_;
  fields_ = SplitTabs(line_);
  return true;
}

Status TsvReader::Damaged(const std::string& why) const {
  return InvalidArgument(what_ + " '" + file_.string() + "', line " +
                         std::to_string(std::max<size_t>(number_, 1)) + ": " + why +
                         " (delete it, or run `hetrun tune --retune`)");
}

Status WriteFileAtomically(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec)
    return Unavailable("cannot create '" + file.parent_path().string() + "': " + ec.message());
  static std::atomic<uint64_t> counter{0};
  const fs::path temp =
      file.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      fs::remove(temp, ec);
      return Unavailable("cannot write '" + temp.string() + "'");
    }
  }
  fs::rename(temp, file, ec);
  if (ec) {
    fs::remove(temp, ec);
    return Unavailable("cannot rename into '" + file.string() + "'");
  }
  return Status::Ok();
}

}  // namespace hetrun::runtime::tuning
