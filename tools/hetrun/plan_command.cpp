// `hetrun plan`: partition a model for a list of devices and show the plan, without compiling or
// running anything.
#include <cstdio>

#include "commands.h"
#include "hetrun/partitioner/plan_format.h"
#include "hetrun/plugin_api/host_services.h"
#include "plan_output.h"

namespace hetrun::cli {

int PlanCommand(const std::vector<std::string>& args) {
  Result<RunArguments> parsed = ParsePlanArguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hetrun: error: %s\n", parsed.status().message().c_str());
    return 2;
  }
  const RunArguments& a = *parsed;
  if (a.verbose) plugin_api::SetPluginLogLevel(HETRUN_LOG_INFO);
  Result<runtime::SessionOptions> options = SessionOptionsFrom(a);
  if (!options.ok()) return Fail(options.status().message());
  options->plan_only = true;
  Result<std::unique_ptr<runtime::Session>> created = runtime::Session::Create(a.model, *options);
  if (!created.ok()) return Fail(created.status().message());
  const runtime::Session& session = **created;
  if (!session.cache_info().warning.empty())
    std::fprintf(stderr, "hetrun: warning: --cache-dir: %s\n",
                 session.cache_info().warning.c_str());
  if (!a.quiet) {
    std::printf("model   %s (%zu nodes), partitioned in %.1f ms\n", a.model.c_str(),
                session.graph().nodes.size(), session.partition_ms());
    std::fputs(partitioner::PlanTable(session.graph(), session.plan()).c_str(), stdout);
    if (a.explain)
      std::fputs(partitioner::PlanExplanation(session.graph(), session.plan()).c_str(), stdout);
  }
  if (Status s = WritePlanFiles(session, a); !s.ok()) return Fail(s.message());
  return 0;
}

}  // namespace hetrun::cli
