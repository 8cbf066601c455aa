// Drives one CPU-plugin kernel directly: builds a single-node hetrun_graph_view by hand, creates
// the kernel through CreateKernel, resolves its outputs and runs it on a thread pool.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "kernel.h"
#include "thread_pool.h"

namespace hetrun::test {

// A tensor with owned bytes.
struct HostTensor {
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(bytes.data());
  }
  template <typename T>
  std::vector<T> values() const {
    return std::vector<T>(data<T>(), data<T>() + numel());
  }
};

template <typename T>
constexpr hetrun_dtype_t DTypeOfT();
template <>
constexpr hetrun_dtype_t DTypeOfT<float>() {
  return HETRUN_DTYPE_FLOAT32;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<double>() {
  return HETRUN_DTYPE_FLOAT64;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<int8_t>() {
  return HETRUN_DTYPE_INT8;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<uint8_t>() {
  return HETRUN_DTYPE_UINT8;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<int32_t>() {
  return HETRUN_DTYPE_INT32;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<int64_t>() {
  return HETRUN_DTYPE_INT64;
}
template <>
constexpr hetrun_dtype_t DTypeOfT<uint16_t>() {
  return HETRUN_DTYPE_FLOAT16;
}

template <typename T>
HostTensor Tensor(std::vector<int64_t> dims, const std::vector<T>& values,
                  hetrun_dtype_t dtype = DTypeOfT<T>()) {
  HostTensor t{dtype, std::move(dims), {}};
  t.bytes.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}
inline HostTensor Bools(std::vector<int64_t> dims, const std::vector<uint8_t>& values) {
  return Tensor<uint8_t>(std::move(dims), values, HETRUN_DTYPE_BOOL);
}
inline HostTensor Floats(std::vector<int64_t> dims, const std::vector<float>& v) {
  return Tensor<float>(std::move(dims), v);
}
inline HostTensor Int64s(std::vector<int64_t> dims, const std::vector<int64_t>& v) {
  return Tensor<int64_t>(std::move(dims), v);
}

// Deterministic pseudo-random floats in [-1, 1).
std::vector<float> RandomFloats(size_t n, uint32_t seed);

class NodeTest {
 public:
  explicit NodeTest(std::string op_type, int64_t opset = 17, std::string domain = "");

  NodeTest& Attr(const std::string& name, int64_t v);
  NodeTest& Attr(const std::string& name, float v);
  NodeTest& Attr(const std::string& name, const std::string& v);
  NodeTest& Attr(const std::string& name, const std::vector<int64_t>& v);
  NodeTest& Attr(const std::string& name, const std::vector<float>& v);
  NodeTest& AttrTensor(const std::string& name, const HostTensor& v);

  // A run-time input; the graph view shows its dims (or -1s when dynamic_dims).
  NodeTest& Input(HostTensor t);
  // A constant (initializer) input, visible to the kernel at creation.
  NodeTest& Const(HostTensor t);
  // An omitted optional input.
  NodeTest& NoInput();
  // Every input added from now on shows unknown dims in the graph view.
  NodeTest& DynamicDims(bool on = true);
  // Number of outputs (default 1); `present` false marks omitted optional outputs.
  NodeTest& Outputs(std::vector<bool> present);
  // The dtype the graph declares for output 0 (some kernels read it, e.g. Cast).
  NodeTest& OutputDType(hetrun_dtype_t dtype);
  // The static dims the graph declares for output 0 (default: unknown rank), which some kernels
  // plan with at compile time (Conv's transposed GEMM).
  NodeTest& OutputDims(std::vector<int64_t> dims);

  // Creates (unless `kernel` is given), infers and runs; returns every output (omitted ones
  // empty). Throws on error.
  std::vector<HostTensor> Run(int threads = 2, cpu::Kernel* kernel = nullptr);
  HostTensor Run1(int threads = 2) { return Run(threads)[0]; }
  // The UNIMPLEMENTED/INVALID message from creating or running, or "" if it succeeds.
  std::string Error(int threads = 2);
  // Creates the kernel only (for checking support).
  std::unique_ptr<cpu::Kernel> Create();
  // The registry's cost estimate for the node.
  double Cost(int threads, double peak_gflops);

 private:
  struct AttrStore {
    std::string name, s;
    std::vector<int64_t> ints;
    std::vector<float> floats;
    hetrun_attribute attr{};
  };
  struct ValueStore {
    std::string name;
    HostTensor tensor;
    std::vector<int64_t> view_dims;
    hetrun_value value{};
  };
  void Finalize();

  std::string op_type_, domain_;
  int64_t opset_;
  bool dynamic_ = false;
  std::deque<AttrStore> attrs_;
  std::deque<ValueStore> values_;  // inputs, then outputs, then attribute tensors
  std::vector<int> input_slots_;   // index into values_, or -1
  std::vector<bool> outputs_{true};
  hetrun_dtype_t out_dtype_ = HETRUN_DTYPE_UNDEFINED;
  std::optional<std::vector<int64_t>> out_dims_;
  std::vector<hetrun_value> value_structs_;
  std::vector<hetrun_attribute> attr_structs_;
  std::vector<int32_t> node_inputs_, node_outputs_;
  hetrun_node node_{};
  hetrun_graph_view view_{};
  std::vector<std::unique_ptr<ValueStore>> attr_tensors_;
};

// The pool shared by the tests, by thread count.
cpu::ThreadPool& TestPool(int threads);

}  // namespace hetrun::test

#include <gtest/gtest.h>

namespace hetrun::test {

// Element-wise |a - e| <= atol + rtol * |e| (NaNs must match).
inline void ExpectClose(const std::vector<float>& actual, const std::vector<float>& expected,
                        float rtol = 1e-5f, float atol = 1e-6f) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "at " << i;
      continue;
    }
    EXPECT_NEAR(actual[i], expected[i], atol + rtol * std::fabs(expected[i])) << "at " << i;
  }
}

}  // namespace hetrun::test
