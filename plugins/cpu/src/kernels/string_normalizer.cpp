// StringNormalizer (ai.onnx, opset 10) on packed string tensors (packed_values.h): drops stopwords,
// then changes case. Case changes go through the C library's wide-character tables of the
// C.UTF-8 locale, so non-ASCII letters change too; without that locale only ASCII letters do.
#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <unordered_set>

#include "common.h"
#include "packed_values.h"
#include "registry.h"

namespace hetrun::cpu {
namespace {

enum class CaseChange { kNone, kLower, kUpper };

// The process-wide UTF-8 character tables, or 0 when the locale is not installed.
locale_t Utf8Locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  return locale;
}

// Decodes one UTF-8 code point at s[i]; invalid bytes come back as themselves (length 1).
char32_t DecodeUtf8(const std::string& s, size_t i, size_t* length) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    *length = 1;
    return b;
  }
  char32_t c = n == 1 ? b : b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) {
      *length = 1;
      return b;
    }
    c = (c << 6) | (next & 0x3F);
  }
  *length = n;
  return c;
}

void EncodeUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string ChangeCase(const std::string& s, CaseChange change) {
  if (change == CaseChange::kNone) return s;
  const bool upper = change == CaseChange::kUpper;
  const locale_t locale = Utf8Locale();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t length = 1;
    const char32_t c = DecodeUtf8(s, i, &length);
    if (length == 1 && c >= 0x80) {
      out.push_back(s[i]);  // not valid UTF-8: keep the byte
    } else if (locale != locale_t{}) {
      const auto w = static_cast<wint_t>(c);
      EncodeUtf8(static_cast<char32_t>(upper ? towupper_l(w, locale) : towlower_l(w, locale)),
                 &out);
    } else if (c < 0x80) {
      const char a = static_cast<char>(c);
      out.push_back(upper && a >= 'a' && a <= 'z'    ? static_cast<char>(a - 'a' + 'A')
                    : !upper && a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a')
                                                     : a);
    } else {
      out.append(s, i, length);
    }
    i += length;
  }
  return out;
}

class StringNormalizerKernel final : public ComputedKernel {
 public:
  explicit StringNormalizerKernel(const KernelBuildContext& ctx) {
    if (ctx.input(0).dtype != HETRUN_DTYPE_STRING)
      ThrowInvalid(std::string("StringNormalizer: input must be a string tensor, got ") +
                   plugin::DTypeName(ctx.input(0).dtype));
    const std::string action = plugin::AttrString(ctx.node, "case_change_action", "NONE");
    if (action == "LOWER") {
      change_ = CaseChange::kLower;
    } else if (action == "UPPER") {
      change_ = CaseChange::kUpper;
    } else if (action != "NONE") {
      ThrowInvalid("StringNormalizer: case_change_action '" + action +
                   "' is not one of LOWER, UPPER, NONE");
    }
    case_sensitive_ = plugin::AttrInt(ctx.node, "is_case_sensitive", 0) != 0;
    const std::string locale = plugin::AttrString(ctx.node, "locale", "");
    if (!locale.empty() && locale != "en_US" && locale != "en_US.UTF-8" && locale != "C" &&
        locale != "C.UTF-8")
      ThrowUnimplemented("StringNormalizer: locale '" + locale +
                         "' is not supported (only the default, en_US and C)");
    if (const hetrun_attribute* a = plugin::FindAttr(ctx.node, "stopwords");
        a && a->type == HETRUN_ATTR_STRINGS) {
      for (uint32_t i = 0; i < a->count; ++i) stopwords_.insert(Key(a->strings[i]));
    }
  }

  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    const StringTensor x = ReadStrings(*in[0], "StringNormalizer's input");
    // ONNX: [C] or [1, C]; a stopword-only input gives one empty string, [1] or [1, 1].
    const bool two_dim = x.dims.size() == 2;
    if (!(x.dims.size() == 1 || (two_dim && x.dims[0] == 1)))
      ThrowInvalid("StringNormalizer: input must have shape [C] or [1, C], got " +
                   DimsToString(x.dims));
    StringTensor y;
    for (const std::string& s : x.values)
      if (stopwords_.empty() || !stopwords_.contains(Key(s)))
        y.values.push_back(ChangeCase(s, change_));
    if (y.values.empty()) y.values.emplace_back();
    const auto kept = static_cast<int64_t>(y.values.size());
    y.dims = two_dim ? std::vector<int64_t>{1, kept} : std::vector<int64_t>{kept};
    return {PackStrings(y)};
  }

 private:
  // How stopwords and strings are matched: as they are, or both lowercased.
  std::string Key(const std::string& s) const {
    return case_sensitive_ ? s : ChangeCase(s, CaseChange::kLower);
  }

  CaseChange change_ = CaseChange::kNone;
  bool case_sensitive_ = false;
  std::unordered_set<std::string> stopwords_;
};

std::unique_ptr<Kernel> MakeStringNormalizer(const KernelBuildContext& ctx) {
  return std::make_unique<StringNormalizerKernel>(ctx);
}

}  // namespace

void RegisterStringKernels(KernelTable& t) {
  t.Add("StringNormalizer", MakeStringNormalizer);
}

}  // namespace hetrun::cpu
