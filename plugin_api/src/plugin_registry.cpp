#include "hetrun/plugin_api/plugin_registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace hetrun::plugin_api {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "libhetrun_plugin_";
constexpr std::string_view kSuffix = ".so";

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::string PluginRegistry::DefaultPluginDir() {
  // dladdr on one of our own functions finds the object this code lives in (the hetrun executable,
  // a test binary, or libhetrun.so for applications); plugins live in ../lib/hetrun/plugins.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&PluginRegistry::DefaultPluginDir), &info) == 0 ||
      info.dli_fname == nullptr)
    return {};
  std::error_code ec;
  fs::path object = fs::canonical(fs::path(info.dli_fname), ec);
  if (ec) return {};
  fs::path dir = object.parent_path();
  // The install's lib dir may be multiarch (lib/x86_64-linux-gnu under /usr): the build says which.
  for (const fs::path& candidate :
       {dir.parent_path() / "lib" / "hetrun" / "plugins",
        dir.parent_path() / HETRUN_INSTALL_LIBDIR / "hetrun" / "plugins",
        dir / "hetrun" / "plugins"}) {
    if (fs::is_directory(candidate, ec)) return candidate.string();
  }
  return (dir.parent_path() / "lib" / "hetrun" / "plugins").string();
}

PluginRegistry::PluginRegistry(std::vector<std::string> extra_dirs) {
  for (std::string& d : extra_dirs) {
    std::error_code ec;
    fs::path abs = fs::absolute(d, ec);  // resolved now: later cwd changes do not matter
    search_dirs_.push_back(ec ? d : abs.lexically_normal().string());
  }
  std::string default_dir = DefaultPluginDir();
  if (!default_dir.empty()) search_dirs_.push_back(default_dir);
}

std::vector<PluginCandidate> PluginRegistry::Discover() const {
  std::vector<PluginCandidate> found;
  std::set<std::string> seen;
  for (const std::string& dir : search_dirs_) {
    std::error_code ec;
    std::vector<PluginCandidate> in_dir;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      const std::string file = e.path().filename().string();
      if (file.size() <= kPrefix.size() + kSuffix.size() || !file.starts_with(kPrefix) ||
          !file.ends_with(kSuffix) || !e.is_regular_file(ec))
        continue;
      std::string name = file.substr(kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size());
      in_dir.push_back({name, e.path().string()});
    }
    std::sort(in_dir.begin(), in_dir.end(),
              [](const PluginCandidate& a, const PluginCandidate& b) { return a.name < b.name; });
    for (PluginCandidate& c : in_dir)
      if (seen.insert(c.name).second) found.push_back(std::move(c));
  }
  return found;
}

Result<PluginLibrary*> PluginRegistry::Load(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second.get();
  std::vector<PluginCandidate> candidates = Discover();
  auto it = std::find_if(candidates.begin(), candidates.end(),
                         [&](const PluginCandidate& c) { return c.name == name; });
  if (it == candidates.end()) {
    std::vector<std::string> names;
    for (const PluginCandidate& c : candidates) names.push_back(c.name);
    return NotFound("no plugin '" + name + "' (searched " + Join(search_dirs_, ", ") +
                    "; available: " + (names.empty() ? "none" : Join(names, ", ")) +
                    "); use --plugin-path DIR to add a directory");
  }
  HETRUN_ASSIGN_OR_RETURN(std::unique_ptr<PluginLibrary> library, PluginLibrary::Load(it->path));
  if (library->name() != name)
    return InvalidArgument(it->path + ": file is named for plugin '" + name +
                           "' but the plugin calls itself '" + library->name() + "'");
  PluginLibrary* raw = library.get();
  loaded_[name] = std::move(library);
  return raw;
}

PluginRegistry::LoadReport PluginRegistry::LoadAll() {
  LoadReport report;
  for (const PluginCandidate& c : Discover()) {
    Result<PluginLibrary*> r = Load(c.name);
    if (r.ok())
      report.loaded.push_back(*r);
    else
      report.failed.emplace_back(c, r.status());
  }
  return report;
}

}  // namespace hetrun::plugin_api
