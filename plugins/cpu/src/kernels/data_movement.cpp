// Ops that move elements without arithmetic: Transpose, Concat, Split, Slice, Gather. They work on
// raw element bytes, so every fixed-size dtype is supported.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

//===-- Transpose
//-------------------------------------------------------------------------------===//

class TransposeKernel final : public Kernel {
 public:
  explicit TransposeKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)), perm_(plugin::AttrInts(ctx.node, "perm")) {}

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> perm = Perm(in[0]->dims.size());
    std::vector<int64_t> out;
    for (int64_t p : perm) out.push_back(in[0]->dims[static_cast<size_t>(p)]);
    return {OutputSpec{in[0]->dtype, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const std::vector<int64_t> perm = Perm(d.size());
    // Input strides, then output-ordered dims and strides with size-1 dims dropped and runs that
    // stay adjacent in both orders merged.
    std::vector<int64_t> in_stride(d.size(), 1);
    for (size_t i = d.size(); i-- > 1;) in_stride[i - 1] = in_stride[i] * d[i];
    std::vector<int64_t> dims, strides;
    for (int64_t p : perm) {
      const size_t k = static_cast<size_t>(p);
      if (d[k] == 1) continue;
      if (!strides.empty() && strides.back() == in_stride[k] * d[k]) {
        dims.back() *= d[k];
        strides.back() = in_stride[k];
      } else {
        dims.push_back(d[k]);
        strides.push_back(in_stride[k]);
      }
    }
    const int64_t n = in[0]->numel();
    if (n == 0) return;
    if (dims.empty() || (dims.size() == 1 && strides[0] == 1)) {
      CopyIfDistinct(*in[0], *out[0]);
      return;
    }
    const int64_t inner = dims.back(), inner_stride = strides.back();
    const int64_t rows = n / inner;
    DispatchBySize(elem_, "Transpose", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      pool.ParallelFor(rows, std::max<int64_t>(1, kElementwiseGrain / inner),
                       [&](int64_t r0, int64_t r1) {
                         for (int64_t r = r0; r < r1; ++r) {
                           int64_t off = 0, rem = r;
                           for (size_t k = dims.size() - 1; k-- > 0;) {
                             off += (rem % dims[k]) * strides[k];
                             rem /= dims[k];
                           }
                           const U* src = x + off;
                           U* dst = y + r * inner;
                           if (inner_stride == 1) {
                             std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(U));
                           } else {
                             for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_stride];
                           }
                         }
                       });
    });
  }

 private:
  std::vector<int64_t> Perm(size_t rank) const {
    std::vector<int64_t> perm = perm_;
    if (perm.empty())
      for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    std::vector<bool> seen(rank, false);
    if (perm.size() != rank)
      ThrowInvalid("Transpose: perm " + DimsToString(perm) + " for rank " + std::to_string(rank));
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
        ThrowInvalid("Transpose: invalid perm " + DimsToString(perm));
      seen[static_cast<size_t>(p)] = true;
    }
    return perm;
  }

  size_t elem_;
  std::vector<int64_t> perm_;
};

//===-- Concat / Split
//----------------------------------------------------------------------------===//

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(const KernelBuildContext& ctx) : elem_(MovableElementSize(ctx)) {
    const hetrun_attribute* a = plugin::FindAttr(ctx.node, "axis");
    if (!a && ctx.node.opset >= 4) ThrowUnimplemented("Concat: axis attribute is required");
    axis_ = a ? a->i : 1;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d0 = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d0.size()), "Concat"));
    std::vector<int64_t> out = d0;
    out[a] = 0;
    for (const TensorRef* t : in) {
      bool ok = t->dtype == in[0]->dtype && t->dims.size() == d0.size();
      for (size_t k = 0; ok && k < d0.size(); ++k) ok = k == a || t->dims[k] == d0[k];
      if (!ok)
        ThrowInvalid("Concat: input " + DimsToString(t->dims) + " does not match " +
                     DimsToString(d0) + " outside axis " + std::to_string(a));
      out[a] += t->dims[a];
    }
    return {OutputSpec{in[0]->dtype, out}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& od = out[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(od.size()), "Concat"));
    const int64_t outer = ProductOf(od, 0, a);
    const size_t inner_bytes = static_cast<size_t>(ProductOf(od, a + 1, od.size())) * elem_;
    const size_t out_row = static_cast<size_t>(od[a]) * inner_bytes;
    auto* y = static_cast<uint8_t*>(out[0]->data);
    const int64_t grain =
        std::max<int64_t>(1, static_cast<int64_t>(65536 / std::max<size_t>(1, out_row)));
    pool.ParallelFor(outer, grain, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        size_t pos = static_cast<size_t>(o) * out_row;
        for (const TensorRef* t : in) {
          const size_t bytes = static_cast<size_t>(t->dims[a]) * inner_bytes;
          if (bytes) std::memcpy(y + pos, static_cast<const uint8_t*>(t->data) + o * bytes, bytes);
          pos += bytes;
        }
      }
    });
  }

 private:
  size_t elem_;
  int64_t axis_;
};

class SplitKernel final : public Kernel {
 public:
  explicit SplitKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)),
        axis_(plugin::AttrInt(ctx.node, "axis", 0)),
        outputs_(ctx.num_outputs()),
        opset_(ctx.node.opset) {
    if (opset_ < 13) split_ = plugin::AttrInts(ctx.node, "split");
    if (opset_ >= 18) {
      const hetrun_attribute* n = plugin::FindAttr(ctx.node, "num_outputs");
      if (n && static_cast<size_t>(n->i) != outputs_)
        ThrowUnimplemented("Split: num_outputs differs from the node's output count");
    }
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Split"));
    std::vector<OutputSpec> specs;
    for (int64_t s : Sizes(in, d[a])) {
      std::vector<int64_t> od = d;
      od[a] = s;
      specs.push_back(OutputSpec{in[0]->dtype, od});
    }
    return specs;
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Split"));
    const std::vector<int64_t> sizes = Sizes(in, d[a]);
    const int64_t outer = ProductOf(d, 0, a);
    const size_t inner_bytes = static_cast<size_t>(ProductOf(d, a + 1, d.size())) * elem_;
    const size_t in_row = static_cast<size_t>(d[a]) * inner_bytes;
    const auto* x = static_cast<const uint8_t*>(in[0]->data);
    size_t pos = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      const size_t bytes = static_cast<size_t>(sizes[k]) * inner_bytes;
      if (k < out.size() && out[k] && bytes)
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(static_cast<uint8_t*>(out[k]->data) + o * bytes, x + o * in_row + pos, bytes);
      pos += bytes;
    }
  }

 private:
  std::vector<int64_t> Sizes(const std::vector<const TensorRef*>& in, int64_t dim) const {
    std::vector<int64_t> sizes = split_;
    if (opset_ >= 13 && in.size() > 1 && in[1]) sizes = ReadInts(*in[1], "Split", "split");
    const int64_t n = static_cast<int64_t>(outputs_);
    if (sizes.empty()) {
      // Equal parts; from opset 18 the last may be smaller.
      const int64_t part = (dim + n - 1) / n;
      if (opset_ < 18 && dim % n != 0)
        ThrowInvalid("Split: dimension " + std::to_string(dim) + " not divisible into " +
                     std::to_string(n) + " outputs");
      for (int64_t k = 0; k < n; ++k) sizes.push_back(std::clamp<int64_t>(dim - k * part, 0, part));
    }
    int64_t total = 0;
    for (int64_t s : sizes) total += s;
    if (total != dim || static_cast<int64_t>(sizes.size()) != n)
      ThrowInvalid("Split: sizes " + DimsToString(sizes) + " do not split dimension " +
                   std::to_string(dim) + " into " + std::to_string(n) + " outputs");
    return sizes;
  }

  size_t elem_;
  int64_t axis_;
  size_t outputs_;
  int64_t opset_;
  std::vector<int64_t> split_;
};

//===-- Gather
//----------------------------------------------------------------------------------===//

class GatherKernel final : public Kernel {
 public:
  explicit GatherKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)), axis_(plugin::AttrInt(ctx.node, "axis", 0)) {
    RequireDType("Gather", ctx.input(1).dtype, {HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
                 "indices must be int32 or int64");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Gather"));
    std::vector<int64_t> out(d.begin(), d.begin() + static_cast<ptrdiff_t>(a));
    out.insert(out.end(), in[1]->dims.begin(), in[1]->dims.end());
    out.insert(out.end(), d.begin() + static_cast<ptrdiff_t>(a) + 1, d.end());
    return {OutputSpec{in[0]->dtype, out}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "Gather"));
    const int64_t outer = ProductOf(d, 0, a), n = d[a];
    const size_t inner_bytes = static_cast<size_t>(ProductOf(d, a + 1, d.size())) * elem_;
    std::vector<int64_t> idx = ReadInts(*in[1], "Gather", "indices");
    for (int64_t& i : idx) {
      if (i < -n || i >= n)
        ThrowInvalid("Gather: index " + std::to_string(i) + " out of range for dimension " +
                     std::to_string(n));
      if (i < 0) i += n;
    }
    const auto* x = static_cast<const uint8_t*>(in[0]->data);
    auto* y = static_cast<uint8_t*>(out[0]->data);
    const int64_t m = static_cast<int64_t>(idx.size());
    pool.ParallelFor(
        outer * m,
        std::max<int64_t>(1, static_cast<int64_t>(65536 / std::max<size_t>(1, inner_bytes))),
        [&](int64_t s, int64_t e) {
          for (int64_t k = s; k < e; ++k) {
            const int64_t o = k / m, j = k % m;
            std::memcpy(y + k * inner_bytes,
                        x + (o * n + idx[static_cast<size_t>(j)]) * inner_bytes, inner_bytes);
          }
        });
  }

 private:
  size_t elem_;
  int64_t axis_;
};

std::unique_ptr<Kernel> MakeTranspose(const KernelBuildContext& c) {
  return std::make_unique<TransposeKernel>(c);
}
std::unique_ptr<Kernel> MakeConcat(const KernelBuildContext& c) {
  return std::make_unique<ConcatKernel>(c);
}
std::unique_ptr<Kernel> MakeSplit(const KernelBuildContext& c) {
  return std::make_unique<SplitKernel>(c);
}
std::unique_ptr<Kernel> MakeGather(const KernelBuildContext& c) {
  return std::make_unique<GatherKernel>(c);
}

}  // namespace

// Slice lives in slice.cpp.
std::unique_ptr<Kernel> MakeSlice(const KernelBuildContext& ctx);

void RegisterDataMovementKernels(KernelTable& t) {
  t.Add("Transpose", MakeTranspose);
  t.Add("Concat", MakeConcat);
  t.Add("Split", MakeSplit);
  t.Add("Gather", MakeGather, nullptr, 2);
  t.Add("Slice", MakeSlice);
}

}  // namespace hetrun::cpu
