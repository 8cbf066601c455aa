// TfIdfVectorizer on integer tokens: n-gram counting with and without skips, the weighing modes,
// batches, and the string pools it declines.
#include <gtest/gtest.h>

#include <vector>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

// The pool of ONNX's examples: unigrams 2, 3, 5, 4; bigrams (5, 6), (7, 8), (6, 7).
NodeTest Vectorizer(int64_t min_gram, int64_t max_skip, const std::string& mode) {
  NodeTest t("TfIdfVectorizer", 9);
  t.Attr("min_gram_length", min_gram)
      .Attr("max_gram_length", int64_t{2})
      .Attr("max_skip_count", max_skip)
      .Attr("mode", mode)
      .Attr("ngram_counts", std::vector<int64_t>{0, 4})
      .Attr("ngram_indexes", std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6})
      .Attr("pool_int64s", std::vector<int64_t>{2, 3, 5, 4, 5, 6, 7, 8, 6, 7});
  return t;
}

const std::vector<int32_t> kTokens{1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8};

TEST(TfIdfVectorizer, CountsUnigramsAndBigrams) {
  NodeTest t = Vectorizer(1, 0, "TF");
  t.Input(Tensor<int32_t>({12}, kTokens, HETRUN_DTYPE_INT32));
  const HostTensor y = t.Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{7}));
  EXPECT_EQ(y.values<float>(), (std::vector<float>{0, 3, 1, 0, 1, 1, 1}));
}

TEST(TfIdfVectorizer, SkipsFindMoreBigramsButCountUnigramsOnce) {
  // With skips up to 5, (7, 8) also appears as 7 _ _ _ _ 8 ... and unigrams still count once.
  NodeTest t = Vectorizer(1, 5, "TF");
  t.Input(Tensor<int32_t>({2, 6}, kTokens, HETRUN_DTYPE_INT32));
  const HostTensor y = t.Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 7}));
  // Row 0: 1 1 3 3 3 7 -> three 3s, no bigram. Row 1: 8 6 7 5 6 8 -> one 5, bigrams (5, 6) and
  // (6, 7) at skip 0 and (7, 8) at skip 2 (7 _ _ 8).
  EXPECT_EQ(y.values<float>(), (std::vector<float>{0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1}));
}

TEST(TfIdfVectorizer, WeighsCountsByMode) {
  NodeTest idf = Vectorizer(1, 0, "IDF");
  idf.Attr("weights", std::vector<float>{1, 2, 3, 4, 5, 6, 7});
  idf.Input(Tensor<int32_t>({12}, kTokens, HETRUN_DTYPE_INT32));
  EXPECT_EQ(idf.Run1().values<float>(), (std::vector<float>{0, 2, 3, 0, 5, 6, 7}));
  NodeTest tfidf = Vectorizer(1, 0, "TFIDF");
  tfidf.Attr("weights", std::vector<float>{1, 2, 3, 4, 5, 6, 7});
  tfidf.Input(Tensor<int32_t>({12}, kTokens, HETRUN_DTYPE_INT32));
  EXPECT_EQ(tfidf.Run1().values<float>(), (std::vector<float>{0, 6, 3, 0, 5, 6, 7}));
}

TEST(TfIdfVectorizer, DeclinesStringPoolsAndBadModes) {
  NodeTest strings = Vectorizer(1, 0, "TF");
  strings.Attr("pool_strings", std::string("a"));
  strings.Input(Tensor<int32_t>({1}, {1}, HETRUN_DTYPE_INT32));
  EXPECT_NE(strings.Error().find("pool_strings"), std::string::npos);
  NodeTest mode = Vectorizer(1, 0, "BM25");
  mode.Input(Tensor<int32_t>({1}, {1}, HETRUN_DTYPE_INT32));
  EXPECT_NE(mode.Error().find("BM25"), std::string::npos);
}

}  // namespace
}  // namespace hetrun::test
