// Sequence and optional values and string tensors in the CPU plugin. They are tensors of dtype
// HETRUN_DTYPE_SEQUENCE / OPTIONAL / STRING whose bytes follow the packed layout of hetrun/plugin.h
// (minor 1), so the executor, its arena, the control-flow kernels and the host move them like any
// tensor; only the kernels here look inside. Every read checks counts, offsets and sizes.
#pragma once

#include <string>
#include <vector>

#include "kernel.h"
#include "tensor.h"

namespace hetrun::cpu {

inline bool IsPackedDType(hetrun_dtype_t t) {
  return t == HETRUN_DTYPE_SEQUENCE || t == HETRUN_DTYPE_OPTIONAL || t == HETRUN_DTYPE_STRING;
}

// A string tensor taken apart: its logical dims and its strings, in row-major order.
struct StringTensor {
  std::vector<int64_t> dims;
  std::vector<std::string> values;
};

// Reads a packed string tensor (dtype STRING, rank 1, dims {bytes}); throws INVALID_ARGUMENT
// naming `what` when any count, offset or size is off.
StringTensor ReadStrings(const TensorRef& t, const std::string& what);
// Packs `strings` (values.size() must equal the product of dims) into a new buffer.
BufferTensor PackStrings(const StringTensor& strings);

// A packed value taken apart; `elements` point into its bytes (valid while they are).
struct PackedView {
  hetrun_dtype_t kind = HETRUN_DTYPE_SEQUENCE;
  hetrun_dtype_t element_dtype = HETRUN_DTYPE_UNDEFINED;
  bool optional_of_sequence = false;
  std::vector<TensorRef> elements;
};

// Reads `t`, which must be a packed value of `kind`; throws INVALID_ARGUMENT naming `what`.
PackedView ReadPacked(const TensorRef& t, hetrun_dtype_t kind, const std::string& what);

// Packs `elements` (copied) into a new buffer.
BufferTensor Pack(hetrun_dtype_t kind, hetrun_dtype_t element_dtype, bool optional_of_sequence,
                  const std::vector<const TensorRef*>& elements);
inline BufferTensor PackSequence(hetrun_dtype_t element_dtype,
                                 const std::vector<const TensorRef*>& elements) {
  return Pack(HETRUN_DTYPE_SEQUENCE, element_dtype, false, elements);
}
// An optional holding `value` (a tensor or a packed sequence), or an empty one for nullptr.
BufferTensor PackOptional(const TensorRef* value);

// A copy of `t` in a buffer of its own.
BufferTensor CopyToBuffer(const TensorRef& t);

// Kernels whose results are computed whole (sizes known only by computing them): the executor
// calls Compute and copies the results into place.
class ComputedKernel : public Kernel {
 public:
  bool ComputesOutputShapes() const override { return true; }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& inputs) override;
  void Run(const std::vector<const TensorRef*>& inputs, const std::vector<TensorRef*>& outputs,
           ThreadPool& pool) override;
};

// Reads a position input (int32/int64, one element) of a sequence of `length` and checks it lies
// in [-length, length - 1], or [-length, length] when `insert`. Returns it made non-negative.
int64_t ReadPosition(const TensorRef& t, int64_t length, bool insert, const std::string& op);

}  // namespace hetrun::cpu
