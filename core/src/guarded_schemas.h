// A schema registry for libonnx's shape inference that first checks what some of libonnx 1.12's
// inference functions assume but never verify. Example (found by fuzz_import): Conv with an input
// of rank 2 and a weight of rank 3 takes one kernel dimension from the weight and reads
// dilations[0] of an empty vector. The guarded copies turn such nodes into inference errors.
#pragma once

#include <onnx/defs/schema.h>

#include <map>
#include <memory>
#include <string>

namespace hetrun::core::detail {

class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
 public:
  // Built once (copies of every version of the guarded operators), immutable afterwards.
  static const GuardedSchemaRegistry& Instance();

  const onnx::OpSchema* GetSchema(const std::string& key, int maxInclusiveVersion,
                                  const std::string& domain) const override;

 private:
  GuardedSchemaRegistry();
  // Original schema (owned by libonnx's registry) -> the copy with the checked inference function.
  std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> guarded_;
};

}  // namespace hetrun::core::detail
