// Two plugins built on the framework in one process (dlopen'ed RTLD_LOCAL, as the host loads them,
// and built with default visibility): each keeps its own host services and name, and each refuses
// the other's handles although both use the same tags.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "hetrun/plugin.h"

struct hetrun_status_s {
  hetrun_status_code_t code;
  std::string message;
};

namespace {

hetrun_status_t CreateStatus(hetrun_status_code_t code, const char* message) {
  return new hetrun_status_s{code, message ? message : ""};
}
void LogLine(hetrun_log_level_t, const char*) {}
const hetrun_host_services kHost = {sizeof(hetrun_host_services), HETRUN_ABI_MAJOR,
                                    HETRUN_ABI_MINOR, CreateStatus, LogLine};

struct Loaded {
  explicit Loaded(const std::string& name) {
    const std::string path = std::string(SDK_MINI_PLUGIN_DIR) + "/libhetrun_plugin_" + name + ".so";
    library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    auto query = reinterpret_cast<hetrun_plugin_query_fn>(dlsym(library, "hetrun_plugin_query"));
    table = query ? query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR) : nullptr;
  }
  ~Loaded() {
    if (library) dlclose(library);
  }
  void* library = nullptr;
  const hetrun_plugin_v1* table = nullptr;
  void* self = nullptr;
  hetrun_device_t device = nullptr;
};

// Code and message of a status, freeing it.
std::pair<hetrun_status_code_t, std::string> Take(hetrun_status_t status) {
  if (!status) return {HETRUN_STATUS_OK, ""};
  std::pair<hetrun_status_code_t, std::string> result{status->code, status->message};
  delete status;
  return result;
}

TEST(FrameworkTwoPlugins, KeepTheirOwnStateAndRefuseEachOthersHandles) {
  Loaded a("sdk_mini_a"), b("sdk_mini_b");
  ASSERT_NE(a.table, nullptr) << dlerror();
  ASSERT_NE(b.table, nullptr) << dlerror();
  for (Loaded* p : {&a, &b}) {
    ASSERT_EQ(Take(p->table->init(&kHost, &p->self)).first, HETRUN_STATUS_OK);
    ASSERT_EQ(Take(p->table->device_open(p->self, 0, nullptr, &p->device)).first, HETRUN_STATUS_OK);
  }
  hetrun_buffer_t a_buffer = nullptr;
  ASSERT_EQ(Take(a.table->buffer_alloc(a.device, 16, &a_buffer)).first, HETRUN_STATUS_OK);

  // b gets a's buffer: same tag, another library.
  char sink[16];
  auto refused = Take(b.table->buffer_read(b.device, a_buffer, 0, sink, 16));
  EXPECT_EQ(refused.first, HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(refused.second.find("of the sdk_mini_b plugin"), std::string::npos) << refused.second;
  b.table->buffer_release(b.device, a_buffer);  // not b's: nothing happens
  EXPECT_EQ(Take(a.table->buffer_read(a.device, a_buffer, 0, sink, 16)).first, HETRUN_STATUS_OK);

  // Shutting a down leaves b's host services in place: b still reports errors as statuses.
  a.table->buffer_release(a.device, a_buffer);
  a.table->device_close(a.device);
  a.table->shutdown(a.self);
  auto still = Take(b.table->buffer_read(b.device, nullptr, 0, sink, 16));
  EXPECT_EQ(still.first, HETRUN_STATUS_INVALID_ARGUMENT) << "b lost its host services";
  b.table->device_close(b.device);
  b.table->shutdown(b.self);
}

}  // namespace
