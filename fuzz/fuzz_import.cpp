// libFuzzer target: arbitrary bytes -> core::ImportOnnxBytes. The importer must return an error
// status for anything it cannot accept; a crash, hang or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>

#include "hetrun/core/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hetrun::core::ImportOptions options;
  options.optimize = (size % 2) == 0;  // both with and without the graph passes
  options.max_external_bytes = 1 << 20;
  auto graph = hetrun::core::ImportOnnxBytes(data, size, options, "fuzz.onnx");
  (void)graph;
  return 0;
}
