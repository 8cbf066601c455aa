#include "check_output.h"

#include <cstdio>

namespace hetrun::cli {
namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

std::string Tolerance(const runtime::PartCheckOptions& options) {
  return "rtol " + Number(options.rtol) + ", atol " + Number(options.atol);
}

}  // namespace

void PrintPartChecks(const std::vector<runtime::PartCheck>& checks,
                     const runtime::PartCheckOptions& options) {
  for (const runtime::PartCheck& c : checks) {
    std::printf("check   part %d on %s: ", c.part, c.device.c_str());
    if (!c.checked) {
      std::printf("not checked (%s)\n", c.note.c_str());
      continue;
    }
    double max_abs = 0, max_rel = 0;
    for (const runtime::OutputCheck& o : c.outputs) {
      max_abs = std::max(max_abs, o.max_abs_error);
      max_rel = std::max(max_rel, o.max_rel_error);
    }
    if (c.ok()) {
      std::printf("%zu output(s) match the CPU within %s (max abs error %s, max rel error %s)\n",
                  c.outputs.size(), Tolerance(options).c_str(), Number(max_abs).c_str(),
                  Number(max_rel).c_str());
      continue;
    }
    std::printf("DIVERGES from the CPU beyond %s\n", Tolerance(options).c_str());
    for (const runtime::OutputCheck& o : c.outputs)
      if (!o.ok) std::printf("          output '%s': %s\n", o.value.c_str(), o.message.c_str());
    if (!c.first_divergent_node.empty())
      std::printf("          first diverging node: %s\n", c.first_divergent_node.c_str());
    if (!c.note.empty()) std::printf("          %s\n", c.note.c_str());
  }
}

nlohmann::json PartChecksJson(const std::vector<runtime::PartCheck>& checks) {
  nlohmann::json list = nlohmann::json::array();
  for (const runtime::PartCheck& c : checks) {
    nlohmann::json outputs = nlohmann::json::array();
    for (const runtime::OutputCheck& o : c.outputs)
      outputs.push_back({{"name", o.value},
                         {"ok", o.ok},
                         {"max_abs_error", o.max_abs_error},
                         {"max_rel_error", o.max_rel_error},
                         {"mismatches", o.mismatches},
                         {"detail", o.message}});
    nlohmann::json entry = {{"part", c.part},
                            {"device", c.device},
                            {"checked", c.checked},
                            {"ok", c.ok()},
                            {"outputs", outputs}};
    if (!c.first_divergent_node.empty()) entry["first_divergent_node"] = c.first_divergent_node;
    if (!c.note.empty()) entry["note"] = c.note;
    list.push_back(entry);
  }
  return list;
}

std::string PartCheckFailure(const std::vector<runtime::PartCheck>& checks,
                             const runtime::PartCheckOptions& options) {
  std::string parts;
  int count = 0;
  for (const runtime::PartCheck& c : checks) {
    if (!c.checked || c.ok()) continue;
    ++count;
    parts += (parts.empty() ? "" : "; ") + ("part " + std::to_string(c.part) + " on " + c.device);
    if (!c.first_divergent_node.empty())
      parts += " (first diverging node " + c.first_divergent_node + ")";
  }
  if (count == 0) return "";
  return "--check: " + std::to_string(count) + " part(s) diverge from the CPU beyond " +
         Tolerance(options) + ": " + parts;
}

}  // namespace hetrun::cli
