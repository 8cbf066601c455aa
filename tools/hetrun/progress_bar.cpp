#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace hetrun::cli {

ProgressBar::ProgressBar(std::string label, int total)
    : label_(std::move(label)),
      total_(total),
      enabled_(isatty(1) && isatty(2) && total > 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (enabled_) std::fprintf(stderr, "\r\033[K");  // leave the line clean for the summary
}

void ProgressBar::Update(int done, double last_ms) {
  char detail[64];
  std::snprintf(detail, sizeof(detail), "last %.3f ms", last_ms);
  Draw(done, detail);
}

void ProgressBar::Update(int done, const std::string& detail) {
  // Keep the line within a terminal's width: the detail goes last and is cut.
  Draw(done, detail.size() > 60 ? detail.substr(0, 57) + "..." : detail);
}

void ProgressBar::Draw(int done, const std::string& detail) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  int filled = total_ > 0 ? done * kWidth / total_ : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  // Time left from the average so far: steadier than the last iteration alone.
  const double elapsed_s = std::chrono::duration<double>(now - start_).count();
  double left_s = done > 0 ? elapsed_s / done * (total_ - done) : 0.0;
  if (limit_s_ > 0) left_s = std::min(left_s, std::max(limit_s_ - elapsed_s, 0.0));
  std::fprintf(stderr, "\r%s [%s] %d/%d  ~%.1f s left  %s\033[K", label_.c_str(), bar.c_str(), done,
               total_, left_s, detail.c_str());
  std::fflush(stderr);
}

}  // namespace hetrun::cli
