#include "hetrun/partitioner/plan_format.h"

#include "hetrun/partitioner/cost_model.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace hetrun::partitioner {
namespace {

// Distinct fills for up to eight devices, then they repeat (Graphviz X11 names).
const char* const kDeviceColours[] = {"lightblue", "lightsalmon", "palegreen", "plum",
                                      "khaki",     "lightcyan",   "pink",      "wheat"};
const char* const kEdgeColours[] = {"blue4", "orangered3", "darkgreen", "purple4",
                                    "gold4", "cyan4",      "deeppink4", "tan4"};

const char* Fill(int device) {
  return kDeviceColours[device % 8];
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// "Conv x3, Relu x3, Add" in order of first appearance.
std::string OpSummary(const core::Graph& graph, const Part& part) {
  std::vector<std::pair<std::string, int>> counts;
  for (core::NodeId n : part.nodes) {
    const std::string& op = graph.nodes[n].op_type;
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& c) { return c.first == op; });
    if (it == counts.end())
      counts.emplace_back(op, 1);
    else
      ++it->second;
  }
  std::string text;
  for (const auto& [op, count] : counts)
    text += (text.empty() ? "" : ", ") + op + (count > 1 ? " x" + std::to_string(count) : "");
  return text;
}

std::string DotEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string Where(const Plan& plan, int part) {
  return part == kHost ? "host" : plan.devices[plan.parts[part].device];
}

std::string Ms(double us) {
  return Fixed(us / 1e3, 3) + " ms";
}

// "0.120 ms measured" or "0.120 ms estimated": `hetrun plan` says which costs were measured.
std::string CostText(double us, CostSource source, const std::string& tuning = "") {
  return Ms(us) + (source == CostSource::kMeasured ? " measured" : " estimated") +
         (tuning.empty() ? "" : " (tuned " + tuning + ")");
}

const char* CostSourceKey(CostSource source) {
  switch (source) {
    case CostSource::kPlugin: return "plugin";
    case CostSource::kModel: return "model";
    case CostSource::kMeasured: return "measured";
  }
  return "unknown";
}

struct NodeExplanation {
  std::string why;
  struct Alternative {
    std::string device;
    bool supported;
    double cost_us;
    CostSource source;
    std::string reason;
    std::string tuning;
  };
  std::vector<Alternative> alternatives;
};

NodeExplanation Explain(const Plan& plan, size_t node) {
  NodeExplanation e;
  const int chosen = plan.node_device[node];
  const bool have_answers = plan.answers.size() == plan.devices.size();
  auto answer = [&](size_t d) -> const NodeAnswer* {
    return have_answers && node < plan.answers[d].size() ? &plan.answers[d][node] : nullptr;
  };
  int cheapest = -1;
  for (size_t d = 0; d < plan.devices.size(); ++d) {
    const NodeAnswer* a = answer(d);
    if (static_cast<int>(d) != chosen)
      e.alternatives.push_back({plan.devices[d], a && a->supported, a ? a->cost_us : 0,
                                a ? a->source : CostSource::kModel,
                                a ? a->reason : "no answer recorded", a ? a->tuning : ""});
    if (a && a->supported && (cheapest < 0 || a->cost_us < answer(cheapest)->cost_us))
      cheapest = static_cast<int>(d);
  }
  const NodeAnswer* mine = answer(chosen);
  const bool alone = std::none_of(e.alternatives.begin(), e.alternatives.end(),
                                  [](const auto& alt) { return alt.supported; });
  if (node < plan.pins.size() && !plan.pins[node].empty()) {
    e.why = "pinned by " + plan.pins[node];
  } else if (plan.strategy == "replay") {
    e.why = "as in the replayed plan";
  } else if (alone) {
    e.why = "the only selected device that supports it";
  } else if (plan.strategy == "priority") {
    e.why = "the first listed device that supports it";
  } else if (mine && cheapest >= 0 && cheapest != chosen &&
             answer(cheapest)->cost_us < mine->cost_us) {
    e.why = CostText(mine->cost_us, mine->source) + " here vs " +
            CostText(answer(cheapest)->cost_us, answer(cheapest)->source) + " on " +
            plan.devices[cheapest] + ", but moving it would add transfers or split its part";
  } else if (mine) {
    e.why = "cheapest";
  }
  // Memory outranks the cost or priority reasoning: it is why the better device was not used.
  if (node < plan.memory_notes.size() && !plan.memory_notes[node].empty())
    e.why = plan.memory_notes[node];
  return e;
}

}  // namespace

std::string PlanExplanation(const core::Graph& graph, const Plan& plan) {
  std::vector<int> part_of(graph.nodes.size(), kHost);
  for (size_t p = 0; p < plan.parts.size(); ++p)
    for (core::NodeId n : plan.parts[p].nodes) part_of[n] = static_cast<int>(p);
  std::ostringstream out;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const NodeExplanation e = Explain(plan, n);
    const size_t chosen = static_cast<size_t>(plan.node_device[n]);
    std::string cost;  // the chosen device's cost, and whether it was measured
    if (chosen < plan.answers.size() && n < plan.answers[chosen].size())
      cost = ", " + CostText(plan.answers[chosen][n].cost_us, plan.answers[chosen][n].source,
                             plan.answers[chosen][n].tuning);
    out << graph.nodes[n].name << " (" << graph.nodes[n].op_type << ") -> " << plan.devices[chosen]
        << ", part " << part_of[n] << cost << ": " << e.why << "\n";
    for (const auto& alt : e.alternatives)
      out << "    " << alt.device << ": "
          << (alt.supported ? CostText(alt.cost_us, alt.source, alt.tuning)
                            : "declined: " + alt.reason)
          << "\n";
  }
  return out.str();
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) + " B" : Fixed(value, 1) + " " + units[unit];
}

namespace {

// "node costs: 170 measured, 10 estimated" over the chosen devices' answers ("" without answers).
std::string CostSummary(const Plan& plan) {
  if (plan.answers.size() != plan.devices.size()) return "";
  size_t measured = 0, estimated = 0, tuned = 0;
  for (size_t n = 0; n < plan.node_device.size(); ++n) {
    const auto& answers = plan.answers[static_cast<size_t>(plan.node_device[n])];
    if (n >= answers.size()) continue;
    (answers[n].source == CostSource::kMeasured ? measured : estimated) += 1;
    tuned += answers[n].tuning.empty() ? 0 : 1;
  }
  return "node costs: " + std::to_string(measured) + " measured (hetrun tune), " +
         std::to_string(estimated) + " estimated; " + std::to_string(tuned) +
         " node(s) compiled with tuned values\n";
}

}  // namespace

std::string PlanTable(const core::Graph& graph, const Plan& plan) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"part", "device", "nodes", "est. ms", "in", "out", "ops"});
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    const Part& part = plan.parts[p];
    std::string ops = OpSummary(graph, part);
    if (ops.size() > 60) ops = ops.substr(0, 57) + "...";
    rows.push_back({std::to_string(p), plan.devices[part.device], std::to_string(part.nodes.size()),
                    Fixed(part.estimated_us / 1e3, 3),
                    HumanBytes(plan.BytesIn(static_cast<int>(p))),
                    HumanBytes(plan.BytesOut(static_cast<int>(p))), ops});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool numeric = c == 0 || (c >= 2 && c <= 5);
      const std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (numeric ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : ""));
    }
    out << line << "\n";
  }
  uint64_t moved = 0;
  int cross_device = 0;
  for (const Transfer& t : plan.transfers) {
    if (t.from_part != kHost && t.to_part != kHost) ++cross_device;
    moved += t.bytes;
  }
  out << plan.parts.size() << " part(s) on " << plan.devices.size() << " device(s), "
      << cross_device << " transfer(s) between devices, " << HumanBytes(moved)
      << " moved in all; estimated " << Fixed(plan.estimated_ms, 3) << " ms per run ("
      << plan.strategy << " strategy)\n";
  out << CostSummary(plan);
  if (!plan.measured_note.empty()) out << plan.measured_note << "\n";
  if (!plan.memory.empty()) {
    out << "planned memory:";
    for (size_t d = 0; d < plan.memory.size(); ++d) {
      const DeviceMemory& m = plan.memory[d];
      out << (d ? "," : "") << " " << plan.devices[d] << " " << HumanBytes(m.peak_bytes);
      if (m.capacity_bytes > 0) out << " of " << HumanBytes(m.capacity_bytes);
    }
    out << "\n";
  }
  return out.str();
}

std::string PlanJson(const core::Graph& graph, const Plan& plan, bool explain) {
  using nlohmann::json;
  json parts = json::array();
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    const Part& part = plan.parts[p];
    json nodes = json::array();
    for (core::NodeId n : part.nodes) nodes.push_back(graph.nodes[n].name);
    parts.push_back({{"id", p},
                     {"device", plan.devices[part.device]},
                     {"estimated_ms", part.estimated_us / 1e3},
                     {"bytes_in", plan.BytesIn(static_cast<int>(p))},
                     {"bytes_out", plan.BytesOut(static_cast<int>(p))},
                     {"ops", OpSummary(graph, part)},
                     {"nodes", nodes}});
  }
  json transfers = json::array();
  for (const Transfer& t : plan.transfers)
    transfers.push_back({{"value", graph.values[t.value].name},
                         {"from_part", t.from_part},
                         {"to_part", t.to_part},
                         {"from", Where(plan, t.from_part)},
                         {"to", Where(plan, t.to_part)},
                         {"bytes", t.bytes},
                         {"estimated_us", t.estimated_us}});
  json memory = json::array();
  for (size_t d = 0; d < plan.memory.size(); ++d)
    memory.push_back({{"device", plan.devices[d]},
                      {"weights_bytes", plan.memory[d].weights_bytes},
                      {"peak_bytes", plan.memory[d].peak_bytes},
                      {"capacity_bytes", plan.memory[d].capacity_bytes}});
  json j = {{"format", "hetrun-plan"}, {"version", 1},
            {"model", graph.name},     {"strategy", plan.strategy},
            {"devices", plan.devices}, {"estimated_ms", plan.estimated_ms},
            {"parts", parts},          {"transfers", transfers},
            {"memory", memory}};
  if (!plan.measured_note.empty()) j["measured"] = plan.measured_note;
  if (explain) {
    json nodes = json::array();
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const NodeExplanation e = Explain(plan, n);
      json alternatives = json::array();
      for (const auto& alt : e.alternatives) {
        json a = {{"device", alt.device}, {"supported", alt.supported}};
        if (alt.supported) {
          a["estimated_ms"] = alt.cost_us / 1e3;
          a["cost_source"] = CostSourceKey(alt.source);
        } else {
          a["reason"] = alt.reason;
        }
        alternatives.push_back(a);
      }
      json node = {{"name", graph.nodes[n].name},
                   {"op", graph.nodes[n].op_type},
                   {"device", plan.devices[plan.node_device[n]]},
                   {"why", e.why},
                   {"alternatives", alternatives}};
      const size_t chosen = static_cast<size_t>(plan.node_device[n]);
      if (chosen < plan.answers.size() && n < plan.answers[chosen].size()) {
        node["estimated_ms"] = plan.answers[chosen][n].cost_us / 1e3;
        node["cost_source"] = CostSourceKey(plan.answers[chosen][n].source);
        if (!plan.answers[chosen][n].tuning.empty())
          node["tuning"] = plan.answers[chosen][n].tuning;
      }
      nodes.push_back(node);
    }
    j["nodes"] = nodes;
  }
  return j.dump(2) + "\n";
}

std::string PlanDot(const core::Graph& graph, const Plan& plan) {
  std::vector<int> part_of(graph.nodes.size(), kHost);
  for (size_t p = 0; p < plan.parts.size(); ++p)
    for (core::NodeId n : plan.parts[p].nodes) part_of[n] = static_cast<int>(p);
  std::ostringstream out;
  out << "digraph plan {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", "
         "fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n";
  // Legend: one swatch per device.
  out << "  subgraph cluster_legend {\n    label=\"devices\"; style=dashed;\n";
  for (size_t d = 0; d < plan.devices.size(); ++d)
    out << "    legend" << d << " [label=\"" << DotEscape(plan.devices[d]) << "\", fillcolor=\""
        << Fill(static_cast<int>(d)) << "\"];\n";
  out << "  }\n";
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    const Part& part = plan.parts[p];
    out << "  subgraph cluster_part" << p << " {\n    label=\"part " << p << " on "
        << DotEscape(plan.devices[part.device]) << " (" << Fixed(part.estimated_us / 1e3, 3)
        << " ms)\"; style=dashed; color=\"" << kEdgeColours[part.device % 8] << "\";\n";
    for (core::NodeId n : part.nodes)
      out << "    n" << n << " [label=\"" << DotEscape(graph.nodes[n].name) << "\\n"
          << DotEscape(graph.nodes[n].op_type) << "\", fillcolor=\"" << Fill(part.device)
          << "\"];\n";
    out << "  }\n";
  }
  // Graph inputs and outputs as ellipses on the host.
  std::set<core::ValueId> io;
  for (core::ValueId v : graph.inputs) io.insert(v);
  for (core::ValueId v : graph.outputs) io.insert(v);
  for (core::ValueId v : io)
    out << "  v" << v << " [label=\"" << DotEscape(graph.values[v].name)
        << "\", shape=ellipse, style=solid];\n";
  // Edges: producer -> consumer; bold and coloured where a value crosses to another device.
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    std::set<core::ValueId> seen;
    for (core::ValueId v : graph.nodes[n].inputs) {
      if (v == core::kNoValue || !seen.insert(v).second) continue;
      const core::Value& value = graph.values[v];
      if (value.producer < 0 && !io.count(v)) continue;  // weights
      const std::string from =
          value.producer < 0 ? "v" + std::to_string(v) : "n" + std::to_string(value.producer);
      const int from_device = value.producer < 0 ? -1 : plan.parts[part_of[value.producer]].device;
      const int to_device = plan.parts[part_of[n]].device;
      out << "  " << from << " -> n" << n;
      if (from_device >= 0 && from_device != to_device)
        out << " [penwidth=3, color=\"" << kEdgeColours[to_device % 8] << "\", label=\""
            << DotEscape(value.name) << "\\n"
            << HumanBytes(EstimatedBytes(value)) << "\"]";
      out << ";\n";
    }
  }
  for (core::ValueId v : graph.outputs)
    if (graph.values[v].producer >= 0)
      out << "  n" << graph.values[v].producer << " -> v" << v << ";\n";
  out << "}\n";
  return out.str();
}

Result<std::vector<std::pair<std::string, std::string>>> ReadPlanJson(const std::string& text) {
  using nlohmann::json;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("--plan-in: not valid JSON");
  if (!j.is_object() || j.value("format", "") != "hetrun-plan" || !j.contains("parts") ||
      !j["parts"].is_array())
    return InvalidArgument(
        "--plan-in: not a hetrun plan (expected the JSON written by --plan-json)");
  std::vector<std::pair<std::string, std::string>> assignment;
  std::set<std::string> seen;
  for (const json& part : j["parts"]) {
    if (!part.is_object() || !part.contains("device") || !part["device"].is_string() ||
        !part.contains("nodes") || !part["nodes"].is_array())
      return InvalidArgument(
          "--plan-in: every part needs a \"device\" string and a \"nodes\" array");
    for (const json& node : part["nodes"]) {
      if (!node.is_string()) return InvalidArgument("--plan-in: node names must be strings");
      if (!seen.insert(node.get<std::string>()).second)
        return InvalidArgument("--plan-in: node '" + node.get<std::string>() +
                               "' is in more than one part");
      assignment.emplace_back(node.get<std::string>(), part["device"].get<std::string>());
    }
  }
  return assignment;
}

}  // namespace hetrun::partitioner
