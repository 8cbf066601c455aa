// Session creation (from a file or memory), input/output metadata and the plan as JSON.
#include <cstdlib>
#include <cstring>

#include "c_api_internal.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/partitioner/plan_format.h"

using hetrun::Status;
using hetrun::capi::Guard;
using hetrun::capi::Require;

namespace {

// The runtime's options. With an environment the session uses the environment's plugins, loaded
// once for all its sessions; options that add plugin directories of their own get a registry of
// their own, searching the environment's directories first.
hetrun::runtime::SessionOptions Resolve(const hetrun_env_t* env,
                                        const hetrun_session_options_t* options) {
  hetrun::runtime::SessionOptions resolved =
      options != nullptr ? options->options : hetrun::runtime::SessionOptions{};
  if (env == nullptr) return resolved;
  if (resolved.plugin_paths.empty()) {
    resolved.registry = env->Registry();
  } else {
    resolved.plugin_paths.insert(resolved.plugin_paths.begin(), env->plugin_paths.begin(),
                                 env->plugin_paths.end());
  }
  return resolved;
}

Status Wrap(hetrun::Result<std::unique_ptr<hetrun::runtime::Session>> created,
            const hetrun_session_options_t* options, hetrun_session_t** out) {
  if (!created.ok()) return created.status();
  auto session = std::make_unique<hetrun_session>();
  session->session = std::move(created).value();
  if (options != nullptr) session->profiling_file = options->profiling_file;
  *out = session.release();
  return Status::Ok();
}

hetrun::Result<const hetrun::runtime::IoInfo*> Io(const hetrun_session_t* session, size_t index,
                                                  bool output, const char* function) {
  HETRUN_RETURN_IF_ERROR(Require(session, function, "session"));
  const auto& list = output ? session->session->outputs() : session->session->inputs();
  if (index >= list.size())
    return hetrun::InvalidArgument(std::string(function) + ": index " + std::to_string(index) +
                                   " out of range (the model has " + std::to_string(list.size()) +
                                   (output ? " outputs)" : " inputs)"));
  return &list[index];
}

hetrun_error_t* Count(const hetrun_session_t* session, size_t* count, bool output,
                      const char* function) {
  return Guard(function, [&] {
    HETRUN_RETURN_IF_ERROR(Require(session, function, "session"));
    HETRUN_RETURN_IF_ERROR(Require(count, function, "count"));
    *count = output ? session->session->outputs().size() : session->session->inputs().size();
    return Status::Ok();
  });
}

hetrun_error_t* Info(const hetrun_session_t* session, size_t index, const char** name,
                     uint32_t* dtype, int64_t* rank, bool output, const char* function) {
  return Guard(function, [&] {
    HETRUN_ASSIGN_OR_RETURN(const hetrun::runtime::IoInfo* io,
                            Io(session, index, output, function));
    if (name != nullptr) *name = io->name.c_str();
    if (dtype != nullptr) *dtype = static_cast<uint32_t>(io->dtype);
    if (rank != nullptr) *rank = io->shape.rank();
    return Status::Ok();
  });
}

hetrun_error_t* Dims(const hetrun_session_t* session, size_t index, int64_t* dims, size_t capacity,
                     bool output, const char* function) {
  return Guard(function, [&] {
    HETRUN_ASSIGN_OR_RETURN(const hetrun::runtime::IoInfo* io,
                            Io(session, index, output, function));
    const std::vector<int64_t> sizes = io->shape.sizes();
    if (capacity > 0) HETRUN_RETURN_IF_ERROR(Require(dims, function, "dims"));
    for (size_t i = 0; i < sizes.size() && i < capacity; ++i) dims[i] = sizes[i];
    return Status::Ok();
  });
}

}  // namespace

extern "C" {

hetrun_error_t* hetrun_session_create(const hetrun_env_t* env, const char* model_path,
                                      const hetrun_session_options_t* options,
                                      hetrun_session_t** out) {
  return Guard("hetrun_session_create", [&] {
    HETRUN_RETURN_IF_ERROR(Require(model_path, "hetrun_session_create", "model_path"));
    HETRUN_RETURN_IF_ERROR(Require(out, "hetrun_session_create", "out"));
    return Wrap(hetrun::runtime::Session::Create(model_path, Resolve(env, options)), options, out);
  });
}

hetrun_error_t* hetrun_session_create_from_memory(const hetrun_env_t* env, const void* model_data,
                                                  size_t model_size,
                                                  const hetrun_session_options_t* options,
                                                  hetrun_session_t** out) {
  return Guard("hetrun_session_create_from_memory", [&] {
    const char* fn = "hetrun_session_create_from_memory";
    HETRUN_RETURN_IF_ERROR(Require(model_data, fn, "model_data"));
    HETRUN_RETURN_IF_ERROR(Require(out, fn, "out"));
    hetrun::runtime::SessionOptions resolved = Resolve(env, options);
    hetrun::core::ImportOptions import_options;
    import_options.input_shapes = resolved.input_shapes;
    HETRUN_ASSIGN_OR_RETURN(
        hetrun::core::Graph graph,
        hetrun::core::ImportOnnxBytes(model_data, model_size, import_options, "<memory>"));
    return Wrap(hetrun::runtime::Session::Create(std::move(graph), resolved), options, out);
  });
}

void hetrun_session_release(hetrun_session_t* session) {
  if (session == nullptr) return;
  {
    std::unique_lock lock(session->async_mutex);
    session->async_done.wait(lock, [&] { return session->async_in_flight == 0; });
  }
  delete session;
}

hetrun_error_t* hetrun_session_input_count(const hetrun_session_t* session, size_t* count) {
  return Count(session, count, false, "hetrun_session_input_count");
}
hetrun_error_t* hetrun_session_output_count(const hetrun_session_t* session, size_t* count) {
  return Count(session, count, true, "hetrun_session_output_count");
}
hetrun_error_t* hetrun_session_input_info(const hetrun_session_t* session, size_t index,
                                          const char** name, uint32_t* dtype, int64_t* rank) {
  return Info(session, index, name, dtype, rank, false, "hetrun_session_input_info");
}
hetrun_error_t* hetrun_session_output_info(const hetrun_session_t* session, size_t index,
                                           const char** name, uint32_t* dtype, int64_t* rank) {
  return Info(session, index, name, dtype, rank, true, "hetrun_session_output_info");
}
hetrun_error_t* hetrun_session_input_dims(const hetrun_session_t* session, size_t index,
                                          int64_t* dims, size_t capacity) {
  return Dims(session, index, dims, capacity, false, "hetrun_session_input_dims");
}
hetrun_error_t* hetrun_session_output_dims(const hetrun_session_t* session, size_t index,
                                           int64_t* dims, size_t capacity) {
  return Dims(session, index, dims, capacity, true, "hetrun_session_output_dims");
}

hetrun_error_t* hetrun_session_plan_json(const hetrun_session_t* session, char** json) {
  return Guard("hetrun_session_plan_json", [&] {
    HETRUN_RETURN_IF_ERROR(Require(session, "hetrun_session_plan_json", "session"));
    HETRUN_RETURN_IF_ERROR(Require(json, "hetrun_session_plan_json", "json"));
    const std::string text =
        hetrun::partitioner::PlanJson(session->session->graph(), session->session->plan());
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, text.c_str(), text.size() + 1);
    *json = copy;
    return Status::Ok();
  });
}

}  // extern "C"
