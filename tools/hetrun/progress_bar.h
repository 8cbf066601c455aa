// A one-line progress bar for long benchmark loops, drawn on stderr only when stdout and stderr are
// terminals (so logs and pipes stay clean).
#pragma once

#include <chrono>
#include <string>

namespace hetrun::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int total);
  ~ProgressBar();
  void Update(int done, double last_ms);
  // As above, with `detail` (what is being done now) in place of the last iteration's time.
  void Update(int done, const std::string& detail);
  // Work that stops after `seconds` (a time budget): the time left shown never exceeds it.
  void SetTimeLimit(double seconds) { limit_s_ = seconds; }

 private:
  void Draw(int done, const std::string& detail);
  std::string label_;
  int total_;
  bool enabled_;
  double limit_s_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace hetrun::cli
