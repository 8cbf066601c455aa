#include "string_cast.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "common.h"
#include "dispatch.h"
#include "packed_values.h"

namespace hetrun::cpu {
namespace {

#define HETRUN_STRING_CAST_TYPES \
  float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t

// Straight to F, so a float is rounded once. from_chars: no locale, and "nan", "inf", "infinity" in
// any case; it takes no leading '+', so that is skipped here (but not "+-1").
template <typename F>
F ParseFloating(const std::string& text) {
  const bool plus = !text.empty() && text[0] == '+';
  const char* begin = text.data() + (plus ? 1 : 0);
  const char* end = text.data() + text.size();
  F v = 0;
  const auto [stop, error] = std::from_chars(begin, end, v);
  if (begin == end || stop != end || (plus && *begin == '-') ||
      (error != std::errc() && error != std::errc::result_out_of_range))
    ThrowInvalid("Cast: '" + text + "' is not a number");
  if (error == std::errc::result_out_of_range) {  // past the range: inf or 0, as numpy reads it
    const std::string digits(begin, end);
    if constexpr (std::is_same_v<F, float>) return std::strtof(digits.c_str(), nullptr);
    return static_cast<F>(std::strtod(digits.c_str(), nullptr));
  }
  return v;
}

template <typename T>
std::string Format(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return FormatFloat(static_cast<double>(v), std::is_same_v<T, float>);
  else
    return std::to_string(v);
}

template <typename T>
T Parse(const std::string& text) {
  if constexpr (std::is_floating_point_v<T>) {
    return ParseFloating<T>(text);
  } else {
    const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
    const char* end = text.data() + text.size();
    T v{};
    const auto [stop, error] = std::from_chars(begin, end, v);
    if (error != std::errc() || stop != end)
      ThrowInvalid("Cast: '" + text + "' is not an integer in range");
    return v;
  }
}

class StringCastKernel final : public ComputedKernel {
 public:
  StringCastKernel(hetrun_dtype_t from, hetrun_dtype_t to) : from_(from), to_(to) {
    const hetrun_dtype_t other = from == HETRUN_DTYPE_STRING ? to : from;
    if (other != HETRUN_DTYPE_STRING && !DTypeIn<HETRUN_STRING_CAST_TYPES>(other))
      ThrowUnimplemented(std::string("Cast: between string and ") + plugin::DTypeName(other) +
                         " is not supported (floats and integers are)");
  }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    if (from_ == to_) return {CopyToBuffer(*in[0])};
    if (to_ == HETRUN_DTYPE_STRING) {
      StringTensor y{in[0]->dims, {}};
      y.values.reserve(static_cast<size_t>(in[0]->numel()));
      Dispatch<HETRUN_STRING_CAST_TYPES>(from_, "Cast", [&]<typename T>() {
        const T* x = in[0]->as<const T>();
        for (int64_t i = 0; i < in[0]->numel(); ++i) y.values.push_back(Format(x[i]));
      });
      return {PackStrings(y)};
    }
    const StringTensor x = ReadStrings(*in[0], "Cast's input");
    BufferTensor y{to_, x.dims, Buffer::Allocate(TensorBytes(to_, x.dims))};
    Dispatch<HETRUN_STRING_CAST_TYPES>(to_, "Cast", [&]<typename T>() {
      T* out = reinterpret_cast<T*>(y.buffer->data());
      for (size_t i = 0; i < x.values.size(); ++i) out[i] = Parse<T>(x.values[i]);
    });
    return {y};
  }

 private:
  hetrun_dtype_t from_, to_;
};

}  // namespace

std::string FormatFloat(double value, bool single_precision) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // numpy's rule: the fewest significant digits that read back to the same value (scientific
  // to_chars gives them), written positionally for 1e-4 <= |value| < 1e16 (and 0), in scientific
  // notation otherwise.
  char buffer[64];
  const auto result =
      single_precision
          ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value),
                          std::chars_format::scientific)
          : std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string scientific(buffer, result.ptr);
  const double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16)) return scientific;
  const size_t e = scientific.find('e');
  const bool negative = scientific[0] == '-';
  std::string digits;  // the significant digits, without sign or point
  for (size_t i = negative ? 1 : 0; i < e; ++i)
    if (scientific[i] != '.') digits += scientific[i];
  const int exponent = std::stoi(scientific.substr(e + 1));
  std::string text = negative ? "-" : "";
  if (exponent < 0) {
    text += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto whole = static_cast<size_t>(exponent) + 1;
    if (digits.size() < whole) digits.append(whole - digits.size(), '0');
    const std::string fraction = digits.substr(whole);
    text += digits.substr(0, whole) + "." + (fraction.empty() ? "0" : fraction);
  }
  return text;
}

double ParseFloat(const std::string& text) {
  return ParseFloating<double>(text);
}

std::unique_ptr<Kernel> MakeStringCast(const KernelBuildContext&, hetrun_dtype_t from,
                                       hetrun_dtype_t to) {
  return std::make_unique<StringCastKernel>(from, to);
}

}  // namespace hetrun::cpu
