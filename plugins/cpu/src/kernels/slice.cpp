// Slice: starts/ends/axes attributes before opset 10; from opset 10 inputs starts, ends and the
// optional axes and steps (negative steps included), clamped as the ONNX spec says.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

struct SliceGeometry {
  std::vector<int64_t> start, step, out;  // per input dim
};

class SliceKernel final : public Kernel {
 public:
  explicit SliceKernel(const KernelBuildContext& ctx) : opset_(ctx.node.opset) {
    const hetrun_dtype_t t = ctx.input(0).dtype;
    elem_ = plugin::DTypeSize(t);
    if (t == HETRUN_DTYPE_STRING || elem_ == 0 || elem_ > 8)
      ThrowUnimplemented(std::string("Slice: dtype ") + plugin::DTypeName(t) + " not supported");
    if (opset_ < 10) {
      starts_ = plugin::AttrInts(ctx.node, "starts");
      ends_ = plugin::AttrInts(ctx.node, "ends");
      axes_ = plugin::AttrInts(ctx.node, "axes");
    } else {
      RequireInput(ctx, 1, "starts");
      RequireInput(ctx, 2, "ends");
    }
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{in[0]->dtype, Resolve(in).out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const SliceGeometry g = Resolve(in);
    const auto& d = in[0]->dims;
    const int64_t n = NumElements(g.out);
    if (n == 0) return;
    const size_t r = d.size();
    if (r == 0) {
      std::memcpy(out[0]->data, in[0]->data, elem_);
      return;
    }
    std::vector<int64_t> stride(r, 1);
    for (size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * d[i];
    int64_t base = 0;
    for (size_t i = 0; i < r; ++i) base += g.start[i] * stride[i];
    const int64_t inner = g.out[r - 1], inner_step = g.step[r - 1];
    DispatchBySize(elem_, "Slice", [&]<typename U>() {
      const U* x = in[0]->as<const U>() + base;
      U* y = out[0]->as<U>();
      pool.ParallelFor(n / inner, std::max<int64_t>(1, kElementwiseGrain / inner),
                       [&](int64_t r0, int64_t r1) {
                         for (int64_t row = r0; row < r1; ++row) {
                           int64_t off = 0, rem = row;
                           for (size_t k = r - 1; k-- > 0;) {
                             off += (rem % g.out[k]) * g.step[k] * stride[k];
                             rem /= g.out[k];
                           }
                           const U* src = x + off;
                           U* dst = y + row * inner;
                           if (inner_step == 1)
                             std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(U));
                           else
                             for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_step];
                         }
                       });
    });
  }

 private:
  SliceGeometry Resolve(const std::vector<const TensorRef*>& in) const {
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (opset_ >= 10) {
      starts = ReadInts(*in[1], "Slice", "starts");
      ends = ReadInts(*in[2], "Slice", "ends");
      if (in.size() > 3 && in[3]) axes = ReadInts(*in[3], "Slice", "axes");
      if (in.size() > 4 && in[4]) steps = ReadInts(*in[4], "Slice", "steps");
    }
    const auto& d = in[0]->dims;
    const int64_t r = static_cast<int64_t>(d.size());
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      ThrowInvalid("Slice: starts, ends, axes and steps must have the same length");
    SliceGeometry g{std::vector<int64_t>(d.size(), 0), std::vector<int64_t>(d.size(), 1), d};
    std::vector<bool> seen(d.size(), false);
    for (size_t i = 0; i < starts.size(); ++i) {
      const size_t a = static_cast<size_t>(NormalizeAxis(axes[i], r, "Slice"));
      if (seen[a]) ThrowInvalid("Slice: axis " + std::to_string(axes[i]) + " repeated");
      seen[a] = true;
      const int64_t dim = d[a], step = steps[i];
      if (step == 0) ThrowInvalid("Slice: step must not be 0");
      int64_t s = starts[i], e = ends[i];
      if (s < 0) s += dim;
      if (e < 0) e = e == std::numeric_limits<int64_t>::min() ? -1 : e + dim;
      int64_t count;
      if (dim == 0) {
        count = 0;
      } else if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        count = e > s ? (e - s + step - 1) / step : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
      }
      g.start[a] = count ? s : 0;
      g.step[a] = step;
      g.out[a] = count;
    }
    return g;
  }

  int64_t opset_;
  size_t elem_;
  std::vector<int64_t> starts_, ends_, axes_;
};

}  // namespace

std::unique_ptr<Kernel> MakeSlice(const KernelBuildContext& ctx) {
  return std::make_unique<SliceKernel>(ctx);
}

}  // namespace hetrun::cpu
