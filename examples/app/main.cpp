// A hetrun application with a mixed CPU + Vulkan pipeline:
//   1. open a session on {"vulkan", "cpu"} (or {"cpu"} when no Vulkan device is there),
//      pinning the convolutions to Vulkan so that the plan has parts on both devices;
//   2. print the partition plan: which nodes run where;
//   3. run the model on seeded random inputs and print each output's largest values;
//   4. run the same inputs on a CPU-only session and check the results agree (exit 1 if not).
// Usage: app [model.onnx]   (default: hetrun's models/tiny_cnn.onnx)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hetrun/hetrun.hpp"

#ifndef APP_DEFAULT_MODEL
#define APP_DEFAULT_MODEL "models/tiny_cnn.onnx"
#endif

namespace {

// Vulkan's float math (fused multiply-adds, other summation orders) may differ from the CPU's in
// the last bits; anything beyond this is a real disagreement.
constexpr double kTolerance = 1e-4;

bool HaveVulkan() {
  for (const hetrun::DeviceInfo& device : hetrun::GetDevices())
    if (device.name.rfind("vulkan", 0) == 0) return true;
  return false;
}

// Every dynamic input dim fixed to 1: a GPU compiles kernels for fixed shapes, so it takes more of
// the model when the dims are known.
void FixInputShapes(hetrun::SessionOptions& options, const std::vector<hetrun::IoInfo>& inputs) {
  for (const hetrun::IoInfo& input : inputs) {
    std::vector<int64_t> dims = input.dims;
    for (int64_t& d : dims) d = d < 0 ? 1 : d;
    options.InputShape(input.name, dims);
  }
}

// The value of `"key": "..."` (or a number) after `from` in JSON text; enough to read the plan
// without a JSON library. Returns "" when absent and leaves `from` after the value.
std::string JsonField(const std::string& json, const std::string& key, size_t& from) {
  size_t at = json.find("\"" + key + "\"", from);
  if (at == std::string::npos) return {};
  at = json.find_first_not_of(" \t\n:", at + key.size() + 2);
  if (at == std::string::npos) return {};
  size_t end = json[at] == '"' ? json.find('"', ++at) : json.find_first_of(",}\n", at);
  from = end;
  return json.substr(at, end - at);
}

// Prints one line per part of the plan: "part 0 on vulkan: Conv x3".
void PrintPlan(const std::string& plan_json) {
  size_t from = plan_json.find("\"parts\"");
  const size_t parts_end = plan_json.find("\"transfers\"");  // keys are sorted: parts come first
  std::printf("plan:\n");
  while (true) {
    size_t next = from;
    std::string device = JsonField(plan_json, "device", next);
    if (device.empty() || next > parts_end) break;
    std::string id = JsonField(plan_json, "id", next);
    std::string ops = JsonField(plan_json, "ops", next);
    std::printf("  part %s on %s: %s\n", id.c_str(), device.c_str(), ops.c_str());
    from = next;
  }
}

// Seeded random inputs (float32 inputs only, which is what tiny_cnn takes).
std::vector<std::vector<float>> MakeInputs(const std::vector<hetrun::IoInfo>& inputs) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<std::vector<float>> data;
  for (const hetrun::IoInfo& input : inputs) {
    size_t count = 1;
    for (int64_t d : input.dims) count *= static_cast<size_t>(d < 0 ? 1 : d);
    std::vector<float> values(count);
    for (float& v : values) v = uniform(rng);
    data.push_back(std::move(values));
  }
  return data;
}

std::vector<std::vector<float>> Run(const hetrun::Session& session,
                                    std::vector<std::vector<float>>& input_data) {
  std::vector<hetrun::IoInfo> inputs = session.GetInputs();
  std::vector<hetrun::Tensor> tensors;  // views of input_data: no copies
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<int64_t> dims = inputs[i].dims;
    for (int64_t& d : dims) d = d < 0 ? 1 : d;
    tensors.push_back(hetrun::Tensor::Over(input_data[i].data(), dims));
  }
  hetrun::Session::Inputs feed;
  for (size_t i = 0; i < inputs.size(); ++i) feed.emplace_back(inputs[i].name, &tensors[i]);
  std::vector<std::vector<float>> outputs;
  for (const hetrun::Tensor& out : session.Run(feed)) outputs.push_back(out.ToVector<float>());
  return outputs;
}

void PrintTop(const std::string& name, const std::vector<float>& values, size_t k = 3) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, values.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](size_t a, size_t b) { return values[a] > values[b]; });
  std::printf("output %s (%zu values), top %zu:", name.c_str(), values.size(), k);
  for (size_t i = 0; i < k; ++i) std::printf(" [%zu]=%.6f", order[i], values[order[i]]);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : APP_DEFAULT_MODEL;
  try {
    // The reference: the model on the CPU alone, with default options.
    hetrun::Session cpu_only(model, hetrun::SessionOptions().Devices({"cpu"}));

    std::vector<std::string> devices = {"vulkan", "cpu"};
    if (!HaveVulkan()) {
      std::printf("note: no vulkan device found; running on the CPU only\n");
      devices = {"cpu"};
    }
    hetrun::SessionOptions options;
    options.Devices(devices);  // in priority order
    FixInputShapes(options, cpu_only.GetInputs());
    // A pin: the convolutions run on the GPU (it is an error if no node matches). The cost model
    // places everything else, and for a model this small keeps most of it on the CPU.
    if (devices.front() == "vulkan") options.Assign("Conv*=vulkan");
    hetrun::Session mixed(model, options);
    PrintPlan(mixed.PlanJson());

    std::vector<std::vector<float>> inputs = MakeInputs(mixed.GetInputs());
    std::vector<std::vector<float>> got = Run(mixed, inputs);
    std::vector<std::vector<float>> want = Run(cpu_only, inputs);

    std::vector<hetrun::IoInfo> outputs = mixed.GetOutputs();
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      PrintTop(outputs[i].name, got[i]);
      if (got[i].size() != want[i].size()) {
        std::fprintf(stderr, "output %s: %zu values, CPU-only run gave %zu\n",
                     outputs[i].name.c_str(), got[i].size(), want[i].size());
        return 1;
      }
      for (size_t j = 0; j < got[i].size(); ++j)
        worst = std::max(worst, std::fabs(static_cast<double>(got[i][j]) - want[i][j]));
    }
    std::printf("max |difference| from the CPU-only run: %.3g\n", worst);
    if (!(worst <= kTolerance)) {
      std::fprintf(stderr, "results differ from the CPU-only run by more than %g\n", kTolerance);
      return 1;
    }
    std::printf("ok\n");
    return 0;
  } catch (const hetrun::Error& e) {
    std::fprintf(stderr, "hetrun error %u: %s\n", e.code(), e.what());
    return 1;
  }
}
