// `hetrun [run]`: create a session, feed inputs (files or seeded random), run warm-up and timed
// iterations, print a summary, write outputs and a JSON report.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "arguments.h"
#include "check_output.h"
#include "commands.h"
#include "hetrun/core/tensor_io.h"
#include "hetrun/partitioner/plan_format.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/runtime/input_generator.h"
#include "hetrun/runtime/session.h"
#include "node_profile.h"
#include "plan_output.h"
#include "progress_bar.h"

namespace hetrun::cli {
namespace {

// As the ONNX Runtime peer names its files: characters outside [A-Za-z0-9_.-] become '_'.
std::string FileNameFor(const std::string& tensor_name) {
  std::string out = tensor_name;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) c = '_';
  return out;
}

// The first few values, for the terminal summary.
std::string Preview(const core::Tensor& t) {
  const int64_t n = std::min<int64_t>(t.element_count(), 6);
  std::string s = "[";
  char buf[32];
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype()) {
      case core::DType::kFloat32:
        std::snprintf(buf, sizeof buf, "%.6g", t.data_as<float>()[i]);
        break;
      case core::DType::kFloat64:
        std::snprintf(buf, sizeof buf, "%.6g", t.data_as<double>()[i]);
        break;
      case core::DType::kInt64:
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.data_as<int64_t>()[i]));
        break;
      case core::DType::kInt32:
        std::snprintf(buf, sizeof buf, "%d", t.data_as<int32_t>()[i]);
        break;
      case core::DType::kBool:
      case core::DType::kUInt8:
        std::snprintf(buf, sizeof buf, "%u", t.data_as<uint8_t>()[i]);
        break;
      default: std::snprintf(buf, sizeof buf, "?"); break;
    }
    s += (i ? ", " : "") + std::string(buf);
  }
  return s + (t.element_count() > n ? ", ...]" : "]");
}

struct LatencyStats {
  double min = 0, median = 0, mean = 0, p90 = 0, max = 0;
};

// Same quantile rule as the ONNX Runtime peer script, so the two reports compare directly.
LatencyStats Summarize(std::vector<double> ms) {
  LatencyStats s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto q = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  s.min = ms.front();
  s.max = ms.back();
  s.median = q(0.5);
  s.p90 = q(0.9);
  s.mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return s;
}

Result<std::map<std::string, core::Tensor>> PrepareInputs(const runtime::Session& session,
                                                          const RunArguments& a,
                                                          std::vector<std::string>& sources) {
  std::map<std::string, core::Tensor> inputs;
  for (const auto& [name, file] : a.input_files) {
    bool known = std::any_of(session.inputs().begin(), session.inputs().end(),
                             [&](const runtime::IoInfo& i) { return i.name == name; });
    if (!known) {
      std::string names;
      for (const runtime::IoInfo& i : session.inputs())
        names += (names.empty() ? "" : ", ") + i.name;
      return InvalidArgument("--input " + name + ": the model has no input '" + name +
                             "' (inputs: " + names + ")");
    }
  }
  runtime::SeededInputGenerator generator;
  for (const runtime::IoInfo& info : session.inputs()) {
    if (auto it = a.input_files.find(info.name); it != a.input_files.end()) {
      Result<core::Tensor> t = core::ReadTensorFile(it->second);
      if (!t.ok()) return t.status().WithContext("--input " + info.name);
      inputs[info.name] = std::move(t).value();
      sources.push_back(it->second);
    } else {
      HETRUN_ASSIGN_OR_RETURN(inputs[info.name], generator.Make(info, a.shapes));
      sources.push_back("seeded random");
    }
  }
  return inputs;
}

Status WriteOutputs(const runtime::Session& session, const std::vector<core::Tensor>& outputs,
                    const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgument("--output-dir " + dir + ": " + ec.message());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string path =
        (std::filesystem::path(dir) / (FileNameFor(session.outputs()[i].name) + ".npy")).string();
    HETRUN_RETURN_IF_ERROR(core::WriteNpy(path, outputs[i]));
  }
  return Status::Ok();
}

}  // namespace

int Fail(const std::string& message) {
  std::fprintf(stderr, "hetrun: error: %s\n", message.c_str());
  return 1;
}

int RunCommand(const std::vector<std::string>& args) {
  Result<RunArguments> parsed = ParseRunArguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hetrun: error: %s\n", parsed.status().message().c_str());
    return 2;
  }
  const RunArguments& a = *parsed;
  if (a.verbose) plugin_api::SetPluginLogLevel(HETRUN_LOG_INFO);

  Result<runtime::SessionOptions> options = SessionOptionsFrom(a);
  if (!options.ok()) return Fail(options.status().message());
  const auto create_start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<runtime::Session>> created = runtime::Session::Create(a.model, *options);
  if (!created.ok()) return Fail(created.status().message());
  const runtime::Session& session = **created;
  if (!session.cache_info().warning.empty())
    std::fprintf(stderr, "hetrun: warning: --cache-dir: %s\n",
                 session.cache_info().warning.c_str());
  if (Status s = WritePlanFiles(session, a); !s.ok()) return Fail(s.message());

  std::vector<std::string> sources;
  Result<std::map<std::string, core::Tensor>> inputs = PrepareInputs(session, a, sources);
  if (!inputs.ok()) return Fail(inputs.status().message());

  const int warmup = a.warmup >= 0 ? a.warmup : (a.iterations > 1 ? 10 : 0);
  std::vector<double> latencies;
  std::vector<core::Tensor> outputs;
  runtime::RunStats last_stats;  // of the last run: its trace, and fallbacks taken
  double first_result_ms = 0;    // from the start of session creation to the first outputs
  int warm_start_cpu_runs = 0;   // runs --warm-start served from the CPU-only plan
  std::vector<runtime::FallbackRecord> fallbacks;
  NodeProfile node_profile(session.track_names());  // --profile: every timed run's nodes
  {
    ProgressBar progress("running", warmup + a.iterations);
    for (int i = 0; i < warmup + a.iterations; ++i) {
      runtime::RunStats run_stats;
      run_stats.collect_trace = !a.profile.empty() && i >= warmup;
      auto start = std::chrono::steady_clock::now();
      Result<std::vector<core::Tensor>> r = session.Run(*inputs, &run_stats);
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!r.ok()) return Fail(r.status().message());
      if (i == 0)
        first_result_ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - create_start)
                              .count();
      warm_start_cpu_runs += run_stats.warm_start_cpu ? 1 : 0;
      if (i >= warmup) latencies.push_back(ms);
      if (run_stats.collect_trace) node_profile.Add(run_stats.spans);
      if (fallbacks.empty()) fallbacks = run_stats.fallbacks;  // the first run that fell back
      last_stats = std::move(run_stats);
      if (i + 1 == warmup + a.iterations) outputs = std::move(r).value();
      progress.Update(i + 1, ms);
    }
  }
  const LatencyStats stats = Summarize(latencies);

  for (const runtime::FallbackRecord& f : fallbacks)
    std::fprintf(stderr, "hetrun: warning: part %d failed on %s and was re-run on cpu: %s\n",
                 f.part, f.device.c_str(), f.error.c_str());
  if (!a.profile.empty()) {
    if (Status s = runtime::WriteChromeTrace(a.profile, session.track_names(), last_stats.spans);
        !s.ok())
      return Fail(s.message());
    if (!a.quiet) std::printf("trace written to %s\n", a.profile.c_str());
  }

  if (!a.output_dir.empty()) {
    if (Status s = WriteOutputs(session, outputs, a.output_dir); !s.ok()) return Fail(s.message());
  }

  // --warm-start: what follows (plan, --check, report) is about the full plan.
  const Status full_plan = session.WaitForFullPlan();
  if (!full_plan.ok())
    std::fprintf(stderr,
                 "hetrun: warning: --warm-start: the full plan failed, so every run used "
                 "the CPU: %s\n",
                 full_plan.message().c_str());
  const runtime::PartCheckOptions check_options{a.check_rtol, a.check_atol, true};
  std::vector<runtime::PartCheck> checks;
  if (a.check) {
    Result<std::vector<runtime::PartCheck>> checked =
        runtime::CheckParts(session, *options, *inputs, check_options);
    if (!checked.ok()) return Fail("--check: " + checked.status().message());
    checks = std::move(checked).value();
  }

  std::string devices;
  for (const std::string& d : session.plan().devices) devices += (devices.empty() ? "" : ",") + d;
  if (!a.quiet) {
    std::printf("model   %s\n", a.model.c_str());
    std::printf("devices %s (%zu part%s, %s plan), import %.1f ms, plan %.1f ms, compile %.1f ms\n",
                devices.c_str(), session.plan().parts.size(),
                session.plan().parts.size() == 1 ? "" : "s", session.plan().strategy.c_str(),
                session.import_ms(), session.partition_ms(), session.compile_ms());
    if (!a.cache_dir.empty() && session.cache_info().status == "off")
      std::printf("cache   plans not cached with --warm-start (the plugins' caches apply)\n");
    else if (!a.cache_dir.empty())
      std::printf("cache   %s, %s (session created in %.1f ms)\n",
                  session.cache_info().status.c_str(), session.cache_info().entry.c_str(),
                  session.create_ms());
    if (a.verbose) {
      for (const auto& device : session.devices())
        std::printf("        %s: %s\n", device->display_name().c_str(),
                    device->properties().name.c_str());
      std::fputs(partitioner::PlanTable(session.graph(), session.plan()).c_str(), stdout);
    }
    if (a.explain)
      std::fputs(partitioner::PlanExplanation(session.graph(), session.plan()).c_str(), stdout);
    for (size_t i = 0; i < session.inputs().size(); ++i) {
      const auto& t = inputs->at(session.inputs()[i].name);
      std::printf("input   %s %s (%s)\n", session.inputs()[i].name.c_str(), t.Describe().c_str(),
                  sources[i].c_str());
    }
    for (size_t i = 0; i < outputs.size(); ++i)
      std::printf("output  %s %s %s\n", session.outputs()[i].name.c_str(),
                  outputs[i].Describe().c_str(), Preview(outputs[i]).c_str());
    std::printf(
        "latency %d iteration%s (%d warm-up): min %.3f, median %.3f, mean %.3f, p90 %.3f, max %.3f "
        "ms\n",
        a.iterations, a.iterations == 1 ? "" : "s", warmup, stats.min, stats.median, stats.mean,
        stats.p90, stats.max);
    if (!a.profile.empty() && !node_profile.empty())
      std::fputs(node_profile.Table(a.verbose ? 0 : 15).c_str(), stdout);
    else if (!a.profile.empty())
      std::printf("profile parts only: no device here times its nodes (event_node_times)\n");
    if (!a.output_dir.empty()) std::printf("outputs written to %s\n", a.output_dir.c_str());
    if (a.warm_start)
      std::printf(
          "warm    %d of %d run(s) on the CPU-only plan; full plan ready after %.1f ms; "
          "first result after %.1f ms\n",
          warm_start_cpu_runs, warmup + a.iterations, session.full_plan_ready_ms(),
          first_result_ms);
    if (a.check) PrintPartChecks(checks, check_options);
  }

  if (!a.report_json.empty()) {
    nlohmann::json outs = nlohmann::json::array();
    for (size_t i = 0; i < outputs.size(); ++i)
      outs.push_back({{"name", session.outputs()[i].name},
                      {"dtype", std::string(core::DTypeName(outputs[i].dtype()))},
                      {"shape", outputs[i].dims()}});
    nlohmann::json ins = nlohmann::json::array();
    for (size_t i = 0; i < session.inputs().size(); ++i) {
      const auto& t = inputs->at(session.inputs()[i].name);
      ins.push_back({{"name", session.inputs()[i].name},
                     {"dtype", std::string(core::DTypeName(t.dtype()))},
                     {"shape", t.dims()},
                     {"source", sources[i]}});
    }
    const partitioner::Plan& plan = session.plan();
    nlohmann::json parts = nlohmann::json::array();
    for (size_t p = 0; p < plan.parts.size(); ++p) {
      // Where it really ran: its device, or the CPU when it fell back (nothing falls back
      // silently).
      std::string ran_on = plan.devices[plan.parts[p].device];
      for (const runtime::FallbackRecord& f : fallbacks)
        if (f.part == static_cast<int>(p)) ran_on = "cpu";
      parts.push_back({{"device", plan.devices[plan.parts[p].device]},
                       {"ran_on", ran_on},
                       {"nodes", plan.parts[p].nodes.size()},
                       {"estimated_ms", plan.parts[p].estimated_us / 1e3},
                       {"bytes_in", plan.BytesIn(static_cast<int>(p))},
                       {"bytes_out", plan.BytesOut(static_cast<int>(p))}});
    }
    const std::vector<uint64_t> peaks = session.peak_bytes();
    nlohmann::json device_list = nlohmann::json::array();
    for (size_t d = 0; d < session.devices().size(); ++d) {
      nlohmann::json entry = {{"device", session.devices()[d]->display_name()},
                              {"name", session.devices()[d]->properties().name},
                              {"peak_bytes", peaks[d]}};
      if (d < plan.memory.size()) {  // the fallback CPU, when not selected, has no plan entry
        entry["planned_peak_bytes"] = plan.memory[d].peak_bytes;
        entry["capacity_bytes"] = plan.memory[d].capacity_bytes;
      }
      device_list.push_back(entry);
    }
    nlohmann::json fallback_list = nlohmann::json::array();
    for (const runtime::FallbackRecord& f : fallbacks)
      fallback_list.push_back(
          {{"part", f.part}, {"device", f.device}, {"to", "cpu"}, {"error", f.error}});
    nlohmann::json report = {
        {"hetrun_version", HETRUN_VERSION},
        {"model", a.model},
        {"devices", session.plan().devices},
        {"device_details", device_list},
        {"parts", session.plan().parts.size()},
        {"plan", parts},
        {"partition", plan.strategy},
        {"estimated_ms", plan.estimated_ms},
        {"partition_ms", session.partition_ms()},
        {"transferred_bytes_per_run", last_stats.transferred_bytes},
        {"fallbacks", fallback_list},
        {"threads", a.threads},
        {"import_ms", session.import_ms()},
        {"compile_ms", session.compile_ms()},
        {"warmup", warmup},
        {"iterations", a.iterations},
        {"latency_ms",
         {{"min", stats.min},
          {"median", stats.median},
          {"mean", stats.mean},
          {"p90", stats.p90},
          {"max", stats.max}}},
        {"inputs", ins},
        {"outputs", outs},
    };
    if (a.check) report["check"] = PartChecksJson(checks);
    if (!node_profile.empty()) report["node_profile"] = node_profile.Json();
    report["first_result_ms"] = first_result_ms;
    report["open_ms"] = session.open_ms();
    report["plugin_load_ms"] = session.plugin_load_ms();
    report["session_create_ms"] = session.create_ms();
    if (!a.cache_dir.empty()) {
      const runtime::CacheInfo& cache = session.cache_info();
      report["cache"] = {{"status", cache.status},
                         {"key", cache.key},
                         {"entry", cache.entry},
                         {"warning", cache.warning}};
    }
    if (a.warm_start) {
      report["warm_start"] = {{"runs_on_cpu_plan", warm_start_cpu_runs},
                              {"full_plan_ready_ms", session.full_plan_ready_ms()}};
      if (!full_plan.ok()) report["warm_start"]["full_plan_error"] = full_plan.message();
    }
    std::ofstream file(a.report_json);
    file << report.dump(2) << "\n";
    if (!file) return Fail("--report-json " + a.report_json + ": cannot write the file");
  }
  if (const std::string failure = PartCheckFailure(checks, check_options); !failure.empty())
    return Fail(failure);
  return 0;
}

}  // namespace hetrun::cli
