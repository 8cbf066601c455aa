#include "kernels/broadcast.h"

#include <string>

#include "kernels/common.h"

namespace hetrun::cpu {

std::vector<int64_t> BroadcastShapes(std::string_view op,
                                     const std::vector<const std::vector<int64_t>*>& shapes) {
  size_t rank = 0;
  for (const auto* s : shapes) rank = std::max(rank, s->size());
  std::vector<int64_t> out(rank, 1);
  for (const auto* s : shapes) {
    const size_t off = rank - s->size();
    for (size_t i = 0; i < s->size(); ++i) {
      const int64_t d = (*s)[i];
      int64_t& o = out[off + i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string msg = std::string(op) + ": shapes";
      for (size_t k = 0; k < shapes.size(); ++k)
        msg += (k ? " and " : " ") + DimsToString(*shapes[k]);
      ThrowInvalid(msg + " cannot be broadcast");
    }
  }
  return out;
}

bool BroadcastsTo(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  if (in.size() > out.size()) return false;
  const size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1 && in[i] != out[off + i]) return false;
  return true;
}

int64_t BroadcastPlan::outer() const {
  return ProductOf(dims, 0, dims.size() - 1);
}

void BroadcastPlan::RowOffsets(int64_t row, int64_t* offsets) const {
  for (int k = 0; k < num_inputs; ++k) offsets[k] = 0;
  for (size_t d = dims.size() - 1; d-- > 0;) {
    const int64_t idx = row % dims[d];
    row /= dims[d];
    for (int k = 0; k < num_inputs; ++k) offsets[k] += idx * strides[k][d];
  }
}

BroadcastPlan MakeBroadcastPlan(const std::vector<int64_t>& out_dims,
                                const std::vector<const std::vector<int64_t>*>& in_dims) {
  BroadcastPlan plan;
  plan.num_inputs = static_cast<int>(in_dims.size());
  const size_t rank = out_dims.size();
  // Per output dim: does each input broadcast along it? Dims of size 1 are dropped entirely.
  struct Dim {
    int64_t size;
    std::array<bool, kMaxBroadcastInputs> bcast;
  };
  std::vector<Dim> kept;
  for (size_t d = 0; d < rank; ++d) {
    if (out_dims[d] == 1) continue;
    Dim dim{out_dims[d], {}};
    for (int k = 0; k < plan.num_inputs; ++k) {
      const auto& in = *in_dims[k];
      const size_t off = rank - in.size();
      dim.bcast[k] = d < off || in[d - off] == 1;
    }
    // Merge with the previous dim when every input has the same broadcast pattern on both.
    if (!kept.empty() && kept.back().bcast == dim.bcast)
      kept.back().size *= dim.size;
    else
      kept.push_back(dim);
  }
  if (kept.empty()) kept.push_back(Dim{1, {}});
  plan.dims.resize(kept.size());
  for (int k = 0; k < plan.num_inputs; ++k) plan.strides[k].assign(kept.size(), 0);
  std::array<int64_t, kMaxBroadcastInputs> running{1, 1, 1};
  for (size_t d = kept.size(); d-- > 0;) {
    plan.dims[d] = kept[d].size;
    for (int k = 0; k < plan.num_inputs; ++k) {
      if (kept[d].bcast[k]) continue;
      plan.strides[k][d] = running[k];
      running[k] *= kept[d].size;
    }
  }
  return plan;
}

}  // namespace hetrun::cpu
