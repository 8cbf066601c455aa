// Session options: setters over runtime::SessionOptions, validated as the CLI validates its flags.
#include "c_api_internal.h"
#include "hetrun/partitioner/partitioner.h"
#include "hetrun/runtime/device.h"

using hetrun::Status;
using hetrun::capi::Guard;
using hetrun::capi::Require;

namespace {
// Both the options handle and the text argument must be given.
Status RequireBoth(const void* options, const void* text, const char* function, const char* arg) {
  HETRUN_RETURN_IF_ERROR(Require(options, function, "options"));
  return Require(text, function, arg);
}
}  // namespace

extern "C" {

hetrun_error_t* hetrun_session_options_create(hetrun_session_options_t** out) {
  return Guard("hetrun_session_options_create", [&] {
    HETRUN_RETURN_IF_ERROR(Require(out, "hetrun_session_options_create", "out"));
    *out = new hetrun_session_options;
    return Status::Ok();
  });
}

void hetrun_session_options_release(hetrun_session_options_t* options) {
  delete options;
}

hetrun_error_t* hetrun_session_options_set_devices(hetrun_session_options_t* options,
                                                   const char* const* devices, size_t count) {
  return Guard("hetrun_session_options_set_devices", [&] {
    const char* fn = "hetrun_session_options_set_devices";
    HETRUN_RETURN_IF_ERROR(RequireBoth(options, devices, fn, "devices"));
    if (count == 0) return hetrun::InvalidArgument(std::string(fn) + ": no devices given");
    std::vector<std::string> list;
    for (size_t i = 0; i < count; ++i) {
      HETRUN_RETURN_IF_ERROR(Require(devices[i], fn, "devices[i]"));
      HETRUN_RETURN_IF_ERROR(hetrun::runtime::DeviceName::Parse(devices[i]).status());
      list.emplace_back(devices[i]);
    }
    options->options.devices = std::move(list);
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_partition(hetrun_session_options_t* options,
                                                     const char* strategy) {
  return Guard("hetrun_session_options_set_partition", [&] {
    HETRUN_RETURN_IF_ERROR(
        RequireBoth(options, strategy, "hetrun_session_options_set_partition", "strategy"));
    HETRUN_ASSIGN_OR_RETURN(options->options.partition,
                            hetrun::partitioner::ParseStrategy(strategy));
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_add_assignment(hetrun_session_options_t* options,
                                                      const char* assignment) {
  return Guard("hetrun_session_options_add_assignment", [&] {
    HETRUN_RETURN_IF_ERROR(
        RequireBoth(options, assignment, "hetrun_session_options_add_assignment", "assignment"));
    HETRUN_ASSIGN_OR_RETURN(hetrun::partitioner::Pin pin,
                            hetrun::partitioner::Pin::Parse(assignment));
    options->options.pins.push_back(std::move(pin));
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_threads(hetrun_session_options_t* options,
                                                   uint32_t threads) {
  return Guard("hetrun_session_options_set_threads", [&] {
    HETRUN_RETURN_IF_ERROR(Require(options, "hetrun_session_options_set_threads", "options"));
    options->options.threads = threads;
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_fallback(hetrun_session_options_t* options,
                                                    const char* policy) {
  return Guard("hetrun_session_options_set_fallback", [&] {
    HETRUN_RETURN_IF_ERROR(
        RequireBoth(options, policy, "hetrun_session_options_set_fallback", "policy"));
    HETRUN_ASSIGN_OR_RETURN(options->options.fallback,
                            hetrun::runtime::ParseFallbackPolicy(policy));
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_profiling_file(hetrun_session_options_t* options,
                                                          const char* path) {
  return Guard("hetrun_session_options_set_profiling_file", [&] {
    HETRUN_RETURN_IF_ERROR(
        Require(options, "hetrun_session_options_set_profiling_file", "options"));
    options->profiling_file = path == nullptr ? "" : path;
    // As --profile: the devices time each node, and the trace shows them inside their parts.
    options->options.profile_nodes = !options->profiling_file.empty();
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_warm_start(hetrun_session_options_t* options,
                                                      int enabled) {
  return Guard("hetrun_session_options_set_warm_start", [&] {
    HETRUN_RETURN_IF_ERROR(Require(options, "hetrun_session_options_set_warm_start", "options"));
    options->options.warm_start = enabled != 0;
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_cache_dir(hetrun_session_options_t* options,
                                                     const char* directory) {
  return Guard("hetrun_session_options_set_cache_dir", [&] {
    HETRUN_RETURN_IF_ERROR(Require(options, "hetrun_session_options_set_cache_dir", "options"));
    options->options.cache_dir = directory != nullptr ? directory : "";
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_device_memory(hetrun_session_options_t* options,
                                                         const char* device, uint64_t bytes) {
  return Guard("hetrun_session_options_set_device_memory", [&] {
    HETRUN_RETURN_IF_ERROR(
        RequireBoth(options, device, "hetrun_session_options_set_device_memory", "device"));
    HETRUN_RETURN_IF_ERROR(hetrun::runtime::DeviceName::Parse(device).status());
    options->options.device_memory[device] = bytes;
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_options_set_input_shape(hetrun_session_options_t* options,
                                                       const char* name, const int64_t* dims,
                                                       size_t rank) {
  return Guard("hetrun_session_options_set_input_shape", [&] {
    const char* fn = "hetrun_session_options_set_input_shape";
    HETRUN_RETURN_IF_ERROR(RequireBoth(options, name, fn, "name"));
    if (rank > 0) HETRUN_RETURN_IF_ERROR(Require(dims, fn, "dims"));
    std::vector<int64_t> shape(dims, dims + rank);
    for (int64_t d : shape)
      if (d < 0)
        return hetrun::InvalidArgument(std::string(fn) + ": input '" + name +
                                       "': dims must be >= 0, got " + std::to_string(d));
    options->options.input_shapes[name] = std::move(shape);
    return Status::Ok();
  });
}

}  // extern "C"
