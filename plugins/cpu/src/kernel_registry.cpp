// CreateKernel and EstimateCostUs: look the node's op up in the table the kernel families fill.
#include <string>

#include "kernel.h"
#include "kernels/common.h"
#include "kernels/registry.h"
#include "kernels/threads_tunable.h"

namespace hetrun::cpu {
namespace {

const KernelTable& Table() {
  // Built once; function-local statics are thread-safe. The list is explicit so that what the
  // plugin supports can be read here rather than scattered over static initialisers.
  static const KernelTable table = [] {
    KernelTable t;
    RegisterUnaryKernels(t);
    RegisterBinaryKernels(t);
    RegisterGemmKernels(t);
    RegisterConvKernels(t);
    RegisterPoolKernels(t);
    RegisterNormalizationKernels(t);
    RegisterSoftmaxKernels(t);
    RegisterReduceKernels(t);
    RegisterShapeKernels(t);
    RegisterDataMovementKernels(t);
    RegisterExpandPadKernels(t);
    RegisterGeneratorKernels(t);
    RegisterCastKernels(t);
    RegisterIndexKernels(t);
    RegisterResizeKernels(t);
    RegisterConvTransposeKernels(t);
    RegisterGridSampleKernels(t);
    RegisterMaxUnpoolKernels(t);
    RegisterLrnKernels(t);
    RegisterScatterGatherNDKernels(t);
    RegisterSelectKernels(t);
    RegisterNmsKernels(t);
    RegisterQuantizeKernels(t);
    RegisterEinsumKernels(t);
    RegisterWindowKernels(t);
    RegisterDetMvnKernels(t);
    RegisterLossKernels(t);
    RegisterRecurrentKernels(t);
    RegisterSpectralKernels(t);
    RegisterRoiAlignKernels(t);
    RegisterControlFlowKernels(t);
    RegisterScanKernels(t);
    RegisterSequenceKernels(t);
    RegisterOptionalKernels(t);
    RegisterStringKernels(t);
    RegisterSequenceMapKernels(t);
    RegisterTfIdfKernels(t);
    return t;
  }();
  return table;
}

const OpRegistration& Lookup(const hetrun_node& node) {
  const std::string domain = node.domain ? node.domain : "";
  if (!domain.empty() && domain != "ai.onnx")
    ThrowUnimplemented(std::string("op ") + node.op_type + " of domain " + domain +
                       " is not supported by the CPU plugin");
  const OpRegistration* reg = Table().Find(node.op_type);
  if (!reg)
    ThrowUnimplemented(std::string("op ") + node.op_type + " is not supported by the CPU plugin");
  return *reg;
}

}  // namespace

std::unique_ptr<Kernel> CreateKernel(const KernelBuildContext& ctx) {
  const OpRegistration& reg = Lookup(ctx.node);
  // Factories read their required inputs' dtypes and dims unconditionally.
  for (size_t i = 0; i < reg.required_inputs; ++i)
    if (!ctx.has_input(i))
      ThrowUnimplemented(std::string(ctx.node.op_type) + ": required input " + std::to_string(i) +
                         " is missing");
  return reg.create(ctx);
}

std::vector<Tunable> ListTunables(const KernelBuildContext& ctx, int threads) {
  const OpRegistration& reg = Lookup(ctx.node);
  threads = threads < 1 ? 1 : threads;
  if (!reg.tunables) {  // the pool's size is every op's parameter
    double bytes = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i)
      if (ctx.has_input(i)) bytes += StaticBytes(ctx.input(i));
    for (size_t o = 0; o < ctx.num_outputs(); ++o)
      if (ctx.has_output(o)) bytes += StaticBytes(ctx.output(o));
    std::vector<Tunable> out;
    AddThreadsTunableForBytes(threads, bytes, out);
    return out;
  }
  // The op's own listers read inputs 0 and 1; a node without them gets the op's own reason it
  // cannot run here (if it has one) or nothing.
  if (!ctx.has_input(0) || !ctx.has_input(1)) {
    CreateKernel(ctx);
    return {};
  }
  // They only read shapes and attributes (no kernel is built: that can cost as much as
  // compiling), and list nothing for a node their op's kernel would not take.
  return reg.tunables(ctx, threads);
}

double EstimateCostUs(const KernelBuildContext& ctx, int threads, double peak_gflops) {
  const OpRegistration& reg = Lookup(ctx.node);
  CostModel model;
  model.threads = threads < 1 ? 1 : threads;
  if (peak_gflops > 0) model.peak_gflops = peak_gflops;
  // Sustained bandwidth grows with threads until the memory system saturates.
  model.memory_gbps = model.threads * 12.0 < 60.0 ? model.threads * 12.0 : 60.0;
  return reg.cost ? reg.cost(ctx, model) : MemoryBoundCostUs(ctx, model);
}

double StaticBytes(const hetrun_value& v) {
  double n = 1;
  for (int32_t i = 0; i < v.rank; ++i) n *= v.dims[i] > 0 ? static_cast<double>(v.dims[i]) : 1.0;
  return n * static_cast<double>(ElementBytes(v.dtype));
}

double MemoryBoundCostUs(const KernelBuildContext& ctx, const CostModel& model) {
  double bytes = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) bytes += StaticBytes(ctx.input(i));
  for (size_t o = 0; o < ctx.num_outputs(); ++o)
    if (ctx.has_output(o)) bytes += StaticBytes(ctx.output(o));
  constexpr double kLaunchUs = 0.5;  // per-op dispatch overhead
  return kLaunchUs + bytes / (model.memory_gbps * 1e3);
}

double ComputeCostUs(double flops, double efficiency, const CostModel& model) {
  constexpr double kLaunchUs = 1.0;
  return kLaunchUs + flops / (model.peak_gflops * efficiency * 1e3);
}

}  // namespace hetrun::cpu
