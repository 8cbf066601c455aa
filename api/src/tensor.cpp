// Tensors over library-owned storage (a core::Tensor) or over the caller's memory.
#include "c_api_internal.h"
#include "hetrun/core/dtype.h"

using hetrun::Status;
using hetrun::capi::Guard;
using hetrun::capi::Require;

namespace {

// The dtype if this API can carry it (numeric only: strings have no flat memory).
hetrun::Result<hetrun::core::DType> NumericDType(uint32_t code, const char* function) {
  std::optional<hetrun::core::DType> dtype = hetrun::core::DTypeFromCode(code);
  if (!dtype || hetrun::core::DTypeSize(*dtype) == 0)
    return hetrun::InvalidArgument(std::string(function) + ": dtype " + std::to_string(code) +
                                   " is not a numeric ONNX element type");
  return *dtype;
}

hetrun::Result<std::vector<int64_t>> DimsFrom(const int64_t* dims, size_t rank,
                                              const char* function) {
  if (rank > 0) HETRUN_RETURN_IF_ERROR(Require(dims, function, "dims"));
  std::vector<int64_t> out(dims, dims + rank);
  HETRUN_RETURN_IF_ERROR(hetrun::core::CheckedElementCount(out).status().WithContext(function));
  return out;
}

}  // namespace

extern "C" {

hetrun_error_t* hetrun_tensor_create(uint32_t dtype, const int64_t* dims, size_t rank,
                                     hetrun_tensor_t** out) {
  return Guard("hetrun_tensor_create", [&] {
    const char* fn = "hetrun_tensor_create";
    HETRUN_RETURN_IF_ERROR(Require(out, fn, "out"));
    HETRUN_ASSIGN_OR_RETURN(hetrun::core::DType type, NumericDType(dtype, fn));
    HETRUN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, DimsFrom(dims, rank, fn));
    HETRUN_ASSIGN_OR_RETURN(hetrun::core::Tensor storage,
                            hetrun::core::Tensor::Create(type, shape));
    auto tensor = std::make_unique<hetrun_tensor>();
    tensor->dtype = dtype;
    tensor->dims = std::move(shape);
    tensor->bytes = storage.byte_size();
    tensor->owned = std::move(storage);
    *out = tensor.release();
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_tensor_create_over(uint32_t dtype, const int64_t* dims, size_t rank,
                                          void* data, size_t bytes, hetrun_tensor_t** out) {
  return Guard("hetrun_tensor_create_over", [&] {
    const char* fn = "hetrun_tensor_create_over";
    HETRUN_RETURN_IF_ERROR(Require(out, fn, "out"));
    HETRUN_ASSIGN_OR_RETURN(hetrun::core::DType type, NumericDType(dtype, fn));
    HETRUN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, DimsFrom(dims, rank, fn));
    HETRUN_ASSIGN_OR_RETURN(int64_t count, hetrun::core::CheckedElementCount(shape));
    const size_t expected = static_cast<size_t>(count) * hetrun::core::DTypeSize(type);
    if (bytes != expected)
      return hetrun::InvalidArgument(std::string(fn) + ": " + std::to_string(bytes) +
                                     " bytes given, but " + std::string(DTypeName(type)) +
                                     " of this shape needs " + std::to_string(expected));
    if (expected > 0) HETRUN_RETURN_IF_ERROR(Require(data, fn, "data"));
    auto tensor = std::make_unique<hetrun_tensor>();
    tensor->dtype = dtype;
    tensor->dims = std::move(shape);
    tensor->external = data;
    tensor->bytes = bytes;
    *out = tensor.release();
    return Status::Ok();
  });
}

void hetrun_tensor_release(hetrun_tensor_t* tensor) {
  delete tensor;
}

hetrun_error_t* hetrun_tensor_info(const hetrun_tensor_t* tensor, uint32_t* dtype, size_t* rank,
                                   const int64_t** dims) {
  return Guard("hetrun_tensor_info", [&] {
    HETRUN_RETURN_IF_ERROR(Require(tensor, "hetrun_tensor_info", "tensor"));
    if (dtype != nullptr) *dtype = tensor->dtype;
    if (rank != nullptr) *rank = tensor->dims.size();
    if (dims != nullptr) *dims = tensor->dims.data();
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_tensor_data(hetrun_tensor_t* tensor, void** data, size_t* bytes) {
  return Guard("hetrun_tensor_data", [&] {
    HETRUN_RETURN_IF_ERROR(Require(tensor, "hetrun_tensor_data", "tensor"));
    if (data != nullptr) *data = tensor->data();
    if (bytes != nullptr) *bytes = tensor->bytes;
    return Status::Ok();
  });
}

}  // extern "C"
