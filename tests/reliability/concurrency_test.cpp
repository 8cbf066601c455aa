// Session::Run() is documented thread-safe: 8 threads x 200 runs on ONE session must each give
// outputs bit-identical to a single-threaded run, on the CPU alone and split across the testdev
// test plugin and the CPU (transfers, one queue per device, shared scheduler state).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hetrun/runtime/input_generator.h"
#include "hetrun/runtime/session.h"

namespace hetrun::test {
namespace {

constexpr int kThreads = 8;
constexpr int kRunsPerThread = 200;

bool SameBytes(const std::vector<core::Tensor>& a, const std::vector<core::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].dtype() != b[i].dtype() || a[i].dims() != b[i].dims() ||
        a[i].byte_size() != b[i].byte_size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].byte_size()) != 0)
      return false;
  }
  return true;
}

void HammerOneSession(const std::vector<std::string>& devices, size_t min_parts) {
  runtime::SessionOptions options;
  options.devices = devices;
  options.plugin_paths = {HETRUN_TEST_PLUGIN_DIR, HETRUN_PLUGIN_DIR};
  options.threads = 1;
  auto session =
      runtime::Session::Create(std::string(HETRUN_SOURCE_DIR) + "/models/tiny_cnn.onnx", options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_GE((*session)->plan().parts.size(), min_parts);

  runtime::SeededInputGenerator generator(42);
  std::map<std::string, core::Tensor> inputs;
  for (const runtime::IoInfo& info : (*session)->inputs()) {
    auto t = generator.Make(info, {});
    ASSERT_TRUE(t.ok()) << t.status().message();
    inputs.emplace(info.name, std::move(t).value());
  }
  auto reference = (*session)->Run(inputs);
  ASSERT_TRUE(reference.ok()) << reference.status().message();

  std::atomic<int> failed{0}, different{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRunsPerThread; ++r) {
        auto outputs = (*session)->Run(inputs);
        if (!outputs.ok()) {
          ++failed;
        } else if (!SameBytes(*outputs, *reference)) {
          ++different;
        }
        ++done;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(done.load(), kThreads * kRunsPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(different.load(), 0) << "runs whose outputs differ from the single-threaded run";
}

TEST(ConcurrencyTest, EightThreadsOnOneCpuSessionGiveIdenticalOutputs) {
  HammerOneSession({"cpu"}, 1);
}

TEST(ConcurrencyTest, EightThreadsOnOneSplitTestdevCpuSessionGiveIdenticalOutputs) {
  // testdev's default op set leaves some of tiny_cnn to the CPU: several parts, with transfers.
  HammerOneSession({"testdev", "cpu"}, 2);
}

}  // namespace
}  // namespace hetrun::test
