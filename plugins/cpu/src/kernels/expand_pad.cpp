// Ops that grow a tensor by repeating or padding it: Expand (numpy broadcast to a shape), Tile and
// Pad (constant, reflect and edge modes; pads as an attribute before opset 11, as inputs after).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

class ExpandKernel final : public Kernel {
 public:
  explicit ExpandKernel(const KernelBuildContext& ctx) : elem_(MovableElementSize(ctx)) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> shape = ReadInts(*in[1], "Expand", "shape");
    return {OutputSpec{in[0]->dtype, BroadcastShapes("Expand", {&in[0]->dims, &shape})}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    if (out[0]->numel() == 0) return;
    const BroadcastPlan plan = MakeBroadcastPlan(out[0]->dims, {&in[0]->dims});
    const int64_t inner = plan.inner(), s = plan.inner_stride(0);
    DispatchBySize(elem_, "Expand", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      ForEachBroadcastRow(plan, pool, [&](const int64_t* offs, int64_t o) {
        if (s)
          std::memcpy(y + o, x + offs[0], static_cast<size_t>(inner) * sizeof(U));
        else
          std::fill(y + o, y + o + inner, x[offs[0]]);
      });
    });
  }

 private:
  size_t elem_;
};

class TileKernel final : public Kernel {
 public:
  explicit TileKernel(const KernelBuildContext& ctx) : elem_(MovableElementSize(ctx)) {}
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> rep = ReadInts(*in[1], "Tile", "repeats");
    const auto& d = in[0]->dims;
    if (rep.size() != d.size())
      ThrowInvalid("Tile: repeats has " + std::to_string(rep.size()) + " entries for rank " +
                   std::to_string(d.size()));
    std::vector<int64_t> out(d.size());
    for (size_t i = 0; i < d.size(); ++i) {
      if (rep[i] < 0) ThrowInvalid("Tile: negative repeat");
      out[i] = d[i] * rep[i];
    }
    return {OutputSpec{in[0]->dtype, out}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const auto& d = in[0]->dims;
    const auto& od = out[0]->dims;
    const int64_t n = out[0]->numel();
    if (n == 0) return;
    if (d.empty()) {
      std::memcpy(out[0]->data, in[0]->data, elem_);
      return;
    }
    const size_t r = d.size();
    const int64_t in_row = d[r - 1], out_row = od[r - 1];
    DispatchBySize(elem_, "Tile", [&]<typename U>() {
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      // Each output row (all dims but the last) is its input row repeated along the last dim.
      pool.ParallelFor(n / out_row, std::max<int64_t>(1, kElementwiseGrain / out_row),
                       [&](int64_t r0, int64_t r1) {
                         for (int64_t row = r0; row < r1; ++row) {
                           int64_t src = 0, rem = row, stride = in_row;
                           for (size_t k = r - 1; k-- > 0;) {
                             src += ((rem % od[k]) % d[k]) * stride;
                             rem /= od[k];
                             stride *= d[k];
                           }
                           U* dst = y + row * out_row;
                           for (int64_t j = 0; j < out_row; j += in_row)
                             std::memcpy(dst + j, x + src, static_cast<size_t>(in_row) * sizeof(U));
                         }
                       });
    });
  }

 private:
  size_t elem_;
};

enum class PadMode { kConstant, kReflect, kEdge };

class PadKernel final : public Kernel {
 public:
  explicit PadKernel(const KernelBuildContext& ctx)
      : elem_(MovableElementSize(ctx)), dtype_(ctx.input(0).dtype), opset_(ctx.node.opset) {
    const std::string mode = plugin::AttrString(ctx.node, "mode", "constant");
    if (mode == "constant")
      mode_ = PadMode::kConstant;
    else if (mode == "reflect")
      mode_ = PadMode::kReflect;
    else if (mode == "edge")
      mode_ = PadMode::kEdge;
    else
      ThrowUnimplemented("Pad: mode " + mode + " not supported");
    if (opset_ < 11) {
      pads_ = plugin::AttrInts(ctx.node, "pads", plugin::AttrInts(ctx.node, "paddings"));
      value_ = plugin::AttrFloat(ctx.node, "value", 0.0f);
    } else {
      RequireInput(ctx, 1, "pads");
    }
    if (dtype_ != HETRUN_DTYPE_FLOAT32 && dtype_ != HETRUN_DTYPE_FLOAT64 &&
        dtype_ != HETRUN_DTYPE_INT32 && dtype_ != HETRUN_DTYPE_INT64 &&
        dtype_ != HETRUN_DTYPE_INT8 && dtype_ != HETRUN_DTYPE_UINT8 && dtype_ != HETRUN_DTYPE_BOOL)
      ThrowUnimplemented(std::string("Pad: dtype ") + plugin::DTypeName(dtype_) + " not supported");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t> pads = Pads(in);
    const auto& d = in[0]->dims;
    std::vector<int64_t> out(d.size());
    for (size_t i = 0; i < d.size(); ++i) {
      out[i] = d[i] + pads[i] + pads[i + d.size()];
      if (out[i] < 0) ThrowInvalid("Pad: pads make dimension " + std::to_string(i) + " negative");
      if (mode_ != PadMode::kConstant && d[i] == 0 && out[i] > 0)
        ThrowInvalid("Pad: cannot reflect or extend an empty dimension");
    }
    return {OutputSpec{dtype_, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const std::vector<int64_t> pads = Pads(in);
    const auto& d = in[0]->dims;
    const auto& od = out[0]->dims;
    const int64_t n = out[0]->numel();
    if (n == 0) return;
    const size_t r = d.size();
    if (r == 0) {
      std::memcpy(out[0]->data, in[0]->data, elem_);
      return;
    }
    // The fill value as raw bits of the element type.
    double value = value_;
    if (opset_ >= 11 && in.size() > 2 && in[2] && in[2]->numel() > 0)
      value = ScalarAsDouble(in[2]->data,
                             in[2]->dtype == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : in[2]->dtype);
    uint64_t bits = 0;
    Dispatch<float, double, int32_t, int64_t, int8_t, uint8_t>(
        dtype_ == HETRUN_DTYPE_BOOL ? HETRUN_DTYPE_UINT8 : dtype_, "Pad", [&]<typename T>() {
          const T v = static_cast<T>(value);
          std::memcpy(&bits, &v, sizeof(T));
        });
    std::vector<int64_t> in_stride(r, 1);
    for (size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * d[i];
    const int64_t row = od[r - 1];
    DispatchBySize(elem_, "Pad", [&]<typename U>() {
      U fill;
      std::memcpy(&fill, &bits, sizeof(U));
      const U* x = in[0]->as<const U>();
      U* y = out[0]->as<U>();
      pool.ParallelFor(n / row, std::max<int64_t>(1, kElementwiseGrain / row),
                       [&](int64_t r0, int64_t r1) {
                         for (int64_t orow = r0; orow < r1; ++orow) {
                           U* dst = y + orow * row;
                           int64_t src = 0, rem = orow;
                           bool outside = false;
                           for (size_t k = r - 1; k-- > 0;) {
                             const int64_t i = Source(rem % od[k] - pads[k], d[k], &outside);
                             src += i * in_stride[k];
                             rem /= od[k];
                           }
                           if (outside) {
                             std::fill(dst, dst + row, fill);
                             continue;
                           }
                           const U* xr = x + src;
                           const int64_t pb = pads[r - 1], w = d[r - 1];
                           for (int64_t j = 0; j < row; ++j) {
                             bool out_of = false;
                             const int64_t i = Source(j - pb, w, &out_of);
                             dst[j] = out_of ? fill : xr[i];
                           }
                         }
                       });
    });
  }

 private:
  // Maps a (possibly out-of-range) input index to the one the mode reads; sets *outside for the
  // constant mode.
  int64_t Source(int64_t i, int64_t n, bool* outside) const {
    if (i >= 0 && i < n) return i;
    switch (mode_) {
      case PadMode::kConstant: *outside = true; return 0;
      case PadMode::kEdge: return i < 0 ? 0 : n - 1;
      case PadMode::kReflect: {
        if (n == 1) return 0;
        const int64_t period = 2 * (n - 1);
        int64_t m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - m;
      }
    }
    return 0;
  }

  std::vector<int64_t> Pads(const std::vector<const TensorRef*>& in) const {
    const size_t r = in[0]->dims.size();
    std::vector<int64_t> pads = pads_;
    if (opset_ >= 11) {
      pads = ReadInts(*in[1], "Pad", "pads");
      if (in.size() > 3 && in[3]) {  // axes (opset 18): pads cover only these axes
        const std::vector<int64_t> axes = ReadInts(*in[3], "Pad", "axes");
        if (pads.size() != 2 * axes.size()) ThrowInvalid("Pad: pads do not match axes");
        std::vector<int64_t> full(2 * r, 0);
        for (size_t k = 0; k < axes.size(); ++k) {
          const size_t a =
              static_cast<size_t>(NormalizeAxis(axes[k], static_cast<int64_t>(r), "Pad"));
          full[a] = pads[k];
          full[a + r] = pads[k + axes.size()];
        }
        pads = full;
      }
    }
    if (pads.size() != 2 * r)
      ThrowInvalid("Pad: pads has " + std::to_string(pads.size()) + " entries for rank " +
                   std::to_string(r));
    return pads;
  }

  size_t elem_;
  hetrun_dtype_t dtype_;
  int64_t opset_;
  PadMode mode_ = PadMode::kConstant;
  std::vector<int64_t> pads_;
  float value_ = 0.0f;
};

std::unique_ptr<Kernel> MakeExpand(const KernelBuildContext& c) {
  return std::make_unique<ExpandKernel>(c);
}
std::unique_ptr<Kernel> MakeTile(const KernelBuildContext& c) {
  return std::make_unique<TileKernel>(c);
}
std::unique_ptr<Kernel> MakePad(const KernelBuildContext& c) {
  return std::make_unique<PadKernel>(c);
}

}  // namespace

void RegisterExpandPadKernels(KernelTable& t) {
  t.Add("Expand", MakeExpand, nullptr, 2);
  t.Add("Tile", MakeTile, nullptr, 2);
  t.Add("Pad", MakePad);
}

}  // namespace hetrun::cpu
