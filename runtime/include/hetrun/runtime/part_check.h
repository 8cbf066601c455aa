// Per-part validation (`hetrun --check`): every part placed on a device other than the CPU is run
// again on the CPU plugin with exactly the inputs the device run fed it, and each of its outputs is
// compared (|device - cpu| <= atol + rtol * |cpu|). Within a part that diverges, bisection over
// prefixes of the part finds the first node whose output diverges. A plugin that claims a node it
// computes wrongly is caught here, not by the user.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hetrun/core/tensor.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime {

struct PartCheckOptions {
  double rtol = 1e-3;
  double atol = 1e-4;
  bool bisect = true;  // find the first diverging node inside a diverging part
};

struct OutputCheck {
  std::string value;
  bool ok = true;
  double max_abs_error = 0;
  double max_rel_error = 0;
  int64_t mismatches = 0;
  std::string message;  // the comparison's description (worst element, shape or dtype mismatch)
};

struct PartCheck {
  int part = 0;
  std::string device;
  bool checked = false;  // false: the part is on the CPU already, or checking it failed (note)
  std::string note;
  std::vector<OutputCheck> outputs;
  // Set when an output diverges and bisection found the node: "name (Op)".
  std::string first_divergent_node;
  bool ok() const;
};

// Checks every part of `session`'s plan, running the model once more on the session's devices to
// capture the values that cross part boundaries. `options` are the options the session was made
// with (devices, plugin paths, threads). Fails only when the capture run itself fails.
Result<std::vector<PartCheck>> CheckParts(const Session& session, const SessionOptions& options,
                                          const std::map<std::string, core::Tensor>& inputs,
                                          const PartCheckOptions& check);

}  // namespace hetrun::runtime
