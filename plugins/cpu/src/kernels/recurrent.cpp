// RNN, GRU and LSTM (default domain), following the ONNX operator equations. Gate orders: GRU
// z, r, h; LSTM i, o, f, c (peepholes P: i, o, f). The input projection X * W^T for all steps is
// one GEMM per direction; each step then adds H_{t-1} * R^T (another GEMM) and applies the gates.
// sequence_lens: steps past a batch entry's length leave its state unchanged and write zeros to
// Y; the reverse direction starts at that entry's last valid step. layout = 1 (batch-major) is
// handled by transposing into and out of the sequence-major working layout.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

enum class Cell { kRnn, kGru, kLstm };
enum class Act { kSigmoid, kTanh, kRelu };

template <typename T>
T Apply(Act a, T x, float clip) {
  if (clip > 0) x = std::clamp(x, static_cast<T>(-clip), static_cast<T>(clip));
  switch (a) {
    case Act::kSigmoid: return T(1) / (T(1) + std::exp(-x));
    case Act::kTanh: return std::tanh(x);
    case Act::kRelu: return std::max(x, T(0));
  }
  return x;
}

// C (M x N, ldc) = A (M x K, lda) * B^T (B is N x K, ldb) + beta * C.
void MatMulNT(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool& pool) {
  Sgemm(false, true, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, pool);
}
void MatMulNT(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
              int64_t ldb, double beta, double* C, int64_t ldc, ThreadPool& /*pool*/) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += A[i * lda + k] * B[j * ldb + k];
      C[i * ldc + j] = s + (beta != 0 ? beta * C[i * ldc + j] : 0.0);
    }
}

class RecurrentKernel final : public Kernel {
 public:
  RecurrentKernel(const KernelBuildContext& ctx, Cell cell)
      : cell_(cell), name_(ctx.node.op_type), dtype_(ctx.input(0).dtype) {
    RequireDType(name_, dtype_, {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64}, "float32, float64");
    RequireInput(ctx, 1, "W");
    RequireInput(ctx, 2, "R");
    for (size_t i : {1, 2, 3, 5, 6, 7})
      if (ctx.has_input(i) && ctx.input(i).dtype != dtype_)
        ThrowUnimplemented(name_ + ": input " + std::to_string(i) + " dtype differs from X's");
    gates_ = cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 3 : 4;
    hidden_ = plugin::AttrInt(ctx.node, "hidden_size", 0);
    if (hidden_ <= 0) ThrowUnimplemented(name_ + ": hidden_size attribute is required");
    const std::string dir = plugin::AttrString(ctx.node, "direction", "forward");
    if (dir == "forward")
      dirs_ = 1;
    else if (dir == "reverse")
      dirs_ = 1, reverse_only_ = true;
    else if (dir == "bidirectional")
      dirs_ = 2;
    else
      ThrowUnimplemented(name_ + ": direction '" + dir + "' is not defined");
    layout_ = plugin::AttrInt(ctx.node, "layout", 0);
    if (layout_ != 0 && layout_ != 1)
      ThrowUnimplemented(name_ + ": layout " + std::to_string(layout_) + " is not defined");
    clip_ = plugin::AttrFloat(ctx.node, "clip", 0.0f);
    if (plugin::FindAttr(ctx.node, "clip") && !(clip_ > 0))
      ThrowUnimplemented(name_ + ": clip must be positive");
    linear_before_reset_ = plugin::AttrInt(ctx.node, "linear_before_reset", 0) != 0;
    // The spec only says "couple the input and forget gates"; without an exact formula to match,
    // decline rather than guess.
    if (plugin::AttrInt(ctx.node, "input_forget", 0) != 0)
      ThrowUnimplemented(name_ + ": input_forget=1 is not supported");
    if (!plugin::AttrFloats(ctx.node, "activation_alpha").empty() ||
        !plugin::AttrFloats(ctx.node, "activation_beta").empty())
      ThrowUnimplemented(name_ + ": activation_alpha/beta are not supported");
    const size_t per_dir = cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 2 : 3;
    std::vector<std::string> names;
    if (const hetrun_attribute* a = plugin::FindAttr(ctx.node, "activations")) {
      if (a->type != HETRUN_ATTR_STRINGS) ThrowUnimplemented(name_ + ": bad activations attribute");
      for (uint32_t i = 0; i < a->count; ++i) names.emplace_back(a->strings[i]);
      if (names.size() != per_dir * static_cast<size_t>(dirs_))
        ThrowUnimplemented(name_ + ": expected " + std::to_string(per_dir * dirs_) +
                           " activations, got " + std::to_string(names.size()));
    } else {
      const std::vector<std::string> def =
          cell == Cell::kRnn   ? std::vector<std::string>{"Tanh"}
          : cell == Cell::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                               : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
      for (int d = 0; d < dirs_; ++d) names.insert(names.end(), def.begin(), def.end());
    }
    for (const std::string& n : names) {
      std::string l = n;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (l == "sigmoid")
        acts_.push_back(Act::kSigmoid);
      else if (l == "tanh")
        acts_.push_back(Act::kTanh);
      else if (l == "relu")
        acts_.push_back(Act::kRelu);
      else
        ThrowUnimplemented(name_ + ": activation '" + n +
                           "' is not supported (Sigmoid, Tanh, Relu)");
    }
    RequireNoOutputFrom(ctx, cell == Cell::kLstm ? 3 : 2, "extra outputs");
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const auto& xd = in[0]->dims;
    if (xd.size() != 3) ThrowInvalid(name_ + ": X must have rank 3, got " + DimsToString(xd));
    const int64_t seq = layout_ ? xd[1] : xd[0], batch = layout_ ? xd[0] : xd[1], input = xd[2];
    const int64_t gh = gates_ * hidden_;
    auto check = [&](size_t i, std::vector<int64_t> want, const char* what) {
      if (in.size() > i && in[i] && in[i]->dims != want)
        ThrowInvalid(name_ + ": " + what + " must have shape " + DimsToString(want) + ", got " +
                     DimsToString(in[i]->dims));
    };
    check(1, {dirs_, gh, input}, "W");
    check(2, {dirs_, gh, hidden_}, "R");
    check(3, {dirs_, 2 * gh}, "B");
    check(4, {batch}, "sequence_lens");
    const std::vector<int64_t> state =
        layout_ ? std::vector<int64_t>{batch, dirs_, hidden_} : std::vector{dirs_, batch, hidden_};
    check(5, state, "initial_h");
    if (cell_ == Cell::kLstm) {
      check(6, state, "initial_c");
      check(7, {dirs_, 3 * hidden_}, "P");
    }
    const std::vector<int64_t> y = layout_ ? std::vector<int64_t>{batch, seq, dirs_, hidden_}
                                           : std::vector<int64_t>{seq, dirs_, batch, hidden_};
    std::vector<OutputSpec> out{OutputSpec{dtype_, y}, OutputSpec{dtype_, state}};
    if (cell_ == Cell::kLstm) out.push_back(OutputSpec{dtype_, state});
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
    auto opt = [&](size_t i) { return in.size() > i && in[i] ? in[i] : nullptr; };
    const auto& xd = in[0]->dims;
    const int64_t seq = layout_ ? xd[1] : xd[0], batch = layout_ ? xd[0] : xd[1], input = xd[2];
    const int64_t H = hidden_, G = gates_, GH = G * H, BH = batch * H;
    // Sequence-major working copies of X and the initial states.
    std::vector<T> x(static_cast<size_t>(seq * batch * input));
    const T* xs = in[0]->as<const T>();
    for (int64_t t = 0; t < seq; ++t)
      for (int64_t b = 0; b < batch; ++b)
        std::copy_n(xs + (layout_ ? b * seq + t : t * batch + b) * input, input,
                    x.data() + (t * batch + b) * input);
    auto load_state = [&](const TensorRef* s, std::vector<T>& dst) {
      dst.assign(static_cast<size_t>(dirs_ * BH), T(0));
      if (!s) return;
      const T* p = s->as<const T>();
      for (int64_t d = 0; d < dirs_; ++d)
        for (int64_t b = 0; b < batch; ++b)
          std::copy_n(p + (layout_ ? b * dirs_ + d : d * batch + b) * H, H,
                      dst.data() + (d * batch + b) * H);
    };
    std::vector<T> h, c;
    load_state(opt(5), h);
    if (cell_ == Cell::kLstm) load_state(opt(6), c);
    std::vector<int64_t> lens(static_cast<size_t>(batch), seq);
    if (const TensorRef* sl = opt(4)) {
      lens = ReadInts(*sl, name_, "sequence_lens");
      for (int64_t v : lens)
        if (v < 0 || v > seq) ThrowInvalid(name_ + ": sequence_lens value out of range");
    }
    std::vector<T> y(static_cast<size_t>(seq * dirs_ * BH), T(0));
    std::vector<T> xw(static_cast<size_t>(seq * batch * GH)), hr(static_cast<size_t>(batch * GH));
    std::vector<T> rh(static_cast<size_t>(BH));
    const T* W = in[1]->as<const T>();
    const T* R = in[2]->as<const T>();
    const T* B = opt(3) ? opt(3)->template as<const T>() : nullptr;
    const T* P = cell_ == Cell::kLstm && opt(7) ? opt(7)->template as<const T>() : nullptr;
    const size_t per_dir = acts_.size() / static_cast<size_t>(dirs_);
    for (int64_t d = 0; d < dirs_; ++d) {
      const bool rev = reverse_only_ || d == 1;
      const T* Wd = W + d * GH * input;
      const T* Rd = R + d * GH * H;
      const T* Wb = B ? B + d * 2 * GH : nullptr;
      const T* Rb = B ? Wb + GH : nullptr;
      const T* Pd = P ? P + d * 3 * H : nullptr;
      const Act f = acts_[d * per_dir];
      const Act g = per_dir > 1 ? acts_[d * per_dir + 1] : f;
      const Act hact = per_dir > 2 ? acts_[d * per_dir + 2] : f;
      T* hd = h.data() + d * BH;
      T* cd = cell_ == Cell::kLstm ? c.data() + d * BH : nullptr;
      if (seq * batch > 0 && input > 0)
        MatMulNT(seq * batch, GH, input, x.data(), input, Wd, input, T(0), xw.data(), GH, pool);
      else
        std::fill(xw.begin(), xw.end(), T(0));
      for (int64_t s = 0; s < seq; ++s) {
        // H_{t-1} * R^T (for GRU without linear_before_reset, only the z and r gates here).
        const int64_t n = cell_ == Cell::kGru && !linear_before_reset_ ? 2 * H : GH;
        if (batch > 0) MatMulNT(batch, n, H, hd, H, Rd, H, T(0), hr.data(), GH, pool);
        if (cell_ == Cell::kGru && !linear_before_reset_) {
          // h gate: (r ⊙ H_{t-1}) * Rh^T; r computed first.
          for (int64_t b = 0; b < batch; ++b) {
            if (s >= lens[b]) continue;
            const int64_t t = rev ? lens[b] - 1 - s : s;
            const T* xr = xw.data() + (t * batch + b) * GH + H;
            const T* hrr = hr.data() + b * GH + H;
            for (int64_t j = 0; j < H; ++j) {
              T v = xr[j] + hrr[j] + (B ? Wb[H + j] + Rb[H + j] : T(0));
              rh[b * H + j] = Apply(f, v, clip_) * hd[b * H + j];
            }
          }
          if (batch > 0)
            MatMulNT(batch, H, H, rh.data(), H, Rd + 2 * H * H, H, T(0), hr.data() + 2 * H, GH,
                     pool);
        }
        for (int64_t b = 0; b < batch; ++b) {
          if (s >= lens[b]) continue;
          const int64_t t = rev ? lens[b] - 1 - s : s;
          const T* xg = xw.data() + (t * batch + b) * GH;
          const T* hg = hr.data() + b * GH;
          T* hb = hd + b * H;
          auto bias = [&](int64_t gate, int64_t j) {
            return B ? Wb[gate * H + j] + Rb[gate * H + j] : T(0);
          };
          for (int64_t j = 0; j < H; ++j) {
            T nh;
            if (cell_ == Cell::kRnn) {
              nh = Apply(f, xg[j] + hg[j] + bias(0, j), clip_);
            } else if (cell_ == Cell::kGru) {
              const T z = Apply(f, xg[j] + hg[j] + bias(0, j), clip_);
              T hh;
              if (linear_before_reset_) {
                const T r = Apply(f, xg[H + j] + hg[H + j] + bias(1, j), clip_);
                const T rbh = B ? Rb[2 * H + j] : T(0);
                const T wbh = B ? Wb[2 * H + j] : T(0);
                hh = Apply(g, xg[2 * H + j] + r * (hg[2 * H + j] + rbh) + wbh, clip_);
              } else {
                hh = Apply(g, xg[2 * H + j] + hg[2 * H + j] + bias(2, j), clip_);
              }
              nh = (T(1) - z) * hh + z * hb[j];
            } else {
              T& cv = cd[b * H + j];
              const T cp = cv;
              const T i = Apply(f, xg[j] + hg[j] + bias(0, j) + (Pd ? Pd[j] * cp : T(0)), clip_);
              const T fg = Apply(
                  f, xg[2 * H + j] + hg[2 * H + j] + bias(2, j) + (Pd ? Pd[2 * H + j] * cp : T(0)),
                  clip_);
              const T cc = Apply(g, xg[3 * H + j] + hg[3 * H + j] + bias(3, j), clip_);
              cv = fg * cp + i * cc;
              const T o = Apply(
                  f, xg[H + j] + hg[H + j] + bias(1, j) + (Pd ? Pd[H + j] * cv : T(0)), clip_);
              nh = o * Apply(hact, cv, 0.0f);
            }
            hb[j] = nh;
          }
          std::copy_n(hb, H, y.data() + ((t * dirs_ + d) * batch + b) * H);
        }
      }
    }
    // Write outputs in the requested layout.
    if (out.size() > 0 && out[0]) {
      T* yo = out[0]->as<T>();
      for (int64_t t = 0; t < seq; ++t)
        for (int64_t d = 0; d < dirs_; ++d)
          for (int64_t b = 0; b < batch; ++b)
            std::copy_n(
                y.data() + ((t * dirs_ + d) * batch + b) * H, H,
                yo + (layout_ ? (b * seq + t) * dirs_ + d : (t * dirs_ + d) * batch + b) * H);
    }
    auto store_state = [&](const std::vector<T>& src, TensorRef* o) {
      if (!o) return;
      T* p = o->as<T>();
      for (int64_t d = 0; d < dirs_; ++d)
        for (int64_t b = 0; b < batch; ++b)
          std::copy_n(src.data() + (d * batch + b) * H, H,
                      p + (layout_ ? b * dirs_ + d : d * batch + b) * H);
    };
    if (out.size() > 1) store_state(h, out[1]);
    if (cell_ == Cell::kLstm && out.size() > 2) store_state(c, out[2]);
  }

  Cell cell_;
  std::string name_;
  hetrun_dtype_t dtype_;
  int64_t gates_ = 1, hidden_ = 0, dirs_ = 1, layout_ = 0;
  bool reverse_only_ = false, linear_before_reset_ = false;
  float clip_ = 0;
  std::vector<Act> acts_;
};

std::unique_ptr<Kernel> MakeRnn(const KernelBuildContext& ctx) {
  return std::make_unique<RecurrentKernel>(ctx, Cell::kRnn);
}
std::unique_ptr<Kernel> MakeGru(const KernelBuildContext& ctx) {
  return std::make_unique<RecurrentKernel>(ctx, Cell::kGru);
}
std::unique_ptr<Kernel> MakeLstm(const KernelBuildContext& ctx) {
  return std::make_unique<RecurrentKernel>(ctx, Cell::kLstm);
}

}  // namespace

void RegisterRecurrentKernels(KernelTable& t) {
  t.Add("RNN", MakeRnn, nullptr, 3);
  t.Add("GRU", MakeGru, nullptr, 3);
  t.Add("LSTM", MakeLstm, nullptr, 3);
}

}  // namespace hetrun::cpu
