#include "hetrun/plugin_api/plugin_library.h"

#include <dlfcn.h>
#include <boost/dll/shared_library.hpp>

#include <cstddef>
#include <regex>

#include "hetrun/plugin_api/host_services.h"

namespace hetrun::plugin_api {

struct PluginLibrary::Handle {
  boost::dll::shared_library library;
};

namespace {

// The slots a v1 plugin must fill; optional ones (unavailable_reason, buffer_map) may be NULL.
Status CheckTable(const hetrun_plugin_v1& t, const std::string& where) {
  if (t.abi_major != HETRUN_ABI_MAJOR)
    return InvalidArgument(where + ": plugin ABI major version " + std::to_string(t.abi_major) +
                           ", this hetrun needs " + std::to_string(HETRUN_ABI_MAJOR));
  if (t.struct_size < offsetof(hetrun_plugin_v1, event_release) + sizeof(void*))
    return InvalidArgument(where + ": plugin table too small (" + std::to_string(t.struct_size) +
                           " bytes) for ABI 1.0");
  if (t.name == nullptr || !std::regex_match(t.name, std::regex("[a-z0-9_]{1,32}")))
    return InvalidArgument(where + ": plugin name missing or not [a-z0-9_]{1,32}");
  const void* required[] = {
      reinterpret_cast<const void*>(t.init),
      reinterpret_cast<const void*>(t.shutdown),
      reinterpret_cast<const void*>(t.device_count),
      reinterpret_cast<const void*>(t.device_info),
      reinterpret_cast<const void*>(t.device_open),
      reinterpret_cast<const void*>(t.device_close),
      reinterpret_cast<const void*>(t.query_support),
      reinterpret_cast<const void*>(t.compile),
      reinterpret_cast<const void*>(t.executable_release),
      reinterpret_cast<const void*>(t.buffer_alloc),
      reinterpret_cast<const void*>(t.buffer_release),
      reinterpret_cast<const void*>(t.buffer_write),
      reinterpret_cast<const void*>(t.buffer_read),
      reinterpret_cast<const void*>(t.execute),
      reinterpret_cast<const void*>(t.event_wait),
      reinterpret_cast<const void*>(t.event_query),
      reinterpret_cast<const void*>(t.event_release),
  };
  for (const void* slot : required)
    if (slot == nullptr) return InvalidArgument(where + ": plugin table has a required slot unset");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PluginLibrary>> PluginLibrary::Load(const std::string& path) {
  std::unique_ptr<PluginLibrary> plugin(new PluginLibrary());
  plugin->path_ = path;
  plugin->handle_ = std::make_unique<Handle>();
  boost::system::error_code ec;
  // RTLD_LOCAL keeps each plugin's symbols (and its LLVM, glslang, ...) private to it.
  plugin->handle_->library.load(
      path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* detail = dlerror();
    return Unavailable(path + ": cannot load plugin (" + (detail ? detail : ec.message()) + ")");
  }
  if (!plugin->handle_->library.has(HETRUN_PLUGIN_ENTRY_SYMBOL))
    return InvalidArgument(path + ": not a hetrun plugin (no symbol " HETRUN_PLUGIN_ENTRY_SYMBOL
                                  ")");
  auto query = plugin->handle_->library.get<const hetrun_plugin_v1*(uint32_t, uint32_t)>(
      HETRUN_PLUGIN_ENTRY_SYMBOL);
  const hetrun_plugin_v1* table = query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
  if (table == nullptr)
    return InvalidArgument(path + ": plugin declined this host's ABI version " +
                           std::to_string(HETRUN_ABI_MAJOR) + "." +
                           std::to_string(HETRUN_ABI_MINOR));
  HETRUN_RETURN_IF_ERROR(CheckTable(*table, path));
  plugin->name_ = table->name;
  plugin->version_ = table->version ? table->version : "unknown";
  void* self = nullptr;
  HETRUN_RETURN_IF_ERROR(
      TakeStatus(table->init(HostServices(), &self),
                 path + ": plugin '" + plugin->name_ + "' failed to initialise"));
  plugin->table_ = table;  // from here on the destructor owes the plugin a shutdown()
  plugin->self_ = self;
  return plugin;
}

PluginLibrary::~PluginLibrary() {
  // Only initialised plugins are shut down; the library unloads when handle_ is destroyed.
  if (table_ != nullptr) table_->shutdown(self_);
}

}  // namespace hetrun::plugin_api
