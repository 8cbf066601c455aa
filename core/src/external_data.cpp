#include "external_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "hetrun/core/dtype.h"
#include "hetrun/core/tensor.h"
#include "onnx_tensor.h"

namespace hetrun::core::detail {
namespace {

using onnx::TensorProto;

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct Reference {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

// Plain decimal digits only: no sign, no spaces, no hex, and no overflow.
Result<uint64_t> ParseSize(const std::string& key, const std::string& text) {
  if (text.empty() || text.size() > 20)
    return InvalidArgument("external data " + key + " '" + text + "' is not a byte count");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return InvalidArgument("external data " + key + " '" + text + "' is not a byte count");
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return InvalidArgument("external data " + key + " '" + text + "' is too large");
    value = value * 10 + digit;
  }
  return value;
}

Result<Reference> ParseReference(const TensorProto& p) {
  Reference ref;
  bool has_location = false, has_offset = false, has_length = false, has_checksum = false;
  for (const onnx::StringStringEntryProto& entry : p.external_data()) {
    const std::string& key = entry.key();
    bool* seen = key == "location"   ? &has_location
                 : key == "offset"   ? &has_offset
                 : key == "length"   ? &has_length
                 : key == "checksum" ? &has_checksum
                                     : nullptr;
    if (!seen)
      return InvalidArgument("unknown external data key '" + key +
                             "' (expected location, offset, length, checksum)");
    if (*seen) return InvalidArgument("external data key '" + key + "' given twice");
    *seen = true;
    if (key == "location") {
      ref.location = entry.value();
    } else if (key == "offset") {
      HETRUN_ASSIGN_OR_RETURN(ref.offset, ParseSize(key, entry.value()));
    } else if (key == "length") {
      HETRUN_ASSIGN_OR_RETURN(ref.length, ParseSize(key, entry.value()));
    }
  }
  if (!has_location) return InvalidArgument("external data without a location");
  return ref;
}

// The location's path components, or why the location is refused.
Result<std::vector<std::string>> PathComponents(const std::string& location) {
  const std::string shown = "external data location '" + location + "'";
  if (location.empty()) return InvalidArgument("external data location is empty");
  if (location.find('\0') != std::string::npos)
    return InvalidArgument("external data location contains a NUL byte");
  if (location.front() == '/') return InvalidArgument(shown + " is absolute");
  if (location.find('\\') != std::string::npos)
    return InvalidArgument(shown + " contains a backslash (Windows or UNC path)");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= location.size()) {
    size_t slash = location.find('/', start);
    if (slash == std::string::npos) slash = location.size();
    const std::string part = location.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return InvalidArgument(shown + " leaves the model's directory ('..')");
    if (parts.empty() && part.size() >= 2 && part[1] == ':')
      return InvalidArgument(shown + " starts with a drive letter");
    parts.push_back(part);
  }
  if (parts.empty()) return InvalidArgument(shown + " names no file");
  return parts;
}

// Opens the file below `dir` one component at a time, refusing symlinks at every step.
Result<Fd> OpenBeneath(const std::string& dir, const std::vector<std::string>& parts,
                       const std::string& location) {
  Fd current(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (current.get() < 0)
    return NotFound("cannot open the model's directory '" + dir + "': " + std::strerror(errno));
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? 0 : O_DIRECTORY);
    Fd next(::openat(current.get(), parts[i].c_str(), flags));
    if (next.get() < 0) {
      const int error = errno;
      const std::string where = "external data '" + location + "'";
      if (error == ELOOP || (error == ENOTDIR && !last))
        return InvalidArgument(where + ": '" + parts[i] + "' is a symbolic link (refused)");
      if (error == ENOENT) return NotFound(where + ": no such file next to the model");
      return InvalidArgument(where + ": " + std::strerror(error));
    }
    current = std::move(next);
  }
  return current;
}

Status LoadTensor(TensorProto* p, const std::string& dir, uint64_t& total,
                  const ExternalDataLimits& limits) {
  const std::string label = TensorLabel(*p);
  Result<Reference> parsed = ParseReference(*p);
  if (!parsed.ok()) return parsed.status().WithContext(label);
  const Reference ref = *parsed;
  if (dir.empty())
    return InvalidArgument(label + ": external data '" + ref.location +
                           "' needs the model's directory (load the model from its file)");
  Result<std::vector<std::string>> parts = PathComponents(ref.location);
  if (!parts.ok()) return parts.status().WithContext(label);
  if (p->has_raw_data() || p->float_data_size() || p->int32_data_size() || p->int64_data_size() ||
      p->double_data_size() || p->uint64_data_size() || p->string_data_size())
    return InvalidArgument(label + ": has both external data and data in the model");

  // What the tensor needs, before touching the file.
  const std::optional<DType> dtype = DTypeFromCode(p->data_type());
  if (!dtype || *dtype == DType::kUndefined || *dtype == DType::kString)
    return InvalidArgument(label + ": external data needs a numeric dtype");
  const std::vector<int64_t> dims(p->dims().begin(), p->dims().end());
  Result<int64_t> count = CheckedElementCount(dims);
  if (!count.ok()) return count.status().WithContext(label);
  const uint64_t width = DTypeSize(*dtype);
  if (static_cast<uint64_t>(*count) > UINT64_MAX / width)
    return InvalidArgument(label + ": too many elements");
  const uint64_t need = static_cast<uint64_t>(*count) * width;
  if (ref.length && *ref.length != need)
    return InvalidArgument(label + ": external data length " + std::to_string(*ref.length) +
                           " but the tensor needs " + std::to_string(need) + " bytes");
  if (need > limits.max_total_bytes - total)
    return InvalidArgument(label + ": external data over the limit of " +
                           std::to_string(limits.max_total_bytes) + " bytes per model");

  Result<Fd> fd = OpenBeneath(dir, *parts, ref.location);
  if (!fd.ok()) return fd.status().WithContext(label);
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0)
    return InvalidArgument(label + ": cannot stat external data '" + ref.location + "'");
  if (!S_ISREG(st.st_mode))
    return InvalidArgument(label + ": external data '" + ref.location + "' is not a regular file");
  if (st.st_nlink != 1)
    return InvalidArgument(label + ": external data '" + ref.location + "' has " +
                           std::to_string(st.st_nlink) + " hard links (refused)");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (need > size || ref.offset > size - need)  // overflow-safe offset + need > size
    return InvalidArgument(label + ": external data '" + ref.location + "' at offset " +
                           std::to_string(ref.offset) + " needs " + std::to_string(need) +
                           " bytes, but the file has " + std::to_string(size));

  std::string bytes(need, '\0');
  for (uint64_t done = 0; done < need;) {
    const ssize_t got =
        ::pread(fd->get(), bytes.data() + done, need - done, static_cast<off_t>(ref.offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      return InvalidArgument(label + ": short read of external data '" + ref.location + "'");
    done += static_cast<uint64_t>(got);
  }
  total += need;
  p->set_raw_data(std::move(bytes));
  p->clear_external_data();
  p->set_data_location(TensorProto::DEFAULT);
  return Status::Ok();
}

bool IsExternal(const TensorProto& p) {
  return p.data_location() == TensorProto::EXTERNAL || p.external_data_size() > 0;
}

class Loader {
 public:
  Loader(const std::string& dir, const ExternalDataLimits& limits) : dir_(dir), limits_(limits) {}

  Status Tensor(TensorProto* p) {
    return IsExternal(*p) ? LoadTensor(p, dir_, total_, limits_) : Status::Ok();
  }

  Status Nodes(google::protobuf::RepeatedPtrField<onnx::NodeProto>* nodes) {
    for (onnx::NodeProto& node : *nodes)
      for (onnx::AttributeProto& a : *node.mutable_attribute()) {
        if (a.has_t()) HETRUN_RETURN_IF_ERROR(Tensor(a.mutable_t()));
        for (TensorProto& t : *a.mutable_tensors()) HETRUN_RETURN_IF_ERROR(Tensor(&t));
        if (a.has_sparse_tensor()) HETRUN_RETURN_IF_ERROR(Sparse(a.mutable_sparse_tensor()));
        if (a.has_g()) HETRUN_RETURN_IF_ERROR(Graph(a.mutable_g()));
        for (onnx::GraphProto& g : *a.mutable_graphs()) HETRUN_RETURN_IF_ERROR(Graph(&g));
      }
    return Status::Ok();
  }

  Status Graph(onnx::GraphProto* g) {
    for (TensorProto& t : *g->mutable_initializer()) HETRUN_RETURN_IF_ERROR(Tensor(&t));
    for (onnx::SparseTensorProto& s : *g->mutable_sparse_initializer())
      HETRUN_RETURN_IF_ERROR(Sparse(&s));
    return Nodes(g->mutable_node());
  }

 private:
  Status Sparse(onnx::SparseTensorProto* s) {
    if (s->has_values()) HETRUN_RETURN_IF_ERROR(Tensor(s->mutable_values()));
    if (s->has_indices()) HETRUN_RETURN_IF_ERROR(Tensor(s->mutable_indices()));
    return Status::Ok();
  }

  const std::string& dir_;
  const ExternalDataLimits& limits_;
  uint64_t total_ = 0;
};

}  // namespace

Status LoadExternalData(onnx::ModelProto* model, const std::string& model_dir,
                        const ExternalDataLimits& limits) {
  Loader loader(model_dir, limits);
  HETRUN_RETURN_IF_ERROR(loader.Graph(model->mutable_graph()));
  for (onnx::FunctionProto& f : *model->mutable_functions())
    HETRUN_RETURN_IF_ERROR(loader.Nodes(f.mutable_node()));
  return Status::Ok();
}

}  // namespace hetrun::core::detail
