// The ABI's table and struct layouts are frozen: growth only appends. These offsets are what every
// plugin ever built against ABI 1.0 relies on.
#include <gtest/gtest.h>

#include <cstddef>

#include "hetrun/plugin.h"

namespace {

static_assert(offsetof(hetrun_plugin_v1, struct_size) == 0);
static_assert(offsetof(hetrun_plugin_v1, abi_major) == 4);
static_assert(offsetof(hetrun_plugin_v1, name) == 8);
static_assert(offsetof(hetrun_plugin_v1, init) == 32);
static_assert(offsetof(hetrun_plugin_v1, event_release) == 32 + 18 * sizeof(void*));
// Minor 2 appended the tuning calls.
static_assert(offsetof(hetrun_plugin_v1, list_tunables) == 32 + 19 * sizeof(void*));
static_assert(offsetof(hetrun_plugin_v1, event_elapsed_us) == 32 + 21 * sizeof(void*));
// Minor 3 appended per-node profiling.
static_assert(offsetof(hetrun_plugin_v1, event_node_times) == 32 + 22 * sizeof(void*));
static_assert(sizeof(hetrun_plugin_v1) == 32 + 23 * sizeof(void*));
static_assert(offsetof(hetrun_node_time, start_us) == 8);
static_assert(sizeof(hetrun_node_time) == 24 + 128);
static_assert(offsetof(hetrun_device_options, profile_nodes) == 16);  // minor 3
static_assert(offsetof(hetrun_tunable, name) == 8);
static_assert(offsetof(hetrun_tunable, values) == 216);
static_assert(sizeof(hetrun_tunable) == 216 + 8 * HETRUN_MAX_TUNABLE_VALUES + 8);
static_assert(offsetof(hetrun_tuning_value, name) == 8);
static_assert(sizeof(hetrun_tuning_value) == 24);
static_assert(offsetof(hetrun_host_services, status_create) == 8);
static_assert(offsetof(hetrun_node_support, cost_us) == 8);
static_assert(offsetof(hetrun_device_options, cache_dir) == 8);  // minor 1
static_assert(sizeof(hetrun_tensor_arg) == 24 + 8 * HETRUN_MAX_RANK);
static_assert(offsetof(hetrun_graph_view, values) == 8);

extern "C" int hetrun_abi_c99_check_size(void);

TEST(PluginAbi, CAndCxxAgreeOnTheTableSize) {
  EXPECT_EQ(hetrun_abi_c99_check_size(), static_cast<int>(sizeof(hetrun_plugin_v1)));
}

}  // namespace
