// ONNX sequence and optional values, and packed string tensors, on the host side. They travel as
// core::Tensor of dtype kSequence / kOptional whose bytes use the plugin ABI's packed layout
// (hetrun/plugin.h, minor 1), so sessions, transfers and plugins move them like any tensor. This is
// where that layout is written and read, and where the ONNX test data formats (SequenceProto,
// OptionalProto) come in.
#pragma once

#include <string>
#include <vector>

#include "hetrun/core/tensor.h"
#include "hetrun/core/tensor_compare.h"
#include "hetrun/status.h"

namespace hetrun::core {

// A packed value taken apart: its kind, the dtype of the tensors inside, and its elements (tensors;
// for an optional that wraps a sequence, the one element is itself a packed kSequence tensor).
struct ContainerContents {
  DType kind = DType::kSequence;
  DType element_dtype = DType::kUndefined;
  bool optional_of_sequence = false;
  std::vector<Tensor> elements;
};

// Packs `elements` (tensors of `element_dtype`, no strings) as a sequence.
Result<Tensor> PackSequence(DType element_dtype, const std::vector<Tensor>& elements);
// Packs an optional: empty when `element` is null, else holding a tensor of `element_dtype` or a
// packed sequence (then `optional_of_sequence`).
Result<Tensor> PackOptional(DType element_dtype, bool optional_of_sequence, const Tensor* element);
// Checks every count, offset and size of a packed value and copies its elements out.
Result<ContainerContents> UnpackContainer(const Tensor& packed);

// A string tensor's packed form (hetrun/plugin.h, minor 1: the same header, one entry, then the
// lengths and bytes), which is how strings cross the plugin ABI. Unpack checks every size.
Result<std::vector<std::byte>> PackStrings(const Tensor& strings);
Result<Tensor> UnpackStrings(const void* bytes, size_t size);

// Reads input_N.pb / output_N.pb as the model declares the value: a TensorProto for tensors, a
// SequenceProto for kSequence, an OptionalProto for kOptional (packed as above).
Result<Tensor> ReadValueProto(const std::string& path, DType declared);

// CompareTensors for any value: containers must agree in kind, presence and element count, and
// their elements compare as tensors (ONNX's runner semantics).
TensorComparison CompareValues(const Tensor& actual, const Tensor& expected, double rtol,
                               double atol);

}  // namespace hetrun::core
