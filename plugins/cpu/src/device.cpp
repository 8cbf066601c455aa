#include "device.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <thread>

#include "host_memory.h"
#include "jit/elementwise_jit.h"

namespace hetrun::cpu {
namespace {

// Rough per-core float32 throughput: two FMA pipes of 8 lanes (AVX2) or 16 lanes (AVX-512), at a
// nominal 3 GHz. The partitioner only needs the order of magnitude.
constexpr double kNominalGhz = 3.0;
constexpr double kFlopsPerCycleAvx2 = 16;
constexpr double kFlopsPerCycleAvx512 = 32;
// Typical sustained bandwidth of one socket as seen by a few threads.
constexpr double kMemoryGbps = 20;
// Host <-> device copies are memcpy within the same memory.
constexpr double kHostLinkGbps = 1000;

std::string CpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t begin = line.find_first_not_of(" \t", colon + 1);
    const size_t end = line.find_last_not_of(" \t\r");
    if (begin == std::string::npos || end < begin) continue;
    return line.substr(begin, end - begin + 1);
  }
  return "host CPU";
}

}  // namespace

HostCpuInfo ProbeHostCpu() {
  HostCpuInfo cpu;
  cpu.threads = std::max(1u, std::thread::hardware_concurrency());
  cpu.memory_bytes = PhysicalMemoryBytes();
  cpu.avx512f = std::strstr(ElementwiseJit::Get().HostDescription(), "avx512f") != nullptr;
  cpu.peak_gflops =
      cpu.threads * kNominalGhz * (cpu.avx512f ? kFlopsPerCycleAvx512 : kFlopsPerCycleAvx2);
  cpu.name = CpuModelName() + " (" + std::to_string(cpu.threads) +
             (cpu.threads == 1 ? " thread)" : " threads)");
  return cpu;
}

void FillDeviceInfo(const HostCpuInfo& cpu, hetrun_device_info* info) {
  hetrun_device_info full{};
  full.struct_size = info->struct_size;
  full.name = cpu.name.c_str();
  full.kind = HETRUN_DEVICE_CPU;
  full.flags = HETRUN_DEVICE_HOST_MEMORY;
  full.memory_bytes = cpu.memory_bytes;
  full.compute_units = cpu.threads;
  full.peak_gflops = cpu.peak_gflops;
  full.memory_gbps = kMemoryGbps;
  full.host_link_gbps = kHostLinkGbps;
  full.host_link_latency_us = 0;
  // An older host's struct may be shorter: fill only what it has room for.
  std::memcpy(info, &full, std::min<size_t>(info->struct_size, sizeof full));
}

Device::Device(uint32_t threads, double gflops_per_thread)
    : gflops_per_thread_(gflops_per_thread),
      pool_(static_cast<int>(threads != 0 ? threads
                                          : std::max(1u, std::thread::hardware_concurrency()))) {}

Device::~Device() {
  Close();
}

}  // namespace hetrun::cpu
