// The header-only C++ API (hetrun.hpp) over libhetrun: RAII handles, exceptions, runs, async.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "hetrun/hetrun.hpp"

namespace {

const std::string kModel = std::string(HETRUN_SOURCE_DIR) + "/models/tiny_cnn.onnx";

std::vector<float> Image(int64_t batch) {
  std::vector<float> pixels(static_cast<size_t>(batch) * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 97) / 97.0f;
  return pixels;
}

TEST(CppApi, MetadataDescribesTheModel) {
  hetrun::Session session(kModel);
  const std::vector<hetrun::IoInfo> inputs = session.GetInputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].name, "image");
  EXPECT_EQ(inputs[0].dtype, HETRUN_TENSOR_FLOAT32);
  EXPECT_EQ(inputs[0].dims, (std::vector<int64_t>{-1, 1, 28, 28}));
  const std::vector<hetrun::IoInfo> outputs = session.GetOutputs();
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].name, "probabilities");
  EXPECT_EQ(outputs[0].rank, 2);
}

TEST(CppApi, RunGivesSoftmaxRowsOverCallerMemory) {
  hetrun::Session session(kModel, hetrun::SessionOptions().Devices({"cpu"}).Threads(1));
  std::vector<float> pixels = Image(3);
  hetrun::Tensor image = hetrun::Tensor::Over(pixels.data(), {3, 1, 28, 28});
  std::vector<hetrun::Tensor> out = session.Run({{"image", &image}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].Dims(), (std::vector<int64_t>{3, 10}));
  const std::vector<float> p = out[0].ToVector<float>();
  for (int row = 0; row < 3; ++row)
    EXPECT_NEAR(std::accumulate(p.begin() + row * 10, p.begin() + row * 10 + 10, 0.0f), 1.0f,
                1e-5f);
  EXPECT_THROW(out[0].Data<int64_t>(), hetrun::Error);  // typed access checks the dtype
}

TEST(CppApi, LibraryOwnedInputAndMemoryModelAgree) {
  std::ifstream file(kModel, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  hetrun::Session from_file(kModel);
  hetrun::Session from_memory(bytes.data(), bytes.size());
  hetrun::Tensor image(HETRUN_TENSOR_FLOAT32, {1, 1, 28, 28});
  const std::vector<float> pixels = Image(1);
  std::memcpy(image.Data<float>(), pixels.data(), pixels.size() * sizeof(float));
  const auto a = from_file.Run({{"image", &image}})[0].ToVector<float>();
  const auto b = from_memory.Run({{"image", &image}}, {"probabilities"})[0].ToVector<float>();
  EXPECT_EQ(a, b);
}

TEST(CppApi, ErrorsCarryCodeAndMessage) {
  try {
    hetrun::Session session("/nonexistent/model.onnx");
    FAIL() << "expected hetrun::Error";
  } catch (const hetrun::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_ERROR_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.onnx"), std::string::npos);
  }
  EXPECT_THROW(hetrun::SessionOptions().Partition("sideways"), hetrun::Error);
  hetrun::Session session(kModel);
  std::vector<double> wrong(28 * 28);
  hetrun::Tensor doubles = hetrun::Tensor::Over(wrong.data(), {1, 1, 28, 28});
  try {
    session.Run({{"image", &doubles}});
    FAIL() << "expected hetrun::Error";
  } catch (const hetrun::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("expected float32, got float64"), std::string::npos);
  }
}

TEST(CppApi, RunAsyncDeliversOnALibraryThread) {
  hetrun::Session session(kModel);
  std::vector<float> pixels = Image(2);
  hetrun::Tensor image = hetrun::Tensor::Over(pixels.data(), {2, 1, 28, 28});
  const std::vector<float> expected = session.Run({{"image", &image}})[0].ToVector<float>();
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::vector<float> got;
  std::string error;
  session.RunAsync({{"image", &image}},
                   [&](std::vector<hetrun::Tensor> out, const hetrun::Error* e) {
                     std::lock_guard lock(mutex);
                     if (e != nullptr) error = e->what();
                     if (!out.empty()) got = out[0].ToVector<float>();
                     done = true;
                     cv.notify_all();
                   });
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return done; });
  EXPECT_EQ(error, "");
  EXPECT_EQ(got, expected);
}

TEST(CppApi, ConstInputMemoryIsAccepted) {
  hetrun::Session session(kModel);
  const std::vector<float> pixels = Image(1);
  const hetrun::Tensor image = hetrun::Tensor::Over(pixels.data(), {1, 1, 28, 28});
  EXPECT_EQ(image.Dims(), (std::vector<int64_t>{1, 1, 28, 28}));
  EXPECT_EQ(image.RawData(), static_cast<const void*>(pixels.data()));  // a view, not a copy
  EXPECT_EQ(session.Run({{"image", &image}})[0].Dims(), (std::vector<int64_t>{1, 10}));
}

// A profiling file gets each run's Chrome trace: the part, and (the CPU plugin times them) its
// nodes inside it.
TEST(CppApi, ProfilingFileHasThePartsAndTheirNodes) {
  const std::string path = ::testing::TempDir() + "cpp_api_trace.json";
  std::remove(path.c_str());
  hetrun::Session session(kModel, hetrun::SessionOptions().Devices({"cpu"}).ProfilingFile(path));
  std::vector<float> pixels = Image(1);
  hetrun::Tensor image = hetrun::Tensor::Over(pixels.data(), {1, 1, 28, 28});
  session.Run({{"image", &image}});
  std::ifstream file(path);
  const std::string trace((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(trace.find("\"cat\":\"part\""), std::string::npos) << trace;
  EXPECT_NE(trace.find("\"cat\":\"node\""), std::string::npos) << trace;
  EXPECT_NE(trace.find("stem_conv"), std::string::npos) << trace;  // a node's name
}

TEST(CppApi, PlanAndDevices) {
  hetrun::Session session(kModel, hetrun::SessionOptions().Partition("priority"));
  const std::string plan = session.PlanJson();
  EXPECT_NE(plan.find("\"parts\""), std::string::npos);
  bool cpu = false;
  for (const hetrun::DeviceInfo& d : hetrun::GetDevices()) cpu = cpu || d.name == "cpu";
  EXPECT_TRUE(cpu);
}

// The CPU plugin's file, in the default plugin directory beside libhetrun.so.
std::string CpuPluginPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&hetrun_env_create), &info) == 0 || info.dli_fname == nullptr)
    return "";
  std::string dir = info.dli_fname;
  dir.resize(dir.rfind('/'));
  return dir + "/hetrun/plugins/libhetrun_plugin_cpu.so";
}

bool Loaded(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) dlclose(handle);
  return handle != nullptr;
}

// Sessions of one environment share its plugins, like ONNX Runtime's Env: a plugin is loaded once
// and stays loaded between sessions, so creating the next session pays no plugin loading.
TEST(CppApi, SessionsShareTheEnvironmentsPlugins) {
  const std::string plugin = CpuPluginPath();
  ASSERT_FALSE(plugin.empty());
  hetrun::Env env;
  hetrun::SessionOptions options;
  options.Devices({"cpu"}).Threads(1);
  { hetrun::Session first(kModel, options, &env); }
  EXPECT_TRUE(Loaded(plugin)) << plugin << " was unloaded with the environment's first session";
  hetrun::Session second(kModel, options, &env);
  std::vector<float> pixels = Image(1);
  hetrun::Tensor image = hetrun::Tensor::Over(pixels.data(), {1, 1, 28, 28});
  EXPECT_EQ(second.Run({{"image", &image}}).size(), 1u);
}

}  // namespace
