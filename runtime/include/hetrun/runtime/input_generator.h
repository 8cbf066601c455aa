// Default inputs when the user gives none: the same seeded generator as the ONNX Runtime peer's
// benchmark script (LCG, seed 42, uniform [0,1) floats, zeros for integers and bools), drawn in
// model input order, so `hetrun` and `ort_bench.js` feed identical data without files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hetrun/core/tensor.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime {

class SeededInputGenerator {
 public:
  explicit SeededInputGenerator(uint32_t seed = 42) : state_(seed) {}
  // Dims come from `shape_overrides` when named there, else the model's dims with unknown ones
  // as 1.
  Result<core::Tensor> Make(const IoInfo& info,
                            const std::map<std::string, std::vector<int64_t>>& shape_overrides);

 private:
  double Next();
  uint32_t state_;
};

}  // namespace hetrun::runtime
