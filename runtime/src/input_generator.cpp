#include "hetrun/runtime/input_generator.h"

namespace hetrun::runtime {

double SeededInputGenerator::Next() {
  state_ = state_ * 1664525u + 1013904223u;  // wraps mod 2^32, as the JS peer's `>>> 0` does
  return state_ / 4294967296.0;
}

Result<core::Tensor> SeededInputGenerator::Make(
    const IoInfo& info, const std::map<std::string, std::vector<int64_t>>& shape_overrides) {
  if (core::IsContainerDType(info.dtype))
    return Unimplemented("input '" + info.name + "' is " +
                         (info.dtype == core::DType::kSequence ? "a sequence" : "an optional") +
                         " value: random data for it is not generated, and --input reads tensors "
                         "only (`hetrun conformance` reads SequenceProto/OptionalProto test data)");
  std::vector<int64_t> dims;
  if (auto it = shape_overrides.find(info.name); it != shape_overrides.end()) {
    dims = it->second;
  } else {
    if (!info.shape.rank_known)
      return InvalidArgument("input '" + info.name + "' has unknown rank: give --shape " +
                             info.name + "=DIMS or --input " + info.name + "=FILE");
    for (const core::Dim& d : info.shape.dims)
      dims.push_back(d.known() && d.value > 0 ? d.value : 1);
  }
  HETRUN_ASSIGN_OR_RETURN(core::Tensor t, core::Tensor::Create(info.dtype, dims));
  switch (info.dtype) {
    case core::DType::kFloat32: {
      float* p = t.mutable_data_as<float>();
      for (int64_t i = 0; i < t.element_count(); ++i) p[i] = static_cast<float>(Next());
      break;
    }
    case core::DType::kFloat64: {
      double* p = t.mutable_data_as<double>();
      for (int64_t i = 0; i < t.element_count(); ++i) p[i] = Next();
      break;
    }
    case core::DType::kInt64:
    case core::DType::kInt32:
    case core::DType::kBool:
    case core::DType::kUInt8:
    case core::DType::kInt8: break;  // zeros, as the peer does
    default:
      return Unimplemented("input '" + info.name + "': no default data for dtype " +
                           std::string(core::DTypeName(info.dtype)) + "; give --input " +
                           info.name + "=FILE");
  }
  return t;
}

}  // namespace hetrun::runtime
