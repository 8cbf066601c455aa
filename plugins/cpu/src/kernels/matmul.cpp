// Gemm and MatMul on the packed GEMM. Constant B operands (weights) are packed once at creation.
// MatMul folds A's batch dims into M when B is a single matrix, so a transformer's linear layers
// become one large GEMM. Both apply a bias along the output's last dim and an activation fused in
// at compile time (fusion/) as the GEMM stores each tile.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "fusion/epilogue_fusable.h"
#include "kernels/broadcast.h"
#include "kernels/common.h"
#include "kernels/gemm.h"
#include "kernels/gemm_tunables.h"
#include "kernels/registry.h"
#include "kernels/type_list.h"

namespace hetrun::cpu {
namespace {

bool IsConstant(const KernelBuildContext& ctx, size_t i) {
  return ctx.has_input(i) && (ctx.input(i).flags & HETRUN_VALUE_CONSTANT) && ctx.input(i).data &&
         StaticNumel(ctx.input(i)) >= 0;
}

// The GEMM epilogue for a fused epilogue, after checking its bias fits the N columns.
GemmEpilogue ToGemmEpilogue(const char* op, const Epilogue& fused, int64_t N) {
  if (fused.column_bias && fused.column_bias_size != N)
    ThrowInvalid(std::string(op) + ": the fused bias has " +
                 std::to_string(fused.column_bias_size) + " values, the output has " +
                 std::to_string(N) + " columns");
  return GemmEpilogue{nullptr, fused.column_bias, fused.activation};
}

[[noreturn]] void InnerMismatch(const char* op, int64_t a, int64_t b) {
  ThrowInvalid(std::string(op) + ": inner dimensions differ (" + std::to_string(a) + " vs " +
               std::to_string(b) + ")");
}

//===-- Gemm
//------------------------------------------------------------------------------------===//

class GemmKernel final : public Kernel, public EpilogueFusable {
 public:
  explicit GemmKernel(const KernelBuildContext& ctx) : tuning_(GemmTuningFor(ctx)) {
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i))
        RequireDType("Gemm", ctx.input(i).dtype, {HETRUN_DTYPE_FLOAT32}, "float32 only");
    alpha_ = plugin::AttrFloat(ctx.node, "alpha", 1.0f);
    beta_ = plugin::AttrFloat(ctx.node, "beta", 1.0f);
    trans_a_ = plugin::AttrInt(ctx.node, "transA", 0) != 0;
    trans_b_ = plugin::AttrInt(ctx.node, "transB", 0) != 0;
    const hetrun_value& b = ctx.input(1);
    if (IsConstant(ctx, 1) && b.rank == 2) {
      const int64_t K = trans_b_ ? b.dims[1] : b.dims[0], N = trans_b_ ? b.dims[0] : b.dims[1];
      packed_b_ = PackBOwned(trans_b_, K, N, static_cast<const float*>(b.data), b.dims[1]);
      packed_b_data_ = b.data;
    }
  }

  bool FuseEpilogue(const Epilogue& epilogue) override {
    if (epilogue.residual) return false;  // only Conv takes a run-time addend
    fused_ = epilogue;
    return true;
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const TensorRef &a = *in[0], &b = *in[1];
    if (a.dims.size() != 2 || b.dims.size() != 2)
      ThrowInvalid("Gemm: A and B must be 2-D, got " + DimsToString(a.dims) + " and " +
                   DimsToString(b.dims));
    const int64_t M = trans_a_ ? a.dims[1] : a.dims[0], K = trans_a_ ? a.dims[0] : a.dims[1];
    const int64_t Kb = trans_b_ ? b.dims[1] : b.dims[0], N = trans_b_ ? b.dims[0] : b.dims[1];
    if (K != Kb) InnerMismatch("Gemm", K, Kb);
    std::vector<int64_t> out{M, N};
    if (in.size() > 2 && in[2] && !BroadcastsTo(in[2]->dims, out))
      ThrowInvalid("Gemm: C of shape " + DimsToString(in[2]->dims) + " does not broadcast to " +
                   DimsToString(out));
    return {OutputSpec{HETRUN_DTYPE_FLOAT32, out}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const TensorRef &a = *in[0], &b = *in[1];
    TensorRef& y = *out[0];
    const int64_t M = y.dims[0], N = y.dims[1], K = trans_a_ ? a.dims[0] : a.dims[1];
    float* py = y.as<float>();
    float beta = 0.0f;
    GemmEpilogue epilogue = ToGemmEpilogue("Gemm", fused_, N);
    const bool has_c = in.size() > 2 && in[2] && beta_ != 0.0f;
    if (has_c && beta_ == 1.0f && !epilogue.column_bias && IsRowVector(in[2]->dims, N)) {
      // The usual bias vector: added by the epilogue as tiles are stored, not in a pass of its own.
      epilogue.column_bias = in[2]->as<const float>();
    } else if (has_c) {
      // Y = beta * C (broadcast), then the GEMM accumulates alpha * A * B onto it.
      const TensorRef& c = *in[2];
      const float* pc = c.as<const float>();
      const float bt = beta_;
      const BroadcastPlan plan = MakeBroadcastPlan(y.dims, {&c.dims});
      const int64_t inner = plan.inner(), sc = plan.inner_stride(0);
      ForEachBroadcastRow(plan, pool, [&](const int64_t* offs, int64_t o) {
        for (int64_t i = 0; i < inner; ++i) py[o + i] = bt * pc[offs[0] + i * sc];
      });
      beta = 1.0f;
    }
    // The packed copy is valid only while B is the constant it was packed from.
    const PackedMatrix* pb = packed_b_ && b.data == packed_b_data_ ? &packed_b_->view : nullptr;
    Sgemm(trans_a_, trans_b_, M, N, K, alpha_, a.as<const float>(), a.dims[1], b.as<const float>(),
          b.dims[1], beta, py, N, pool, nullptr, pb, &epilogue, &tuning_);
  }

 private:
  // [N] or [1, N]: one value per column.
  static bool IsRowVector(const std::vector<int64_t>& dims, int64_t N) {
    return (dims.size() == 1 && dims[0] == N) || (dims.size() == 2 && dims[0] == 1 && dims[1] == N);
  }

  GemmTuning tuning_;
  float alpha_, beta_;
  Epilogue fused_;
  bool trans_a_, trans_b_;
  std::optional<OwnedPackedMatrix> packed_b_;
  const void* packed_b_data_ = nullptr;
};

//===-- MatMul
//----------------------------------------------------------------------------------===//

struct MatMulShape {
  int64_t M, N, K;
  std::vector<int64_t> a_batch, b_batch, out_batch, out_dims;
};

MatMulShape ResolveMatMul(const std::vector<int64_t>& ad, const std::vector<int64_t>& bd) {
  if (ad.empty() || bd.empty()) ThrowInvalid("MatMul: operands must have rank >= 1");
  MatMulShape s;
  const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
  s.M = a1 ? 1 : ad[ad.size() - 2];
  s.K = ad.back();
  const int64_t kb = b1 ? bd[0] : bd[bd.size() - 2];
  s.N = b1 ? 1 : bd.back();
  if (s.K != kb) InnerMismatch("MatMul", s.K, kb);
  s.a_batch.assign(ad.begin(), ad.end() - (a1 ? 1 : 2));
  s.b_batch.assign(bd.begin(), bd.end() - (b1 ? 1 : 2));
  s.out_batch = BroadcastShapes("MatMul", {&s.a_batch, &s.b_batch});
  s.out_dims = s.out_batch;
  if (!a1) s.out_dims.push_back(s.M);
  if (!b1) s.out_dims.push_back(s.N);
  return s;
}

template <typename T>
void NaiveMatMul(const T* a, const T* b, T* c, int64_t M, int64_t N, int64_t K) {
  for (int64_t i = 0; i < M; ++i) {
    T* ci = c + i * N;
    for (int64_t j = 0; j < N; ++j) ci[j] = T(0);
    for (int64_t k = 0; k < K; ++k) {
      const T av = a[i * K + k];
      const T* bk = b + k * N;
      for (int64_t j = 0; j < N; ++j) ci[j] = static_cast<T>(ci[j] + av * bk[j]);
    }
  }
}

class MatMulKernel final : public Kernel, public EpilogueFusable {
 public:
  explicit MatMulKernel(const KernelBuildContext& ctx)
      : dtype_(ctx.input(0).dtype), tuning_(GemmTuningFor(ctx)) {
    RequireDType(
        "MatMul", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
    const hetrun_value& b = ctx.input(1);
    if (dtype_ == HETRUN_DTYPE_FLOAT32 && IsConstant(ctx, 1) && b.rank == 2) {
      packed_b_ =
          PackBOwned(false, b.dims[0], b.dims[1], static_cast<const float*>(b.data), b.dims[1]);
      packed_b_data_ = b.data;
    }
  }

  // float32 only: the other types take the naive loop, which has no epilogue.
  bool FuseEpilogue(const Epilogue& epilogue) override {
    if (dtype_ != HETRUN_DTYPE_FLOAT32 || epilogue.residual) return false;
    fused_ = epilogue;
    return true;
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    if (in[0]->dtype != in[1]->dtype) ThrowInvalid("MatMul: input dtypes differ");
    return {OutputSpec{dtype_, ResolveMatMul(in[0]->dims, in[1]->dims).out_dims}};
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool& pool) override {
    const TensorRef &a = *in[0], &b = *in[1];
    const MatMulShape s = ResolveMatMul(a.dims, b.dims);
    const int64_t M = s.M, N = s.N, K = s.K;
    if (NumElements(out[0]->dims) == 0) return;
    if (dtype_ != HETRUN_DTYPE_FLOAT32) {
      Dispatch<double, int32_t, int64_t>(dtype_, "MatMul", [&]<typename T>() {
        ForEachBatch(s, pool, false, [&](int64_t ao, int64_t bo, int64_t co) {
          NaiveMatMul(a.as<const T>() + ao, b.as<const T>() + bo, out[0]->as<T>() + co, M, N, K);
        });
      });
      return;
    }
    const float *pa = a.as<const float>(), *pb = b.as<const float>();
    float* pc = out[0]->as<float>();
    // Per column of each product (the planner fuses a bias only when B has rank >= 2, so the
    // columns are the output's last dim).
    const GemmEpilogue epilogue = ToGemmEpilogue("MatMul", fused_, N);
    const GemmEpilogue* ep = &epilogue;
    if (s.b_batch.empty() || NumElements(s.b_batch) == 1) {
      // One B for every batch: A's batch rows stack into a single (batch*M) x K matrix.
      const int64_t rows = NumElements(s.out_batch) * M;
      const PackedMatrix* packed =
          packed_b_ && b.data == packed_b_data_ ? &packed_b_->view : nullptr;
      if (NumElements(s.a_batch) == NumElements(s.out_batch)) {
        Sgemm(false, false, rows, N, K, 1.0f, pa, K, pb, N, 0.0f, pc, N, pool, nullptr, packed, ep,
              &tuning_);
        return;
      }
    }
    // Many small products run one per task; few large ones each use every thread.
    const double flops = 2.0 * M * N * K;
    const bool per_batch_tasks = flops < 4e6 && NumElements(s.out_batch) > 1;
    ForEachBatch(s, pool, per_batch_tasks, [&](int64_t ao, int64_t bo, int64_t co) {
      Sgemm(false, false, M, N, K, 1.0f, pa + ao, K, pb + bo, N, 0.0f, pc + co, N, pool, nullptr,
            nullptr, ep, &tuning_);
    });
  }

 private:
  // Calls fn(a_offset, b_offset, c_offset) in elements for every output batch index.
  template <typename F>
  static void ForEachBatch(const MatMulShape& s, ThreadPool& pool, bool parallel, F&& fn) {
    const int64_t batches = NumElements(s.out_batch);
    const std::vector<int64_t> one{1};
    const BroadcastPlan plan =
        MakeBroadcastPlan(s.out_batch.empty() ? one : s.out_batch, {&s.a_batch, &s.b_batch});
    const int64_t inner = plan.inner(), sa = plan.inner_stride(0), sb = plan.inner_stride(1);
    auto body = [&](int64_t b0, int64_t b1) {
      int64_t offs[kMaxBroadcastInputs];
      for (int64_t bi = b0; bi < b1; ++bi) {
        plan.RowOffsets(bi / inner, offs);
        const int64_t r = bi % inner;
        fn((offs[0] + r * sa) * s.M * s.K, (offs[1] + r * sb) * s.K * s.N, bi * s.M * s.N);
      }
    };
    if (parallel)
      pool.ParallelFor(batches, 1, body);
    else
      body(0, batches);
  }

  hetrun_dtype_t dtype_;
  GemmTuning tuning_;
  std::optional<OwnedPackedMatrix> packed_b_;
  const void* packed_b_data_ = nullptr;
  Epilogue fused_;
};

std::unique_ptr<Kernel> MakeGemm(const KernelBuildContext& ctx) {
  return std::make_unique<GemmKernel>(ctx);
}
std::unique_ptr<Kernel> MakeMatMul(const KernelBuildContext& ctx) {
  return std::make_unique<MatMulKernel>(ctx);
}

double KnownDim(const hetrun_value& v, int idx_from_end) {
  const int32_t i = v.rank - idx_from_end;
  return i >= 0 && v.dims[i] > 0 ? static_cast<double>(v.dims[i]) : 1.0;
}

double MatMulCost(const KernelBuildContext& ctx, const CostModel& model) {
  // From the operands' static dims (unknown dims count as 1), since the output's may be unknown.
  const hetrun_value &a = ctx.input(0), &b = ctx.input(1);
  double flops;
  if (std::string_view(OpName(ctx)) == "Gemm") {
    const bool ta = plugin::AttrInt(ctx.node, "transA", 0) != 0;
    const bool tb = plugin::AttrInt(ctx.node, "transB", 0) != 0;
    const double M = KnownDim(a, ta ? 1 : 2), K = KnownDim(a, ta ? 2 : 1);
    const double N = KnownDim(b, tb ? 2 : 1);
    flops = 2.0 * M * N * K;
  } else {
    const double elem =
        static_cast<double>(plugin::DTypeSize(a.dtype) ? plugin::DTypeSize(a.dtype) : 4);
    const double a_elems = StaticBytes(a) / elem, b_elems = StaticBytes(b) / elem;
    const double M = a.rank >= 2 ? KnownDim(a, 2) : 1.0, N = b.rank >= 2 ? KnownDim(b, 1) : 1.0;
    // Every element of A meets N columns; every element of B meets M rows (batch broadcasting
    // makes one of the two the larger).
    flops = 2.0 * std::max(a_elems * N, b_elems * M);
  }
  return ComputeCostUs(flops, 0.7, model);
}

// The product's M x N x K from static dims (unknown ones give <= 0, which lists no blocking).
std::vector<Tunable> GemmTunables(const KernelBuildContext& ctx, int threads) {
  std::vector<Tunable> out;
  const hetrun_value &a = ctx.input(0), &b = ctx.input(1);
  if (a.dtype != HETRUN_DTYPE_FLOAT32 || a.rank != 2 || b.rank != 2) return out;
  const bool ta = plugin::AttrInt(ctx.node, "transA", 0) != 0;
  const bool tb = plugin::AttrInt(ctx.node, "transB", 0) != 0;
  const int64_t M = ta ? a.dims[1] : a.dims[0], N = tb ? b.dims[0] : b.dims[1];
  const int64_t K = ta ? a.dims[0] : a.dims[1];
  AddGemmTunables(M, N, K, out);
  AddThreadsTunable(threads, 2.0 * static_cast<double>(M) * static_cast<double>(N * K), out);
  return out;
}

// One GEMM over A's stacked batch rows when B is a single matrix (as Run does), else per batch.
std::vector<Tunable> MatMulTunables(const KernelBuildContext& ctx, int threads) {
  std::vector<Tunable> out;
  const hetrun_value &a = ctx.input(0), &b = ctx.input(1);
  if (a.dtype != HETRUN_DTYPE_FLOAT32 || a.rank < 2 || b.rank < 2 || StaticNumel(a) <= 0 ||
      StaticNumel(b) <= 0)
    return out;
  int64_t rows = a.dims[a.rank - 2];
  bool single_b = true;
  for (int32_t i = 0; i + 2 < b.rank; ++i) single_b = single_b && b.dims[i] == 1;
  for (int32_t i = 0; single_b && i + 2 < a.rank; ++i) rows *= a.dims[i];
  const int64_t N = b.dims[b.rank - 1], K = a.dims[a.rank - 1];
  AddGemmTunables(rows, N, K, out);
  // As MatMulCost: every element of A meets N columns, every element of B the rows of A.
  const double flops = 2.0 * std::max(static_cast<double>(StaticNumel(a)) * N,
                                      static_cast<double>(StaticNumel(b)) * a.dims[a.rank - 2]);
  AddThreadsTunable(threads, flops, out);
  return out;
}

}  // namespace

void RegisterGemmKernels(KernelTable& t) {
  t.Add("Gemm", MakeGemm, MatMulCost, 2);
  t.SetTunables("Gemm", GemmTunables);
  t.Add("MatMul", MakeMatMul, MatMulCost, 2);
  t.SetTunables("MatMul", MatMulTunables);
}

}  // namespace hetrun::cpu
