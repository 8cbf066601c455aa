// Many runs of one CPU session: the later runs take the fast paths (the plugin runs a small part on
// the caller's thread, pooled staging buffers and the arena's chunk are reused), and must give the
// same outputs as the first run, keep earlier outputs intact, and stay correct when several
// threads run the session at once.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "hetrun/runtime/session.h"

namespace hetrun::runtime {
namespace {

const std::string kModel = std::string(HETRUN_TEST_DATA_DIR) + "/../../models/tiny_cnn.onnx";

// A 1x1x28x28 image whose pixels depend on `seed`.
core::Tensor Image(int seed) {
  Result<core::Tensor> t = core::Tensor::Create(core::DType::kFloat32, {1, 1, 28, 28});
  EXPECT_TRUE(t.ok());
  float* data = t->mutable_data_as<float>();
  for (int64_t i = 0; i < t->element_count(); ++i)
    data[i] = static_cast<float>((i * (seed + 3) + seed * 7) % 17) / 17.0f - 0.4f;
  return std::move(*t);
}

std::vector<float> Floats(const core::Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.element_count()));
  if (!v.empty()) std::memcpy(v.data(), t.data(), t.byte_size());
  return v;
}

std::unique_ptr<Session> CpuSession() {
  SessionOptions options;
  options.devices = {"cpu"};
  options.threads = 1;  // one thread: every run computes bit for bit the same
  Result<std::unique_ptr<Session>> session = Session::Create(kModel, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  return session.ok() ? std::move(*session) : nullptr;
}

std::vector<float> RunOnce(const Session& session, int seed) {
  Result<std::vector<core::Tensor>> out = session.Run({{"image", Image(seed)}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok() || out->size() != 1) return {};
  return Floats((*out)[0]);
}

TEST(SessionRerun, LaterRunsMatchTheFirstAndLeaveEarlierOutputsIntact) {
  std::unique_ptr<Session> session = CpuSession();
  ASSERT_NE(session, nullptr);
  // The first run of each input is the reference (the plugin's queue thread, fresh memory).
  Result<std::vector<core::Tensor>> first_a = session->Run({{"image", Image(1)}});
  ASSERT_TRUE(first_a.ok()) << first_a.status().message();
  const std::vector<float> expect_a = Floats((*first_a)[0]);
  const std::vector<float> expect_b = RunOnce(*session, 2);
  ASSERT_EQ(expect_a.size(), 10u);
  ASSERT_NE(expect_a, expect_b) << "the two inputs must give different outputs";

  for (int run = 0; run < 20; ++run) {
    EXPECT_EQ(RunOnce(*session, 1), expect_a) << "run " << run;
    EXPECT_EQ(RunOnce(*session, 2), expect_b) << "run " << run;
  }
  // The tensor returned by the first run does not share memory that later runs reused.
  EXPECT_EQ(Floats((*first_a)[0]), expect_a);
}

TEST(SessionRerun, ConcurrentRunsOnOneSessionAreEachCorrect) {
  std::unique_ptr<Session> session = CpuSession();
  ASSERT_NE(session, nullptr);
  constexpr int kThreads = 4;
  std::vector<std::vector<float>> expect(kThreads);
  for (int t = 0; t < kThreads; ++t) expect[t] = RunOnce(*session, 10 + t);

  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int run = 0; run < 50; ++run) wrong[t] += RunOnce(*session, 10 + t) != expect[t];
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace hetrun::runtime
