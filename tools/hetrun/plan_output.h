// What `hetrun plan` and `hetrun run` share: session options from the command line, and writing
// the plan as JSON, DOT and (when Graphviz is installed) SVG.
#pragma once

#include "arguments.h"
#include "hetrun/runtime/session.h"

namespace hetrun::cli {

Result<runtime::SessionOptions> SessionOptionsFrom(const RunArguments& a);

// Writes --plan-json and --plan-dot; a .dot file is also rendered to .svg next to it when `dot` is
// on the PATH. Prints what it wrote unless quiet.
Status WritePlanFiles(const runtime::Session& session, const RunArguments& a);

}  // namespace hetrun::cli
