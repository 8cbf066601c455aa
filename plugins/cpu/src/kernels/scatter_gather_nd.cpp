// Index-tuple scatter and gather: ScatterElements (and its deprecated alias Scatter), ScatterND
// and GatherND. Scatters copy the data input to the output first and then apply the updates in
// index order, so duplicate indices follow ONNX's sequential semantics.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction ReadReduction(const KernelBuildContext& ctx) {
  const std::string r = plugin::AttrString(ctx.node, "reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  ThrowUnimplemented(std::string(OpName(ctx)) + ": reduction " + r + " not supported");
}

template <typename T>
void Combine(Reduction r, T& dst, T src) {
  switch (r) {
    case Reduction::kNone: dst = src; break;
    case Reduction::kAdd: dst = static_cast<T>(dst + src); break;
    case Reduction::kMul: dst = static_cast<T>(dst * src); break;
    case Reduction::kMax: dst = std::max(dst, src); break;
    case Reduction::kMin: dst = std::min(dst, src); break;
  }
}

// Reductions need arithmetic on the element type; plain assignment only moves bytes.
void CheckElementType(const KernelBuildContext& ctx, Reduction r) {
  const hetrun_dtype_t t = ctx.input(0).dtype;
  const size_t s = plugin::DTypeSize(t);
  if (r == Reduction::kNone) {
    if (t == HETRUN_DTYPE_STRING || s == 0 || s > 8)
      ThrowUnimplemented(std::string(OpName(ctx)) + ": dtype " + plugin::DTypeName(t) +
                         " not supported");
  } else if (!InList(NumericTypes{}, t)) {
    ThrowUnimplemented(std::string(OpName(ctx)) + ": reduction on dtype " + plugin::DTypeName(t) +
                       " not supported");
  }
}

// Runs f.template operator()<T>() with T the arithmetic type (reductions) or a same-size unsigned
// type (plain assignment).
template <typename F>
void DispatchScatter(hetrun_dtype_t dtype, Reduction r, std::string_view op, F&& f) {
  if (r == Reduction::kNone)
    DispatchBySize(plugin::DTypeSize(dtype), op, f);
  else
    DispatchList(NumericTypes{}, dtype, op, f);
}

int64_t WrapIndex(int64_t i, int64_t dim, std::string_view op) {
  const int64_t w = i < 0 ? i + dim : i;
  if (w < 0 || w >= dim)
    ThrowInvalid(std::string(op) + ": index " + std::to_string(i) + " out of range for dim " +
                 std::to_string(dim));
  return w;
}

std::vector<int64_t> Strides(const std::vector<int64_t>& d) {
  std::vector<int64_t> s(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
  return s;
}

class ScatterElementsKernel final : public Kernel {
 public:
  explicit ScatterElementsKernel(const KernelBuildContext& ctx)
      : op_(OpName(ctx)), axis_(plugin::AttrInt(ctx.node, "axis", 0)), red_(ReadReduction(ctx)) {
    RequireInput(ctx, 1, "indices");
    RequireInput(ctx, 2, "updates");
    CheckElementType(ctx, red_);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const size_t r = in[0]->dims.size();
    if (in[1]->dims.size() != r || in[2]->dims != in[1]->dims)
      ThrowInvalid(op_ +
                   ": data, indices and updates must have the same rank, indices and "
                   "updates the same shape");
    NormalizeAxis(axis_, static_cast<int64_t>(r), op_);
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto &d = in[0]->dims, &id = in[1]->dims;
    const size_t r = d.size();
    const size_t a = static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(r), op_));
    const std::vector<int64_t> idx = ReadInts(*in[1], op_, "indices");
    const std::vector<int64_t> stride = Strides(d);
    CopyIfDistinct(*in[0], *out[0]);
    DispatchScatter(in[0]->dtype, red_, op_, [&]<typename T>() {
      const T* u = in[2]->as<const T>();
      T* y = out[0]->as<T>();
      for (size_t flat = 0; flat < idx.size(); ++flat) {
        int64_t rem = static_cast<int64_t>(flat), off = 0;
        for (size_t k = r; k-- > 0;) {
          int64_t c = rem % id[k];
          rem /= id[k];
          if (k == a) c = WrapIndex(idx[flat], d[a], op_);
          off += c * stride[k];
        }
        Combine(red_, y[off], u[flat]);
      }
    });
  }

 private:
  std::string op_;
  int64_t axis_;
  Reduction red_;
};

class ScatterNDKernel final : public Kernel {
 public:
  explicit ScatterNDKernel(const KernelBuildContext& ctx) : red_(ReadReduction(ctx)) {
    RequireInput(ctx, 1, "indices");
    RequireInput(ctx, 2, "updates");
    CheckElementType(ctx, red_);
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto &d = in[0]->dims, &id = in[1]->dims, &ud = in[2]->dims;
    if (id.empty() || id.back() > static_cast<int64_t>(d.size()))
      ThrowInvalid("ScatterND: indices' last dim exceeds data rank");
    // updates = indices.shape[:-1] + data.shape[k:]
    std::vector<int64_t> want(id.begin(), id.end() - 1);
    want.insert(want.end(), d.begin() + id.back(), d.end());
    if (ud != want) ThrowInvalid("ScatterND: updates shape must be " + DimsToString(want));
    return {OutputSpec{in[0]->dtype, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& d = in[0]->dims;
    const size_t k = static_cast<size_t>(in[1]->dims.back());
    const std::vector<int64_t> idx = ReadInts(*in[1], "ScatterND", "indices");
    const std::vector<int64_t> stride = Strides(d);
    const int64_t slice = ProductOf(d, k, d.size());
    const size_t tuples = k ? idx.size() / k : static_cast<size_t>(in[2]->numel() / slice);
    CopyIfDistinct(*in[0], *out[0]);
    DispatchScatter(in[0]->dtype, red_, "ScatterND", [&]<typename T>() {
      const T* u = in[2]->as<const T>();
      T* y = out[0]->as<T>();
      for (size_t t = 0; t < tuples; ++t) {
        int64_t off = 0;
        for (size_t j = 0; j < k; ++j)
          off += WrapIndex(idx[t * k + j], d[j], "ScatterND") * stride[j];
        for (int64_t e = 0; e < slice; ++e)
          Combine(red_, y[off + e], u[static_cast<int64_t>(t) * slice + e]);
      }
    });
  }

 private:
  Reduction red_;
};

class GatherNDKernel final : public Kernel {
 public:
  explicit GatherNDKernel(const KernelBuildContext& ctx)
      : batch_(plugin::AttrInt(ctx.node, "batch_dims", 0)) {
    RequireInput(ctx, 1, "indices");
    const size_t s = plugin::DTypeSize(ctx.input(0).dtype);
    if (ctx.input(0).dtype == HETRUN_DTYPE_STRING || s == 0 || s > 8)
      ThrowUnimplemented(std::string("GatherND: dtype ") + plugin::DTypeName(ctx.input(0).dtype) +
                         " not supported");
    elem_ = s;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto &d = in[0]->dims, &id = in[1]->dims;
    const size_t b = static_cast<size_t>(batch_);
    if (id.empty() || batch_ < 0 || b >= id.size() || b >= d.size() ||
        b + static_cast<size_t>(id.back()) > d.size())
      ThrowInvalid("GatherND: indices do not fit data with batch_dims " + std::to_string(batch_));
    for (size_t i = 0; i < b; ++i)
      if (d[i] != id[i]) ThrowInvalid("GatherND: batch dims of data and indices differ");
    std::vector<int64_t> od(id.begin(), id.end() - 1);
    od.insert(od.end(), d.begin() + static_cast<ptrdiff_t>(b + static_cast<size_t>(id.back())),
              d.end());
    return {OutputSpec{in[0]->dtype, od}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto &d = in[0]->dims, &id = in[1]->dims;
    const size_t b = static_cast<size_t>(batch_), k = static_cast<size_t>(id.back());
    const std::vector<int64_t> idx = ReadInts(*in[1], "GatherND", "indices");
    const std::vector<int64_t> stride = Strides(d);
    const int64_t batches = ProductOf(d, 0, b);
    const int64_t batch_stride = ProductOf(d, b, d.size());
    const int64_t slice = ProductOf(d, b + k, d.size());
    const int64_t per_batch = ProductOf(id, b, id.size() - 1);
    DispatchBySize(elem_, "GatherND", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      for (int64_t bi = 0; bi < batches; ++bi)
        for (int64_t t = 0; t < per_batch; ++t) {
          const size_t tuple = static_cast<size_t>(bi * per_batch + t) * k;
          int64_t off = bi * batch_stride;
          for (size_t j = 0; j < k; ++j)
            off += WrapIndex(idx[tuple + j], d[b + j], "GatherND") * stride[b + j];
          std::memcpy(y + (bi * per_batch + t) * slice, x + off,
                      static_cast<size_t>(slice) * sizeof(U));
        }
    });
  }

 private:
  int64_t batch_;
  size_t elem_ = 0;
};

std::unique_ptr<Kernel> MakeScatterElements(const KernelBuildContext& c) {
  return std::make_unique<ScatterElementsKernel>(c);
}
std::unique_ptr<Kernel> MakeScatterND(const KernelBuildContext& c) {
  return std::make_unique<ScatterNDKernel>(c);
}
std::unique_ptr<Kernel> MakeGatherND(const KernelBuildContext& c) {
  return std::make_unique<GatherNDKernel>(c);
}

}  // namespace

void RegisterScatterGatherNDKernels(KernelTable& t) {
  t.Add("ScatterElements", MakeScatterElements, nullptr, 3);
  t.Add("Scatter", MakeScatterElements, nullptr, 3);  // deprecated alias (opset 9-10)
  t.Add("ScatterND", MakeScatterND, nullptr, 3);
  t.Add("GatherND", MakeGatherND, nullptr, 2);
}

}  // namespace hetrun::cpu
