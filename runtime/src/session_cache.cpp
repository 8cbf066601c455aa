// Session creation with --cache-dir: the key, the lookup and the store around the usual steps.
#include <dlfcn.h>
#include <stdlib.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>

#include "cache/content_hash.h"
#include "cache/mapped_file.h"
#include "cache/plan_cache.h"
#include "cache/session_cache_key.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/runtime/session.h"
#include "scheduler.h"
#include "tuning/measured_costs.h"
#include "tuning/plan_check.h"

namespace hetrun::runtime {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The model file's bytes; nullopt when it cannot be read, so the importer reports why.
std::optional<cache::MappedFile> MapModel(const std::string& path) {
  Result<cache::MappedFile> file = cache::MappedFile::Open(path);
  // Over protobuf's 2 GiB limit: the importer explains.
  if (!file.ok() || file->bytes().size() > INT_MAX) return std::nullopt;
  return std::move(file).value();
}

// The binary this code is linked into (hetrun, libhetrun.so, a test): a rebuilt host may import
// or optimise differently, so its identity is part of the key.
std::string HostIdentity() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&MapModel), &info) == 0 || info.dli_fname == nullptr)
    return "unknown";
  return cache::FileIdentity(info.dli_fname);
}

std::string JoinDims(const std::vector<int64_t>& dims) {
  std::string out;
  for (int64_t d : dims) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

std::string FileContentHash(const std::string& path) {
  std::optional<cache::MappedFile> file = MapModel(path);
  return file ? cache::HashHex(cache::ContentHash64(file->bytes())) : "missing";
}

}  // namespace

std::string PluginBuildIdentity(const Device& device) {
  const hetrun_plugin_v1& api = device.api();
  return std::string("plugin ") + api.name + " " + api.version + " abi " +
         std::to_string(api.abi_major) + "." + std::to_string(api.abi_minor) + " file " +
         cache::FileIdentity(device.plugin().path());
}

// Every input that can change the graph, the devices' answers or the plan. Options that only
// change how runs execute (timeouts, profiling, finiteness checks) are left out.
cache::CacheKey BuildCacheKey(const std::string& model_path, std::string_view model_bytes,
                              const SessionOptions& options,
                              const std::vector<std::unique_ptr<Device>>& devices) {
  cache::CacheKey key;
  key.Add("format", std::to_string(cache::kEntryFormatVersion));
  key.Add("host", HostIdentity());
  key.Add("model_bytes", std::to_string(model_bytes.size()));
  key.Add("model_hash", cache::HashHex(cache::ContentHash64(model_bytes)));
  const std::filesystem::path model_dir = std::filesystem::path(model_path).parent_path();
  for (const std::string& location : cache::ExternalDataLocations(model_bytes))
    key.Add("external", location + " " + cache::FileIdentity(model_dir / location));
  const char* no_opt = secure_getenv("HETRUN_NO_GRAPH_OPT");
  key.Add("graph_opt", no_opt != nullptr && std::strcmp(no_opt, "1") == 0 ? "off" : "on");
  for (const auto& [name, dims] : options.input_shapes)
    key.Add("shape", name + " " + JoinDims(dims));
  for (const auto& device : devices) {
    const DeviceProperties& p = device->properties();
    key.Add("device", device->display_name() + " " + PluginBuildIdentity(*device) + " | " + p.name +
                          " | " + std::to_string(p.memory_bytes) + " " +
                          std::to_string(p.compute_units) + " " + std::to_string(p.flags));
    key.Add("tuning", tuning::TuningFileIdentity(options.cache_dir, options.threads, *device));
  }
  if (!options.apply_tuned_values) key.Add("tuned_values", "off");
  if (options.tuned_nodes)
    for (const std::string& node : *options.tuned_nodes) key.Add("tuned_node", node);
  if (tuning::FollowsPlanCheck(options))
    key.Add("plan_checks", tuning::PlanChecksIdentity(options.cache_dir));
  key.Add("threads", std::to_string(options.threads));
  key.Add("partition", partitioner::StrategyName(options.partition));
  for (const partitioner::Pin& pin : options.pins)
    key.Add("assign", pin.pattern + "=" + pin.device);
  if (!options.plan_in.empty())
    key.Add("plan_in", options.plan_in + " " + FileContentHash(options.plan_in));
  for (const auto& [node, device] : options.replay) key.Add("replay", node + "=" + device);
  for (const auto& [device, bytes] : options.device_memory)
    key.Add("device_memory", device + "=" + std::to_string(bytes));
  key.Add("fallback", options.fallback == FallbackPolicy::kCpu ? "cpu" : "none");
  return key;
}

Result<std::unique_ptr<Session>> Session::CreateCached(const std::string& model_path,
                                                       const SessionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Session> session(new Session());
  HETRUN_RETURN_IF_ERROR(session->OpenDevices(options));
  session->open_ms_ = MsSince(start);

  const auto import_start = std::chrono::steady_clock::now();
  std::optional<cache::MappedFile> model = MapModel(model_path);
  if (!model) {  // let the importer say what is wrong with the file
    core::ImportOptions import_options;
    import_options.input_shapes = options.input_shapes;
    return core::ImportOnnxFile(model_path, import_options).status();
  }
  const std::string_view bytes = model->bytes();
  const cache::CacheKey key = BuildCacheKey(model_path, bytes, options, session->devices_);
  const cache::PlanCache plan_cache(options.cache_dir);
  CacheInfo& info = session->cache_info_;
  info.key = key.hex();
  info.entry = plan_cache.EntryPath(key).string();

  std::optional<cache::CacheEntry> entry;
  if (Result<std::optional<cache::CacheEntry>> loaded = plan_cache.Load(key); !loaded.ok())
    info.warning = "ignored the cache entry: " + loaded.status().message();
  else
    entry = std::move(loaded).value();
  if (entry && entry->answers.size() != session->selected_devices_) {
    info.warning = "ignored the cache entry " + info.entry + ": answers for " +
                   std::to_string(entry->answers.size()) + " device(s), expected " +
                   std::to_string(session->selected_devices_);
    entry.reset();
  }
  if (entry) {
    info.status = "hit";
    session->Init(std::move(entry->graph), options);
  } else {
    info.status = info.warning.empty() ? "miss" : "rebuilt";
    core::ImportOptions import_options;
    import_options.input_shapes = options.input_shapes;
    const std::string parent = std::filesystem::path(model_path).parent_path().string();
    import_options.external_data_dir = parent.empty() ? "." : parent;
    HETRUN_ASSIGN_OR_RETURN(core::Graph graph, core::ImportOnnxBytes(bytes.data(), bytes.size(),
                                                                     import_options, model_path));
    session->Init(std::move(graph), options);
  }
  model.reset();
  session->import_ms_ = MsSince(import_start);

  HETRUN_RETURN_IF_ERROR(session->PlanAndCompile(options, entry ? &entry->answers : nullptr));
  if (!entry) {
    // A cache that cannot be written costs the next session its speed, never this one its result.
    if (Status stored = plan_cache.Store(key, session->graph_, session->plan_.answers);
        !stored.ok())
      info.warning += (info.warning.empty() ? "" : "; ") + ("not cached: " + stored.message());
  }
  session->create_ms_ = MsSince(start);
  return session;
}

}  // namespace hetrun::runtime
