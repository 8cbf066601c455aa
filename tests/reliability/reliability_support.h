// Shared by the reliability tests: run an imported graph once on the CPU plugin with the seeded
// default inputs, the way `hetrun run` does without input files.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "hetrun/core/graph.h"
#include "hetrun/runtime/input_generator.h"
#include "hetrun/runtime/session.h"

namespace hetrun::test {

struct RunLimits {
  uint64_t timeout_ms = 10000;
  // Inputs larger than this are not generated: the run is skipped (returns OK, *ran = false).
  int64_t max_input_elements = int64_t{1} << 22;
};

inline Status RunOnceOnCpu(core::Graph graph, const RunLimits& limits, bool* ran = nullptr) {
  if (ran) *ran = false;
  runtime::SessionOptions options;
  options.devices = {"cpu"};
  options.plugin_paths = {HETRUN_PLUGIN_DIR};
  options.threads = 1;
  options.timeout_ms = limits.timeout_ms;
  HETRUN_ASSIGN_OR_RETURN(auto session, runtime::Session::Create(std::move(graph), options));
  runtime::SeededInputGenerator generator(42);
  std::map<std::string, core::Tensor> inputs;
  for (const runtime::IoInfo& info : session->inputs()) {
    // Unknown dims become 1 (as the generator does); clamped so the product cannot overflow.
    int64_t elements = 1;
    for (int64_t d : info.shape.sizes()) {
      elements *= std::clamp<int64_t>(d, 1, limits.max_input_elements + 1);
      if (elements > limits.max_input_elements) return Status();
    }
    // Fully known dims are passed explicitly: the generator turns 0 into 1 like an unknown dim.
    std::map<std::string, std::vector<int64_t>> dims;
    if (info.shape.fully_known()) dims[info.name] = info.shape.sizes();
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, generator.Make(info, dims));
    inputs.emplace(info.name, std::move(t));
  }
  if (ran) *ran = true;
  return session->Run(inputs).status();
}

}  // namespace hetrun::test
