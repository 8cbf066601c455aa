// NonMaxSuppression: greedy per-(batch, class) box selection by score, dropping boxes whose IoU
// with an already selected box exceeds the threshold. The output ([N, 3] int64 of batch, class,
// box) is data-dependent, so InferOutputs runs the selection and Run repeats it.
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

struct Box {
  float y1, x1, y2, x2;  // normalised so y1 <= y2 and x1 <= x2
};

Box ReadBox(const float* b, bool center) {
  if (center) {
    const float xc = b[0], yc = b[1], w = b[2], h = b[3];
    return {yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2};
  }
  // Corners may come in either order ("flipped" boxes).
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

float IoU(const Box& a, const Box& b) {
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return 0;
  const float inter = ih * iw;
  const float uni = (a.y2 - a.y1) * (a.x2 - a.x1) + (b.y2 - b.y1) * (b.x2 - b.x1) - inter;
  return uni > 0 ? inter / uni : 0;
}

class NmsKernel final : public Kernel {
 public:
  explicit NmsKernel(const KernelBuildContext& ctx)
      : center_(plugin::AttrInt(ctx.node, "center_point_box", 0) != 0) {
    RequireInput(ctx, 1, "scores");
    RequireDType("NonMaxSuppression", ctx.input(0).dtype, {HETRUN_DTYPE_FLOAT32}, "float32");
    RequireDType("NonMaxSuppression", ctx.input(1).dtype, {HETRUN_DTYPE_FLOAT32}, "float32");
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const int64_t n = static_cast<int64_t>(Select(in).size() / 3);
    return {OutputSpec{HETRUN_DTYPE_INT64, {n, 3}}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const std::vector<int64_t> sel = Select(in);
    if (!sel.empty()) std::memcpy(out[0]->data, sel.data(), sel.size() * sizeof(int64_t));
  }

 private:
  // Flattened (batch, class, box) triples in output order.
  std::vector<int64_t> Select(const std::vector<const TensorRef*>& in) const {
    const auto &bd = in[0]->dims, &sd = in[1]->dims;
    if (bd.size() != 3 || bd[2] != 4 || sd.size() != 3 || sd[0] != bd[0] || sd[2] != bd[1])
      ThrowInvalid("NonMaxSuppression: boxes must be [B,N,4] and scores [B,C,N]");
    const int64_t batches = bd[0], n = bd[1], classes = sd[1];
    auto present = [&](size_t i) { return in.size() > i && in[i] && in[i]->numel() > 0; };
    const int64_t max_out =
        present(2) ? ReadInts(*in[2], "NonMaxSuppression", "max_output_boxes_per_class")[0] : 0;
    const float iou_th =
        present(3) ? static_cast<float>(ScalarAsDouble(in[3]->data, in[3]->dtype)) : 0.0f;
    const bool has_score_th = present(4);
    const float score_th =
        has_score_th ? static_cast<float>(ScalarAsDouble(in[4]->data, in[4]->dtype)) : 0.0f;
    std::vector<int64_t> result;
    if (max_out <= 0) return result;
    const float* boxes = in[0]->as<const float>();
    const float* scores = in[1]->as<const float>();
    std::vector<Box> bx(static_cast<size_t>(n));
    std::vector<int64_t> cand, kept;
    for (int64_t b = 0; b < batches; ++b) {
      for (int64_t i = 0; i < n; ++i)
        bx[static_cast<size_t>(i)] = ReadBox(boxes + (b * n + i) * 4, center_);
      for (int64_t c = 0; c < classes; ++c) {
        const float* s = scores + (b * classes + c) * n;
        cand.clear();
        for (int64_t i = 0; i < n; ++i)
          if (!has_score_th || s[i] > score_th) cand.push_back(i);
        // Highest score first; ties keep the lower box index (as the ONNX reference does).
        std::stable_sort(cand.begin(), cand.end(),
                         [&](int64_t p, int64_t q) { return s[p] > s[q]; });
        kept.clear();
        for (int64_t i : cand) {
          if (static_cast<int64_t>(kept.size()) >= max_out) break;
          bool keep = true;
          for (int64_t k : kept)
            if (IoU(bx[static_cast<size_t>(i)], bx[static_cast<size_t>(k)]) > iou_th) {
              keep = false;
              break;
            }
          if (keep) {
            kept.push_back(i);
            result.insert(result.end(), {b, c, i});
          }
        }
      }
    }
    return result;
  }

  bool center_;
};

std::unique_ptr<Kernel> MakeNms(const KernelBuildContext& c) {
  return std::make_unique<NmsKernel>(c);
}

}  // namespace

void RegisterNmsKernels(KernelTable& t) {
  t.Add("NonMaxSuppression", MakeNms, nullptr, 2);
}

}  // namespace hetrun::cpu
