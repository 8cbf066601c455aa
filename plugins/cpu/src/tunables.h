// Tuning (ABI minor 2): the code-generation choices of a node that `hetrun tune` may time and pick
// (list_tunables), and the values compile_tuned passes down to the kernels. A tunable changes how
// fast a node runs, never what it computes; its default is what compile() does, so an executable
// compiled with no values is exactly the untuned one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hetrun::cpu {

// One tunable as list_tunables reports it: distinct candidate values, one of which is the default.
struct Tunable {
  std::string name;
  std::string description;
  std::vector<int64_t> values;
  int64_t default_value = 0;
};

// Parallelism of one node: from 1 (serial, no hand-over to the pool's workers) to every device
// thread (the default). The executor applies it (Executable::PoolFor) to any kernel that lists it.
inline constexpr std::string_view kThreadsTunable = "threads";

// The values compile_tuned chose for one node, checked against its tunables beforehand.
class NodeTuning {
 public:
  void Set(std::string name, int64_t value) { values_.emplace_back(std::move(name), value); }
  std::optional<int64_t> Find(std::string_view name) const {
    for (const auto& [n, v] : values_)
      if (n == name) return v;
    return std::nullopt;
  }
  int64_t Get(std::string_view name, int64_t fallback) const {
    return Find(name).value_or(fallback);
  }
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::pair<std::string, int64_t>> values_;
};

}  // namespace hetrun::cpu
