// Running a session: synchronously, or on a library thread with a completion callback.
#include <cstring>
#include <map>
#include <thread>

#include "c_api_internal.h"
#include "hetrun/runtime/profile.h"

using hetrun::Result;
using hetrun::Status;
using hetrun::capi::Guard;
using hetrun::capi::Require;
namespace core = hetrun::core;

namespace {

// A run's inputs as the runtime takes them and the model outputs asked for.
struct RunRequest {
  std::map<std::string, core::Tensor> inputs;
  std::vector<size_t> outputs;  // indices into session outputs()
};

Result<core::Tensor> ToCore(const hetrun_tensor& tensor) {
  if (tensor.external == nullptr) return tensor.owned;  // shares the storage: no copy
  // core::Tensor owns its (aligned) storage, so caller memory is copied once per run.
  return core::Tensor::FromBytes(static_cast<core::DType>(tensor.dtype), tensor.dims,
                                 tensor.external, tensor.bytes);
}

std::string Names(const std::vector<hetrun::runtime::IoInfo>& list) {
  std::string names;
  for (const auto& io : list) names += (names.empty() ? "" : ", ") + io.name;
  return names;
}

Result<RunRequest> Prepare(const hetrun_session_t* session, const char* const* input_names,
                           const hetrun_tensor_t* const* inputs, size_t input_count,
                           const char* const* output_names, size_t output_count, const char* fn) {
  HETRUN_RETURN_IF_ERROR(Require(session, fn, "session"));
  if (input_count > 0) {
    HETRUN_RETURN_IF_ERROR(Require(input_names, fn, "input_names"));
    HETRUN_RETURN_IF_ERROR(Require(inputs, fn, "inputs"));
  }
  RunRequest request;
  for (size_t i = 0; i < input_count; ++i) {
    HETRUN_RETURN_IF_ERROR(Require(input_names[i], fn, "input_names[i]"));
    if (inputs[i] == nullptr)
      return hetrun::InvalidArgument(std::string(fn) + ": input '" + input_names[i] +
                                     "': tensor is NULL");
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, ToCore(*inputs[i]));
    if (!request.inputs.emplace(input_names[i], std::move(t)).second)
      return hetrun::InvalidArgument(std::string(fn) + ": input '" + input_names[i] +
                                     "' given twice");
  }
  const auto& model_outputs = session->session->outputs();
  if (output_names == nullptr) {
    if (output_count != model_outputs.size())
      return hetrun::InvalidArgument(std::string(fn) + ": output_names is NULL, so output_count " +
                                     "must be the model's output count " +
                                     std::to_string(model_outputs.size()) + ", got " +
                                     std::to_string(output_count));
    for (size_t i = 0; i < output_count; ++i) request.outputs.push_back(i);
    return request;
  }
  for (size_t i = 0; i < output_count; ++i) {
    HETRUN_RETURN_IF_ERROR(Require(output_names[i], fn, "output_names[i]"));
    size_t index = 0;
    while (index < model_outputs.size() && model_outputs[index].name != output_names[i]) ++index;
    if (index == model_outputs.size())
      return hetrun::InvalidArgument("the model has no output '" + std::string(output_names[i]) +
                                     "' (outputs: " + Names(model_outputs) + ")");
    request.outputs.push_back(index);
  }
  return request;
}

// Runs and returns the requested outputs; writes the trace when profiling is on.
Result<std::vector<core::Tensor>> Execute(hetrun_session& session, const RunRequest& request) {
  hetrun::runtime::RunStats stats;
  stats.collect_trace = !session.profiling_file.empty();
  HETRUN_ASSIGN_OR_RETURN(std::vector<core::Tensor> all,
                          session.session->Run(request.inputs, &stats));
  if (stats.collect_trace) {
    std::lock_guard lock(session.profiling_mutex);
    HETRUN_RETURN_IF_ERROR(hetrun::runtime::WriteChromeTrace(
        session.profiling_file, session.session->track_names(), stats.spans));
  }
  std::vector<core::Tensor> selected;
  for (size_t index : request.outputs) selected.push_back(all[index]);
  return selected;
}

// A library-owned tensor holding `result`. The runtime may hand back a model constant's storage
// (an output that is an initializer): callers may write output memory, so that one is copied.
Result<std::unique_ptr<hetrun_tensor>> NewOutput(const hetrun_session& session,
                                                 core::Tensor result) {
  const core::Graph& graph = session.session->graph();
  for (core::ValueId id : graph.outputs) {
    const auto& constant = graph.values[id].constant;
    if (constant && result.byte_size() > 0 && constant->data() == result.data()) {
      HETRUN_ASSIGN_OR_RETURN(result, core::Tensor::FromBytes(result.dtype(), result.dims(),
                                                              result.data(), result.byte_size()));
    }
  }
  auto tensor = std::make_unique<hetrun_tensor>();
  tensor->dtype = static_cast<uint32_t>(result.dtype());
  tensor->dims = result.dims();
  tensor->bytes = result.byte_size();
  tensor->owned = std::move(result);
  return tensor;
}

// A caller-provided output tensor must match the result exactly; it then receives a copy.
Status CheckSlot(const hetrun_tensor& slot, const core::Tensor& result, const std::string& name) {
  if (slot.dtype != static_cast<uint32_t>(result.dtype()) || slot.dims != result.dims()) {
    std::string dims;
    for (int64_t d : slot.dims) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    const auto slot_type = core::DTypeFromCode(slot.dtype);
    return hetrun::InvalidArgument(
        "output '" + name + "' is " + result.Describe() + ", but the tensor given for it is " +
        std::string(slot_type ? core::DTypeName(*slot_type) : "?") + "[" + dims + "]");
  }
  return Status::Ok();
}

}  // namespace

extern "C" {

hetrun_error_t* hetrun_session_run(const hetrun_session_t* session, const char* const* input_names,
                                   const hetrun_tensor_t* const* inputs, size_t input_count,
                                   const char* const* output_names, size_t output_count,
                                   hetrun_tensor_t** outputs) {
  return Guard("hetrun_session_run", [&]() -> Status {
    const char* fn = "hetrun_session_run";
    if (output_count > 0) HETRUN_RETURN_IF_ERROR(Require(outputs, fn, "outputs"));
    HETRUN_ASSIGN_OR_RETURN(RunRequest request, Prepare(session, input_names, inputs, input_count,
                                                        output_names, output_count, fn));
    // The session is logically const for callers; profiling state is internally synchronised.
    hetrun_session& s = const_cast<hetrun_session&>(*session);
    HETRUN_ASSIGN_OR_RETURN(std::vector<core::Tensor> results, Execute(s, request));
    // Check every caller tensor and allocate every new one before writing anything.
    std::vector<std::unique_ptr<hetrun_tensor>> created(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      const std::string& name = s.session->outputs()[request.outputs[i]].name;
      if (outputs[i] != nullptr) {
        HETRUN_RETURN_IF_ERROR(CheckSlot(*outputs[i], results[i], name));
      } else {
        HETRUN_ASSIGN_OR_RETURN(created[i], NewOutput(s, results[i]));
      }
    }
    for (size_t i = 0; i < results.size(); ++i) {
      if (outputs[i] != nullptr) {
        if (results[i].byte_size() > 0)
          std::memcpy(outputs[i]->data(), results[i].data(), results[i].byte_size());
      } else {
        outputs[i] = created[i].release();
      }
    }
    return Status::Ok();
  });
}

hetrun_error_t* hetrun_session_run_async(const hetrun_session_t* session,
                                         const char* const* input_names,
                                         const hetrun_tensor_t* const* inputs, size_t input_count,
                                         const char* const* output_names, size_t output_count,
                                         hetrun_run_callback_t callback, void* user_data) {
  return Guard("hetrun_session_run_async", [&]() -> Status {
    const char* fn = "hetrun_session_run_async";
    if (callback == nullptr)
      return hetrun::InvalidArgument(std::string(fn) + ": `callback` is NULL");
    // Validation errors come back here, before a thread starts.
    HETRUN_ASSIGN_OR_RETURN(RunRequest request, Prepare(session, input_names, inputs, input_count,
                                                        output_names, output_count, fn));
    hetrun_session* s = const_cast<hetrun_session*>(session);
    {
      std::lock_guard lock(s->async_mutex);
      ++s->async_in_flight;
    }
    auto work = [s, request = std::move(request), callback, user_data]() noexcept {
      hetrun_error_t* error = nullptr;
      std::vector<hetrun_tensor_t*> produced;
      try {
        Result<std::vector<core::Tensor>> results = Execute(*s, request);
        error = hetrun::capi::ToError(results.status());
        for (size_t i = 0; error == nullptr && i < results->size(); ++i) {
          Result<std::unique_ptr<hetrun_tensor>> t = NewOutput(*s, (*results)[i]);
          error = hetrun::capi::ToError(t.status());
          if (error == nullptr) produced.push_back(t->release());
        }
      } catch (const std::bad_alloc&) {
        error = hetrun::capi::OutOfMemoryError();
      } catch (const std::exception& e) {
        error =
            hetrun::capi::MakeError(HETRUN_ERROR_INTERNAL, "hetrun_session_run_async", e.what());
      }
      if (error != nullptr) {
        for (hetrun_tensor_t* t : produced) delete t;
        callback(user_data, error, nullptr, 0);
      } else {
        callback(user_data, nullptr, produced.data(), produced.size());
      }
      // Last touch of the session: release() may free it as soon as the lock is dropped.
      std::lock_guard lock(s->async_mutex);
      --s->async_in_flight;
      s->async_done.notify_all();
    };
    try {
      std::thread(std::move(work)).detach();
    } catch (...) {
      std::lock_guard lock(s->async_mutex);
      --s->async_in_flight;
      throw;
    }
    return Status::Ok();
  });
}

}  // extern "C"
