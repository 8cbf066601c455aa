// The environment: plugin search paths and the list of devices the plugins offer.
#include "c_api_internal.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/runtime/device.h"

using hetrun::Status;
using hetrun::capi::Guard;
using hetrun::capi::Require;

namespace {

// Loads every plugin once and records "name" + "description" for each of its devices. Plugins
// that fail to load, or report no devices, are left out: they offer nothing to run on.
Status ListDevices(hetrun_env& env) {
  if (env.listed) return Status::Ok();
  hetrun::plugin_api::PluginRegistry::LoadReport report = env.Registry()->LoadAll();
  for (hetrun::plugin_api::PluginLibrary* plugin : report.loaded) {
    uint32_t count = 0;
    if (!hetrun::plugin_api::TakeStatus(plugin->table().device_count(plugin->self(), &count), "")
             .ok())
      continue;
    for (uint32_t i = 0; i < count; ++i) {
      hetrun::Result<hetrun::runtime::DeviceProperties> p =
          hetrun::runtime::QueryDeviceProperties(*plugin, i);
      if (!p.ok()) continue;
      const std::string name = hetrun::runtime::DeviceName{plugin->name(), i}.ToString();
      env.devices.emplace_back(name, p->name + " | kind " +
                                         hetrun::runtime::DeviceKindName(p->kind) + " | plugin " +
                                         plugin->name() + " " + plugin->version());
    }
  }
  env.listed = true;
  return Status::Ok();
}

}  // namespace

extern "C" {

hetrun_error_t* hetrun_env_create(hetrun_env_t** out) {
  return Guard("hetrun_env_create", [&] {
    HETRUN_RETURN_IF_ERROR(Require(out, "hetrun_env_create", "out"));
    *out = new hetrun_env;
    return Status::Ok();
  });
}

void hetrun_env_release(hetrun_env_t* env) {
  delete env;
}

hetrun_error_t* hetrun_env_add_plugin_path(hetrun_env_t* env, const char* directory) {
  return Guard("hetrun_env_add_plugin_path", [&] {
    HETRUN_RETURN_IF_ERROR(Require(env, "hetrun_env_add_plugin_path", "env"));
    HETRUN_RETURN_IF_ERROR(Require(directory, "hetrun_env_add_plugin_path", "directory"));
    env->plugin_paths.emplace_back(directory);
    // The device list depends on the paths: rebuild it on the next query.
    env->listed = false;
    env->devices.clear();
    env->ResetRegistry();
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_env_device_count(hetrun_env_t* env, size_t* count) {
  return Guard("hetrun_env_device_count", [&] {
    HETRUN_RETURN_IF_ERROR(Require(env, "hetrun_env_device_count", "env"));
    HETRUN_RETURN_IF_ERROR(Require(count, "hetrun_env_device_count", "count"));
    HETRUN_RETURN_IF_ERROR(ListDevices(*env));
    *count = env->devices.size();
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_env_device_info(hetrun_env_t* env, size_t index, const char** name,
                                       const char** description) {
  return Guard("hetrun_env_device_info", [&] {
    HETRUN_RETURN_IF_ERROR(Require(env, "hetrun_env_device_info", "env"));
    HETRUN_RETURN_IF_ERROR(ListDevices(*env));
    if (index >= env->devices.size())
      return hetrun::InvalidArgument("hetrun_env_device_info: device index " +
                                     std::to_string(index) + " out of range (" +
                                     std::to_string(env->devices.size()) + " devices)");
    if (name != nullptr) *name = env->devices[index].first.c_str();
    if (description != nullptr) *description = env->devices[index].second.c_str();
    return Status::Ok();
  });
}

}  // extern "C"
