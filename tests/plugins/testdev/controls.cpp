#include "controls.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "hetrun/plugin.hpp"

namespace hetrun::testdev {
namespace {

// Restricted like a typical NPU: convolutions, matrix products and elementwise math, no shape ops.
constexpr const char* kDefaultOps =
    "Conv,MatMul,Gemm,Relu,Add,Sub,Mul,Div,Sigmoid,Tanh,Clip,MaxPool,AveragePool,"
    "GlobalAveragePool,BatchNormalization,Softmax";

constexpr uint32_t kMaxDevices = 64;

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

// A malformed knob is a mistake in the test that set it: say so rather than guess.
[[noreturn]] void ThrowBadValue(const char* name, const char* value, const char* expected) {
  throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                      std::string("testdev: ") + name + "='" + value + "' is not " + expected);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

OpSet OpSet::FromEnv() {
  OpSet set;
  const char* value = Env("HETRUN_TESTDEV_OPS");
  std::string_view rest(value ? value : kDefaultOps);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item == "*") set.all_ = true;
    if (!item.empty()) set.ops_.emplace(item);
  }
  return set;
}

bool OpSet::Allows(std::string_view op_type) const {
  return all_ || ops_.find(op_type) != ops_.end();
}

double CostScaleFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_COST_SCALE");
  if (!value) return 0.5;
  char* end = nullptr;
  errno = 0;
  const double scale = std::strtod(value, &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(scale) || scale <= 0) {
    ThrowBadValue("HETRUN_TESTDEV_COST_SCALE", value, "a positive number");
  }
  return scale;
}

uint32_t DeviceCountFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_DEVICES");
  if (!value) return 1;
  char* end = nullptr;
  errno = 0;
  const long count = std::strtol(value, &end, 10);
  if (errno != 0 || *end != '\0' || count < 0 || count > long{kMaxDevices}) {
    ThrowBadValue("HETRUN_TESTDEV_DEVICES", value, "a device count from 0 to 64");
  }
  return static_cast<uint32_t>(count);
}

Fault FaultFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_FAULT");
  if (!value) return Fault::kDeviceLost;
  for (Fault f : {Fault::kDeviceLost, Fault::kError, Fault::kOutOfMemory, Fault::kHang, Fault::kNan,
                  Fault::kCrash})
    if (std::string_view(value) == FaultName(f)) return f;
  ThrowBadValue("HETRUN_TESTDEV_FAULT", value,
                "one of device_lost, error, out_of_memory, hang, nan, crash");
}

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kDeviceLost: return "device_lost";
    case Fault::kError: return "error";
    case Fault::kOutOfMemory: return "out_of_memory";
    case Fault::kHang: return "hang";
    case Fault::kNan: return "nan";
    case Fault::kCrash: return "crash";
  }
  return "?";
}

Corruption CorruptionFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_CORRUPT_OUTPUT");
  if (!value) return Corruption::kNone;
  if (std::string_view(value) == "values") return Corruption::kValues;
  if (std::string_view(value) == "past_end") return Corruption::kPastEnd;
  ThrowBadValue("HETRUN_TESTDEV_CORRUPT_OUTPUT", value, "values or past_end");
}

std::string WrongOpFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_WRONG_OP");
  return value ? value : "";
}

std::optional<uint64_t> FailExecutableFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_FAIL_EXECUTABLE");
  if (!value) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long index = std::strtoll(value, &end, 10);
  if (errno != 0 || *end != '\0') {
    ThrowBadValue("HETRUN_TESTDEV_FAIL_EXECUTABLE", value, "an executable index");
  }
  if (index < 0) return std::nullopt;
  return static_cast<uint64_t>(index);
}

bool FailScopeIsProcessFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_FAIL_SCOPE");
  if (!value || std::string_view(value) == "device") return false;
  if (std::string_view(value) == "process") return true;
  ThrowBadValue("HETRUN_TESTDEV_FAIL_SCOPE", value, "device or process");
}

namespace {

std::optional<uint64_t> MicrosecondsFromEnv(const char* name) {
  const char* value = Env(name);
  if (!value) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long us = std::strtoll(value, &end, 10);
  if (errno != 0 || *end != '\0' || us < 0 || us > 10'000'000) {
    ThrowBadValue(name, value, "microseconds (0 to 10000000)");
  }
  return static_cast<uint64_t>(us);
}

}  // namespace

std::optional<uint64_t> TunableDelayUsFromEnv() {
  return MicrosecondsFromEnv("HETRUN_TESTDEV_TUNABLE_DELAY_US");
}

uint64_t PartNodeDelayUsFromEnv() {
  return MicrosecondsFromEnv("HETRUN_TESTDEV_PART_NODE_DELAY_US").value_or(0);
}

uint64_t TunedPartDelayUsFromEnv() {
  return MicrosecondsFromEnv("HETRUN_TESTDEV_TUNED_PART_DELAY_US").value_or(0);
}

std::string CpuPluginPathFromEnv() {
  const char* value = Env("HETRUN_TESTDEV_CPU_PLUGIN");
  return value ? value : HETRUN_TESTDEV_CPU_PLUGIN;
}

}  // namespace hetrun::testdev
