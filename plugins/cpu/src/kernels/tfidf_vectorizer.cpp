// TfIdfVectorizer (opset 9) on int32/int64 tokens: counts the pool's n-grams in each row, with
// skips, and weighs the counts (TF, IDF, TFIDF). Pools of strings are declined: strings do not
// cross the ABI. Counting follows ONNX Runtime's: for each skip distance 1..max_skip_count + 1 the
// n-grams starting at every position, unigrams only once (they do not depend on the skip).
#include <algorithm>
#include <map>

#include "common.h"
#include "registry.h"

namespace hetrun::cpu {
namespace {

class TfIdfVectorizerKernel final : public Kernel {
 public:
  explicit TfIdfVectorizerKernel(const KernelBuildContext& ctx)
      : min_gram_(plugin::AttrInt(ctx.node, "min_gram_length", 0)),
        max_gram_(plugin::AttrInt(ctx.node, "max_gram_length", 0)),
        max_skip_(plugin::AttrInt(ctx.node, "max_skip_count", 0)),
        weights_(plugin::AttrFloats(ctx.node, "weights")) {
    RequireDType("TfIdfVectorizer", ctx.input(0).dtype, {HETRUN_DTYPE_INT32, HETRUN_DTYPE_INT64},
                 "int32, int64 (string pools do not cross the ABI)");
    if (plugin::FindAttr(ctx.node, "pool_strings")) {
      ThrowUnimplemented("TfIdfVectorizer: pool_strings is not supported (strings)");
    }
    const std::string mode = plugin::AttrString(ctx.node, "mode", "");
    if (mode == "TF") {
      mode_ = Mode::kTf;
    } else if (mode == "IDF") {
      mode_ = Mode::kIdf;
    } else if (mode == "TFIDF") {
      mode_ = Mode::kTfIdf;
    } else {
      ThrowInvalid("TfIdfVectorizer: mode '" + mode + "' is not TF, IDF or TFIDF");
    }
    if (min_gram_ < 1 || max_gram_ < min_gram_ || max_skip_ < 0) {
      ThrowInvalid(
          "TfIdfVectorizer: needs 1 <= min_gram_length <= max_gram_length and "
          "max_skip_count >= 0");
    }
    const std::vector<int64_t> counts = plugin::AttrInts(ctx.node, "ngram_counts");
    const std::vector<int64_t> indexes = plugin::AttrInts(ctx.node, "ngram_indexes");
    const std::vector<int64_t> pool = plugin::AttrInts(ctx.node, "pool_int64s");
    // ngram_counts[n - 1] is where the n-grams start in the pool; ngram_indexes gives each n-gram
    // (numbered across all lengths, in pool order) its output column.
    size_t k = 0;
    for (size_t n = 1; n <= counts.size(); ++n) {
      const int64_t begin = counts[n - 1];
      const int64_t end = n < counts.size() ? counts[n] : static_cast<int64_t>(pool.size());
      if (begin < 0 || end < begin || end > static_cast<int64_t>(pool.size()) ||
          (end - begin) % static_cast<int64_t>(n) != 0) {
        ThrowInvalid("TfIdfVectorizer: ngram_counts does not split the pool into n-grams");
      }
      for (int64_t at = begin; at < end; at += static_cast<int64_t>(n), ++k) {
        if (k >= indexes.size() || indexes[k] < 0) {
          ThrowInvalid("TfIdfVectorizer: ngram_indexes has no valid entry for n-gram " +
                       std::to_string(k));
        }
        ngrams_[std::vector<int64_t>(pool.begin() + at,
                                     pool.begin() + at + static_cast<int64_t>(n))] = indexes[k];
        columns_ = std::max(columns_, indexes[k] + 1);
      }
    }
    if (!weights_.empty() && static_cast<int64_t>(weights_.size()) < columns_) {
      ThrowInvalid("TfIdfVectorizer: fewer weights than output columns");
    }
  }

  std::vector<OutputSpec> InferOutputs(const std::vector<const TensorRef*>& in) override {
    const std::vector<int64_t>& dims = in[0]->dims;
    if (dims.size() == 1) return {OutputSpec{HETRUN_DTYPE_FLOAT32, {columns_}}};
    if (dims.size() == 2) return {OutputSpec{HETRUN_DTYPE_FLOAT32, {dims[0], columns_}}};
    ThrowInvalid("TfIdfVectorizer: the input must be [C] or [N, C], got " + DimsToString(dims));
  }

  void Run(const std::vector<const TensorRef*>& in, const std::vector<TensorRef*>& out,
           ThreadPool&) override {
    const std::vector<int64_t> tokens = ReadInts(*in[0], "TfIdfVectorizer", "X");
    const int64_t rows = in[0]->dims.size() == 2 ? in[0]->dims[0] : 1;
    const int64_t length = in[0]->dims.back();
    float* y = out[0]->as<float>();
    std::fill(y, y + rows * columns_, 0.0f);
    std::vector<int64_t> key;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t* row = tokens.data() + r * length;
      float* counts = y + r * columns_;
      int64_t min_gram = min_gram_;
      for (int64_t skip = 1; skip <= max_skip_ + 1 && min_gram <= max_gram_; ++skip) {
        for (int64_t start = 0; start < length; ++start) {
          key.clear();
          for (int64_t n = 1, at = start; n <= max_gram_ && at < length; ++n, at += skip) {
            key.push_back(row[at]);
            if (n < min_gram) continue;
            if (auto hit = ngrams_.find(key); hit != ngrams_.end()) counts[hit->second] += 1;
          }
        }
        if (min_gram == 1) min_gram = 2;  // unigrams are counted once, not per skip
      }
      for (int64_t c = 0; c < columns_; ++c) {
        const float weight = weights_.empty() ? 1.0f : weights_[static_cast<size_t>(c)];
        if (mode_ == Mode::kIdf) counts[c] = counts[c] > 0 ? weight : 0;
        if (mode_ == Mode::kTfIdf) counts[c] *= weight;
      }
    }
  }

 private:
  enum class Mode { kTf, kIdf, kTfIdf };
  int64_t min_gram_, max_gram_, max_skip_;
  std::vector<float> weights_;
  Mode mode_ = Mode::kTf;
  std::map<std::vector<int64_t>, int64_t> ngrams_;  // n-gram -> output column
  int64_t columns_ = 0;
};

std::unique_ptr<Kernel> MakeTfIdfVectorizer(const KernelBuildContext& ctx) {
  return std::make_unique<TfIdfVectorizerKernel>(ctx);
}

}  // namespace

void RegisterTfIdfKernels(KernelTable& t) {
  t.Add("TfIdfVectorizer", MakeTfIdfVectorizer);
}

}  // namespace hetrun::cpu
