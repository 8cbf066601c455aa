#include "plan_output.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hetrun/partitioner/plan_format.h"

namespace hetrun::cli {
namespace {

Status WriteText(const std::string& option, const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return InvalidArgument(option + " " + path + ": cannot write the file");
  return Status::Ok();
}

bool OnPath(const char* program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(dirs.substr(start, colon - start)) / program,
                                ec))
      return true;
    start = colon + 1;
  }
  return false;
}

// Single-quotes a path for /bin/sh.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Result<runtime::SessionOptions> SessionOptionsFrom(const RunArguments& a) {
  runtime::SessionOptions options;
  options.devices = a.devices;
  options.plugin_paths = a.plugin_paths;
  options.threads = a.threads;
  options.input_shapes = a.shapes;
  options.timeout_ms = a.timeout_ms;
  HETRUN_ASSIGN_OR_RETURN(options.partition, partitioner::ParseStrategy(a.partition));
  for (const std::string& text : a.assignments) {
    HETRUN_ASSIGN_OR_RETURN(partitioner::Pin pin, partitioner::Pin::Parse(text));
    options.pins.push_back(pin);
  }
  options.plan_in = a.plan_in;
  options.device_memory = a.device_memory;
  options.warm_start = a.warm_start;
  options.cache_dir = a.cache_dir;
  options.verify_finite = a.verify_finite;
  options.profile_nodes = !a.profile.empty();
  HETRUN_ASSIGN_OR_RETURN(options.fallback, runtime::ParseFallbackPolicy(a.fallback));
  return options;
}

Status WritePlanFiles(const runtime::Session& session, const RunArguments& a) {
  if (!a.plan_json.empty()) {
    HETRUN_RETURN_IF_ERROR(
        WriteText("--plan-json", a.plan_json,
                  partitioner::PlanJson(session.graph(), session.plan(), a.explain)));
    if (!a.quiet) std::printf("plan written to %s\n", a.plan_json.c_str());
  }
  if (!a.plan_dot.empty()) {
    HETRUN_RETURN_IF_ERROR(
        WriteText("--plan-dot", a.plan_dot, partitioner::PlanDot(session.graph(), session.plan())));
    std::string written = a.plan_dot;
    if (OnPath("dot")) {
      const std::string svg = std::filesystem::path(a.plan_dot).replace_extension(".svg").string();
      const std::string command =
          "dot -Tsvg " + ShellQuote(a.plan_dot) + " -o " + ShellQuote(svg) + " 2>/dev/null";
      if (std::system(command.c_str()) == 0)
        written += " and " + svg;
      else
        std::fprintf(stderr, "hetrun: warning: Graphviz could not render %s\n", a.plan_dot.c_str());
    }
    if (!a.quiet) std::printf("plan picture written to %s\n", written.c_str());
  }
  return Status::Ok();
}

}  // namespace hetrun::cli
