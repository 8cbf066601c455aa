#include "npy_format.h"

#include <array>
#include <cstring>

namespace hetrun::core::detail {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// numpy itself refuses headers over 10000 bytes by default; be a little more generous.
constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kAlign = 64;

struct NpyType {
  std::string_view code;  // descr without the byte-order character
  DType dtype;
};

constexpr std::array<NpyType, 14> kTypes = {{
    {"f4", DType::kFloat32},
    {"f8", DType::kFloat64},
    {"f2", DType::kFloat16},
    {"i1", DType::kInt8},
    {"i2", DType::kInt16},
    {"i4", DType::kInt32},
    {"i8", DType::kInt64},
    {"u1", DType::kUInt8},
    {"u2", DType::kUInt16},
    {"u4", DType::kUInt32},
    {"u8", DType::kUInt64},
    {"b1", DType::kBool},
    {"c8", DType::kComplex64},
    {"c16", DType::kComplex128},
}};

Result<DType> DTypeFromDescr(const std::string& descr) {
  if (descr.empty()) return InvalidArgument("empty dtype descr");
  const char order = descr[0];
  if (order == '>') {
    return Unimplemented("big-endian data ('" + descr +
                         "') is not supported; save it little-endian");
  }
  // '=' is native (little-endian here); '|' is numpy's "not applicable" for 1-byte types.
  if (order == '<' || order == '=' || order == '|') {
    const std::string_view code = std::string_view(descr).substr(1);
    for (const NpyType& t : kTypes) {
      if (t.code == code) return t.dtype;
    }
  }
  return Unimplemented("unsupported dtype '" + descr + "'");
}

// A tiny parser for the one Python literal numpy writes: a dict of 'descr', 'fortran_order' and
// 'shape'. Never evaluates anything; every read is bounds-checked.
class DictParser {
 public:
  explicit DictParser(std::string_view text) : s_(text) {}

  Status Parse(std::string* descr, bool* fortran, std::vector<int64_t>* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    SkipSpace();
    if (!Eat('{')) return Error("expected '{'");
    while (true) {
      SkipSpace();
      if (Eat('}')) break;
      std::string key;
      HETRUN_RETURN_IF_ERROR(ParseString(&key));
      SkipSpace();
      if (!Eat(':')) return Error("expected ':' after '" + key + "'");
      SkipSpace();
      if (key == "descr" && !have_descr) {
        HETRUN_RETURN_IF_ERROR(ParseString(descr));
        have_descr = true;
      } else if (key == "fortran_order" && !have_fortran) {
        HETRUN_RETURN_IF_ERROR(ParseBool(fortran));
        have_fortran = true;
      } else if (key == "shape" && !have_shape) {
        HETRUN_RETURN_IF_ERROR(ParseTuple(shape));
        have_shape = true;
      } else {
        return Error("unexpected or repeated key '" + key + "'");
      }
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat('}')) break;
      return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected text after the header dict");
    if (!have_descr || !have_fortran || !have_shape) {
      return Error("the header needs 'descr', 'fortran_order' and 'shape'");
    }
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("malformed .npy header (" + what + " at offset " + std::to_string(pos_) +
                           ")");
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view w) {
    if (s_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }
  Status ParseString(std::string* out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      return Error("expected a string");
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) return Error("unterminated string");
    *out = std::string(s_.substr(pos_, end - pos_));
    if (out->find('\\') != std::string::npos) return Error("escapes are not supported");
    pos_ = end + 1;
    return Status::Ok();
  }
  Status ParseBool(bool* out) {
    if (EatWord("True"))
      *out = true;
    else if (EatWord("False"))
      *out = false;
    else
      return Error("expected True or False");
    return Status::Ok();
  }
  Status ParseTuple(std::vector<int64_t>* out) {
    out->clear();
    if (!Eat('(')) return Error("expected '(' for the shape");
    while (true) {
      SkipSpace();
      if (Eat(')')) return Status::Ok();
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9')
        return Error("expected a dimension");
      int64_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const int digit = s_[pos_++] - '0';
        if (v > (INT64_MAX - digit) / 10) return Error("dimension too large");
        v = v * 10 + digit;
      }
      out->push_back(v);
      if (out->size() > 64) return Error("more than 64 dimensions");
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat(')')) return Status::Ok();
      return Error("expected ',' or ')' in the shape");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

uint32_t ReadLE(std::string_view bytes, size_t at, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return v;
}

std::string_view DescrFor(DType t) {
  switch (t) {
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kFloat16: return "<f2";
    case DType::kInt8: return "|i1";
    case DType::kInt16: return "<i2";
    case DType::kInt32: return "<i4";
    case DType::kInt64: return "<i8";
    case DType::kUInt8: return "|u1";
    case DType::kUInt16: return "<u2";
    case DType::kUInt32: return "<u4";
    case DType::kUInt64: return "<u8";
    case DType::kBool: return "|b1";
    case DType::kComplex64: return "<c8";
    case DType::kComplex128: return "<c16";
    default: return "";
  }
}

}  // namespace

Result<NpyHeader> ParseNpyHeader(std::string_view file) {
  if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic) {
    return InvalidArgument("not a .npy file (bad magic)");
  }
  if (file.size() < 10) return InvalidArgument("truncated .npy header");
  const int major = static_cast<unsigned char>(file[6]);
  const int minor = static_cast<unsigned char>(file[7]);
  size_t length_bytes = 0;
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {  // 3 only changes the header text to UTF-8
    length_bytes = 4;
  } else {
    return Unimplemented(".npy format version " + std::to_string(major) + "." +
                         std::to_string(minor) + " is not supported");
  }
  const size_t start = 8 + length_bytes;
  if (file.size() < start) return InvalidArgument("truncated .npy header");
  const size_t header_len = ReadLE(file, 8, length_bytes);
  if (header_len > kMaxHeaderBytes) {
    return InvalidArgument(".npy header length " + std::to_string(header_len) + " is implausible");
  }
  if (file.size() - start < header_len) return InvalidArgument("truncated .npy header");

  std::string descr;
  bool fortran = false;
  NpyHeader h;
  HETRUN_RETURN_IF_ERROR(
      DictParser(file.substr(start, header_len)).Parse(&descr, &fortran, &h.shape));
  HETRUN_ASSIGN_OR_RETURN(h.dtype, DTypeFromDescr(descr));
  if (fortran) {
    return Unimplemented(
        "Fortran-order arrays (fortran_order: True) are not supported; save with "
        "numpy.ascontiguousarray");
  }
  h.data_offset = start + header_len;
  return h;
}

Result<std::string> MakeNpyHeader(DType dtype, const std::vector<int64_t>& shape) {
  const std::string_view descr = DescrFor(dtype);
  if (descr.empty()) {
    return Unimplemented(std::string(DTypeName(dtype)) + " tensors cannot be written as .npy");
  }
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) shape_text += ", ";
    shape_text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) shape_text += ",";  // Python's 1-tuple
  shape_text += ")";
  std::string dict = "{'descr': '" + std::string(descr) +
                     "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Version 1 has a 2-byte length; a (very high-rank) header that does not fit needs version 2.
  const bool v2 = dict.size() + 1 + 10 + kAlign > 0xffff;
  const size_t prefix = v2 ? 12 : 10;
  const size_t unpadded = prefix + dict.size() + 1;  // + '\n'
  const size_t pad = (kAlign - unpadded % kAlign) % kAlign;
  dict.append(pad, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const size_t len = dict.size();
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + dict;
}

}  // namespace hetrun::core::detail
