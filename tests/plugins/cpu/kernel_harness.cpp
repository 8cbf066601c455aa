#include "kernel_harness.h"

#include <map>
#include <mutex>
#include <random>

#include "hetrun/plugin.hpp"

namespace hetrun::test {

std::vector<float> RandomFloats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

cpu::ThreadPool& TestPool(int threads) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<cpu::ThreadPool>> pools;
  std::lock_guard lock(mu);
  auto& p = pools[threads];
  if (!p) p = std::make_unique<cpu::ThreadPool>(threads);
  return *p;
}

NodeTest::NodeTest(std::string op_type, int64_t opset, std::string domain)
    : op_type_(std::move(op_type)), domain_(std::move(domain)), opset_(opset) {}

NodeTest& NodeTest::Attr(const std::string& name, int64_t v) {
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.attr.type = HETRUN_ATTR_INT;
  a.attr.i = v;
  return *this;
}
NodeTest& NodeTest::Attr(const std::string& name, float v) {
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.attr.type = HETRUN_ATTR_FLOAT;
  a.attr.f = v;
  return *this;
}
NodeTest& NodeTest::Attr(const std::string& name, const std::string& v) {
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.s = v;
  a.attr.type = HETRUN_ATTR_STRING;
  return *this;
}
NodeTest& NodeTest::Attr(const std::string& name, const std::vector<int64_t>& v) {
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.ints = v;
  a.attr.type = HETRUN_ATTR_INTS;
  return *this;
}
NodeTest& NodeTest::Attr(const std::string& name, const std::vector<float>& v) {
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.floats = v;
  a.attr.type = HETRUN_ATTR_FLOATS;
  return *this;
}
NodeTest& NodeTest::AttrTensor(const std::string& name, const HostTensor& v) {
  auto store = std::make_unique<ValueStore>();
  store->name = name + "_tensor";
  store->tensor = v;
  store->view_dims = v.dims;
  AttrStore& a = attrs_.emplace_back();
  a.name = name;
  a.attr.type = HETRUN_ATTR_TENSOR;
  attr_tensors_.push_back(std::move(store));
  a.ints = {static_cast<int64_t>(attr_tensors_.size() - 1)};  // which attr tensor
  return *this;
}

NodeTest& NodeTest::Input(HostTensor t) {
  ValueStore& v = values_.emplace_back();
  v.name = "in" + std::to_string(input_slots_.size());
  v.view_dims = dynamic_ ? std::vector<int64_t>(t.dims.size(), -1) : t.dims;
  v.tensor = std::move(t);
  input_slots_.push_back(static_cast<int>(values_.size() - 1));
  return *this;
}
NodeTest& NodeTest::Const(HostTensor t) {
  Input(std::move(t));
  values_.back().value.flags = HETRUN_VALUE_CONSTANT;
  values_.back().view_dims = values_.back().tensor.dims;
  return *this;
}
NodeTest& NodeTest::NoInput() {
  input_slots_.push_back(-1);
  return *this;
}
NodeTest& NodeTest::DynamicDims(bool on) {
  dynamic_ = on;
  return *this;
}
NodeTest& NodeTest::Outputs(std::vector<bool> present) {
  outputs_ = std::move(present);
  return *this;
}
NodeTest& NodeTest::OutputDType(hetrun_dtype_t dtype) {
  out_dtype_ = dtype;
  return *this;
}
NodeTest& NodeTest::OutputDims(std::vector<int64_t> dims) {
  out_dims_ = std::move(dims);
  return *this;
}

void NodeTest::Finalize() {
  // Output values follow the inputs in values_.
  const size_t num_inputs_values = values_.size();
  for (size_t o = 0; o < outputs_.size(); ++o) {
    ValueStore& v = values_.emplace_back();
    v.name = "out" + std::to_string(o);
    v.tensor.dtype = o == 0 ? out_dtype_ : HETRUN_DTYPE_UNDEFINED;
    if (o == 0 && out_dims_) v.view_dims = *out_dims_;
  }
  value_structs_.clear();
  // By index: values_ is a deque, whose elements' addresses cannot be subtracted (they did, and
  // an output could pass for a rank-0 graph input).
  for (size_t i = 0; i < values_.size(); ++i) {
    ValueStore& v = values_[i];
    hetrun_value hv = v.value;
    hv.name = v.name.c_str();
    hv.dtype = v.tensor.dtype;
    const bool is_output = i >= num_inputs_values;
    const bool known_output = out_dims_ && i == num_inputs_values;
    hv.rank = is_output && !known_output ? -1 : static_cast<int32_t>(v.view_dims.size());
    hv.dims = v.view_dims.data();
    if (hv.flags & HETRUN_VALUE_CONSTANT) {
      hv.data = v.tensor.bytes.data();
      hv.data_bytes = v.tensor.bytes.size();
    } else if (!is_output) {
      hv.flags = HETRUN_VALUE_GRAPH_INPUT;
    }
    value_structs_.push_back(hv);
  }
  for (auto& t : attr_tensors_) {
    t->value.name = t->name.c_str();
    t->value.dtype = t->tensor.dtype;
    t->value.rank = static_cast<int32_t>(t->tensor.dims.size());
    t->value.dims = t->tensor.dims.data();
    t->value.flags = HETRUN_VALUE_CONSTANT;
    t->value.data = t->tensor.bytes.data();
    t->value.data_bytes = t->tensor.bytes.size();
  }
  attr_structs_.clear();
  for (AttrStore& a : attrs_) {
    hetrun_attribute h = a.attr;
    h.name = a.name.c_str();
    h.s = a.s.c_str();
    h.s_size = a.s.size();
    if (h.type == HETRUN_ATTR_INTS) {
      h.ints = a.ints.data();
      h.count = static_cast<uint32_t>(a.ints.size());
    } else if (h.type == HETRUN_ATTR_FLOATS) {
      h.floats = a.floats.data();
      h.count = static_cast<uint32_t>(a.floats.size());
    } else if (h.type == HETRUN_ATTR_TENSOR) {
      h.tensor = &attr_tensors_[static_cast<size_t>(a.ints[0])]->value;
    }
    attr_structs_.push_back(h);
  }
  node_inputs_.clear();
  for (int slot : input_slots_) node_inputs_.push_back(slot);
  node_outputs_.clear();
  for (size_t o = 0; o < outputs_.size(); ++o)
    node_outputs_.push_back(outputs_[o] ? static_cast<int32_t>(num_inputs_values + o) : -1);
  node_ = hetrun_node{};
  node_.name = "node";
  node_.op_type = op_type_.c_str();
  node_.domain = domain_.c_str();
  node_.opset = opset_;
  node_.num_inputs = static_cast<uint32_t>(node_inputs_.size());
  node_.inputs = node_inputs_.data();
  node_.num_outputs = static_cast<uint32_t>(node_outputs_.size());
  node_.outputs = node_outputs_.data();
  node_.num_attributes = static_cast<uint32_t>(attr_structs_.size());
  node_.attributes = attr_structs_.data();
  view_ = hetrun_graph_view{};
  view_.struct_size = sizeof(hetrun_graph_view);
  view_.num_values = static_cast<uint32_t>(value_structs_.size());
  view_.values = value_structs_.data();
  view_.num_nodes = 1;
  view_.nodes = &node_;
}

std::unique_ptr<cpu::Kernel> NodeTest::Create() {
  if (value_structs_.empty()) Finalize();
  return cpu::CreateKernel(cpu::KernelBuildContext{node_, view_});
}

double NodeTest::Cost(int threads, double peak_gflops) {
  if (value_structs_.empty()) Finalize();
  return cpu::EstimateCostUs(cpu::KernelBuildContext{node_, view_}, threads, peak_gflops);
}

std::vector<HostTensor> NodeTest::Run(int threads, cpu::Kernel* existing) {
  std::unique_ptr<cpu::Kernel> created = existing ? nullptr : Create();
  cpu::Kernel* kernel = existing ? existing : created.get();
  std::vector<cpu::TensorRef> in_refs(input_slots_.size());
  std::vector<const cpu::TensorRef*> inputs(input_slots_.size(), nullptr);
  for (size_t i = 0; i < input_slots_.size(); ++i) {
    if (input_slots_[i] < 0) continue;
    HostTensor& t = values_[static_cast<size_t>(input_slots_[i])].tensor;
    in_refs[i] = cpu::TensorRef{t.dtype, t.dims, t.bytes.data()};
    inputs[i] = &in_refs[i];
  }
  const std::vector<cpu::OutputSpec> specs = kernel->InferOutputs(inputs);
  std::vector<HostTensor> results(outputs_.size());
  std::vector<cpu::TensorRef> out_refs(outputs_.size());
  std::vector<cpu::TensorRef*> outputs(outputs_.size(), nullptr);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    if (!outputs_[o]) continue;
    if (o >= specs.size()) throw std::runtime_error("kernel described too few outputs");
    HostTensor& r = results[o];
    r.dtype = specs[o].dtype;
    r.dims = specs[o].dims;
    // Poison the output so a kernel that skips elements is caught.
    r.bytes.assign(static_cast<size_t>(r.numel()) * plugin::DTypeSize(r.dtype), 0xA5);
    out_refs[o] = cpu::TensorRef{r.dtype, r.dims, r.bytes.data()};
    outputs[o] = &out_refs[o];
  }
  kernel->Run(inputs, outputs, TestPool(threads));
  return results;
}

std::string NodeTest::Error(int threads) {
  try {
    Run(threads);
  } catch (const plugin::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace hetrun::test
