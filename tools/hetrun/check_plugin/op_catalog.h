// The ops the kit checks: those of the default ONNX domain (opset 17) that hetrun's plugins
// implement, each with the dtypes ONNX allows for it (of float32, float16, int32, int64, bool) and
// a generator of random, valid cases: shapes, broadcasting, attributes, constant operands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "op_case.h"

namespace hetrun::cli::check_plugin {

struct CatalogOp {
  std::string op;
  std::vector<core::DType> dtypes;
};

// Every op of the catalog with its dtypes, in a stable order.
const std::vector<CatalogOp>& OpCatalog();

// Case number `index` of `op` with `dtype`; the same (seed, op, dtype, index) always gives the same
// case.
OpCase MakeOpCase(const std::string& op, core::DType dtype, uint32_t seed, int index);

}  // namespace hetrun::cli::check_plugin
