// Ops that select or reorder elements by their values: NonZero, Compress, ReverseSequence and
// Unique. NonZero, Compress and Unique have data-dependent output shapes, so InferOutputs reads the
// input data; Run recomputes what it needs rather than caching it (Run must be thread-safe).
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

template <typename T>
bool IsNonZero(T v) {
  if constexpr (std::is_same_v<T, Bool>)
    return v.v != 0;
  else
    return v != T(0);
}

using NonZeroTypes = TypeList<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                              int64_t, uint64_t, Bool>;

// Flat positions of the non-zero elements of `t`.
std::vector<int64_t> NonZeroPositions(const TensorRef& t, std::string_view op) {
  std::vector<int64_t> pos;
  DispatchList(NonZeroTypes{}, t.dtype, op, [&]<typename T>() {
    const T* x = t.as<const T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      if (IsNonZero(x[i])) pos.push_back(i);
  });
  return pos;
}

class NonZeroKernel final : public Kernel {
 public:
  explicit NonZeroKernel(const KernelBuildContext& ctx) {
    if (!InList(NonZeroTypes{}, ctx.input(0).dtype))
      ThrowUnimplemented(std::string("NonZero: dtype ") + plugin::DTypeName(ctx.input(0).dtype) +
                         " not supported");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const int64_t n = static_cast<int64_t>(NonZeroPositions(*in[0], "NonZero").size());
    // A scalar behaves as a 1-element vector (as in ONNX Runtime): output [1, n].
    const int64_t r = std::max<int64_t>(1, static_cast<int64_t>(in[0]->dims.size()));
    return {OutputSpec{HETRUN_DTYPE_INT64, {r, n}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const std::vector<int64_t> pos = NonZeroPositions(*in[0], "NonZero");
    const std::vector<int64_t> d = in[0]->dims.empty() ? std::vector<int64_t>{1} : in[0]->dims;
    const size_t n = pos.size();
    int64_t* y = out[0]->as<int64_t>();
    for (size_t i = 0; i < n; ++i) {
      int64_t rem = pos[i];
      for (size_t k = d.size(); k-- > 0;) {
        y[k * n + i] = rem % d[k];
        rem /= d[k];
      }
    }
  }
};

class CompressKernel final : public Kernel {
 public:
  explicit CompressKernel(const KernelBuildContext& ctx) : elem_(MovableElementSize(ctx)) {
    RequireInput(ctx, 1, "condition");
    if (plugin::FindAttr(ctx.node, "axis")) {
      axis_ = plugin::AttrInt(ctx.node, "axis", 0);
      has_axis_ = true;
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const int64_t kept = static_cast<int64_t>(Kept(in).size());
    if (!has_axis_) return {OutputSpec{in[0]->dtype, {kept}}};
    std::vector<int64_t> d = in[0]->dims;
    d[static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Compress"))] = kept;
    return {OutputSpec{in[0]->dtype, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const std::vector<int64_t> kept = Kept(in);
    const auto& d = in[0]->dims;
    int64_t outer = 1, n = in[0]->numel(), inner = 1;
    if (has_axis_) {
      const size_t a =
          static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Compress"));
      outer = ProductOf(d, 0, a);
      n = d[a];
      inner = ProductOf(d, a + 1, d.size());
    }
    const size_t row = static_cast<size_t>(inner) * elem_;
    const auto* x = static_cast<const uint8_t*>(in[0]->data);
    auto* y = static_cast<uint8_t*>(out[0]->data);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k : kept) {
        std::memcpy(y, x + static_cast<size_t>(o * n + k) * row, row);
        y += row;
      }
  }

 private:
  // Indices along the axis (or the flattened input) whose condition is true; a condition shorter
  // than the axis drops the rest.
  std::vector<int64_t> Kept(const std::vector<const TensorRef*>& in) const {
    const auto& d = in[0]->dims;
    const int64_t n = has_axis_ ? d[static_cast<size_t>(NormalizeAxis(
                                      axis_, static_cast<int64_t>(d.size()), "Compress"))]
                                : in[0]->numel();
    if (in[1]->dims.size() != 1) ThrowInvalid("Compress: condition must be 1-D");
    std::vector<int64_t> pos = NonZeroPositions(*in[1], "Compress");
    if (in[1]->numel() > n && !pos.empty() && pos.back() >= n)
      ThrowInvalid("Compress: condition is longer than the selected axis");
    return pos;
  }
  size_t elem_;
  int64_t axis_ = 0;
  bool has_axis_ = false;
};

class ReverseSequenceKernel final : public Kernel {
 public:
  explicit ReverseSequenceKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)),
        batch_axis_(plugin::AttrInt(ctx.node, "batch_axis", 1)),
        time_axis_(plugin::AttrInt(ctx.node, "time_axis", 0)) {
    RequireInput(ctx, 1, "sequence_lens");
    if (!((batch_axis_ == 0 && time_axis_ == 1) || (batch_axis_ == 1 && time_axis_ == 0)))
      ThrowUnimplemented("ReverseSequence: batch_axis/time_axis must be 0 and 1");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[0]->dims.size() < 2) ThrowInvalid("ReverseSequence: input must have rank >= 2");
    if (in[1]->numel() != in[0]->dims[static_cast<size_t>(batch_axis_)])
      ThrowInvalid("ReverseSequence: sequence_lens must have one entry per batch");
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& d = in[0]->dims;
    const std::vector<int64_t> lens = ReadInts(*in[1], "ReverseSequence", "sequence_lens");
    const int64_t batches = d[static_cast<size_t>(batch_axis_)];
    const int64_t steps = d[static_cast<size_t>(time_axis_)];
    const size_t row = static_cast<size_t>(ProductOf(d, 2, d.size())) * elem_;
    // Offset in rows of (batch b, time t) for either axis order.
    auto at = [&](int64_t b, int64_t t) {
      return static_cast<size_t>(batch_axis_ == 0 ? b * steps + t : t * batches + b) * row;
    };
    const auto* x = static_cast<const uint8_t*>(in[0]->data);
    auto* y = static_cast<uint8_t*>(out[0]->data);
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t len = lens[static_cast<size_t>(b)];
      if (len < 0 || len > steps) ThrowInvalid("ReverseSequence: sequence length out of range");
      for (int64_t t = 0; t < steps; ++t)
        std::memcpy(y + at(b, t), x + at(b, t < len ? len - 1 - t : t), row);
    }
  }

 private:
  size_t elem_;
  int64_t batch_axis_, time_axis_;
};

using UniqueTypes = TypeList<float, double, int8_t, uint8_t, int16_t, int32_t, int64_t>;

// Unique over slices along an axis (or over all elements when there is no axis). Slice i is the
// sub-tensor at index i of the axis; slices compare lexicographically.
struct UniqueResult {
  std::vector<int64_t> first;    // per unique slice, in output order: its first index
  std::vector<int64_t> inverse;  // per input slice: its unique slice's output position
  std::vector<int64_t> counts;   // per unique slice
};

class UniqueKernel final : public Kernel {
 public:
  explicit UniqueKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype), sorted_(plugin::AttrInt(ctx.node, "sorted", 1) != 0) {
    if (!InList(UniqueTypes{}, dtype_))
      ThrowUnimplemented(std::string("Unique: dtype ") + plugin::DTypeName(dtype_) +
                         " not supported");
    if (plugin::FindAttr(ctx.node, "axis")) {
      axis_ = plugin::AttrInt(ctx.node, "axis", 0);
      has_axis_ = true;
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const UniqueResult u = Compute(*in[0]);
    const int64_t m = static_cast<int64_t>(u.first.size());
    std::vector<int64_t> yd{m};
    if (has_axis_) {
      yd = in[0]->dims;
      yd[Axis(*in[0])] = m;
    }
    const int64_t n = static_cast<int64_t>(u.inverse.size());
    return {OutputSpec{dtype_, yd}, OutputSpec{HETRUN_DTYPE_INT64, {m}},
            OutputSpec{HETRUN_DTYPE_INT64, {n}}, OutputSpec{HETRUN_DTYPE_INT64, {m}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const UniqueResult u = Compute(*in[0]);
    int64_t outer, n, inner;
    Split(*in[0], &outer, &n, &inner);
    const size_t m = u.first.size();
    if (out[0]) {
      const size_t es = plugin::DTypeSize(dtype_), row = static_cast<size_t>(inner) * es;
      const auto* x = static_cast<const uint8_t*>(in[0]->data);
      auto* y = static_cast<uint8_t*>(out[0]->data);
      for (int64_t o = 0; o < outer; ++o)
        for (size_t j = 0; j < m; ++j)
          std::memcpy(y + (static_cast<size_t>(o) * m + j) * row,
                      x + static_cast<size_t>(o * n + u.first[j]) * row, row);
    }
    auto put = [&](size_t o, const std::vector<int64_t>& v) {
      if (o < out.size() && out[o] && !v.empty())
        std::memcpy(out[o]->data, v.data(), v.size() * sizeof(int64_t));
    };
    put(1, u.first);
    put(2, u.inverse);
    put(3, u.counts);
  }

 private:
  size_t Axis(const TensorRef& x) const {
    return static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(x.dims.size()), "Unique"));
  }
  void Split(const TensorRef& x, int64_t* outer, int64_t* n, int64_t* inner) const {
    if (!has_axis_) {
      *outer = 1, *n = x.numel(), *inner = 1;
      return;
    }
    const size_t a = Axis(x);
    *outer = ProductOf(x.dims, 0, a), *n = x.dims[a],
    *inner = ProductOf(x.dims, a + 1, x.dims.size());
  }
  UniqueResult Compute(const TensorRef& x) const {
    int64_t outer, n, inner;
    Split(x, &outer, &n, &inner);
    UniqueResult r;
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::vector<int64_t> group(static_cast<size_t>(n));  // sorted position -> group id
    DispatchList(UniqueTypes{}, dtype_, "Unique", [&]<typename T>() {
      const T* v = x.as<const T>();
      // -1, 0, 1 as slice p sorts before, equal to or after slice q.
      auto cmp = [&](int64_t p, int64_t q) {
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            const T a = v[(o * n + p) * inner + i], b = v[(o * n + q) * inner + i];
            if (a < b) return -1;
            if (b < a) return 1;
          }
        return 0;
      };
      // Stable, so each run of equal slices starts with its first occurrence.
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t p, int64_t q) { return cmp(p, q) < 0; });
      for (size_t i = 0; i < order.size(); ++i) {
        if (i == 0 || cmp(order[i - 1], order[i]) != 0) {
          r.first.push_back(order[i]);
          r.counts.push_back(0);
        }
        group[i] = static_cast<int64_t>(r.first.size()) - 1;
        ++r.counts.back();
      }
    });
    // Output position of each group: sorted order, or order of first occurrence.
    std::vector<int64_t> pos(r.first.size());
    std::iota(pos.begin(), pos.end(), 0);
    if (!sorted_) {
      std::vector<int64_t> by_first(r.first.size());
      std::iota(by_first.begin(), by_first.end(), 0);
      std::sort(by_first.begin(), by_first.end(),
                [&](int64_t p, int64_t q) { return r.first[p] < r.first[q]; });
      std::vector<int64_t> first(r.first.size()), counts(r.first.size());
      for (size_t j = 0; j < by_first.size(); ++j) {
        pos[static_cast<size_t>(by_first[j])] = static_cast<int64_t>(j);
        first[j] = r.first[static_cast<size_t>(by_first[j])];
        counts[j] = r.counts[static_cast<size_t>(by_first[j])];
      }
      r.first = std::move(first);
      r.counts = std::move(counts);
    }
    r.inverse.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < order.size(); ++i)
      r.inverse[static_cast<size_t>(order[i])] = pos[static_cast<size_t>(group[i])];
    return r;
  }

  hetrun_dtype_t dtype_;
  bool sorted_;
  int64_t axis_ = 0;
  bool has_axis_ = false;
};

std::unique_ptr<Kernel> MakeNonZero(const KernelBuildContext& c) {
  return std::make_unique<NonZeroKernel>(c);
}
std::unique_ptr<Kernel> MakeCompress(const KernelBuildContext& c) {
  return std::make_unique<CompressKernel>(c);
}
std::unique_ptr<Kernel> MakeReverseSequence(const KernelBuildContext& c) {
  return std::make_unique<ReverseSequenceKernel>(c);
}
std::unique_ptr<Kernel> MakeUnique(const KernelBuildContext& c) {
  return std::make_unique<UniqueKernel>(c);
}

}  // namespace

void RegisterSelectKernels(KernelTable& t) {
  t.Add("NonZero", MakeNonZero);
  t.Add("Compress", MakeCompress, nullptr, 2);
  t.Add("ReverseSequence", MakeReverseSequence, nullptr, 2);
  t.Add("Unique", MakeUnique);
}

}  // namespace hetrun::cpu
