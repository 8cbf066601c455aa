#include "hetrun/core/tensor_io.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdint>
#include <fstream>

#include "file_util.h"
#include "npy_format.h"
#include "onnx_tensor.h"

namespace hetrun::core {
namespace {

// Tensor files are read whole; this only keeps a bogus size from becoming an allocation attempt.
constexpr uint64_t kMaxTensorFileBytes = uint64_t{64} << 30;

bool EndsWith(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    const char c = s[s.size() - suffix.size() + i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != suffix[i]) return false;
  }
  return true;
}

}  // namespace

Result<Tensor> ReadNpy(const std::string& path) {
  HETRUN_ASSIGN_OR_RETURN(const std::string file, detail::ReadFileBytes(path, kMaxTensorFileBytes));
  auto header = detail::ParseNpyHeader(file);
  if (!header.ok()) return header.status().WithContext(path);
  const detail::NpyHeader& h = *header;
  const uint64_t width = DTypeSize(h.dtype);
  auto count = CheckedElementCount(h.shape, static_cast<int64_t>(INT64_MAX / width));
  if (!count.ok()) return count.status().WithContext(path);
  const uint64_t expected = static_cast<uint64_t>(*count) * width;
  const uint64_t have = file.size() - h.data_offset;
  if (have < expected) {
    return InvalidArgument(path + ": truncated: the header promises " + std::to_string(expected) +
                           " bytes of data, the file has " + std::to_string(have));
  }
  if (have > expected) {
    return InvalidArgument(path + ": " + std::to_string(have - expected) +
                           " unexpected bytes after the array data");
  }
  auto t = Tensor::FromBytes(h.dtype, h.shape, file.data() + h.data_offset, expected);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Status WriteNpy(const std::string& path, const Tensor& tensor) {
  auto header = detail::MakeNpyHeader(tensor.dtype(), tensor.dims());
  if (!header.ok()) return header.status().WithContext(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgument(path + ": cannot open for writing");
  out.write(header->data(), static_cast<std::streamsize>(header->size()));
  out.write(static_cast<const char*>(tensor.data()),
            static_cast<std::streamsize>(tensor.byte_size()));
  out.close();
  if (!out) return InvalidArgument(path + ": write failed");
  return Status::Ok();
}

Result<Tensor> ReadTensorProto(const std::string& path, std::string* name) {
  HETRUN_ASSIGN_OR_RETURN(const std::string bytes,
                          detail::ReadFileBytes(path, INT_MAX, " (protobuf cannot parse 2 GiB)"));
  if (bytes.empty()) return InvalidArgument(path + ": not a TensorProto (empty file)");
  onnx::TensorProto proto;
  try {
    if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return InvalidArgument(path +
                             ": not a TensorProto (not a valid protobuf message, or truncated)");
    }
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": not a TensorProto (" + std::string(e.what()) + ")");
  }
  auto t = detail::DecodeTensorProto(proto);
  if (!t.ok()) return t.status().WithContext(path);
  if (name != nullptr) *name = proto.name();
  return t;
}

Result<Tensor> ReadTensorFile(const std::string& path) {
  if (EndsWith(path, ".npy")) return ReadNpy(path);
  if (EndsWith(path, ".pb")) return ReadTensorProto(path);
  return InvalidArgument(path + ": unknown tensor file type (expected .npy or .pb)");
}

}  // namespace hetrun::core
