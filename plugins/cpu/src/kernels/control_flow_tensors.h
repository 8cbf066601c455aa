// Tensor plumbing of the control-flow kernels: scalars fed to subgraphs, slices of scanned inputs
// and the stacking of per-iteration outputs along a new axis.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.h"

namespace hetrun::cpu {

// A tensor that borrows `t`'s memory (valid while `t` is).
BufferTensor Borrow(const TensorRef& t);
// A new buffer holding one element of `dtype` (a scalar tensor with dims {}).
BufferTensor Scalar(hetrun_dtype_t dtype, const void* value);
// The single element of a bool tensor; throws INVALID_ARGUMENT naming `what` unless `t` is a bool
// tensor of one element.
bool ReadBool(const TensorRef& t, const std::string& what);

// Entry `index` of `t` along `axis` (that axis removed). Borrows `t`'s memory when the slice is
// contiguous (nothing before the axis), copies otherwise.
BufferTensor SliceAlongAxis(const BufferTensor& t, size_t axis, int64_t index);

// `parts` (equal dtypes and dims) stacked along a new axis `axis` of the result, part p at
// position p (or size - 1 - p when `reverse`). Throws INVALID_ARGUMENT naming `what` when the
// parts differ.
BufferTensor StackAlongNewAxis(const std::vector<BufferTensor>& parts, size_t axis, bool reverse,
                               const std::string& what);

// What stacking zero iterations gives: a part's dims as the subgraph declares them (-1 taken as 0,
// an unknown rank as a scalar) with a 0 inserted at `axis`. Throws UNIMPLEMENTED naming `what`
// when the dtype or, for a non-zero axis, the rank is not declared.
BufferTensor EmptyStack(hetrun_dtype_t dtype, int32_t declared_rank,
                        const std::vector<int64_t>& declared_dims, size_t axis,
                        const std::string& what);

}  // namespace hetrun::cpu
