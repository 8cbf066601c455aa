// The hetrun subcommands. Each returns the process exit code and prints errors as one line.
#pragma once

#include <string>
#include <vector>

namespace hetrun::cli {

int RunCommand(const std::vector<std::string>& args);
int DevicesCommand(const std::vector<std::string>& args);
int ConformanceCommand(const std::vector<std::string>& args);
int PlanCommand(const std::vector<std::string>& args);
int TuneCommand(const std::vector<std::string>& args);
// The plugin conformance kit (check_plugin/check_plugin_command.cpp).
int CheckPluginCommand(const std::vector<std::string>& args);

// Prints "hetrun: error: <message>" to stderr and returns 1.
int Fail(const std::string& message);

}  // namespace hetrun::cli
