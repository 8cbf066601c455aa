// The `template` plugin: a device that runs Relu on float32 tensors in host memory. Copy this file
// to start a plugin: replace the op checks in QuerySupport and Compile, the kernel in Execute, and
// the Buffer with your device's memory. hetrun/plugin/framework.hpp turns these classes into the C
// table of hetrun/plugin.h, so none of them has to think about statuses, handles or exceptions at
// the ABI: throw hetrun::plugin::Error(code, message) anywhere and the host gets that status.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/plugin/framework.hpp"

namespace {

namespace hp = hetrun::plugin;

class TemplateDevice;

// A compiled part: Relu nodes only. Relu(Relu(x)) == Relu(x), so each output of the part is the
// Relu of one part input: `sources_[j]` is the input output j comes from, `producers_[j]` the node
// that writes it. (A real plugin generates code for the part here.) Holds its device through a
// shared_ptr: the host may close the device handle while work is still queued.
class ReluExecutable final : public hp::Executable {
 public:
  ReluExecutable(std::shared_ptr<TemplateDevice> device, std::vector<size_t> sources,
                 std::vector<uint32_t> producers, int64_t unroll = 1)
      : device_(std::move(device)),
        sources_(std::move(sources)),
        producers_(std::move(producers)),
        unroll_(unroll) {}
  // The same part with another value of the tunable `unroll`.
  std::shared_ptr<ReluExecutable> WithUnroll(int64_t unroll) const {
    return std::make_shared<ReluExecutable>(device_, sources_, producers_, unroll);
  }

  // Called on the host's thread, possibly by several threads at once: it only queues the work (the
  // ABI forbids blocking on device work here) and returns the event the work will signal.
  std::shared_ptr<hp::Event> Execute(const hp::TensorArgs& inputs, hp::MutableTensorArgs& outputs,
                                     std::vector<std::shared_ptr<hp::Event>> waits) override;

 private:
  std::shared_ptr<TemplateDevice> device_;
  std::vector<size_t> sources_;
  std::vector<uint32_t> producers_;
  int64_t unroll_;  // elements per loop step (a tunable parameter)
};

class TemplateDevice final : public hp::Device,
                             public std::enable_shared_from_this<TemplateDevice> {
 public:
  // One answer per node. Decline with a reason a user can act on: it is printed by
  // `hetrun plan --explain` and by conformance runs. Never throw for an op you do not know.
  void QuerySupport(const hetrun_graph_view& graph, hp::SupportAnswers& answers) override {
    for (uint32_t k = 0; k < graph.num_nodes; ++k) {
      const hetrun_node& node = graph.nodes[k];
      const std::string where = hp::DescribeNode(node, k);
      if (std::strcmp(node.domain, "") != 0 || std::strcmp(node.op_type, "Relu") != 0) {
        answers.Decline(k, where + ": the template device runs only Relu");
        continue;
      }
      const hetrun_value* x = hp::NodeInput(graph, node, 0);  // checked: nullptr if omitted
      if (!x || x->dtype != HETRUN_DTYPE_FLOAT32) {
        answers.Decline(k, where + ": " + (x ? hp::DTypeName(x->dtype) : "no") +
                               " input; the template device runs float32 only");
        continue;
      }
      // The cost estimate (microseconds) is what the partitioner weighs against the other devices
      // and the transfers a split costs: be honest, or plans get worse. Relu is memory bound: read
      // and write every element, plus a fixed cost for queueing the work. With dims unknown before
      // run time there is no estimate (<= 0), which the partitioner treats as "no opinion".
      const std::optional<uint64_t> elements = hp::StaticElementCount(*x);
      answers.Accept(
          k, elements ? static_cast<double>(*elements) * 8 / (kMemoryGbps * 1e3) + kLaunchUs : 0);
    }
  }

  // The part is all Relu (we declined everything else). The view is gone after this call: keep
  // what Execute needs (here: which input feeds each output), never pointers into the view.
  std::shared_ptr<hp::Executable> Compile(const hetrun_graph_view& part) override {
    std::vector<size_t> sources;
    std::vector<uint32_t> producers;
    for (uint32_t j = 0; j < part.num_outputs; ++j) {
      int32_t value = part.outputs[j];
      uint32_t producer = 0;
      // Walk back through the Relu nodes (topologically ordered) to a part input.
      for (uint32_t k = part.num_nodes; k-- > 0;) {
        const hetrun_node& node = part.nodes[k];
        if (std::strcmp(node.op_type, "Relu") != 0) {
          throw hp::Error(HETRUN_STATUS_UNIMPLEMENTED,
                          hp::DescribeNode(node, k) + ": the template device runs only Relu");
        }
        if (node.outputs[0] == value) {
          if (value == part.outputs[j]) producer = k;
          value = node.inputs[0];
        }
      }
      const int32_t* input = std::find(part.inputs, part.inputs + part.num_inputs, value);
      if (input == part.inputs + part.num_inputs) {
        throw hp::Error(HETRUN_STATUS_UNIMPLEMENTED,
                        "output " + std::to_string(j) + " of the part is not a Relu of an input");
      }
      sources.push_back(static_cast<size_t>(input - part.inputs));
      producers.push_back(producer);
    }
    return std::make_shared<ReluExecutable>(shared_from_this(), std::move(sources),
                                            std::move(producers));
  }

  // Optional (ABI minor 2): code-generator parameters that change speed, never results. `hetrun
  // tune` times each candidate on the device and later sessions compile with the fastest. A real
  // plugin lists tile and work-group sizes; here, how many elements one loop step handles.
  std::vector<hp::Tunable> Tunables(const hetrun_graph_view& graph, uint32_t node) override {
    (void)graph;
    (void)node;
    // name ([a-z0-9_]+), one-line description, 1..16 distinct candidates, the default
    return {{"unroll", "elements per loop step", {1, 4, 8}, 1}};
  }

  // Compile with the values the host chose (already checked against Tunables); a node it did not
  // name keeps the default. c.node is the node's index in the part; one loop serves the whole part
  // here, so it takes the largest unroll any node asked for.
  std::shared_ptr<hp::Executable> CompileTuned(
      const hetrun_graph_view& part, const std::vector<hp::TuningChoice>& choices) override {
    int64_t unroll = 1;
    for (const hp::TuningChoice& c : choices)
      if (c.name == "unroll") unroll = std::max(unroll, c.value);
    return std::static_pointer_cast<ReluExecutable>(Compile(part))->WithUnroll(unroll);
  }

  // Host memory here; a real device allocates its own (and throws OUT_OF_MEMORY when it can't).
  std::shared_ptr<hp::Buffer> Allocate(uint64_t bytes) override {
    return std::make_shared<hp::HostBuffer>(bytes);
  }
  // The framework has checked the handle belongs to this device and the range fits.
  void Write(hp::Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override {
    std::memcpy(static_cast<hp::HostBuffer&>(buffer).data() + offset, src, bytes);
  }
  void Read(hp::Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override {
    std::memcpy(dst, static_cast<hp::HostBuffer&>(buffer).data() + offset, bytes);
  }
  // Host memory, so the host may copy straight from our bytes (device info says HOST_MEMORY).
  void* Map(hp::Buffer& buffer) override { return static_cast<hp::HostBuffer&>(buffer).data(); }

  // device_close: finish what is queued and stop the worker thread.
  void Close() override { queue_.Close(); }

  hp::WorkQueue& queue() { return queue_; }
  // Optional (ABI minor 3): the host asked for each node's time (hetrun --profile).
  bool profile_nodes = false;

  static constexpr double kMemoryGbps = 10.0;
  static constexpr double kLaunchUs = 2.0;

 private:
  hp::WorkQueue queue_;  // one thread per device runs the work in submission order
};

// The work runs on the device's worker thread once `waits` have signalled. Inputs and outputs were
// checked by the framework (buffers of this device, dtypes and shapes as compiled, ranges inside
// buffers); what is captured by value here keeps buffers and the device alive until the work is
// done.
std::shared_ptr<hp::Event> ReluExecutable::Execute(const hp::TensorArgs& inputs,
                                                   hp::MutableTensorArgs& outputs,
                                                   std::vector<std::shared_ptr<hp::Event>> waits) {
  // The framework checked each argument against the part, but only the plugin knows how an
  // output's shape follows from the inputs: check it now, so the error comes back from execute().
  for (size_t j = 0; j < outputs.size(); ++j) {
    if (!outputs.NeedsAllocation(j) && outputs[j].dims != inputs[sources_[j]].dims) {
      hp::ThrowInvalid("output " + std::to_string(j) + " does not have its input's shape");
    }
  }
  std::shared_ptr<TemplateDevice> device = device_;
  std::vector<size_t> sources = sources_;
  std::vector<uint32_t> producers = producers_;
  const uint64_t unroll = static_cast<uint64_t>(unroll_);
  return device->queue().SubmitAfter(std::move(waits), [device, sources, producers, unroll, inputs,
                                                        outputs](hp::Event& done) mutable {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    std::vector<hp::NodeTime> times;  // each output's loop, when profiling
    for (size_t j = 0; j < outputs.size(); ++j) {
      const Clock::time_point begin = Clock::now();
      const hp::TensorArg& x = inputs[sources[j]];
      // An output the host passed without a buffer is ours to allocate, now that its shape is
      // known; SetOutput hands it to the host, which releases it.
      if (outputs.NeedsAllocation(j)) {
        outputs.SetOutput(j, device->Allocate(x.ByteSize()), x.dtype, x.dims);
      }
      const float* in = hp::HostData<const float>(x);
      float* out = hp::HostData<float>(outputs[j]);
      const uint64_t n = x.ElementCount();
      uint64_t i = 0;
      for (; i + unroll <= n; i += unroll)
        for (uint64_t u = 0; u < unroll; ++u) out[i + u] = in[i + u] > 0.0f ? in[i + u] : 0.0f;
      for (; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
      if (device->profile_nodes) {
        const std::chrono::duration<double, std::micro> from = begin - start,
                                                        took = Clock::now() - begin;
        times.push_back({producers[j], from.count(), took.count(), ""});
      }
    }
    if (device->profile_nodes) done.SetNodeTimes(std::move(times));
    // Returning signals the event with success; a throw here signals it with the error
    // instead, and the host gets that from event_wait.
  });
}

class TemplatePlugin final : public hp::Plugin {
 public:
  // A plugin whose driver is missing still constructs: it reports zero devices and a reason.
  uint32_t DeviceCount() override { return 1; }

  // Strings must stay valid until shutdown: literals are.
  void DeviceInfo(uint32_t /*index*/, hetrun_device_info& info) override {
    info.name = "template device (host memory)";
    info.kind = HETRUN_DEVICE_OTHER;
    info.flags = HETRUN_DEVICE_HOST_MEMORY;
    info.memory_bytes = uint64_t{1} << 30;
    info.compute_units = 1;
    info.peak_gflops = 1.0;  // the speeds feed the partitioner's cost model
    info.memory_gbps = TemplateDevice::kMemoryGbps;
    info.host_link_gbps = 20.0;
    info.host_link_latency_us = 1.0;
  }

  std::shared_ptr<hp::Device> Open(uint32_t /*index*/,
                                   const hetrun_device_options* options) override {
    auto device = std::make_shared<TemplateDevice>();
    device->profile_nodes = hp::ProfileNodesRequested(options);
    return device;
  }
};

}  // namespace

// The device name users type (`--devices template`), the plugin version, the Plugin class. The
// library must be named libhetrun_plugin_template.so (hetrun_add_plugin does that).
HETRUN_PLUGIN_DEFINE("template", "0.1.0", TemplatePlugin);
