// The CPU plugin's compile cache (--cache-dir): entries round-trip, damage is detected, payloads
// are aligned for the GEMM, and a Winograd convolution built from a cached entry computes exactly
// what a freshly transformed one does.
#include "compile_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "kernels/winograd.h"
#include "thread_pool.h"

namespace hetrun::cpu {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, and the process-wide cache pointed at it for the test's duration.
class CompileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(HETRUN_BINARY_DIR) / "compile_cache_test_tmp" /
           (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    CompileCache::Get().SetDirectory(dir_.string());
  }
  void TearDown() override { CompileCache::Get().SetDirectory(""); }
  std::vector<fs::path> Entries() const {
    std::vector<fs::path> out;
    for (const auto& f : fs::directory_iterator(dir_)) out.push_back(f.path());
    return out;
  }
  fs::path dir_;
};

TEST_F(CompileCacheTest, RoundTripsWithAnAlignedPayload) {
  CompileCache& cache = CompileCache::Get();
  EXPECT_EQ(cache.Load("test", "key one"), nullptr);
  const std::string payload(1000, 'p');
  cache.Store("test", "key one", payload);
  const std::shared_ptr<const CacheBlob> blob = cache.Load("test", "key one");
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(blob->payload(), payload);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(blob->payload().data()) % 64, 0u);
  EXPECT_EQ(cache.Load("test", "key two"), nullptr);
  ASSERT_EQ(Entries().size(), 1u);  // no temporary file left
  EXPECT_EQ(Entries()[0].extension(), ".bin");
}

TEST_F(CompileCacheTest, IgnoresDamagedEntries) {
  CompileCache& cache = CompileCache::Get();
  cache.Store("test", "k", std::string(4096, 'x'));
  const fs::path entry = Entries().at(0);
  {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2000);
    f.write("y", 1);
  }
  EXPECT_EQ(cache.Load("test", "k"), nullptr);  // checksum
  fs::resize_file(entry, 100);
  EXPECT_EQ(cache.Load("test", "k"), nullptr);  // truncated
  std::ofstream(entry, std::ios::trunc) << "not an entry";
  EXPECT_EQ(cache.Load("test", "k"), nullptr);  // magic
  cache.Store("test", "k", "fine");             // rebuilt in place of the bad one
  ASSERT_NE(cache.Load("test", "k"), nullptr);
  EXPECT_EQ(cache.Load("test", "k")->payload(), "fine");
}

TEST_F(CompileCacheTest, OffWithoutADirectory) {
  CompileCache::Get().SetDirectory("");
  EXPECT_FALSE(CompileCache::Get().enabled());
  CompileCache::Get().Store("test", "k", "payload");
  EXPECT_EQ(CompileCache::Get().Load("test", "k"), nullptr);
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(CompileCacheTest, CachedWinogradComputesExactlyTheSame) {
  const int64_t M = 64, C = 128, H = 9, W = 7;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> w(M * C * 9), x(C * H * W), bias(M);
  for (float& v : w) v = dist(rng);
  for (float& v : x) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  ThreadPool pool(2);
  auto run = [&](const WinogradConv3x3& conv) {
    std::vector<float> y(M * H * W);
    conv.Run(x.data(), H, W, 1, 1, H, W, bias.data(), y.data(), pool);
    return y;
  };
  CompileCache::Get().SetDirectory("");
  const std::vector<float> reference = run(WinogradConv3x3(w.data(), M, C));
  CompileCache::Get().SetDirectory(dir_.string());
  const std::vector<float> stored = run(WinogradConv3x3(w.data(), M, C));  // miss: writes
  ASSERT_EQ(Entries().size(), 1u);
  const std::vector<float> loaded = run(WinogradConv3x3(w.data(), M, C));  // hit: maps
  EXPECT_EQ(std::memcmp(stored.data(), reference.data(), reference.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(loaded.data(), reference.data(), reference.size() * sizeof(float)), 0);
  // Other weights are another entry.
  w[5] += 1;
  (void)WinogradConv3x3(w.data(), M, C);
  EXPECT_EQ(Entries().size(), 2u);
}

}  // namespace
}  // namespace hetrun::cpu
