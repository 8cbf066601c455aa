// Ways to look at a plan: a terminal table, JSON (also read back by --plan-in), and Graphviz DOT
// with nodes coloured by device and transfers drawn as bold edges.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hetrun/partitioner/plan.h"

namespace hetrun::partitioner {

std::string PlanTable(const core::Graph& graph, const Plan& plan);
// With `explain`, the JSON also lists every node with its device, why, and the alternatives.
std::string PlanJson(const core::Graph& graph, const Plan& plan, bool explain = false);
// Per node: the device chosen and why (pin, priority, cheapest, transfers), and every other
// device's answer: its estimate, or why it declined.
std::string PlanExplanation(const core::Graph& graph, const Plan& plan);
std::string PlanDot(const core::Graph& graph, const Plan& plan);

// Reads a plan written by PlanJson: (node name, device name) for every node of every part.
Result<std::vector<std::pair<std::string, std::string>>> ReadPlanJson(const std::string& text);

// "1.5 MB", "312 B": byte counts for people.
std::string HumanBytes(uint64_t bytes);

}  // namespace hetrun::partitioner
