// Einsum by direct summation: every label (letter, or one per ellipsis dim) becomes a loop; output
// labels index the result and the rest are summed. A label repeated within one operand walks its
// diagonal (the operand's strides for it add up). Exact and general rather than fast: it is meant
// for the small contractions models use Einsum for outside MatMul.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.h"
#include "kernels/dispatch.h"
#include "kernels/registry.h"

namespace hetrun::cpu {
namespace {

// Labels: letters are their char value; ellipsis dim k (of the broadcast ellipsis, right-aligned)
// is kEllipsisBase + k.
constexpr int kEllipsisBase = 256;

struct Term {
  std::string letters;  // letters in order, '.' standing for the whole ellipsis
  bool ellipsis = false;
};

Term ParseTerm(const std::string& s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (s.compare(i, 3, "...") != 0 || t.ellipsis) ThrowUnimplemented("Einsum: bad ellipsis");
      t.ellipsis = true;
      t.letters += '.';
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.letters += c;
    } else {
      ThrowUnimplemented(std::string("Einsum: bad character '") + c + "' in equation");
    }
  }
  return t;
}

// Expands a term to labels given the operand's rank (or, for the output, the ellipsis rank).
std::vector<int> Labels(const Term& t, size_t rank, size_t ell_rank, bool is_output) {
  std::vector<int> out;
  const size_t letters = t.letters.size() - (t.ellipsis ? 1 : 0);
  const size_t e = is_output ? ell_rank : (rank >= letters ? rank - letters : 0);
  if (!is_output && (t.ellipsis ? rank < letters : rank != letters))
    ThrowInvalid("Einsum: operand rank does not match its subscripts");
  for (char c : t.letters) {
    if (c != '.') {
      out.push_back(static_cast<unsigned char>(c));
      continue;
    }
    for (size_t k = 0; k < e; ++k)
      out.push_back(kEllipsisBase + static_cast<int>(ell_rank - e + k));
  }
  return out;
}

class EinsumKernel final : public Kernel {
 public:
  explicit EinsumKernel(const KernelBuildContext& ctx) : dtype_(ctx.input(0).dtype) {
    RequireDType(
        "Einsum", dtype_,
        {HETRUN_DTYPE_FLOAT32, HETRUN_DTYPE_FLOAT64, HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
        "float32, float64, int32, int64");
    const std::string eq = plugin::AttrString(ctx.node, "equation", "");
    const size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    size_t start = 0;
    for (size_t comma; (comma = lhs.find(',', start)) != std::string::npos; start = comma + 1)
      inputs_.push_back(ParseTerm(lhs.substr(start, comma - start)));
    inputs_.push_back(ParseTerm(lhs.substr(start)));
    if (inputs_.size() != ctx.num_inputs())
      ThrowUnimplemented("Einsum: equation has " + std::to_string(inputs_.size()) +
                         " operands, node has " + std::to_string(ctx.num_inputs()));
    explicit_ = arrow != std::string::npos;
    if (explicit_) output_ = ParseTerm(eq.substr(arrow + 2));
  }
  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    return {OutputSpec{dtype_, Plan(in).out_dims}};
  }
  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const Planned p = Plan(in);
    const size_t no = p.out_dims.size(), nl = p.sizes.size();
    const int64_t out_n = NumElements(p.out_dims);
    std::vector<int64_t> red_dims(p.sizes.begin() + static_cast<ptrdiff_t>(no), p.sizes.end());
    const int64_t red_n = NumElements(red_dims);
    Dispatch<float, double, int32_t, int64_t>(dtype_, "Einsum", [&]<typename T>() {
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
      T* y = out[0]->as<T>();
      std::vector<int64_t> idx(nl);
      for (int64_t o = 0; o < out_n; ++o) {
        Acc sum = 0;
        for (int64_t r = 0; r < red_n; ++r) {
          // Label values: output labels from o, summed labels from r (last label fastest).
          int64_t rem = r;
          for (size_t l = nl; l-- > no;) idx[l] = rem % p.sizes[l], rem /= p.sizes[l];
          rem = o;
          for (size_t l = no; l-- > 0;) idx[l] = rem % p.sizes[l], rem /= p.sizes[l];
          Acc prod = 1;
          for (size_t i = 0; i < in.size(); ++i) {
            int64_t off = 0;
            for (size_t l = 0; l < nl; ++l) off += idx[l] * p.strides[i][l];
            prod *= static_cast<Acc>(in[i]->as<const T>()[off]);
          }
          sum += prod;
        }
        y[o] = static_cast<T>(sum);
      }
    });
  }

 private:
  struct Planned {
    std::vector<int64_t> sizes;                 // per label: output labels first, then summed
    std::vector<std::vector<int64_t>> strides;  // per input, per label (0 = absent/broadcast)
    std::vector<int64_t> out_dims;
  };
  Planned Plan(const std::vector<const TensorRef*>& in) const {
    size_t ell = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const size_t letters = inputs_[i].letters.size() - (inputs_[i].ellipsis ? 1 : 0);
      if (inputs_[i].ellipsis && in[i]->dims.size() >= letters)
        ell = std::max(ell, in[i]->dims.size() - letters);
    }
    std::vector<std::vector<int>> in_labels;
    std::map<int, int64_t> size;  // label -> broadcast size
    std::map<int, int> count;
    for (size_t i = 0; i < in.size(); ++i) {
      in_labels.push_back(Labels(inputs_[i], in[i]->dims.size(), ell, false));
      for (size_t k = 0; k < in_labels[i].size(); ++k) {
        const int l = in_labels[i][k];
        const int64_t d = in[i]->dims[k];
        ++count[l];
        auto [it, fresh] = size.emplace(l, d);
        if (!fresh && it->second != d) {
          if (it->second == 1 && l >= kEllipsisBase)
            it->second = d;
          else if (!(d == 1 && l >= kEllipsisBase))
            ThrowInvalid("Einsum: sizes of a subscript differ between operands");
        }
      }
    }
    std::vector<int> out_labels;
    if (explicit_) {
      out_labels = Labels(output_, 0, ell, true);
    } else {
      // Implicit output: the ellipsis dims, then letters seen once, alphabetically.
      for (size_t k = 0; k < ell; ++k) out_labels.push_back(kEllipsisBase + static_cast<int>(k));
      for (const auto& [l, c] : count)
        if (l < kEllipsisBase && c == 1) out_labels.push_back(l);
    }
    Planned p;
    std::vector<int> order = out_labels;
    for (const auto& [l, s] : size) {
      (void)s;
      if (std::find(out_labels.begin(), out_labels.end(), l) == out_labels.end())
        order.push_back(l);
    }
    for (int l : out_labels) {
      if (!size.count(l)) ThrowInvalid("Einsum: output subscript not in any operand");
      p.out_dims.push_back(size[l]);
    }
    for (int l : order) p.sizes.push_back(size[l]);
    for (size_t i = 0; i < in.size(); ++i) {
      const auto& d = in[i]->dims;
      std::vector<int64_t> st(d.size(), 1);
      for (size_t k = d.size(); k-- > 1;) st[k - 1] = st[k] * d[k];
      std::vector<int64_t> per(order.size(), 0);
      for (size_t k = 0; k < d.size(); ++k) {
        if (d[k] == 1 && size[in_labels[i][k]] != 1) continue;  // broadcast
        const size_t pos = static_cast<size_t>(
            std::find(order.begin(), order.end(), in_labels[i][k]) - order.begin());
        per[pos] += st[k];
      }
      p.strides.push_back(std::move(per));
    }
    return p;
  }

  hetrun_dtype_t dtype_;
  std::vector<Term> inputs_;
  Term output_;
  bool explicit_ = false;
};

std::unique_ptr<Kernel> MakeEinsum(const KernelBuildContext& c) {
  return std::make_unique<EinsumKernel>(c);
}

}  // namespace

void RegisterEinsumKernels(KernelTable& t) {
  t.Add("Einsum", MakeEinsum);
}

}  // namespace hetrun::cpu
