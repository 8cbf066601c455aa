// Finds and loads plugins. Plugins are files named libhetrun_plugin_<name>.so in, first, the
// directories given with --plugin-path, then the default directory next to the running binary
// (<prefix>/lib/hetrun/plugins for <prefix>/bin/hetrun: the same in the build and install trees).
// Never the current directory, never a bare name resolved by the dynamic linker's search path.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hetrun/plugin_api/plugin_library.h"
#include "hetrun/status.h"

namespace hetrun::plugin_api {

struct PluginCandidate {
  std::string name;  // "cpu" for libhetrun_plugin_cpu.so
  std::string path;  // absolute
};

class PluginRegistry {
 public:
  // `extra_dirs` are searched before the default directory.
  explicit PluginRegistry(std::vector<std::string> extra_dirs = {});

  // The default plugin directory, derived from where this code is loaded from.
  static std::string DefaultPluginDir();
  const std::vector<std::string>& search_dirs() const { return search_dirs_; }

  // Every plugin file found, first occurrence of each name wins (search order).
  std::vector<PluginCandidate> Discover() const;

  // Loads plugin `name` once (later calls return the same library). Errors name the plugin, the
  // searched directories and what is available. Thread-safe: the sessions of one application
  // environment share a registry, so each plugin is loaded once per environment.
  Result<PluginLibrary*> Load(const std::string& name);

  // Loads every discovered plugin; failures are returned alongside, never fatal.
  struct LoadReport {
    std::vector<PluginLibrary*> loaded;
    std::vector<std::pair<PluginCandidate, Status>> failed;
  };
  LoadReport LoadAll();

 private:
  std::vector<std::string> search_dirs_;
  std::mutex mutex_;  // guards loaded_
  std::map<std::string, std::unique_ptr<PluginLibrary>> loaded_;
};

}  // namespace hetrun::plugin_api
