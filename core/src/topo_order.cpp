#include "topo_order.h"

#include <functional>
#include <queue>

namespace hetrun::core::detail {

TopoOrder StableTopologicalOrder(const std::vector<std::vector<int32_t>>& deps) {
  const size_t n = deps.size();
  std::vector<int32_t> pending(n, 0);  // unprocessed incoming edges
  std::vector<std::vector<int32_t>> successors(n);
  for (size_t i = 0; i < n; ++i) {
    for (int32_t d : deps[i]) {
      successors[static_cast<size_t>(d)].push_back(static_cast<int32_t>(i));
      ++pending[i];
    }
  }
  std::priority_queue<int32_t, std::vector<int32_t>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(static_cast<int32_t>(i));
  }
  TopoOrder result;
  result.order.reserve(n);
  while (!ready.empty()) {
    const int32_t node = ready.top();
    ready.pop();
    result.order.push_back(node);
    for (int32_t s : successors[static_cast<size_t>(node)]) {
      if (--pending[static_cast<size_t>(s)] == 0) ready.push(s);
    }
  }
  if (result.order.size() == n) return result;

  // Every unsorted node still waits on an unsorted predecessor, so walking predecessors from any of
  // them must revisit a node: that node is on a cycle (the start may only be downstream of one).
  int32_t node = -1;
  for (size_t i = 0; i < n && node < 0; ++i) {
    if (pending[i] > 0) node = static_cast<int32_t>(i);
  }
  std::vector<bool> seen(n, false);
  while (!seen[static_cast<size_t>(node)]) {
    seen[static_cast<size_t>(node)] = true;
    for (int32_t d : deps[static_cast<size_t>(node)]) {
      if (pending[static_cast<size_t>(d)] > 0) {
        node = d;
        break;
      }
    }
  }
  result.cycle_node = node;
  return result;
}

}  // namespace hetrun::core::detail
