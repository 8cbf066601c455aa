// ConvTranspose (1-D, 2-D and 3-D, float32, groups, strides, dilations, pads, output_padding,
// output_shape, auto_pad): per image and group, one GEMM W_g^T (M/group*kernel x C/group) times
// X_g (C/group x pixels) gives the column matrix, which col2im scatters into the output. The
// geometry (pads and output size) follows the ONNX reference implementation.
#include <algorithm>
#include <memory>
#include <string>

#include "kernels/common.h"
#include "kernels/gemm.h"
#include "kernels/registry.h"
#include "kernels/spatial.h"

namespace hetrun::cpu {
namespace {

// Spatial geometry padded to 3-D with leading unit dims.
struct Geometry3D {
  int64_t in[3], out[3], kernel[3], stride[3], dilation[3], pad[3];
};

class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(const KernelBuildContext& ctx) : attrs_(ReadWindowAttrs(ctx.node)) {
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i))
        RequireDType("ConvTranspose", ctx.input(i).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    group_ = plugin::AttrInt(ctx.node, "group", 1);
    if (group_ < 1) ThrowUnimplemented("ConvTranspose: group must be >= 1");
    output_padding_ = plugin::AttrInts(ctx.node, "output_padding");
    output_shape_ = plugin::AttrInts(ctx.node, "output_shape");
    const int32_t rank = ctx.input(1).rank >= 0 ? ctx.input(1).rank : ctx.input(0).rank;
    if (rank >= 0 && (rank < 3 || rank > 5))
      ThrowUnimplemented("ConvTranspose: only 1-D, 2-D and 3-D are supported");
    // Pack constant weights once: per group, W_g^T as an (M/group * kernel) x (C/group) A operand.
    const hetrun_value& w = ctx.input(1);
    if ((w.flags & HETRUN_VALUE_CONSTANT) && w.data && StaticNumel(w) > 0 &&
        w.dims[0] % group_ == 0) {
      const int64_t Cg = w.dims[0] / group_, MgK = StaticNumel(w) / w.dims[0];
      weights_data_ = w.data;
      const float* pw = static_cast<const float*>(w.data);
      for (int64_t gi = 0; gi < group_; ++gi)
        packed_.push_back(PackAOwned(true, MgK, Cg, pw + gi * Cg * MgK, MgK));
    }
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const Shape s = Resolve(in);
    std::vector<int64_t> out{s.batch, s.M};
    const size_t r = in[0]->dims.size() - 2;
    for (size_t i = 3 - r; i < 3; ++i) out.push_back(s.g.out[i]);
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const Shape s = Resolve(in);
    const Geometry3D& g = s.g;
    const float* x = in[0]->as<const float>();
    const float* w = in[1]->as<const float>();
    const float* bias = in.size() > 2 && in[2] ? in[2]->as<const float>() : nullptr;
    float* y = out[0]->as<float>();
    const int64_t Cg = s.C / group_, Mg = s.M / group_;
    const int64_t P = g.in[0] * g.in[1] * g.in[2];
    const int64_t K = g.kernel[0] * g.kernel[1] * g.kernel[2];
    const int64_t OP = g.out[0] * g.out[1] * g.out[2];
    if (NumElements(out[0]->dims) == 0) return;
    std::vector<float> cols(static_cast<size_t>(Mg * K * P));
    const bool use_packed = !packed_.empty() && in[1]->data == weights_data_;
    for (int64_t n = 0; n < s.batch; ++n) {
      for (int64_t gi = 0; gi < group_; ++gi) {
        const float* xg = x + (n * s.C + gi * Cg) * P;
        const float* wg = w + gi * Cg * Mg * K;  // Cg x (Mg * K)
        float* yg = y + (n * s.M + gi * Mg) * OP;
        if (P > 0 && Cg > 0)
          Sgemm(true, false, Mg * K, P, Cg, 1.0f, wg, Mg * K, xg, P, 0.0f, cols.data(), P, pool,
                use_packed ? &packed_[static_cast<size_t>(gi)].view : nullptr);
        else
          std::fill(cols.begin(), cols.end(), 0.0f);
        pool.ParallelFor(Mg, 1, [&](int64_t m0, int64_t m1) {
          for (int64_t m = m0; m < m1; ++m) {
            float* ym = yg + m * OP;
            std::fill(ym, ym + OP, bias ? bias[gi * Mg + m] : 0.0f);
            Col2Im(cols.data() + m * K * P, g, ym);
          }
        });
      }
    }
  }

 private:
  struct Shape {
    int64_t batch, C, M;
    Geometry3D g;
  };

  // Adds each column entry (kernel tap k, input pixel i) to output pixel i * stride + k *
  // dilation - pad, when that lies inside the output.
  static void Col2Im(const float* col, const Geometry3D& g, float* y) {
    const int64_t P = g.in[0] * g.in[1] * g.in[2];
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, col += P) {
          const float* c = col;
          for (int64_t id = 0; id < g.in[0]; ++id) {
            const int64_t od = id * g.stride[0] + kd * g.dilation[0] - g.pad[0];
            if (od < 0 || od >= g.out[0]) {
              c += g.in[1] * g.in[2];
              continue;
            }
            for (int64_t ih = 0; ih < g.in[1]; ++ih, c += g.in[2]) {
              const int64_t oh = ih * g.stride[1] + kh * g.dilation[1] - g.pad[1];
              if (oh < 0 || oh >= g.out[1]) continue;
              float* yr = y + (od * g.out[1] + oh) * g.out[2];
              const int64_t off = kw * g.dilation[2] - g.pad[2];  // ow = iw * stride + off
              for (int64_t iw = 0; iw < g.in[2]; ++iw) {
                const int64_t ow = iw * g.stride[2] + off;
                if (ow >= 0 && ow < g.out[2]) yr[ow] += c[iw];
              }
            }
          }
        }
  }

  Shape Resolve(const std::vector<const TensorRef*>& in) const {
    const auto &xd = in[0]->dims, &wd = in[1]->dims;
    if (xd.size() < 3 || xd.size() > 5 || wd.size() != xd.size())
      ThrowInvalid("ConvTranspose: X " + DimsToString(xd) + " and W " + DimsToString(wd) +
                   " must both be rank 3, 4 or 5");
    Shape s{xd[0], xd[1], wd[1] * group_, {}};
    if (wd[0] != s.C || s.C % group_ != 0)
      ThrowInvalid("ConvTranspose: X has " + std::to_string(s.C) + " channels, W " +
                   DimsToString(wd) + " with group " + std::to_string(group_));
    if (in.size() > 2 && in[2] && NumElements(in[2]->dims) != s.M)
      ThrowInvalid("ConvTranspose: bias must have " + std::to_string(s.M) + " elements");
    const size_t r = xd.size() - 2;
    auto check = [&](const std::vector<int64_t>& v, size_t want, const char* what) {
      if (!v.empty() && v.size() != want)
        ThrowInvalid(std::string("ConvTranspose: ") + what + " has " + std::to_string(v.size()) +
                     " entries, expected " + std::to_string(want));
    };
    check(attrs_.strides, r, "strides");
    check(attrs_.dilations, r, "dilations");
    check(attrs_.pads, 2 * r, "pads");
    check(output_padding_, r, "output_padding");
    if (!attrs_.kernel.empty() &&
        !std::equal(attrs_.kernel.begin(), attrs_.kernel.end(), wd.begin() + 2, wd.end()))
      ThrowInvalid("ConvTranspose: kernel_shape differs from W's");
    if (!output_shape_.empty() && output_shape_.size() != r && output_shape_.size() != r + 2)
      ThrowInvalid("ConvTranspose: output_shape has the wrong number of entries");
    Geometry3D& g = s.g;
    for (size_t j = 0; j < 3; ++j) {
      g.in[j] = g.out[j] = g.kernel[j] = g.stride[j] = g.dilation[j] = 1;
      g.pad[j] = 0;
    }
    for (size_t i = 0; i < r; ++i) {
      const size_t j = 3 - r + i;
      g.in[j] = xd[2 + i];
      g.kernel[j] = wd[2 + i];
      g.stride[j] = attrs_.strides.empty() ? 1 : attrs_.strides[i];
      g.dilation[j] = attrs_.dilations.empty() ? 1 : attrs_.dilations[i];
      const int64_t out_pad = output_padding_.empty() ? 0 : output_padding_[i];
      const int64_t full =
          g.stride[j] * (g.in[j] - 1) + out_pad + (g.kernel[j] - 1) * g.dilation[j] + 1;
      const bool same =
          attrs_.auto_pad == AutoPad::kSameUpper || attrs_.auto_pad == AutoPad::kSameLower;
      if (same && attrs_.pads.empty()) {
        // Pads from the target size (output_shape, else input * stride), as the reference.
        const int64_t target = output_shape_.empty() ? g.in[j] * g.stride[j]
                                                     : output_shape_[output_shape_.size() - r + i];
        const int64_t total = full - target;
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor division
        g.pad[j] = attrs_.auto_pad == AutoPad::kSameUpper ? half : total - half;
        g.out[j] = target;
      } else {
        const bool valid = attrs_.auto_pad == AutoPad::kValid;
        const int64_t pb = valid || attrs_.pads.empty() ? 0 : attrs_.pads[i];
        const int64_t pe = valid || attrs_.pads.empty() ? 0 : attrs_.pads[i + r];
        g.pad[j] = pb;
        g.out[j] =
            output_shape_.empty() ? full - pb - pe : output_shape_[output_shape_.size() - r + i];
      }
      if (g.out[j] < 0) ThrowInvalid("ConvTranspose: negative output size");
    }
    return s;
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_, output_shape_;
  const void* weights_data_ = nullptr;
  std::vector<OwnedPackedMatrix> packed_;
};

std::unique_ptr<Kernel> MakeConvTranspose(const KernelBuildContext& ctx) {
  return std::make_unique<ConvTransposeKernel>(ctx);
}

double ConvTransposeCost(const KernelBuildContext& ctx, const CostModel& model) {
  // flops = 2 * |X| * |W| / C.
  const hetrun_value &x = ctx.input(0), &w = ctx.input(1);
  const double C = w.rank > 0 && w.dims[0] > 0 ? static_cast<double>(w.dims[0]) : 1.0;
  const double flops = 2.0 * StaticBytes(x) / 4 * StaticBytes(w) / 4 / C;
  return ComputeCostUs(flops, 0.4, model) + MemoryBoundCostUs(ctx, model);
}

}  // namespace

void RegisterConvTransposeKernels(KernelTable& t) {
  t.Add("ConvTranspose", MakeConvTranspose, ConvTransposeCost, 2);
}

}  // namespace hetrun::cpu
