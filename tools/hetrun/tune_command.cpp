// `hetrun tune`: measure every node's cost on every selected device (and each device's host link
// and per-part overhead), searching the plugins' tunable code-generator parameters, into the
// tuning files under --cache-dir, which later sessions given the same --cache-dir use in place of
// the plugins' estimates and defaults. Ctrl-C stops after the current
// measurement and keeps everything measured so far.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hetrun/partitioner/plan_format.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/runtime/tuning.h"
#include "plan_output.h"
#include "progress_bar.h"

namespace hetrun::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true);
}

// SIGINT sets the flag while tuning; the default action comes back afterwards.
class InterruptGuard {
 public:
  InterruptGuard() { previous_ = std::signal(SIGINT, OnInterrupt); }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

std::string ReportJson(const runtime::TuneReport& report) {
  nlohmann::json devices = nlohmann::json::array();
  for (const runtime::DeviceTuneReport& d : report.devices)
    devices.push_back({{"device", d.device},
                       {"file", d.file},
                       {"nodes_supported", d.supported},
                       {"measured", d.measured},
                       {"already_measured", d.already_measured},
                       {"not_measured", d.not_measured},
                       {"searched", d.searched},
                       {"tuned", d.tuned},
                       {"configurations", d.configurations},
                       {"searched_default_ms", d.searched_default_us / 1e3},
                       {"searched_tuned_ms", d.searched_tuned_us / 1e3},
                       {"part_overhead_us", d.part_overhead_us},
                       {"link_gbps", d.link_gbps},
                       {"link_latency_us", d.link_latency_us},
                       {"notes", d.notes}});
  nlohmann::json j = {{"format", "hetrun-tune"},           {"version", 1},
                      {"elapsed_s", report.elapsed_s},     {"measured", report.measured()},
                      {"changed", report.changed()},       {"stopped_early", report.stopped_early},
                      {"stop_reason", report.stop_reason}, {"devices", devices}};
  if (report.plan_check) {
    nlohmann::json times = nlohmann::json::array();
    for (const runtime::WholeModelTime& t : report.plan_check->times)
      times.push_back({{"candidate", t.candidate}, {"median_ms", t.median_ms}, {"runs", t.runs}});
    j["whole_model"] = {{"plan_devices", report.plan_check->plan_devices},
                        {"times", times},
                        {"choice", report.plan_check->choice},
                        {"file", report.plan_check_file}};
  }
  j["whole_model_notes"] = report.plan_check_notes;
  j["in_model"] = {{"tried", report.in_model_tried},
                   {"dropped", report.in_model_dropped},
                   {"unconfirmed", report.in_model_unconfirmed},
                   {"notes", report.in_model_notes}};
  return j.dump(2) + "\n";
}

void PrintReport(const runtime::TuneReport& report, bool verbose) {
  for (const runtime::DeviceTuneReport& d : report.devices) {
    std::printf(
        "%-10s %zu node(s) supported: %zu measured now, %zu already measured, %zu not "
        "measured\n",
        d.device.c_str(), d.supported, d.measured, d.already_measured, d.not_measured);
    if (d.searched > 0)
      std::printf(
          "%-10s parameters searched for %zu node(s) (%d configurations timed): %zu tuned, "
          "%.3f ms -> %.3f ms over them (%.2fx)\n",
          "", d.searched, d.configurations, d.tuned, d.searched_default_us / 1e3,
          d.searched_tuned_us / 1e3,
          d.searched_tuned_us > 0 ? d.searched_default_us / d.searched_tuned_us : 1.0);
    std::printf("%-10s part overhead %.1f us, host link %.2f GB/s + %.1f us; %s\n", "",
                d.part_overhead_us, d.link_gbps, d.link_latency_us, d.file.c_str());
    const size_t shown = verbose ? d.notes.size() : std::min<size_t>(d.notes.size(), 3);
    for (size_t i = 0; i < shown; ++i) std::printf("%-10s %s\n", "", d.notes[i].c_str());
    if (shown < d.notes.size())
      std::printf("%-10s ... and %zu more (-v shows all)\n", "", d.notes.size() - shown);
  }
  if (report.in_model_tried > 0) {
    std::string dropped;
    for (const std::string& label : report.in_model_dropped)
      dropped += (dropped.empty() ? "" : ", ") + label;
    std::printf("in the model: tuned values of %zu of %zu node(s) kept%s%s\n",
                report.in_model_tried - report.in_model_dropped.size(), report.in_model_tried,
                report.in_model_unconfirmed == 0
                    ? ""
                    : (", " + std::to_string(report.in_model_unconfirmed) +
                       " of them unconfirmed (out of time)")
                          .c_str(),
                dropped.empty() ? "" : (" (back to the defaults: " + dropped + ")").c_str());
  }
  for (const std::string& note : report.in_model_notes)
    std::printf("in the model: %s\n", note.c_str());
  if (report.plan_check)
    std::printf("whole model: %s\n", runtime::DescribePlanCheck(*report.plan_check).c_str());
  for (const std::string& note : report.plan_check_notes)
    std::printf("whole model: %s\n", note.c_str());
}

}  // namespace

int TuneCommand(const std::vector<std::string>& args) {
  Result<TuneArguments> parsed = ParseTuneArguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hetrun: error: %s\n", parsed.status().message().c_str());
    return 2;
  }
  const TuneArguments& a = *parsed;
  if (a.run.verbose) plugin_api::SetPluginLogLevel(HETRUN_LOG_INFO);
  Result<runtime::SessionOptions> session = SessionOptionsFrom(a.run);
  if (!session.ok()) return Fail(session.status().message());
  runtime::TuneOptions options;
  options.session = std::move(*session);
  options.budget_s = a.budget_s;
  options.retune = a.retune;
  options.search = a.search;
  options.repetitions = a.repetitions;
  options.interrupt = &g_interrupted;
  std::unique_ptr<ProgressBar> bar;
  if (!a.run.quiet)
    options.progress = [&bar, budget = a.budget_s](const runtime::TuneProgress& p) {
      if (!bar) {
        bar = std::make_unique<ProgressBar>("tune", static_cast<int>(p.total));
        bar->SetTimeLimit(budget);
      }
      bar->Update(static_cast<int>(p.done), p.current);
    };

  g_interrupted.store(false);
  Result<runtime::TuneReport> tuned = [&] {
    InterruptGuard guard;
    return runtime::Tune(a.run.model, options);
  }();
  bar.reset();
  if (!tuned.ok()) return Fail(tuned.status().message());
  const runtime::TuneReport& report = *tuned;
  if (!a.json.empty()) {
    std::ofstream out(a.json);
    out << ReportJson(report);
    if (!out) return Fail("--json: cannot write '" + a.json + "'");
  }
  if (!a.run.quiet) {
    PrintReport(report, a.run.verbose);
    const std::string result =
        report.changed()             ? "added"
        : report.not_measured() == 0 ? "(nothing new: the tuning cache was complete)"
        : report.stopped_early       ? "(stopped before measuring anything)"
                                     : "(nothing could be measured: see the notes above)";
    std::printf("tuned in %.2f s: %zu measurement(s) %s\n", report.elapsed_s, report.measured(),
                result.c_str());
    if (report.stopped_early)
      std::printf("stopped early (%s): what was measured is kept; run tune again to go on\n",
                  report.stop_reason.c_str());
    // The plan these measurements give (what `hetrun plan --cache-dir` shows).
    runtime::SessionOptions plan_options = options.session;
    plan_options.plan_only = true;
    if (auto planned = runtime::Session::Create(a.run.model, plan_options); planned.ok())
      std::fputs(partitioner::PlanTable((*planned)->graph(), (*planned)->plan()).c_str(), stdout);
  }
  return g_interrupted.load() ? 130 : 0;
}

}  // namespace hetrun::cli
