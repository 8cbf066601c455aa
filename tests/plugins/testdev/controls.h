// The test device's knobs, read from the environment on every call that uses them (never cached at
// init), so a test can setenv() between sessions of one process. README.md lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace hetrun::testdev {

// HETRUN_TESTDEV_OPS: the op types the device claims; "*" = whatever the CPU plugin supports.
class OpSet {
 public:
  static OpSet FromEnv();
  bool Allows(std::string_view op_type) const;

 private:
  bool all_ = false;
  std::set<std::string, std::less<>> ops_;
};

// HETRUN_TESTDEV_COST_SCALE (default 0.5): factor applied to the CPU plugin's cost estimates.
double CostScaleFromEnv();
// HETRUN_TESTDEV_DEVICES (default 1): how many devices the plugin reports.
uint32_t DeviceCountFromEnv();
// HETRUN_TESTDEV_FAIL_EXECUTABLE: index of the executable (per device, in compile order) whose
// executions all fail; nullopt when unset or negative.
std::optional<uint64_t> FailExecutableFromEnv();
// HETRUN_TESTDEV_FAIL_SCOPE: what HETRUN_TESTDEV_FAIL_EXECUTABLE counts: "device" (the default:
// executables compiled since device_open) or "process" (every testdev executable compiled in this
// process, across devices and sessions: damage that outlives a session).
bool FailScopeIsProcessFromEnv();
// HETRUN_TESTDEV_FAULT: what the executable picked by HETRUN_TESTDEV_FAIL_EXECUTABLE does.
enum class Fault {
  kDeviceLost,   // its event fails with DEVICE_LOST (the default)
  kError,        // ... with INTERNAL
  kOutOfMemory,  // ... with OUT_OF_MEMORY
  kHang,         // its event never signals: event_wait times out, event_query says not done
  kNan,          // it succeeds, but every float32 output is NaN
  kCrash,        // execute aborts the process (SIGABRT), as a driver fault would take it down
};
Fault FaultFromEnv();
const char* FaultName(Fault fault);

// HETRUN_TESTDEV_CORRUPT_OUTPUT: every successful execution damages its outputs (for check-plugin's
// own tests): "values" flips a bit of each output's first element; "past_end" writes 4 bytes just
// past each output the host gave a buffer for, when the buffer has room.
enum class Corruption { kNone, kValues, kPastEnd };
Corruption CorruptionFromEnv();

// HETRUN_TESTDEV_WRONG_OP: an op type the device computes wrongly while claiming it (a lying
// plugin for --check and check-plugin): the float32 constant inputs of its nodes are doubled at
// compile time. "" when unset.
std::string WrongOpFromEnv();
// HETRUN_TESTDEV_TUNABLE_DELAY_US: when set, every node lists one tunable, `delay` (candidates 1,
// the default, and 0): an executable sleeps this many microseconds per execution for each of its
// nodes left at 1. For tests of `hetrun tune`'s parameter search. nullopt when unset.
std::optional<uint64_t> TunableDelayUsFromEnv();
// HETRUN_TESTDEV_PART_NODE_DELAY_US (default 0): an executable of more than one node sleeps this
// many microseconds per node per execution, like a device whose every kernel launch in a part
// costs what one-node measurements cannot see (for tests of `hetrun tune`'s whole-model check).
uint64_t PartNodeDelayUsFromEnv();
// HETRUN_TESTDEV_TUNED_PART_DELAY_US (default 0): an executable of more than one node sleeps this
// many microseconds per node compiled with delay=0: tuned values that win alone and lose inside a
// model (for tests of `hetrun tune`'s confirmation of tuned values in the model).
uint64_t TunedPartDelayUsFromEnv();
// HETRUN_TESTDEV_CPU_PLUGIN, else the path the build gave: the CPU plugin to wrap.
std::string CpuPluginPathFromEnv();

}  // namespace hetrun::testdev
