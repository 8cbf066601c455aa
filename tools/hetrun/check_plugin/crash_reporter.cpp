#include "crash_reporter.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace hetrun::cli::check_plugin {
namespace {

char current_check[512] = "loading the plugin";

void Write(const char* text) {
  ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// Only async-signal-safe calls here: write, signal, raise.
void OnFatalSignal(int sig) {
  char number[16];
  int n = 0;
  for (int v = sig; v > 0 && n < 15; v /= 10) number[n++] = static_cast<char>('0' + v % 10);
  char digits[16];
  for (int i = 0; i < n; ++i) digits[i] = number[n - 1 - i];
  digits[n] = '\0';
  Write("\nhetrun check-plugin: crashed (signal ");
  Write(digits);
  Write(") during ");
  Write(current_check);
  Write("\n");
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void InstallCrashReporter() {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, OnFatalSignal);
}

void SetCurrentCheck(const std::string& name) {
  const size_t n = std::min(name.size(), sizeof(current_check) - 1);
  std::memcpy(current_check, name.data(), n);
  current_check[n] = '\0';
}

}  // namespace hetrun::cli::check_plugin
