// One loaded plugin shared library: opened with RTLD_NOW | RTLD_LOCAL (Boost.DLL), its entry symbol
// checked (ABI major, table size, required slots), init() called. Destruction calls shutdown() and
// unloads. A plugin that fails any check is refused with a message; the process carries on.
#pragma once

#include <memory>
#include <string>

#include "hetrun/plugin.h"
#include "hetrun/status.h"

namespace hetrun::plugin_api {

class PluginLibrary {
 public:
  static Result<std::unique_ptr<PluginLibrary>> Load(const std::string& path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& path() const { return path_; }
  const hetrun_plugin_v1& table() const { return *table_; }
  void* self() const { return self_; }
  // True when the plugin's table is large enough to hold the slot at `offset` and the slot is set.
  bool HasSlot(size_t offset_end) const { return table_->struct_size >= offset_end; }

 private:
  PluginLibrary() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  const hetrun_plugin_v1* table_ = nullptr;
  void* self_ = nullptr;
  std::string name_, version_, path_;
};

}  // namespace hetrun::plugin_api
