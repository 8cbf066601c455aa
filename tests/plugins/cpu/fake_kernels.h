// What the fake kernels of the runtime white-box tests record.
#pragma once

#include <atomic>

namespace hetrun::cpu::fake {

// Runs of an in-place capable fake kernel that were given the same memory for input and output.
extern std::atomic<int> g_in_place_runs;

}  // namespace hetrun::cpu::fake
