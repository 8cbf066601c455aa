// ABI negotiation, the plugin table, init/shutdown, device count/info/open, and handle checks.
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>

#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

TEST(CpuPluginAbi, ReturnsNullForAnotherMajorVersion) {
  hetrun_plugin_query_fn query = CpuPluginQuery();
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query(HETRUN_ABI_MAJOR + 1, 0), nullptr);
  EXPECT_EQ(query(0, 0), nullptr);
  EXPECT_EQ(query(UINT32_MAX, HETRUN_ABI_MINOR), nullptr);
}

TEST(CpuPluginAbi, ServesAnyMinorOfItsMajor) {
  hetrun_plugin_query_fn query = CpuPluginQuery();
  ASSERT_NE(query, nullptr);
  EXPECT_NE(query(HETRUN_ABI_MAJOR, 0), nullptr);
  EXPECT_NE(query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR + 7), nullptr);  // a newer host
}

TEST(CpuPluginAbi, TableDescribesTheCpuPlugin) {
  const hetrun_plugin_v1* p = CpuPlugin();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->struct_size, sizeof(hetrun_plugin_v1));
  EXPECT_EQ(p->abi_major, HETRUN_ABI_MAJOR);
  EXPECT_EQ(p->abi_minor, HETRUN_ABI_MINOR);
  EXPECT_STREQ(p->name, "cpu");
  EXPECT_STREQ(p->version, "0.1.0");
  EXPECT_EQ(p->flags, HETRUN_PLUGIN_PACKED_VALUES);  // it runs strings, sequences, optionals
  // Every slot except the optional unavailable_reason is present.
#define HT_EXPECT_SLOT(slot) EXPECT_NE(p->slot, nullptr) << #slot
  HT_EXPECT_SLOT(init);
  HT_EXPECT_SLOT(shutdown);
  HT_EXPECT_SLOT(device_count);
  HT_EXPECT_SLOT(device_info);
  HT_EXPECT_SLOT(device_open);
  HT_EXPECT_SLOT(device_close);
  HT_EXPECT_SLOT(query_support);
  HT_EXPECT_SLOT(compile);
  HT_EXPECT_SLOT(executable_release);
  HT_EXPECT_SLOT(buffer_alloc);
  HT_EXPECT_SLOT(buffer_release);
  HT_EXPECT_SLOT(buffer_write);
  HT_EXPECT_SLOT(buffer_read);
  HT_EXPECT_SLOT(buffer_map);
  HT_EXPECT_SLOT(execute);
  HT_EXPECT_SLOT(event_wait);
  HT_EXPECT_SLOT(event_query);
  HT_EXPECT_SLOT(event_release);
#undef HT_EXPECT_SLOT
}

TEST(CpuPluginAbi, InitChecksItsArguments) {
  const hetrun_plugin_v1* p = CpuPlugin();
  ASSERT_NE(p, nullptr);
  Status no_out(p->init(TestHost(), nullptr));
  EXPECT_EQ(no_out.code(), HETRUN_STATUS_INVALID_ARGUMENT);

  hetrun_host_services short_host = *TestHost();
  short_host.struct_size = offsetof(hetrun_host_services, log);  // no room for log
  void* self = reinterpret_cast<void*>(0x1);
  Status too_short(p->init(&short_host, &self));
  EXPECT_EQ(too_short.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(self, reinterpret_cast<void*>(0x1)) << "out-parameter must stay untouched on error";
}

TEST(CpuPluginAbi, InitTwiceGivesIndependentInstances) {
  const hetrun_plugin_v1* p = CpuPlugin();
  ASSERT_NE(p, nullptr);
  void* a = nullptr;
  void* b = nullptr;
  HT_ASSERT_OK(p->init(TestHost(), &a));
  HT_ASSERT_OK(p->init(TestHost(), &b));
  EXPECT_NE(a, b);
  p->shutdown(a);
  uint32_t count = 0;
  HT_EXPECT_OK(p->device_count(b, &count));  // still usable after the other's shutdown
  EXPECT_EQ(count, 1u);
  p->shutdown(b);
  p->shutdown(nullptr);  // harmless
}

using CpuDevice = CpuPluginTest;

TEST_F(CpuDevice, CountsExactlyOneDevice) {
  uint32_t count = 0;
  HT_ASSERT_OK(p_->device_count(self_, &count));
  EXPECT_EQ(count, 1u);
  if (p_->unavailable_reason) {
    EXPECT_EQ(p_->unavailable_reason(self_), nullptr);
  }
  EXPECT_EQ(Status(p_->device_count(nullptr, &count)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->device_count(self_, nullptr)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuDevice, InfoDescribesTheHostCpu) {
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  HT_ASSERT_OK(p_->device_info(self_, 0, &info));
  ASSERT_NE(info.name, nullptr);
  const std::string name = info.name;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::string count = std::string("(").append(std::to_string(threads)).append(" thread");
  EXPECT_NE(name.find(count), std::string::npos) << name;
  EXPECT_EQ(info.struct_size, sizeof info);
  EXPECT_EQ(info.kind, HETRUN_DEVICE_CPU);
  EXPECT_EQ(info.flags, HETRUN_DEVICE_HOST_MEMORY);
  EXPECT_GT(info.memory_bytes, uint64_t{1} << 26);
  EXPECT_EQ(info.compute_units, threads);
  EXPECT_GE(info.peak_gflops, threads * 3.0 * 16 - 1e-9);
  EXPECT_LE(info.peak_gflops, threads * 3.0 * 32 + 1e-9);
  EXPECT_GT(info.memory_gbps, 0);
  EXPECT_DOUBLE_EQ(info.host_link_gbps, 1000);
  EXPECT_DOUBLE_EQ(info.host_link_latency_us, 0);

  // The name stays valid (and unchanged) across calls until shutdown.
  hetrun_device_info again{};
  again.struct_size = sizeof again;
  HT_ASSERT_OK(p_->device_info(self_, 0, &again));
  EXPECT_EQ(again.name, info.name);
  EXPECT_EQ(name, info.name);
}

TEST_F(CpuDevice, InfoFillsOnlyWhatAnOlderHostsStructHolds) {
  hetrun_device_info info;
  std::memset(&info, 0xAB, sizeof info);
  info.struct_size = offsetof(hetrun_device_info, kind);  // a host that only knows `name`
  HT_ASSERT_OK(p_->device_info(self_, 0, &info));
  EXPECT_NE(info.name, nullptr);
  EXPECT_EQ(info.kind, 0xABABABABu);
}

TEST_F(CpuDevice, InfoAndOpenRejectOtherIndices) {
  hetrun_device_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(Status(p_->device_info(self_, 1, &info)).code(), HETRUN_STATUS_NOT_FOUND);
  EXPECT_EQ(Status(p_->device_info(self_, 0, nullptr)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_device_t dev = nullptr;
  EXPECT_EQ(Status(p_->device_open(self_, 1, nullptr, &dev)).code(), HETRUN_STATUS_NOT_FOUND);
  EXPECT_EQ(dev, nullptr);
}

TEST_F(CpuDevice, OpensWithThreadOptions) {
  hetrun_device_options options{};
  options.struct_size = sizeof options;
  options.threads = 3;
  hetrun_device_t dev = nullptr;
  HT_ASSERT_OK(p_->device_open(self_, 0, &options, &dev));
  ASSERT_NE(dev, nullptr);
  p_->device_close(dev);

  options.threads = 1u << 30;  // not a real request
  EXPECT_EQ(Status(p_->device_open(self_, 0, &options, &dev)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  p_->device_close(nullptr);  // accepted
}

TEST_F(CpuDevice, NullAndMixedUpHandlesAreInvalidArguments) {
  hetrun_buffer_t buffer = nullptr;
  EXPECT_EQ(Status(p_->buffer_alloc(nullptr, 16, &buffer)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->buffer_alloc(dev_, 16, nullptr)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  float x = 0;
  EXPECT_EQ(Status(p_->buffer_write(dev_, nullptr, 0, &x, 4)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->buffer_read(dev_, nullptr, 0, &x, 4)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  void* ptr = nullptr;
  EXPECT_EQ(Status(p_->buffer_map(dev_, nullptr, &ptr)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_executable_t exe = nullptr;
  EXPECT_EQ(Status(p_->compile(dev_, nullptr, &exe)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->compile(nullptr, nullptr, &exe)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_event_t event = nullptr;
  EXPECT_EQ(Status(p_->execute(nullptr, nullptr, 0, nullptr, 0, nullptr, 0, &event)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->event_wait(dev_, nullptr, 0)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  uint8_t done = 0;
  EXPECT_EQ(Status(p_->event_query(dev_, nullptr, &done)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_node_support support{};
  support.struct_size = sizeof support;
  EXPECT_EQ(Status(p_->query_support(nullptr, nullptr, &support)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);

  // A buffer handle where an event or a device belongs.
  HT_ASSERT_OK(p_->buffer_alloc(dev_, 16, &buffer));
  auto* fake_event = reinterpret_cast<hetrun_event_t>(buffer);
  EXPECT_EQ(Status(p_->event_wait(dev_, fake_event, 0)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
  auto* fake_device = reinterpret_cast<hetrun_device_t>(buffer);
  EXPECT_EQ(Status(p_->buffer_map(fake_device, buffer, &ptr)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  p_->buffer_release(dev_, buffer);

  // Releases accept NULL.
  p_->buffer_release(dev_, nullptr);
  p_->executable_release(nullptr);
  p_->event_release(dev_, nullptr);
}

}  // namespace
}  // namespace hetrun::test
