// The `hetrun` Python module, shaped like onnxruntime's: InferenceSession(path, devices=[...]),
// run(output_names, {name: array}) -> [array], get_inputs()/get_outputs() -> NodeArg-like objects,
// get_devices(), plan() -> dict. Built over the C++ API (hetrun.hpp); numpy arrays in and out.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/hetrun.hpp"

namespace py = pybind11;

namespace {

// ONNX element type <-> numpy dtype.
struct TypeName {
  uint32_t code;
  const char* numpy;  // numpy dtype name
  const char* onnx;   // onnxruntime's NodeArg.type spelling
};
constexpr TypeName kTypes[] = {
    {HETRUN_TENSOR_FLOAT32, "float32", "tensor(float)"},
    {HETRUN_TENSOR_FLOAT64, "float64", "tensor(double)"},
    {HETRUN_TENSOR_FLOAT16, "float16", "tensor(float16)"},
    {HETRUN_TENSOR_INT8, "int8", "tensor(int8)"},
    {HETRUN_TENSOR_UINT8, "uint8", "tensor(uint8)"},
    {HETRUN_TENSOR_INT16, "int16", "tensor(int16)"},
    {HETRUN_TENSOR_UINT16, "uint16", "tensor(uint16)"},
    {HETRUN_TENSOR_INT32, "int32", "tensor(int32)"},
    {HETRUN_TENSOR_UINT32, "uint32", "tensor(uint32)"},
    {HETRUN_TENSOR_INT64, "int64", "tensor(int64)"},
    {HETRUN_TENSOR_UINT64, "uint64", "tensor(uint64)"},
    {HETRUN_TENSOR_BOOL, "bool", "tensor(bool)"},
    {HETRUN_TENSOR_COMPLEX64, "complex64", "tensor(complex64)"},
    {HETRUN_TENSOR_COMPLEX128, "complex128", "tensor(complex128)"},
    {HETRUN_TENSOR_STRING, "object", "tensor(string)"},
};

const TypeName* ByCode(uint32_t code) {
  for (const TypeName& t : kTypes)
    if (t.code == code) return &t;
  return nullptr;
}

std::string OnnxTypeName(uint32_t code) {
  const TypeName* t = ByCode(code);
  return t ? t->onnx : "tensor(unknown:" + std::to_string(code) + ")";
}

// The ONNX code for a numpy dtype, or nullopt (bfloat16 has no numpy dtype).
std::optional<uint32_t> CodeOf(const py::dtype& dtype) {
  for (const TypeName& t : kTypes)
    if (t.code != HETRUN_TENSOR_STRING && dtype.is(py::dtype(t.numpy))) return t.code;
  return std::nullopt;
}

// onnxruntime's NodeArg: name, shape (None for a dynamic dim), type ("tensor(float)").
struct NodeArg {
  std::string name;
  py::object shape;
  std::string type;
  uint32_t dtype;
};

NodeArg ToNodeArg(const hetrun::IoInfo& io) {
  py::object shape = py::none();
  if (io.rank >= 0) {
    py::list dims;
    for (int64_t d : io.dims) dims.append(d < 0 ? py::object(py::none()) : py::object(py::int_(d)));
    shape = dims;
  }
  return {io.name, shape, OnnxTypeName(io.dtype), io.dtype};
}

// A numpy array that owns the library tensor it views (no copy).
py::array ToArray(hetrun::Tensor tensor) {
  const TypeName* t = ByCode(tensor.DType());
  if (t == nullptr || t->code == HETRUN_TENSOR_STRING)
    throw hetrun::Error(
        HETRUN_ERROR_UNIMPLEMENTED,
        "output of dtype " + std::to_string(tensor.DType()) + " has no numpy equivalent");
  const std::vector<int64_t> dims = tensor.Dims();
  void* data = tensor.RawData();
  hetrun_tensor_t* raw = tensor.release();
  py::capsule owner(raw, [](void* p) { hetrun_tensor_release(static_cast<hetrun_tensor_t*>(p)); });
  std::vector<py::ssize_t> shape(dims.begin(), dims.end());
  return py::array(py::dtype(t->numpy), shape, data, owner);
}

using Shapes = std::map<std::string, std::vector<int64_t>>;

class InferenceSession {
 public:
  InferenceSession(const std::string& path, const std::vector<std::string>& devices,
                   const std::string& partition, uint32_t threads, const std::string& fallback,
                   const std::vector<std::string>& assign,
                   const std::vector<std::string>& plugin_paths, bool warm_start,
                   const std::string& profile, const Shapes& input_shapes,
                   const std::string& cache_dir)
      : session_(Create(path, devices, partition, threads, fallback, assign, plugin_paths,
                        warm_start, profile, input_shapes, cache_dir)) {}

  std::vector<NodeArg> get_inputs() const { return Args(session_.GetInputs()); }
  std::vector<NodeArg> get_outputs() const { return Args(session_.GetOutputs()); }

  py::object plan() const { return py::module_::import("json").attr("loads")(session_.PlanJson()); }

  py::list run(const std::optional<std::vector<std::string>>& output_names,
               const py::dict& feeds) const {
    const std::vector<hetrun::IoInfo> inputs = session_.GetInputs();
    std::vector<py::array> arrays;  // keep the contiguous arrays alive during the run
    std::vector<hetrun::Tensor> tensors;
    hetrun::Session::Inputs named;
    arrays.reserve(feeds.size());
    tensors.reserve(feeds.size());
    for (const auto& [key, value] : feeds) {
      const std::string name = py::str(key);
      py::array array = py::array::ensure(value, py::array::c_style);
      if (!array)
        throw hetrun::Error(HETRUN_ERROR_INVALID_ARGUMENT,
                            "input '" + name + "': not convertible to a numpy array");
      std::optional<uint32_t> code = CodeOf(array.dtype());
      if (!code)
        throw hetrun::Error(HETRUN_ERROR_INVALID_ARGUMENT, "input '" + name + "': numpy dtype " +
                                                               std::string(py::str(array.dtype())) +
                                                               " is not supported");
      std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
      arrays.push_back(array);
      tensors.push_back(hetrun::Tensor::Over(*code, arrays.back().mutable_data(),
                                             static_cast<size_t>(arrays.back().nbytes()), dims));
      named.emplace_back(name, &tensors.back());
    }
    std::vector<hetrun::Tensor> results;
    {
      py::gil_scoped_release release;  // the model runs without the GIL
      results = session_.Run(named, output_names.value_or(std::vector<std::string>{}));
    }
    py::list out;
    for (hetrun::Tensor& t : results) out.append(ToArray(std::move(t)));
    return out;
  }

 private:
  // One environment per plugin-path list for the whole process (like ONNX Runtime's Env), so a
  // plugin is loaded once, not once per InferenceSession. Called with the GIL held, which guards
  // the map; never freed: plugins stay loaded until the interpreter exits.
  static hetrun::Env& SharedEnv(const std::vector<std::string>& plugin_paths) {
    static auto* envs = new std::map<std::vector<std::string>, std::unique_ptr<hetrun::Env>>();
    std::unique_ptr<hetrun::Env>& env = (*envs)[plugin_paths];
    if (env == nullptr) {
      env = std::make_unique<hetrun::Env>();
      for (const std::string& p : plugin_paths) env->AddPluginPath(p);
    }
    return *env;
  }

  static hetrun::Session Create(const std::string& path, const std::vector<std::string>& devices,
                                const std::string& partition, uint32_t threads,
                                const std::string& fallback, const std::vector<std::string>& assign,
                                const std::vector<std::string>& plugin_paths, bool warm_start,
                                const std::string& profile, const Shapes& input_shapes,
                                const std::string& cache_dir) {
    hetrun::SessionOptions options;
    for (const auto& [name, dims] : input_shapes) options.InputShape(name, dims);
    options.Devices(devices).Partition(partition).Threads(threads).Fallback(fallback);
    options.WarmStart(warm_start).CacheDir(cache_dir);
    for (const std::string& a : assign) options.Assign(a);
    if (!profile.empty()) options.ProfilingFile(profile);
    hetrun::Env& env = SharedEnv(plugin_paths);
    py::gil_scoped_release release;  // compiling can take a while
    return hetrun::Session(path, options, &env);
  }

  static std::vector<NodeArg> Args(const std::vector<hetrun::IoInfo>& list) {
    std::vector<NodeArg> args;
    for (const hetrun::IoInfo& io : list) args.push_back(ToNodeArg(io));
    return args;
  }

  hetrun::Session session_;
};

}  // namespace

PYBIND11_MODULE(hetrun, m) {
  m.doc() = "hetrun: run ONNX models across heterogeneous devices (CPU, Vulkan, OpenCL, ...)";
  m.attr("API_VERSION") = hetrun_get_api_version();

  static py::exception<hetrun::Error> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const hetrun::Error& e) {
      error(e.what());
    }
  });

  py::class_<NodeArg>(m, "NodeArg")
      .def_readonly("name", &NodeArg::name)
      .def_readonly("shape", &NodeArg::shape)
      .def_readonly("type", &NodeArg::type)
      .def("__repr__", [](const NodeArg& a) {
        return "NodeArg(name='" + a.name + "', type='" + a.type +
               "', shape=" + std::string(py::repr(a.shape)) + ")";
      });

  py::class_<InferenceSession>(m, "InferenceSession")
      .def(py::init<const std::string&, const std::vector<std::string>&, const std::string&,
                    uint32_t, const std::string&, const std::vector<std::string>&,
                    const std::vector<std::string>&, bool, const std::string&, const Shapes&,
                    const std::string&>(),
           py::arg("path"), py::arg("devices") = std::vector<std::string>{"cpu"},
           py::arg("partition") = "cost", py::arg("threads") = 0, py::arg("fallback") = "none",
           py::arg("assign") = std::vector<std::string>{},
           py::arg("plugin_paths") = std::vector<std::string>{}, py::arg("warm_start") = false,
           py::arg("profile") = "", py::arg("input_shapes") = Shapes{}, py::arg("cache_dir") = "",
           "Loads, partitions and compiles the ONNX model at `path` for `devices` (priority "
           "order). cache_dir: keep compiled plans there (like the CLI's --cache-dir).")
      .def("run", &InferenceSession::run, py::arg("output_names"), py::arg("input_feed"),
           "Runs the model: output_names None for all outputs; input_feed maps every input name "
           "to a numpy array of the input's dtype. Returns a list of numpy arrays.")
      .def("get_inputs", &InferenceSession::get_inputs)
      .def("get_outputs", &InferenceSession::get_outputs)
      .def("plan", &InferenceSession::plan, "The partition plan (devices, parts) as a dict.");

  m.def(
      "get_devices",
      [](const std::vector<std::string>& plugin_paths) {
        hetrun::Env env;
        for (const std::string& p : plugin_paths) env.AddPluginPath(p);
        std::vector<std::string> names;
        for (const hetrun::DeviceInfo& d : env.Devices()) names.push_back(d.name);
        return names;
      },
      py::arg("plugin_paths") = std::vector<std::string>{},
      "Names of the devices the plugins offer, as devices=[...] takes them: ['cpu', 'vulkan'].");
  m.def(
      "get_device_descriptions",
      [](const std::vector<std::string>& plugin_paths) {
        hetrun::Env env;
        for (const std::string& p : plugin_paths) env.AddPluginPath(p);
        py::dict out;
        for (const hetrun::DeviceInfo& d : env.Devices()) out[py::str(d.name)] = d.description;
        return out;
      },
      py::arg("plugin_paths") = std::vector<std::string>{},
      "{device name: description} for every device the plugins offer.");
}
