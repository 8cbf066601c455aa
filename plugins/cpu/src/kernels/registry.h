// The op table behind CreateKernel/EstimateCostUs. Each kernel family registers its ops in its own
// Register*Kernels function; kernel_registry.cpp calls them all, in one explicit list.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernel.h"

namespace hetrun::cpu {

// What a cost estimate may assume about the machine.
struct CostModel {
  int threads = 1;
  double peak_gflops = 50;  // float32, all `threads` together
  double memory_gbps = 20;  // sustained, all `threads` together
};

using KernelFactory = std::unique_ptr<Kernel> (*)(const KernelBuildContext& ctx);
using CostEstimator = double (*)(const KernelBuildContext& ctx, const CostModel& model);
// The node's tunables on `threads` threads (kernel.h's ListTunables).
using TunablesLister = std::vector<Tunable> (*)(const KernelBuildContext& ctx, int threads);

struct OpRegistration {
  KernelFactory create = nullptr;
  CostEstimator cost = nullptr;       // nullptr: memory-bound estimate from input/output sizes
  size_t required_inputs = 1;         // leading inputs that must be present (not omitted)
  TunablesLister tunables = nullptr;  // nullptr: nothing to tune
};

class KernelTable {
 public:
  void Add(std::string_view op_type, KernelFactory create, CostEstimator cost = nullptr,
           size_t required_inputs = 1) {
    ops_[std::string(op_type)] = OpRegistration{create, cost, required_inputs};
  }
  // Registers the tunables of an op added before.
  void SetTunables(std::string_view op_type, TunablesLister tunables) {
    ops_.at(std::string(op_type)).tunables = tunables;
  }
  const OpRegistration* Find(std::string_view op_type) const {
    auto it = ops_.find(std::string(op_type));
    return it == ops_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, OpRegistration> ops_;
};

// Cost helpers for the families' estimators. Unknown dims count as 1 (a lower bound).
double StaticBytes(const hetrun_value& v);
double MemoryBoundCostUs(const KernelBuildContext& ctx, const CostModel& model);
double ComputeCostUs(double flops, double efficiency, const CostModel& model);

void RegisterUnaryKernels(KernelTable& table);
void RegisterBinaryKernels(KernelTable& table);
void RegisterGemmKernels(KernelTable& table);
void RegisterConvKernels(KernelTable& table);
void RegisterPoolKernels(KernelTable& table);
void RegisterNormalizationKernels(KernelTable& table);
void RegisterSoftmaxKernels(KernelTable& table);
void RegisterReduceKernels(KernelTable& table);
void RegisterShapeKernels(KernelTable& table);
void RegisterDataMovementKernels(KernelTable& table);
void RegisterExpandPadKernels(KernelTable& table);
void RegisterGeneratorKernels(KernelTable& table);
void RegisterCastKernels(KernelTable& table);
void RegisterIndexKernels(KernelTable& table);
void RegisterResizeKernels(KernelTable& table);
void RegisterConvTransposeKernels(KernelTable& table);
void RegisterGridSampleKernels(KernelTable& table);
void RegisterMaxUnpoolKernels(KernelTable& table);
void RegisterLrnKernels(KernelTable& table);
void RegisterScatterGatherNDKernels(KernelTable& table);
void RegisterSelectKernels(KernelTable& table);
void RegisterNmsKernels(KernelTable& table);
void RegisterQuantizeKernels(KernelTable& table);
void RegisterEinsumKernels(KernelTable& table);
void RegisterWindowKernels(KernelTable& table);
void RegisterDetMvnKernels(KernelTable& table);
void RegisterLossKernels(KernelTable& table);
void RegisterRecurrentKernels(KernelTable& table);
void RegisterSpectralKernels(KernelTable& table);
void RegisterRoiAlignKernels(KernelTable& table);
void RegisterControlFlowKernels(KernelTable& table);
void RegisterScanKernels(KernelTable& table);
void RegisterSequenceKernels(KernelTable& table);
void RegisterOptionalKernels(KernelTable& table);
void RegisterStringKernels(KernelTable& table);
void RegisterSequenceMapKernels(KernelTable& table);
void RegisterTfIdfKernels(KernelTable& table);

}  // namespace hetrun::cpu
