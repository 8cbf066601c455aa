// The CPU plugin's view of a tensor at run time: dtype, dims and a pointer into host memory.
// Kernels read inputs and write outputs through these; they never own memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "buffer.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::cpu {

struct TensorRef {
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  void* data = nullptr;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
  size_t bytes() const { return static_cast<size_t>(numel()) * ElementBytes(dtype); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// What a kernel says about one output before it runs.
struct OutputSpec {
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
};

// A tensor together with the buffer holding it (from offset 0), for values that outlive a kernel
// call: the results of control-flow subgraphs and the values carried between their iterations.
struct BufferTensor {
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::shared_ptr<Buffer> buffer;

  TensorRef ref() const { return TensorRef{dtype, dims, buffer ? buffer->data() : nullptr}; }
};

}  // namespace hetrun::cpu
