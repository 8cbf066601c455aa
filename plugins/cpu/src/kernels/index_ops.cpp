// Index-driven ops: CumSum, Trilu, GatherElements, TopK, OneHot, EyeLike, DepthToSpace and
// SpaceToDepth.
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

int64_t ScalarInt(const TensorRef& t, std::string_view op, std::string_view what) {
  if (t.numel() != 1)
    ThrowInvalid(std::string(op) + ": " + std::string(what) + " must be a scalar");
  return ReadInts(t, op, what)[0];
}

class CumSumKernel final : public Kernel {
 public:
  explicit CumSumKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType(
        "CumSum", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
    exclusive_ = plugin::AttrInt(ctx.node, "exclusive", 0) != 0;
    reverse_ = plugin::AttrInt(ctx.node, "reverse", 0) != 0;
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    NormalizeAxis(ScalarInt(*in[1], "CumSum", "axis"), static_cast<int64_t>(in[0]->dims.size()),
                  "CumSum");
    return {OutputSpec{dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t a = static_cast<size_t>(NormalizeAxis(ScalarInt(*in[1], "CumSum", "axis"),
                                                       static_cast<int64_t>(d.size()), "CumSum"));
    const int64_t outer = ProductOf(d, 0, a), n = d[a], inner = ProductOf(d, a + 1, d.size());
    Dispatch<float, double, int32_t, int64_t>(dtype_, "CumSum", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* y = out[0]->as<T>();
      pool.ParallelFor(outer * inner, 64, [&](int64_t s, int64_t e) {
        for (int64_t li = s; li < e; ++li) {
          const int64_t base = (li / inner) * n * inner + li % inner;
          T acc = T(0);
          for (int64_t k = 0; k < n; ++k) {
            const int64_t idx = base + (reverse_ ? n - 1 - k : k) * inner;
            if (exclusive_) {
              y[idx] = acc;
              acc = static_cast<T>(acc + x[idx]);
            } else {
              acc = static_cast<T>(acc + x[idx]);
              y[idx] = acc;
            }
          }
        }
      });
    });
  }

 private:
  hetrun_dtype_t dtype_;
  bool exclusive_, reverse_;
};

class TriluKernel final : public Kernel {
 public:
  explicit TriluKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)), upper_(plugin::AttrInt(ctx.node, "upper", 1) != 0) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[0]->dims.size() < 2) ThrowInvalid("Trilu: input must have rank >= 2");
    return {OutputSpec{in[0]->dtype, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t k = in.size() > 1 && in[1] ? ScalarInt(*in[1], "Trilu", "k") : 0;
    const auto& d = in[0]->dims;
    const int64_t rows = d[d.size() - 2], cols = d.back(),
                  mats = in[0]->numel() / std::max<int64_t>(1, rows * cols);
    DispatchBySize(elem_, "Trilu", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      for (int64_t m = 0; m < mats; ++m)
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) {
            const int64_t idx = (m * rows + i) * cols + j;
            const bool keep = upper_ ? j - i >= k : j - i <= k;
            y[idx] = keep ? x[idx] : U(0);
          }
    });
  }

 private:
  size_t elem_;
  bool upper_;
};

class GatherElementsKernel final : public Kernel {
 public:
  explicit GatherElementsKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)), axis_(plugin::AttrInt(ctx.node, "axis", 0)) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[1]->dims.size() != in[0]->dims.size())
      ThrowInvalid("GatherElements: data and indices ranks differ");
    NormalizeAxis(axis_, static_cast<int64_t>(in[0]->dims.size()), "GatherElements");
    return {OutputSpec{in[0]->dtype, in[1]->dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto &d = in[0]->dims, &id = in[1]->dims;
    const size_t r = d.size();
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(r), "GatherElements"));
    const std::vector<int64_t> idx = ReadInts(*in[1], "GatherElements", "indices");
    std::vector<int64_t> stride(r, 1);
    for (size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * d[i];
    DispatchBySize(elem_, "GatherElements", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      for (size_t flat = 0; flat < idx.size(); ++flat) {
        int64_t rem = static_cast<int64_t>(flat), off = 0;
        for (size_t k = r; k-- > 0;) {
          int64_t c = rem % id[k];
          rem /= id[k];
          if (k == a) {
            c = idx[flat] < 0 ? idx[flat] + d[a] : idx[flat];
            if (c < 0 || c >= d[a]) ThrowInvalid("GatherElements: index out of range");
          }
          off += c * stride[k];
        }
        y[flat] = x[off];
      }
    });
  }

 private:
  size_t elem_;
  int64_t axis_;
};

class TopKKernel final : public Kernel {
 public:
  explicit TopKKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype), opset_(ctx.node.opset) {
    RequireDType(
        "TopK", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
    axis_ = plugin::AttrInt(ctx.node, "axis", -1);
    largest_ = plugin::AttrInt(ctx.node, "largest", 1) != 0;
    if (opset_ < 10)
      k_attr_ = plugin::AttrInt(ctx.node, "k", 1);
    else
      RequireInput(ctx, 1, "K");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<int64_t> d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "TopK"));
    const int64_t k = K(in);
    if (k < 0 || k > d[a]) ThrowInvalid("TopK: k " + std::to_string(k) + " out of range");
    d[a] = k;
    return {OutputSpec{dtype_, d}, OutputSpec{HETRUN_DTYPE_INT64, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()), "TopK"));
    const int64_t outer = ProductOf(d, 0, a), n = d[a], inner = ProductOf(d, a + 1, d.size());
    const int64_t k = K(in);
    Dispatch<float, double, int32_t, int64_t>(dtype_, "TopK", [&]<typename T>() {
      const T* x = in[0]->as<const T>();
      T* vals = out[0] ? out[0]->as<T>() : nullptr;
      int64_t* inds = out.size() > 1 && out[1] ? out[1]->as<int64_t>() : nullptr;
      pool.ParallelFor(outer * inner, 16, [&](int64_t s, int64_t e) {
        std::vector<int64_t> order(static_cast<size_t>(n));
        for (int64_t li = s; li < e; ++li) {
          const int64_t o = li / inner, i = li % inner;
          const T* xl = x + o * n * inner + i;
          std::iota(order.begin(), order.end(), 0);
          // Ties go to the lower index, as in ONNX Runtime.
          std::partial_sort(order.begin(), order.begin() + k, order.end(),
                            [&](int64_t p, int64_t q) {
                              const T vp = xl[p * inner], vq = xl[q * inner];
                              if (vp != vq) return largest_ ? vp > vq : vp < vq;
                              return p < q;
                            });
          for (int64_t j = 0; j < k; ++j) {
            const int64_t dst = (o * k + j) * inner + i;
            if (vals) vals[dst] = xl[order[static_cast<size_t>(j)] * inner];
            if (inds) inds[dst] = order[static_cast<size_t>(j)];
          }
        }
      });
    });
  }

 private:
  int64_t K(const std::vector<const TensorRef*>& in) const {
    return opset_ < 10 ? k_attr_ : ScalarInt(*in[1], "TopK", "K");
  }
  hetrun_dtype_t dtype_;
  int64_t opset_, axis_, k_attr_ = 1;
  bool largest_;
};

class OneHotKernel final : public Kernel {
 public:
  explicit OneHotKernel(const KernelBuildContext& ctx)
      : axis_(plugin::AttrInt(ctx.node, "axis", -1)), elem_(MovableElementSize(ctx, 2)) {
    RequireInput(ctx, 1, "depth");
    RequireInput(ctx, 2, "values");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    std::vector<int64_t> d = in[0]->dims;
    const int64_t r = static_cast<int64_t>(d.size()) + 1;
    const size_t a = static_cast<size_t>(NormalizeAxis(axis_, r, "OneHot"));
    d.insert(d.begin() + static_cast<ptrdiff_t>(a), Depth(*in[1]));
    if (in[2]->numel() != 2) ThrowInvalid("OneHot: values must have two elements");
    return {OutputSpec{in[2]->dtype, d}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& d = in[0]->dims;
    const size_t a =
        static_cast<size_t>(NormalizeAxis(axis_, static_cast<int64_t>(d.size()) + 1, "OneHot"));
    const int64_t depth = Depth(*in[1]);
    const int64_t outer = ProductOf(d, 0, a), inner = ProductOf(d, a, d.size());
    std::vector<double> idx(static_cast<size_t>(in[0]->numel()));
    for (size_t i = 0; i < idx.size(); ++i)
      idx[i] = ScalarAsDouble(
          static_cast<const uint8_t*>(in[0]->data) + i * plugin::DTypeSize(in[0]->dtype),
          in[0]->dtype);
    DispatchBySize(elem_, "OneHot", [&]<typename U>() {
      const U off = in[2]->as<const U>()[0], on = in[2]->as<const U>()[1];
      U* y = out[0]->as<U>();
      std::fill(y, y + out[0]->numel(), off);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t v = static_cast<int64_t>(idx[static_cast<size_t>(o * inner + i)]);
          if (v < 0) v += depth;
          if (v >= 0 && v < depth) y[(o * depth + v) * inner + i] = on;
        }
    });
  }

 private:
  static int64_t Depth(const TensorRef& t) {
    if (t.numel() != 1) ThrowInvalid("OneHot: depth must be a scalar");
    const double v = ScalarAsDouble(t.data, t.dtype);
    if (v < 1) ThrowInvalid("OneHot: depth must be positive");
    return static_cast<int64_t>(v);
  }
  int64_t axis_;
  size_t elem_;
};

class EyeLikeKernel final : public Kernel {
 public:
  explicit EyeLikeKernel(const KernelBuildContext& ctx) : k_(plugin::AttrInt(ctx.node, "k", 0)) {
    dtype_ = static_cast<hetrun_dtype_t>(plugin::AttrInt(ctx.node, "dtype", ctx.input(0).dtype));
    RequireDType("EyeLike", dtype_,
                 {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32,
                  HETRUN_DTYPE_INT64, HETRUN_DTYPE_INT8, HETRUN_DTYPE_UINT8, HETRUN_DTYPE_BOOL},
                 "numeric types and bool");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[0]->dims.size() != 2) ThrowInvalid("EyeLike: input must be 2-D");
    return {OutputSpec{dtype_, in[0]->dims}};
  }
  void Run(const std::vector<const TensorRef*>&, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const int64_t rows = out[0]->dims[0], cols = out[0]->dims[1];
    const hetrun_dtype_t t = dtype_ == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : dtype_;
    Dispatch<float, double, int32_t, int64_t, int8_t, uint8_t>(t, "EyeLike", [&]<typename T>() {
      T* y = out[0]->as<T>();
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) y[i * cols + j] = j - i == k_ ? T(1) : T(0);
    });
  }

 private:
  int64_t k_;
  hetrun_dtype_t dtype_;
};

// DepthToSpace (DCR or CRD) and SpaceToDepth, by computing each output element's source.
class SpaceDepthKernel final : public Kernel {
 public:
  SpaceDepthKernel(const KernelBuildContext& ctx, bool to_space)
      : to_space_(to_space),
        elem_(MovableElementSize(ctx)),
        block_(plugin::AttrInt(ctx.node, "blocksize", 0)) {
    if (block_ < 1) ThrowUnimplemented(std::string(OpName(ctx)) + ": blocksize must be positive");
    const std::string mode = plugin::AttrString(ctx.node, "mode", "DCR");
    if (mode != "DCR" && mode != "CRD")
      ThrowUnimplemented("DepthToSpace: mode " + mode + " not supported");
    crd_ = mode == "CRD";
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& d = in[0]->dims;
    const int64_t b = block_;
    if (d.size() != 4) ThrowInvalid("DepthToSpace/SpaceToDepth: input must be 4-D");
    if (to_space_) {
      if (d[1] % (b * b)) ThrowInvalid("DepthToSpace: channels not divisible by blocksize^2");
      return {OutputSpec{in[0]->dtype, {d[0], d[1] / (b * b), d[2] * b, d[3] * b}}};
    }
    if (d[2] % b || d[3] % b) ThrowInvalid("SpaceToDepth: H and W must be divisible by blocksize");
    return {OutputSpec{in[0]->dtype, {d[0], d[1] * b * b, d[2] / b, d[3] / b}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const auto& od = out[0]->dims;
    const auto& id = in[0]->dims;
    const int64_t b = block_;
    DispatchBySize(elem_, "DepthToSpace", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      int64_t o = 0;
      for (int64_t n = 0; n < od[0]; ++n)
        for (int64_t c = 0; c < od[1]; ++c)
          for (int64_t h = 0; h < od[2]; ++h)
            for (int64_t w = 0; w < od[3]; ++w, ++o) {
              int64_t ic, ih, iw;
              if (to_space_) {
                const int64_t bh = h % b, bw = w % b;
                ic = crd_ ? (c * b + bh) * b + bw : (bh * b + bw) * od[1] + c;
                ih = h / b;
                iw = w / b;
              } else {
                const int64_t cc = c % id[1], blk = c / id[1];
                ic = cc;
                ih = h * b + blk / b;
                iw = w * b + blk % b;
              }
              y[o] = x[((n * id[1] + ic) * id[2] + ih) * id[3] + iw];
            }
    });
  }

 private:
  bool to_space_;
  size_t elem_;
  int64_t block_;
  bool crd_ = false;
};

std::unique_ptr<Kernel> MakeCumSum(const KernelBuildContext& c) {
  return std::make_unique<CumSumKernel>(c);
}
std::unique_ptr<Kernel> MakeTrilu(const KernelBuildContext& c) {
  return std::make_unique<TriluKernel>(c);
}
std::unique_ptr<Kernel> MakeGatherElements(const KernelBuildContext& c) {
  return std::make_unique<GatherElementsKernel>(c);
}
std::unique_ptr<Kernel> MakeTopK(const KernelBuildContext& c) {
  return std::make_unique<TopKKernel>(c);
}
std::unique_ptr<Kernel> MakeOneHot(const KernelBuildContext& c) {
  return std::make_unique<OneHotKernel>(c);
}
std::unique_ptr<Kernel> MakeEyeLike(const KernelBuildContext& c) {
  return std::make_unique<EyeLikeKernel>(c);
}
std::unique_ptr<Kernel> MakeDepthToSpace(const KernelBuildContext& c) {
  return std::make_unique<SpaceDepthKernel>(c, true);
}
std::unique_ptr<Kernel> MakeSpaceToDepth(const KernelBuildContext& c) {
  return std::make_unique<SpaceDepthKernel>(c, false);
}

}  // namespace

void RegisterIndexKernels(KernelTable& t) {
  t.Add("CumSum", MakeCumSum, nullptr, 2);
  t.Add("Trilu", MakeTrilu);
  t.Add("GatherElements", MakeGatherElements, nullptr, 2);
  t.Add("TopK", MakeTopK);
  t.Add("OneHot", MakeOneHot);
  t.Add("EyeLike", MakeEyeLike);
  t.Add("DepthToSpace", MakeDepthToSpace);
  t.Add("SpaceToDepth", MakeSpaceToDepth);
}

}  // namespace hetrun::cpu
