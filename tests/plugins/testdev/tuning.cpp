// Tunables, for tests of `hetrun tune`'s parameter search: with HETRUN_TESTDEV_TUNABLE_DELAY_US
// set, every node has one tunable, `delay`, whose default (1) makes its executable sleep that long
// per execution and whose other candidate (0) does not, so the search has a clear winner and a test
// can see which values a session compiled with.
#include <algorithm>
#include <cstring>
#include <string>

#include "controls.h"
#include "entry_points.h"
#include "handles.h"

namespace hetrun::testdev {
namespace {

constexpr const char* kDelay = "delay";

}  // namespace

hetrun_status_t ListTunables(hetrun_device_t device, const hetrun_graph_view* graph, uint32_t node,
                             hetrun_tunable* out, uint32_t capacity, uint32_t* out_count) {
  return plugin::Guard([&] {
    UnwrapDevice(device);
    CheckOut(graph, "graph");
    CheckOut(out_count, "out_count");
    if (node >= graph->num_nodes)
      ThrowInvalid("testdev: node " + std::to_string(node) + " is past the graph");
    const bool tunable = TunableDelayUsFromEnv().has_value();
    if (tunable && capacity > 0) {
      CheckOut(out, "out");
      if (out->struct_size < sizeof(hetrun_tunable))
        ThrowInvalid("testdev: hetrun_tunable struct_size too small");
      hetrun_tunable& t = *out;
      std::strncpy(t.name, kDelay, sizeof t.name - 1);
      std::strncpy(t.description,
                   "1: sleep HETRUN_TESTDEV_TUNABLE_DELAY_US per execution, 0: do not",
                   sizeof t.description - 1);
      t.num_values = 2;
      t.values[0] = 1;
      t.values[1] = 0;
      t.default_value = 1;
    }
    *out_count = tunable ? 1 : 0;
  });
}

hetrun_status_t CompileTuned(hetrun_device_t device, const hetrun_graph_view* part,
                             const hetrun_tuning_value* values, uint32_t num_values,
                             hetrun_executable_t* out_executable) {
  return GuardForwarding([&]() -> hetrun_status_t {
    UnwrapDevice(device);
    CheckOut(part, "part");
    if (num_values > 0) CheckOut(values, "values");
    const std::optional<uint64_t> delay = TunableDelayUsFromEnv();
    std::vector<int64_t> chosen(part->num_nodes, 1);
    std::vector<bool> named(part->num_nodes, false);
    for (uint32_t i = 0; i < num_values; ++i) {
      const hetrun_tuning_value& v = values[i];
      if (v.node >= part->num_nodes)
        ThrowInvalid("testdev: tuning value for node " + std::to_string(v.node) + " past the part");
      if (!delay || !v.name || std::strcmp(v.name, kDelay) != 0)
        ThrowInvalid(std::string("testdev: no tunable '") + (v.name ? v.name : "(null)") + "'");
      if (v.value != 0 && v.value != 1)
        ThrowInvalid("testdev: delay must be 0 or 1, not " + std::to_string(v.value));
      if (named[v.node])
        ThrowInvalid("testdev: delay named twice for node " + std::to_string(v.node));
      named[v.node] = true;
      chosen[v.node] = v.value;
    }
    if (hetrun_status_t status = Compile(device, part, out_executable)) return status;
    if (delay) {
      const auto slow = static_cast<uint64_t>(std::count(chosen.begin(), chosen.end(), 1));
      (*out_executable)->delay_us -= *delay * (part->num_nodes - slow);  // compile() charged all
      if (part->num_nodes > 1)
        (*out_executable)->delay_us += TunedPartDelayUsFromEnv() * (part->num_nodes - slow);
      // What a test reads (hetrun -v prints plugin messages) to see the host passed the values.
      plugin::Log(HETRUN_LOG_INFO,
                  "testdev: compile_tuned: " + std::to_string(part->num_nodes - slow) + " of " +
                      std::to_string(part->num_nodes) + " node(s) with delay=0");
    }
    return nullptr;
  });
}

}  // namespace hetrun::testdev
