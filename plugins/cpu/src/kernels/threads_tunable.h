// "threads": how many of the device's threads a node's loops run on. Every kernel takes its pool
// from the executable (Executable::PoolFor), so this is a parameter of every op; it is listed for
// nodes whose share of work per thread is small, where handing chunks to many workers can cost
// more than it saves.
#pragma once

#include <vector>

#include "kernel.h"

namespace hetrun::cpu {

// Appends "threads" (1 up to `threads`, the default) when a node of `flops` floating-point
// operations leaves each thread a small share, on a device of more than one thread.
void AddThreadsTunable(int threads, double flops, std::vector<Tunable>& out);
// The same for a memory-bound node that reads and writes `bytes` in all.
void AddThreadsTunableForBytes(int threads, double bytes, std::vector<Tunable>& out);

}  // namespace hetrun::cpu
