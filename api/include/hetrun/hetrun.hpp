// hetrun's C++ API: a header-only C++17 RAII layer over the C API (hetrun.h). Handles free
// themselves; failures throw hetrun::Error carrying the C API's code and message.
//
//   hetrun::Session session("model.onnx", hetrun::SessionOptions().Devices({"cpu", "vulkan"}));
//   std::vector<float> pixels(1 * 1 * 28 * 28);
//   auto image = hetrun::Tensor::Over(pixels.data(), {1, 1, 28, 28});
//   std::vector<hetrun::Tensor> out = session.Run({{"image", &image}});
//   const float* probabilities = out[0].Data<float>();
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hetrun/hetrun.h"

namespace hetrun {

// A failure reported by the C API: code() is one of HETRUN_ERROR_*.
class Error : public std::runtime_error {
 public:
  Error(uint32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  uint32_t code() const noexcept { return code_; }

 private:
  uint32_t code_;
};

namespace detail {
// Takes ownership of `error` and throws it as hetrun::Error.
inline void Check(hetrun_error_t* error) {
  if (error == nullptr) return;
  const uint32_t code = hetrun_error_code(error);
  std::string message = hetrun_error_message(error);
  hetrun_error_release(error);
  throw Error(code, message);
}
template <typename T, void (*Release)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Release(p); }
};
template <typename T, void (*Release)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Release>>;
}  // namespace detail

// The C element type code for a C++ element type (HETRUN_TENSOR_*).
template <typename T>
constexpr uint32_t TensorTypeOf();
template <>
constexpr uint32_t TensorTypeOf<float>() {
  return HETRUN_TENSOR_FLOAT32;
}
template <>
constexpr uint32_t TensorTypeOf<double>() {
  return HETRUN_TENSOR_FLOAT64;
}
template <>
constexpr uint32_t TensorTypeOf<int8_t>() {
  return HETRUN_TENSOR_INT8;
}
template <>
constexpr uint32_t TensorTypeOf<uint8_t>() {
  return HETRUN_TENSOR_UINT8;
}
template <>
constexpr uint32_t TensorTypeOf<int16_t>() {
  return HETRUN_TENSOR_INT16;
}
template <>
constexpr uint32_t TensorTypeOf<uint16_t>() {
  return HETRUN_TENSOR_UINT16;
}
template <>
constexpr uint32_t TensorTypeOf<int32_t>() {
  return HETRUN_TENSOR_INT32;
}
template <>
constexpr uint32_t TensorTypeOf<uint32_t>() {
  return HETRUN_TENSOR_UINT32;
}
template <>
constexpr uint32_t TensorTypeOf<int64_t>() {
  return HETRUN_TENSOR_INT64;
}
template <>
constexpr uint32_t TensorTypeOf<uint64_t>() {
  return HETRUN_TENSOR_UINT64;
}
template <>
constexpr uint32_t TensorTypeOf<bool>() {
  return HETRUN_TENSOR_BOOL;
}

// A device plugins offer: `name` for SessionOptions::Devices, `description` for people.
struct DeviceInfo {
  std::string name;
  std::string description;
};

// Plugin discovery. Sessions created with an Env search its plugin paths first.
class Env {
 public:
  Env() {
    hetrun_env_t* env = nullptr;
    detail::Check(hetrun_env_create(&env));
    env_.reset(env);
  }
  Env& AddPluginPath(const std::string& directory) {
    detail::Check(hetrun_env_add_plugin_path(env_.get(), directory.c_str()));
    return *this;
  }
  std::vector<DeviceInfo> Devices() {
    size_t count = 0;
    detail::Check(hetrun_env_device_count(env_.get(), &count));
    std::vector<DeviceInfo> devices;
    for (size_t i = 0; i < count; ++i) {
      const char* name = nullptr;
      const char* description = nullptr;
      detail::Check(hetrun_env_device_info(env_.get(), i, &name, &description));
      devices.push_back({name, description});
    }
    return devices;
  }
  const hetrun_env_t* get() const noexcept { return env_.get(); }

 private:
  detail::Handle<hetrun_env_t, hetrun_env_release> env_;
};

// Setters return *this so options chain: SessionOptions().Devices({"cpu"}).Threads(4).
class SessionOptions {
 public:
  SessionOptions() {
    hetrun_session_options_t* options = nullptr;
    detail::Check(hetrun_session_options_create(&options));
    options_.reset(options);
  }
  SessionOptions& Devices(const std::vector<std::string>& devices) {
    std::vector<const char*> names;
    for (const std::string& d : devices) names.push_back(d.c_str());
    detail::Check(hetrun_session_options_set_devices(options_.get(), names.data(), names.size()));
    return *this;
  }
  SessionOptions& Partition(const std::string& strategy) {
    detail::Check(hetrun_session_options_set_partition(options_.get(), strategy.c_str()));
    return *this;
  }
  SessionOptions& Assign(const std::string& pattern_equals_device) {
    detail::Check(
        hetrun_session_options_add_assignment(options_.get(), pattern_equals_device.c_str()));
    return *this;
  }
  SessionOptions& Threads(uint32_t threads) {
    detail::Check(hetrun_session_options_set_threads(options_.get(), threads));
    return *this;
  }
  SessionOptions& Fallback(const std::string& policy) {
    detail::Check(hetrun_session_options_set_fallback(options_.get(), policy.c_str()));
    return *this;
  }
  SessionOptions& ProfilingFile(const std::string& path) {
    detail::Check(hetrun_session_options_set_profiling_file(options_.get(), path.c_str()));
    return *this;
  }
  SessionOptions& WarmStart(bool enabled) {
    detail::Check(hetrun_session_options_set_warm_start(options_.get(), enabled ? 1 : 0));
    return *this;
  }
  // "" turns the compiled-plan cache off.
  SessionOptions& CacheDir(const std::string& directory) {
    detail::Check(hetrun_session_options_set_cache_dir(options_.get(), directory.c_str()));
    return *this;
  }
  SessionOptions& DeviceMemory(const std::string& device, uint64_t bytes) {
    detail::Check(hetrun_session_options_set_device_memory(options_.get(), device.c_str(), bytes));
    return *this;
  }
  SessionOptions& InputShape(const std::string& name, const std::vector<int64_t>& dims) {
    detail::Check(hetrun_session_options_set_input_shape(options_.get(), name.c_str(), dims.data(),
                                                         dims.size()));
    return *this;
  }
  const hetrun_session_options_t* get() const noexcept { return options_.get(); }

 private:
  detail::Handle<hetrun_session_options_t, hetrun_session_options_release> options_;
};

// A tensor: library-owned memory (Tensor(dtype, dims)) or a view of the caller's (Over()).
class Tensor {
 public:
  Tensor(uint32_t dtype, const std::vector<int64_t>& dims) {
    hetrun_tensor_t* t = nullptr;
    detail::Check(hetrun_tensor_create(dtype, dims.data(), dims.size(), &t));
    tensor_.reset(t);
  }
  // Over `data` (not copied): it must outlive the tensor and hold exactly the dims' elements.
  // Const data is accepted for inputs, which runs only read; do not pass it as an output.
  template <typename T>
  static Tensor Over(T* data, const std::vector<int64_t>& dims) {
    size_t count = 1;
    for (int64_t d : dims) count *= static_cast<size_t>(d < 0 ? 0 : d);
    return Over(TensorTypeOf<std::remove_cv_t<T>>(),
                const_cast<void*>(static_cast<const void*>(data)), count * sizeof(T), dims);
  }
  static Tensor Over(uint32_t dtype, void* data, size_t bytes, const std::vector<int64_t>& dims) {
    hetrun_tensor_t* t = nullptr;
    detail::Check(hetrun_tensor_create_over(dtype, dims.data(), dims.size(), data, bytes, &t));
    return Tensor(t);
  }
  // Takes ownership of a C tensor.
  explicit Tensor(hetrun_tensor_t* tensor) noexcept : tensor_(tensor) {}

  uint32_t DType() const {
    uint32_t dtype = 0;
    detail::Check(hetrun_tensor_info(tensor_.get(), &dtype, nullptr, nullptr));
    return dtype;
  }
  std::vector<int64_t> Dims() const {
    size_t rank = 0;
    const int64_t* dims = nullptr;
    detail::Check(hetrun_tensor_info(tensor_.get(), nullptr, &rank, &dims));
    return std::vector<int64_t>(dims, dims + rank);
  }
  size_t ByteSize() const {
    size_t bytes = 0;
    detail::Check(hetrun_tensor_data(tensor_.get(), nullptr, &bytes));
    return bytes;
  }
  void* RawData() {
    void* data = nullptr;
    detail::Check(hetrun_tensor_data(tensor_.get(), &data, nullptr));
    return data;
  }
  const void* RawData() const { return const_cast<Tensor*>(this)->RawData(); }
  // Typed access; throws when T does not match the tensor's dtype.
  template <typename T>
  T* Data() {
    CheckType<T>();
    return static_cast<T*>(RawData());
  }
  template <typename T>
  const T* Data() const {
    CheckType<T>();
    return static_cast<const T*>(RawData());
  }
  template <typename T>
  std::vector<T> ToVector() const {
    const T* data = Data<T>();
    return std::vector<T>(data, data + ByteSize() / sizeof(T));
  }
  hetrun_tensor_t* get() const noexcept { return tensor_.get(); }
  hetrun_tensor_t* release() noexcept { return tensor_.release(); }

 private:
  template <typename T>
  void CheckType() const {
    if (DType() != TensorTypeOf<T>())
      throw Error(HETRUN_ERROR_INVALID_ARGUMENT, "tensor has dtype " + std::to_string(DType()) +
                                                     ", accessed as dtype " +
                                                     std::to_string(TensorTypeOf<T>()));
  }
  detail::Handle<hetrun_tensor_t, hetrun_tensor_release> tensor_;
};
using Value = Tensor;

// A model input or output: dims are -1 where dynamic; rank -1 (dims empty) when unknown.
struct IoInfo {
  std::string name;
  uint32_t dtype = HETRUN_TENSOR_UNDEFINED;
  int64_t rank = -1;
  std::vector<int64_t> dims;
};

class Session {
 public:
  using Inputs = std::vector<std::pair<std::string, const Tensor*>>;
  // Called on a library thread with the outputs, or with the error of the run.
  using Callback = std::function<void(std::vector<Tensor> outputs, const Error* error)>;

  explicit Session(const std::string& model_path, const SessionOptions& options = {},
                   const Env* env = nullptr) {
    hetrun_session_t* s = nullptr;
    detail::Check(
        hetrun_session_create(env ? env->get() : nullptr, model_path.c_str(), options.get(), &s));
    session_.reset(s);
  }
  // From an ONNX model in memory (copied during construction).
  Session(const void* model_data, size_t model_size, const SessionOptions& options = {},
          const Env* env = nullptr) {
    hetrun_session_t* s = nullptr;
    detail::Check(hetrun_session_create_from_memory(env ? env->get() : nullptr, model_data,
                                                    model_size, options.get(), &s));
    session_.reset(s);
  }

  std::vector<IoInfo> GetInputs() const { return List(false); }
  std::vector<IoInfo> GetOutputs() const { return List(true); }

  // The partition plan as JSON text.
  std::string PlanJson() const {
    char* json = nullptr;
    detail::Check(hetrun_session_plan_json(session_.get(), &json));
    std::string text = json;
    hetrun_string_release(json);
    return text;
  }

  // Runs synchronously. `output_names` empty: every output in model order.
  std::vector<Tensor> Run(const Inputs& inputs,
                          const std::vector<std::string>& output_names = {}) const {
    std::vector<const char*> in_names, out_names;
    std::vector<const hetrun_tensor_t*> in_tensors;
    Flatten(inputs, output_names, in_names, in_tensors, out_names);
    const size_t count = output_names.empty() ? GetOutputCount() : output_names.size();
    std::vector<hetrun_tensor_t*> raw(count, nullptr);
    detail::Check(
        hetrun_session_run(session_.get(), in_names.data(), in_tensors.data(), in_names.size(),
                           out_names.empty() ? nullptr : out_names.data(), count, raw.data()));
    std::vector<Tensor> outputs;
    for (hetrun_tensor_t* t : raw) outputs.emplace_back(t);
    return outputs;
  }

  // Starts a run; `callback` gets the outputs on a library thread. The input tensors and this
  // session must stay alive until it has been called.
  void RunAsync(const Inputs& inputs, Callback callback,
                const std::vector<std::string>& output_names = {}) const {
    std::vector<const char*> in_names, out_names;
    std::vector<const hetrun_tensor_t*> in_tensors;
    Flatten(inputs, output_names, in_names, in_tensors, out_names);
    const size_t count = output_names.empty() ? GetOutputCount() : output_names.size();
    auto owned = std::make_unique<Callback>(std::move(callback));
    detail::Check(hetrun_session_run_async(
        session_.get(), in_names.data(), in_tensors.data(), in_names.size(),
        out_names.empty() ? nullptr : out_names.data(), count, &Session::Trampoline, owned.get()));
    owned.release();  // the trampoline deletes it
  }

  const hetrun_session_t* get() const noexcept { return session_.get(); }

 private:
  static void Trampoline(void* user_data, hetrun_error_t* error, hetrun_tensor_t** outputs,
                         size_t count) {
    std::unique_ptr<Callback> callback(static_cast<Callback*>(user_data));
    std::vector<Tensor> tensors;
    for (size_t i = 0; i < count; ++i) tensors.emplace_back(outputs[i]);
    try {
      if (error != nullptr) {
        const Error e(hetrun_error_code(error), hetrun_error_message(error));
        hetrun_error_release(error);
        (*callback)({}, &e);
      } else {
        (*callback)(std::move(tensors), nullptr);
      }
    } catch (...) {
      // An exception cannot cross the C library's thread; the callback should not throw.
    }
  }

  size_t GetOutputCount() const {
    size_t count = 0;
    detail::Check(hetrun_session_output_count(session_.get(), &count));
    return count;
  }

  static void Flatten(const Inputs& inputs, const std::vector<std::string>& output_names,
                      std::vector<const char*>& in_names,
                      std::vector<const hetrun_tensor_t*>& in_tensors,
                      std::vector<const char*>& out_names) {
    for (const auto& [name, tensor] : inputs) {
      in_names.push_back(name.c_str());
      in_tensors.push_back(tensor != nullptr ? tensor->get() : nullptr);
    }
    for (const std::string& name : output_names) out_names.push_back(name.c_str());
  }

  std::vector<IoInfo> List(bool outputs) const {
    size_t count = 0;
    detail::Check(outputs ? hetrun_session_output_count(session_.get(), &count)
                          : hetrun_session_input_count(session_.get(), &count));
    std::vector<IoInfo> list(count);
    for (size_t i = 0; i < count; ++i) {
      const char* name = nullptr;
      IoInfo& io = list[i];
      detail::Check(outputs
                        ? hetrun_session_output_info(session_.get(), i, &name, &io.dtype, &io.rank)
                        : hetrun_session_input_info(session_.get(), i, &name, &io.dtype, &io.rank));
      io.name = name;
      io.dims.assign(io.rank > 0 ? static_cast<size_t>(io.rank) : 0, -1);
      detail::Check(
          outputs ? hetrun_session_output_dims(session_.get(), i, io.dims.data(), io.dims.size())
                  : hetrun_session_input_dims(session_.get(), i, io.dims.data(), io.dims.size()));
    }
    return list;
  }

  detail::Handle<hetrun_session_t, hetrun_session_release> session_;
};

// The devices the plugins in the default directory offer.
inline std::vector<DeviceInfo> GetDevices() {
  return Env().Devices();
}

}  // namespace hetrun
