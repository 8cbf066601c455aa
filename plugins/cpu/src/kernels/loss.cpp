// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12+). Both take scores of shape
// [N, C, d1..dk] and integer targets [N, d1..dk]; SoftmaxCrossEntropyLoss first applies LogSoftmax
// over C. Per element: loss = -x[n, t, d] * w[t] (w = 1 without weights), and 0 with weight 0 where
// t == ignore_index. Reduction "none" keeps [N, d1..dk]; "sum" adds; "mean" divides the sum by
// the sum of the applied weights (the count of non-ignored elements without weights), as the ONNX
// reference does.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

enum class Reduction { kNone, kSum, kMean };

class LossKernel final : public Kernel {
 public:
  LossKernel(const KernelBuildContext& ctx, bool softmax)
      : softmax_(softmax), name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    RequireDType(name_, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
    RequireInput(ctx, 1, "target");
    RequireDType(name_, ctx.input(1).dtype, {HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
                 "int32, int64 targets");
    if (ctx.has_input(2) && ctx.input(2).dtype != dtype_)
      ThrowUnimplemented(name_ + ": weight dtype differs from the input's");
    const std::string reduction = plugin::AttrString(ctx.node, "reduction", "mean");
    if (reduction == "none")
      reduction_ = Reduction::kNone;
    else if (reduction == "sum")
      reduction_ = Reduction::kSum;
    else if (reduction == "mean")
      reduction_ = Reduction::kMean;
    else
      ThrowUnimplemented(name_ + ": reduction '" + reduction + "' is not defined");
    // ignore_index has no default: absent means every target must be a valid class.
    if (plugin::FindAttr(ctx.node, "ignore_index"))
      ignore_index_ = plugin::AttrInt(ctx.node, "ignore_index", 0);
    // Only SoftmaxCrossEntropyLoss has the optional log_prob output.
    RequireNoOutputFrom(ctx, softmax_ ? 2 : 1, "extra outputs");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& xd = in[0]->dims;
    const auto& td = in[1]->dims;
    if (xd.size() < 2) ThrowInvalid(name_ + ": input must have rank >= 2, got " + DimsToString(xd));
    // The target is the input's shape without the class axis.
    std::vector<int64_t> expect = xd;
    expect.erase(expect.begin() + 1);
    if (td != expect)
      ThrowInvalid(name_ + ": target " + DimsToString(td) + " does not fit input " +
                   DimsToString(xd));
    if (in.size() > 2 && in[2] && in[2]->dims != std::vector<int64_t>{xd[1]})
      ThrowInvalid(name_ + ": weight must have shape [C], got " + DimsToString(in[2]->dims));
    std::vector<OutputSpec> out{
        OutputSpec{dtype_, reduction_ == Reduction::kNone ? td : std::vector<int64_t>{}}};
    if (softmax_) out.push_back(OutputSpec{dtype_, xd});
    return out;
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    Dispatch<float, double>(dtype_, name_, [&]<typename T>() { RunTyped<T>(in, out, pool); });
  }

 private:
  template <typename T>
  void RunTyped(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
                ThreadPool& pool) const {
    const auto& xd = in[0]->dims;
    const int64_t n = xd[0], c = xd[1], d = ProductOf(xd, 2, xd.size());
    const T* x = in[0]->as<const T>();
    const T* weight = in.size() > 2 && in[2] ? in[2]->as<const T>() : nullptr;
    const std::vector<int64_t> target = ReadInts(*in[1], name_, "target");
    T* log_prob = softmax_ && out.size() > 1 && out[1] ? out[1]->as<T>() : nullptr;
    // Per-element loss and applied weight, reduced serially afterwards so the sum does not depend
    // on how the work was split between threads.
    std::vector<double> loss(static_cast<size_t>(n * d)), applied(loss.size());
    std::atomic<bool> bad_target{false};
    pool.ParallelFor(n, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, c * d)),
                     [&](int64_t n0, int64_t n1) {
                       bool bad = false;
                       for (int64_t i = n0; i < n1; ++i)
                         for (int64_t j = 0; j < d; ++j)
                           bad |= !Element(x, weight, target.data(), log_prob, c, d, i, j,
                                           loss.data(), applied.data());
                       if (bad) bad_target = true;
                     });
    if (bad_target) ThrowInvalid(name_ + ": target value out of range [0, C)");
    T* y = out[0]->as<T>();
    if (reduction_ == Reduction::kNone) {
      for (size_t k = 0; k < loss.size(); ++k) y[k] = static_cast<T>(loss[k]);
      return;
    }
    double sum = 0, weight_sum = 0;
    for (size_t k = 0; k < loss.size(); ++k) {
      sum += loss[k];
      weight_sum += applied[k];
    }
    // All-ignored "mean" gives 0/0 = NaN, as the ONNX reference does.
    y[0] = static_cast<T>(reduction_ == Reduction::kSum ? sum : sum / weight_sum);
  }

  // Fills loss/applied for element (i, ., j); with softmax, also its log-probabilities over C.
  // Returns false for a target outside [0, C) that is not ignore_index.
  template <typename T>
  bool Element(const T* x, const T* weight, const int64_t* target, T* log_prob, int64_t c,
               int64_t d, int64_t i, int64_t j, double* loss, double* applied) const {
    const int64_t k = i * d + j;
    const int64_t t = target[k];
    const T* xs = x + i * c * d + j;  // class `cls` is at xs[cls * d]
    double shift = 0;                 // log-sum-exp of the column when softmax_
    if (softmax_) {
      T m = xs[0];
      for (int64_t cls = 1; cls < c; ++cls) m = std::max(m, xs[cls * d]);
      double sum = 0;
      for (int64_t cls = 0; cls < c; ++cls) sum += std::exp(static_cast<double>(xs[cls * d] - m));
      shift = static_cast<double>(m) + std::log(sum);
      if (log_prob) {
        T* lp = log_prob + i * c * d + j;
        for (int64_t cls = 0; cls < c; ++cls)
          lp[cls * d] = static_cast<T>(static_cast<double>(xs[cls * d]) - shift);
      }
    }
    if (ignore_index_ && t == *ignore_index_) {
      loss[k] = 0;
      applied[k] = 0;
      return true;
    }
    if (t < 0 || t >= c) return false;
    const double w = weight ? static_cast<double>(weight[t]) : 1.0;
    loss[k] = -(static_cast<double>(xs[t * d]) - shift) * w;
    applied[k] = w;
    return true;
  }

  bool softmax_;
  std::string name_;
  hetrun_dtype_t dtype_;
  Reduction reduction_ = Reduction::kMean;
  std::optional<int64_t> ignore_index_;
};

std::unique_ptr<Kernel> MakeNllLoss(const KernelBuildContext& ctx) {
  return std::make_unique<LossKernel>(ctx, false);
}
std::unique_ptr<Kernel> MakeSoftmaxCrossEntropyLoss(const KernelBuildContext& ctx) {
  return std::make_unique<LossKernel>(ctx, true);
}

}  // namespace

void RegisterLossKernels(KernelTable& t) {
  t.Add("NegativeLogLikelihoodLoss", MakeNllLoss, nullptr, 2);
  t.Add("SoftmaxCrossEntropyLoss", MakeSoftmaxCrossEntropyLoss, nullptr, 2);
}

}  // namespace hetrun::cpu
