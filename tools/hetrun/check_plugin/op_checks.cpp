#include "op_checks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "../progress_bar.h"
#include "crash_reporter.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/core/tensor_compare.h"
#include "op_case.h"
#include "op_catalog.h"
#include "plugin_runs.h"

namespace hetrun::cli::check_plugin {
namespace {

struct Tolerances {
  double rtol, atol;
};

// float16 is compared more loosely: a plugin may compute in half precision where the reference
// rounds a float32 result.
Tolerances TolerancesFor(Tolerance t, core::DType dtype) {
  const bool half = dtype == core::DType::kFloat16;
  switch (t) {
    case Tolerance::kExact: return {0, 0};
    case Tolerance::kArithmetic: return half ? Tolerances{4e-3, 2e-3} : Tolerances{1e-5, 1e-6};
    case Tolerance::kTranscendental: return half ? Tolerances{1e-2, 1e-3} : Tolerances{1e-3, 1e-5};
    case Tolerance::kAccumulating: return half ? Tolerances{2e-2, 2e-2} : Tolerances{1e-3, 1e-4};
  }
  return {0, 0};
}

struct Answer {
  Status status;  // of the call itself
  bool supported = false;
  double cost_us = 0;
  std::string reason;
};

Answer QueryOneNode(const runtime::Device& device, const hetrun_graph_view* view) {
  hetrun_node_support support{};
  support.struct_size = sizeof(support);
  Answer a;
  a.status =
      device.Check(device.api().query_support(device.handle(), view, &support), "query_support");
  support.reason[sizeof(support.reason) - 1] = '\0';  // never trust the plugin to terminate it
  a.supported = support.supported != 0;
  a.cost_us = support.cost_us;
  a.reason = support.reason;
  return a;
}

// The case's graph with every output's shape set from the reference's result.
void FixOutputShapes(OpCase& c, const std::vector<core::Tensor>& reference_outputs) {
  for (size_t i = 0; i < c.graph.outputs.size() && i < reference_outputs.size(); ++i)
    c.graph.values[static_cast<size_t>(c.graph.outputs[i])].shape =
        core::Shape::Of(reference_outputs[i].dims());
}

std::string CompareOutputs(const std::vector<core::Tensor>& got,
                           const std::vector<core::Tensor>& want, Tolerances tol) {
  if (got.size() != want.size())
    return std::to_string(got.size()) + " outputs, the reference has " +
           std::to_string(want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    core::TensorComparison cmp = core::CompareTensors(got[i], want[i], tol.rtol, tol.atol);
    if (!cmp.ok)
      return "output " + std::to_string(i) + " differs from the reference: " + cmp.message;
  }
  return {};
}

// float16 <-> float32 copies of a tensor; other dtypes are returned as they are.
core::Tensor ConvertHalf(const core::Tensor& t, core::DType to) {
  const core::DType from = t.dtype();
  const bool widen = from == core::DType::kFloat16 && to == core::DType::kFloat32;
  const bool narrow = from == core::DType::kFloat32 && to == core::DType::kFloat16;
  if (!widen && !narrow) return t;
  core::Tensor out = core::Tensor::Create(to, t.dims()).value();
  for (int64_t i = 0; i < t.element_count(); ++i) {
    if (widen)
      out.mutable_data_as<float>()[i] = HalfToFloat(t.data_as<uint16_t>()[i]);
    else
      out.mutable_data_as<uint16_t>()[i] = FloatToHalf(t.data_as<float>()[i]);
  }
  return out;
}

// The case with every float16 value, constant and input widened to float32: what the reference
// runs when it has no float16 kernel (the inputs are exact in both types; the results are rounded
// back to float16 for the comparison).
OpCase WidenedToFloat32(const OpCase& c) {
  OpCase wide = c;
  for (core::Value& v : wide.graph.values) {
    if (v.dtype != core::DType::kFloat16) continue;
    v.dtype = core::DType::kFloat32;
    if (v.constant)
      v.constant = std::make_shared<const core::Tensor>(ConvertHalf(*v.constant, v.dtype));
  }
  for (core::Tensor& t : wide.inputs) t = ConvertHalf(t, core::DType::kFloat32);
  return wide;
}

class CaseRunner {
 public:
  CaseRunner(const runtime::Device& target, const runtime::Device& reference,
             const OpCheckOptions& options)
      : target_(target), reference_(reference), options_(options) {}

  // One case: the result to log (name, op and dtype are filled by the caller).
  CheckResult Run(OpCase& c, bool also_plugin_allocated) {
    CheckResult r;
    // The reference decides the output shapes and the expected values.
    std::unique_ptr<core::GraphView> view = core::GraphView::Build(c.graph);
    Answer ref = QueryOneNode(reference_, view->view());
    // No float16 kernel in the reference: it computes in float32 (Cast's "to" is not widened).
    const bool widen =
        ref.status.ok() && !ref.supported && c.dtype == core::DType::kFloat16 && c.op != "Cast";
    OpCase wide;
    if (widen) {
      wide = WidenedToFloat32(c);
      view = core::GraphView::Build(wide.graph);
      ref = QueryOneNode(reference_, view->view());
    }
    if (!ref.status.ok() || !ref.supported)
      return Skip(r, "the reference (" + reference_.display_name() + ") cannot run this case: " +
                         (ref.status.ok() ? ref.reason : ref.status.message()));
    Result<Executable> ref_exe = Compile(reference_, view->view());
    if (!ref_exe.ok()) return Skip(r, "reference compile: " + ref_exe.status().message());
    Result<std::vector<core::Tensor>> want =
        RunPluginAllocated(reference_, *ref_exe, widen ? wide.inputs : c.inputs,
                           c.graph.outputs.size(), options_.timeout_ms);
    if (!want.ok()) return Skip(r, "reference run: " + want.status().message());
    if (widen) {
      for (size_t i = 0; i < want->size(); ++i)
        (*want)[i] =
            ConvertHalf((*want)[i], c.graph.values[static_cast<size_t>(c.graph.outputs[i])].dtype);
    }

    FixOutputShapes(c, *want);
    view = core::GraphView::Build(c.graph);
    Answer answer = QueryOneNode(target_, view->view());
    if (!answer.status.ok()) return Fail(r, answer.status.message());
    if (!answer.supported) {
      r.declined = true;
      if (answer.reason.empty())
        return Fail(r, "declined without a reason (hetrun_node_support.reason is empty)");
      return Skip(r, "not claimed: " + answer.reason);
    }
    r.claimed = true;
    if (!std::isfinite(answer.cost_us))  // the partitioner adds these up
      return Fail(r, "claimed with a cost_us that is not finite");
    Result<Executable> exe = Compile(target_, view->view());
    if (!exe.ok()) return Fail(r, "claimed, but " + exe.status().message());
    std::vector<OutputSpec> specs;
    for (const core::Tensor& t : *want) specs.push_back({t.dtype(), t.dims()});
    Result<GuardedRun> run = RunGuarded(target_, *exe, c.inputs, specs, options_.timeout_ms);
    if (!run.ok()) return Fail(r, run.status().message());
    if (!run->guard_error.empty()) return Fail(r, run->guard_error);
    // A float16 output (Cast to float16 too) gets float16's tolerance.
    bool half = c.dtype == core::DType::kFloat16;
    for (const core::Tensor& t : *want) half = half || t.dtype() == core::DType::kFloat16;
    const Tolerances tol =
        TolerancesFor(c.tolerance, half ? core::DType::kFloat16 : core::DType::kFloat32);
    if (std::string diff = CompareOutputs(run->outputs, *want, tol); !diff.empty())
      return Fail(r, diff);
    if (also_plugin_allocated) {  // the path the runtime takes when it lets the plugin allocate
      Result<std::vector<core::Tensor>> own =
          RunPluginAllocated(target_, *exe, c.inputs, specs.size(), options_.timeout_ms);
      if (!own.ok()) return Fail(r, "with plugin-allocated outputs: " + own.status().message());
      if (std::string diff = CompareOutputs(*own, *want, tol); !diff.empty())
        return Fail(r, "with plugin-allocated outputs: " + diff);
      // Every tunable value must compute what the defaults do (ABI minor 2).
      if (std::string bad = CheckTunables(*view->view(), c.inputs, specs, *want, tol); !bad.empty())
        return Fail(r, bad);
    }
    r.status = CheckStatus::kPass;
    return r;
  }

 private:
  // The node's tunables: a well-formed list, every non-default candidate compiled (compile_tuned)
  // and compared with the reference like the defaults, and a value outside the list refused with
  // INVALID_ARGUMENT. "" when all is well (or the plugin has no tuning calls).
  std::string CheckTunables(const hetrun_graph_view& view, const std::vector<core::Tensor>& inputs,
                            const std::vector<OutputSpec>& specs,
                            const std::vector<core::Tensor>& want, Tolerances tol) const {
    if (!target_.SupportsTuning()) return {};
    Result<std::vector<runtime::TunableParameter>> tunables = target_.ListTunables(view, 0);
    if (!tunables.ok()) return "list_tunables: " + tunables.status().message();
    for (const runtime::TunableParameter& t : *tunables) {
      const std::string named = "tunable '" + t.name + "'";
      if (t.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        return named + ": the name is not [a-z0-9_]+";
      std::vector<int64_t> sorted = t.values;
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        return named + ": its values repeat";
      if (!std::binary_search(sorted.begin(), sorted.end(), t.default_value))
        return named + ": the default " + std::to_string(t.default_value) +
               " is not among its values";
      for (int64_t value : t.values) {
        if (value == t.default_value) continue;
        const std::string with = named + " = " + std::to_string(value);
        hetrun_executable_t raw = nullptr;
        Status compiled = target_.Compile(view, {{{t.name, value}}}, &raw, "with " + with);
        if (!compiled.ok()) return compiled.message();
        Executable exe(target_, raw);
        Result<GuardedRun> run = RunGuarded(target_, exe, inputs, specs, options_.timeout_ms);
        if (!run.ok()) return "with " + with + ": " + run.status().message();
        if (!run->guard_error.empty()) return "with " + with + ": " + run->guard_error;
        if (std::string diff = CompareOutputs(run->outputs, want, tol); !diff.empty())
          return "with " + with + ": " + diff;
      }
      int64_t outside = sorted.back() + 1;
      hetrun_executable_t raw = nullptr;
      Status refused = target_.Compile(view, {{{t.name, outside}}}, &raw, "");
      const Executable released(target_, raw);  // in case the plugin compiled it anyway
      if (refused.code() != StatusCode::kInvalidArgument)
        return named + " = " + std::to_string(outside) +
               " (not a candidate): compile_tuned must refuse it with INVALID_ARGUMENT, got " +
               (refused.ok() ? std::string("success") : refused.message());
    }
    return {};
  }

  static CheckResult Skip(CheckResult r, std::string reason) {
    r.status = CheckStatus::kSkip;
    r.reason = std::move(reason);
    return r;
  }
  static CheckResult Fail(CheckResult r, std::string reason) {
    r.status = CheckStatus::kFail;
    r.reason = std::move(reason);
    return r;
  }

  const runtime::Device& target_;
  const runtime::Device& reference_;
  const OpCheckOptions& options_;
};

}  // namespace

void RunOpChecks(const runtime::Device& target, const runtime::Device& reference,
                 const OpCheckOptions& options, CheckLog& log) {
  struct Planned {
    std::string op;
    core::DType dtype;
    int index;
  };
  std::vector<Planned> plan;
  for (const CatalogOp& entry : OpCatalog()) {
    if (options.filter && !std::regex_search(entry.op, *options.filter)) continue;
    log.DeclareOp(entry.op);
    for (core::DType dtype : entry.dtypes)
      for (int i = 0; i < options.cases_per_op; ++i) plan.push_back({entry.op, dtype, i});
  }
  CaseRunner runner(target, reference, options);
  ProgressBar progress("check-plugin", static_cast<int>(plan.size()));
  for (size_t k = 0; k < plan.size(); ++k) {
    const Planned& p = plan[k];
    const std::string dtype_name(core::DTypeName(p.dtype));
    const std::string name = "op." + p.op + "." + dtype_name + "#" + std::to_string(p.index);
    SetCurrentCheck(name);
    const auto start = std::chrono::steady_clock::now();
    OpCase c = MakeOpCase(p.op, p.dtype, options.seed, p.index);
    const std::string summary = c.summary;
    CheckResult r = runner.Run(c, p.index == 0);
    r.name = name;
    r.op = p.op;
    r.dtype = dtype_name;
    r.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    r.detail = summary;  // so that a failure can be reproduced (same --seed)
    log.Add(std::move(r));
    progress.Update(static_cast<int>(k + 1), log.results().back().ms);
  }
}

}  // namespace hetrun::cli::check_plugin
