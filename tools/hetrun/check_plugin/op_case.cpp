#include "op_case.h"

#include <cmath>
#include <cstring>

namespace hetrun::cli::check_plugin {

std::string DimsText(const std::vector<int64_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

uint16_t FloatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t raw_exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (raw_exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  const int32_t exp = static_cast<int32_t>(raw_exp) - 127 + 15;
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (exp <= 0) {  // subnormal half (or zero)
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: right
  return static_cast<uint16_t>(h);
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = (half & 0x8000u) << 16, exp = (half >> 10) & 0x1fu, mant = half & 0x3ffu;
  float magnitude;
  if (exp == 0)
    magnitude = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    magnitude = mant ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  return sign ? -magnitude : magnitude;
}

namespace {

// Stores `v` as element `i` of `t` (converted to t's dtype).
void Store(core::Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case core::DType::kFloat32: t.mutable_data_as<float>()[i] = static_cast<float>(v); break;
    case core::DType::kFloat64: t.mutable_data_as<double>()[i] = v; break;
    case core::DType::kFloat16:
      t.mutable_data_as<uint16_t>()[i] = FloatToHalf(static_cast<float>(v));
      break;
    case core::DType::kInt32: t.mutable_data_as<int32_t>()[i] = static_cast<int32_t>(v); break;
    case core::DType::kInt64: t.mutable_data_as<int64_t>()[i] = static_cast<int64_t>(v); break;
    case core::DType::kInt8: t.mutable_data_as<int8_t>()[i] = static_cast<int8_t>(v); break;
    case core::DType::kUInt8: t.mutable_data_as<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case core::DType::kBool: t.mutable_data_as<uint8_t>()[i] = v != 0 ? 1 : 0; break;
    default: break;  // the catalog uses only the types above
  }
}

bool IsFloat(core::DType t) {
  return t == core::DType::kFloat32 || t == core::DType::kFloat16 || t == core::DType::kFloat64;
}

}  // namespace

CaseBuilder::CaseBuilder(std::string op, core::DType dtype, std::mt19937& rng)
    : op_(std::move(op)), dtype_(dtype), rng_(rng) {
  case_.op = op_;
  case_.dtype = dtype;
  case_.graph.name = "check_" + op_;
  case_.graph.opsets[""] = 17;
  node_.name = "check_" + op_;
  node_.op_type = op_;
}

core::ValueId CaseBuilder::AddValue(const std::string& name, core::DType dtype,
                                    const std::vector<int64_t>& dims) {
  core::Value v;
  v.name = name;
  v.dtype = dtype;
  v.shape = core::Shape::Of(dims);
  return case_.graph.AddValue(std::move(v));
}

std::string CaseBuilder::Input(const std::string& name, core::DType dtype,
                               const std::vector<int64_t>& dims, double lo, double hi, bool whole) {
  case_.graph.inputs.push_back(AddValue(name, dtype, dims));
  core::Tensor t = core::Tensor::Create(dtype, dims).value();
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<int64_t> integer(static_cast<int64_t>(std::ceil(lo)),
                                                 static_cast<int64_t>(std::floor(hi)));
  for (int64_t i = 0; i < t.element_count(); ++i) {
    double v;
    if (dtype == core::DType::kBool)
      v = static_cast<double>(integer(rng_) & 1);
    else if (whole || !IsFloat(dtype))
      v = static_cast<double>(integer(rng_));
    else if (dtype == core::DType::kFloat16)
      v = std::round(real(rng_) * 256) / 256;  // exactly representable in half for |v| < 8
    else
      v = real(rng_);
    Store(t, i, v);
  }
  case_.inputs.push_back(std::move(t));
  notes_.push_back(name + "=" + DimsText(dims));
  return name;
}

std::string CaseBuilder::Constant(const std::string& name, core::DType dtype,
                                  const std::vector<int64_t>& dims,
                                  const std::vector<double>& values) {
  const core::ValueId id = AddValue(name, dtype, dims);
  core::Tensor t = core::Tensor::Create(dtype, dims).value();
  for (int64_t i = 0; i < t.element_count() && static_cast<size_t>(i) < values.size(); ++i)
    Store(t, i, values[static_cast<size_t>(i)]);
  case_.graph.values[static_cast<size_t>(id)].constant =
      std::make_shared<const core::Tensor>(std::move(t));
  return name;
}

std::string CaseBuilder::Int64Constant(const std::string& name, const std::vector<int64_t>& values,
                                       bool scalar) {
  std::vector<double> v(values.begin(), values.end());
  std::string list;
  for (int64_t x : values) list += (list.empty() ? "" : ",") + std::to_string(x);
  notes_.push_back(name + "=[" + list + "]");
  return Constant(
      name, core::DType::kInt64,
      scalar ? std::vector<int64_t>{} : std::vector<int64_t>{static_cast<int64_t>(values.size())},
      v);
}

std::string CaseBuilder::RandomConstant(const std::string& name, const std::vector<int64_t>& dims,
                                        double lo, double hi) {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  std::uniform_real_distribution<double> real(lo, hi);
  std::vector<double> values(static_cast<size_t>(count));
  for (double& v : values) {
    v = real(rng_);
    if (dtype_ == core::DType::kFloat16) v = std::round(v * 256) / 256;
  }
  notes_.push_back(name + "=" + DimsText(dims) + "(const)");
  return Constant(name, dtype_, dims, values);
}

void CaseBuilder::Output(const std::string& name, core::DType dtype) {
  core::Value v;
  v.name = name;
  v.dtype = dtype;
  v.shape = core::Shape::Unknown();
  const core::ValueId id = case_.graph.AddValue(std::move(v));
  node_.outputs.push_back(id);
  case_.graph.outputs.push_back(id);
}

CaseBuilder& CaseBuilder::Int(const std::string& name, int64_t value) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kInt;
  a.i = value;
  node_.attributes.push_back(std::move(a));
  notes_.push_back(name + "=" + std::to_string(value));
  return *this;
}

CaseBuilder& CaseBuilder::Ints(const std::string& name, const std::vector<int64_t>& values) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kInts;
  a.ints = values;
  node_.attributes.push_back(std::move(a));
  std::string list;
  for (int64_t x : values) list += (list.empty() ? "" : ",") + std::to_string(x);
  notes_.push_back(name + "=" + list);
  return *this;
}

CaseBuilder& CaseBuilder::Float(const std::string& name, float value) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kFloat;
  a.f = value;
  node_.attributes.push_back(std::move(a));
  char text[64];
  std::snprintf(text, sizeof(text), "%s=%g", name.c_str(), static_cast<double>(value));
  notes_.push_back(text);
  return *this;
}

CaseBuilder& CaseBuilder::String(const std::string& name, const std::string& value) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kString;
  a.s = value;
  node_.attributes.push_back(std::move(a));
  notes_.push_back(name + "=" + value);
  return *this;
}

void CaseBuilder::Note(const std::string& text) {
  notes_.push_back(text);
}

OpCase CaseBuilder::Finish(const std::vector<std::string>& inputs, Tolerance tolerance) {
  for (const std::string& in : inputs)
    node_.inputs.push_back(in.empty() ? core::kNoValue : *case_.graph.FindValue(in));
  case_.graph.nodes.push_back(std::move(node_));
  case_.tolerance = tolerance;
  for (const std::string& n : notes_) case_.summary += (case_.summary.empty() ? "" : " ") + n;
  return std::move(case_);
}

}  // namespace hetrun::cli::check_plugin
