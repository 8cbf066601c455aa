// The kit runs every case inside its own process (a plugin is a shared library: there is no
// sandbox around it), so a plugin that crashes ends the run. This at least says which check was
// running: a fatal signal prints "check-plugin: crashed (signal N) during <check>" on stderr, then
// the signal's default action (core dump) proceeds.
#pragma once

#include <string>

namespace hetrun::cli::check_plugin {

void InstallCrashReporter();
// Names the check about to run (copied into a fixed buffer the signal handler can read).
void SetCurrentCheck(const std::string& name);

}  // namespace hetrun::cli::check_plugin
