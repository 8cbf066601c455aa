// The numpy .npy header: parsing (bounded, overflow-checked, no eval) and writing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hetrun/core/dtype.h"
#include "hetrun/status.h"

namespace hetrun::core::detail {

struct NpyHeader {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  // bytes from the start of the file to the array data
};

// Parses the magic, version and header dict of a .npy file held in `file`. Refuses big-endian
// data, Fortran order, object/unknown dtypes and malformed or oversized headers.
Result<NpyHeader> ParseNpyHeader(std::string_view file);

// The complete header (magic .. '\n') numpy would write for a C-order little-endian array, padded
// so the data starts on a 64-byte boundary. Fails for dtypes numpy cannot hold (bfloat16, string).
Result<std::string> MakeNpyHeader(DType dtype, const std::vector<int64_t>& shape);

}  // namespace hetrun::core::detail
