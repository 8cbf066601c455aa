#include "kernels/threads_tunable.h"

#include <string>

#include "hetrun/plugin.h"
#include "tunables.h"

namespace hetrun::cpu {
namespace {

void Append(int threads, std::vector<Tunable>& out) {
  Tunable t{std::string(kThreadsTunable),
            "threads the node runs on (fewer: less hand-over to workers, for small nodes)",
            {threads},
            threads};
  // Every count up to 8, then powers of two (at most 16 candidates in all).
  for (int64_t v = 1; v < threads && t.values.size() < HETRUN_MAX_TUNABLE_VALUES;
       v = v < 8 ? v + 1 : 2 * v)
    t.values.push_back(v);
  out.push_back(std::move(t));
}

}  // namespace

void AddThreadsTunable(int threads, double flops, std::vector<Tunable>& out) {
  // Nodes with more work per thread keep every thread busy: at 2 threads, one thread was never
  // faster above 32 MFLOP (measured). What matters is each thread's share, so many-core machines
  // search larger nodes too.
  constexpr double kSmallShareFlops = 16e6;
  if (threads > 1 && flops > 0 && flops / threads <= kSmallShareFlops) Append(threads, out);
}

void AddThreadsTunableForBytes(int threads, double bytes, std::vector<Tunable>& out) {
  // About a millisecond of memory traffic per thread: past that, a chunk's hand-over is noise.
  constexpr double kSmallShareBytes = 8 << 20;
  if (threads > 1 && bytes > 0 && bytes / threads <= kSmallShareBytes) Append(threads, out);
}

}  // namespace hetrun::cpu
