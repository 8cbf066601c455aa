// Loading plugins: the real CPU plugin from the default directory, and broken plugins refused with
// a message that says why, without taking the process down.
#include <gtest/gtest.h>

#include "hetrun/plugin_api/host_services.h"
#include "hetrun/plugin_api/plugin_registry.h"

namespace hetrun::plugin_api {
namespace {

TEST(PluginRegistry, DefaultDirectoryIsNextToTheBinary) {
  // Test binaries live in <build>/bin, like hetrun itself, so the default is
  // <build>/lib/hetrun/plugins.
  EXPECT_EQ(PluginRegistry::DefaultPluginDir(), std::string(HETRUN_PLUGIN_DIR));
}

TEST(PluginRegistry, LoadsTheCpuPluginByName) {
  PluginRegistry registry;
  Result<PluginLibrary*> cpu = registry.Load("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  EXPECT_EQ((*cpu)->name(), "cpu");
  uint32_t count = 0;
  ASSERT_TRUE(TakeStatus((*cpu)->table().device_count((*cpu)->self(), &count), "").ok());
  EXPECT_EQ(count, 1u);
  // A second Load returns the same library.
  EXPECT_EQ(*registry.Load("cpu"), *cpu);
}

TEST(PluginRegistry, MissingPluginListsWhatIsAvailable) {
  PluginRegistry registry;
  Result<PluginLibrary*> r = registry.Load("nosuch");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no plugin 'nosuch'"), std::string::npos);
  EXPECT_NE(r.status().message().find("available: cpu"), std::string::npos) << r.status().message();
}

TEST(PluginRegistry, ExtraDirectoriesComeFirstAndBrokenPluginsDoNotStopOthers) {
  PluginRegistry registry({HETRUN_BROKEN_PLUGIN_DIR});
  PluginRegistry::LoadReport report = registry.LoadAll();
  std::vector<std::string> loaded;
  for (PluginLibrary* p : report.loaded) loaded.push_back(p->name());
  EXPECT_NE(std::find(loaded.begin(), loaded.end(), "cpu"), loaded.end());
  EXPECT_NE(std::find(loaded.begin(), loaded.end(), "good_minimal"), loaded.end());
  EXPECT_EQ(report.failed.size(), 7u);
}

struct BrokenCase {
  std::string plugin, expected;
  StatusCode code;
};

class BrokenPlugin : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenPlugin, IsRefusedWithAReason) {
  PluginRegistry registry({HETRUN_BROKEN_PLUGIN_DIR});
  Result<PluginLibrary*> r = registry.Load(GetParam().plugin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), GetParam().code) << r.status().message();
  EXPECT_NE(r.status().message().find(GetParam().expected), std::string::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Loader, BrokenPlugin,
    ::testing::Values(
        BrokenCase{"no_entry", "not a hetrun plugin", StatusCode::kInvalidArgument},
        BrokenCase{"future_abi", "ABI major version 2", StatusCode::kInvalidArgument},
        BrokenCase{"declines", "declined this host's ABI", StatusCode::kInvalidArgument},
        BrokenCase{"init_fails", "simulated driver failure", StatusCode::kUnavailable},
        BrokenCase{"missing_slot", "required slot unset", StatusCode::kInvalidArgument},
        BrokenCase{"undefined_symbol", "cannot load plugin", StatusCode::kUnavailable},
        BrokenCase{"misnamed", "calls itself 'somebody_else'", StatusCode::kInvalidArgument}),
    [](const ::testing::TestParamInfo<BrokenCase>& param_info) { return param_info.param.plugin; });

TEST(PluginRegistry, GoodMinimalPluginReportsZeroDevicesAndAReason) {
  PluginRegistry registry({HETRUN_BROKEN_PLUGIN_DIR});
  Result<PluginLibrary*> r = registry.Load("good_minimal");
  ASSERT_TRUE(r.ok()) << r.status().message();
  uint32_t count = 7;
  ASSERT_TRUE(TakeStatus((*r)->table().device_count((*r)->self(), &count), "").ok());
  EXPECT_EQ(count, 0u);
  EXPECT_STREQ((*r)->table().unavailable_reason((*r)->self()), "test plugin without hardware");
}

TEST(HostServices, StatusRoundTrip) {
  const hetrun_host_services* host = HostServices();
  EXPECT_EQ(host->status_create(HETRUN_STATUS_OK, "fine"), nullptr);
  Status s = TakeStatus(host->status_create(HETRUN_STATUS_DEVICE_LOST, "gone"), "device 'x'");
  EXPECT_EQ(s.code(), StatusCode::kDeviceLost);
  EXPECT_EQ(s.message(), "device 'x': gone");
  EXPECT_TRUE(TakeStatus(nullptr, "ctx").ok());
}

}  // namespace
}  // namespace hetrun::plugin_api
